"""Fitness signals of the Clock-and-Pizza trainer (``clockpizza.train(fitness_signals=True)``).

At a logged step ``t`` the trainer measures, on the embedding table ``E`` of operand ``a``
(the shared table, or ``a``'s rows with ``diff_vocab``, or ``embed1`` of model X; the table
whose energy is ``strength``), with ``F_k``, ``G_k``, ``U_k`` the DFT rows along the token
axis and ``S_k = ||F_k||`` (`lvdyn.producers._fitness`):

- ``loss_push_k = -Re<F_k, G_k> / S_k`` and ``grad_strength_k = ||G_k||`` of the training
  loss's gradient ``G = dL/dE`` at step ``t``, as the modular-addition trainer logs them: the
  growth of ``S_k`` per unit learning rate under plain gradient descent;
- ``update_push_k = -Re<F_k, U_k> / S_k`` of AdamW's own step from ``t`` to ``t + 1``, which
  is ``E -> (1 - lr_t wd) E - lr_t U`` with ``U = m_hat / (sqrt(v_hat) + eps)`` (the
  bias-corrected moments after the update, read from the optimiser's state) and ``lr_t``
  the scheduled learning rate: ``S_k`` changes by ``lr_t (update_push_k - wd S_k)`` to first
  order. NaN at the last step (no update follows).

The stored ``strength`` is the energy ``|F_k|^2 + |F_{p-k}|^2 = 2 S_k^2``, so it changes by
``4 S_k`` times the change of ``S_k``: per capita, ``2 lr push_k / S_k``, and the decoupled
weight decay pulls it down at ``2 lr_t wd`` per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lvdyn.producers._fitness import fitness_signals, radial_push

__all__ = ["adam_direction", "gradient_signals", "update_push"]


def adam_direction(optimiser: torch.optim.Optimizer, parameter: torch.Tensor) -> torch.Tensor:
    """``U = m_hat / (sqrt(v_hat) + eps)`` of ``parameter`` after an Adam(W) step: the step
    is ``-lr U`` (AdamW's weight decay apart)."""
    state = optimiser.state[parameter]
    group = next(g for g in optimiser.param_groups if any(q is parameter for q in g["params"]))
    if "exp_avg" not in state or group.get("amsgrad"):
        raise ValueError("`optimiser` must be an Adam or AdamW (no amsgrad) that has stepped")
    beta1, beta2 = group["betas"]
    t = float(state["step"])
    m_hat = state["exp_avg"].double() / (1.0 - beta1**t)
    v_hat = state["exp_avg_sq"].double() / (1.0 - beta2**t)
    return m_hat / (v_hat.sqrt() + group["eps"])


def gradient_signals(model: Any, p: int) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """The table of operand ``a`` (a double copy) and its ``loss_push``, ``grad_strength`` for
    ``k = 1..(p-1)/2``, from the gradient left by the last backward pass."""
    parameter = model.embedding_parameter(0)
    if parameter.grad is None:
        raise RuntimeError("the fitness signals need a backward pass first")
    table = model.embedding_table(0).detach().double().clone()
    gradient = model.embedding_table(0, parameter.grad).double()
    push, size = fitness_signals(table, gradient).numpy()
    ks = slice(1, (p - 1) // 2 + 1)
    return table, {"loss_push": push[ks], "grad_strength": size[ks]}


def update_push(
    model: Any, table: torch.Tensor, optimiser: torch.optim.Optimizer, p: int
) -> np.ndarray:
    """``update_push`` for ``k = 1..(p-1)/2`` of the step just taken from ``table``."""
    direction = adam_direction(optimiser, model.embedding_parameter(0))
    step = model.embedding_table(0, direction)
    return radial_push(table, -step).numpy()[1 : (p - 1) // 2 + 1]
