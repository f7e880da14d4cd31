"""Optimisers on batched parameters, identical per run to their torch.optim counterparts.

Every parameter tensor has a leading run axis. The update of each element depends only
on that element's gradient and state, so a run inside an ensemble takes exactly the step
it would take alone. AdamW follows ``torch.optim.AdamW``'s single-tensor code path
operation by operation (decoupled decay first, then ``lerp`` for the first moment).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["OPTIMIZERS", "BatchedOptimizer"]

OPTIMIZERS = ("adamw", "sgd")


@dataclass
class BatchedOptimizer:
    """AdamW (``torch.optim.AdamW``) or plain SGD with decoupled weight decay.

    State (``exp_avg``, ``exp_avg_sq`` and the step count) is kept as tensors so that
    checkpoints hold tensors only.
    """

    kind: str
    lr: float
    weight_decay: float
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def init_state(self, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Zero moments for every parameter, and the step count."""
        state = {"n_updates": torch.zeros((), dtype=torch.int64)}
        if self.kind == "adamw":
            for name, value in params.items():
                state[f"exp_avg.{name}"] = torch.zeros_like(value, requires_grad=False)
                state[f"exp_avg_sq.{name}"] = torch.zeros_like(value, requires_grad=False)
        return state

    def advance(self, state: dict[str, torch.Tensor]) -> int:
        """Count one more update in ``state``; return its number (1 for the first)."""
        state["n_updates"] += 1
        return int(state["n_updates"])

    @torch.no_grad()
    def step(
        self,
        params: dict[str, torch.Tensor],
        grads: dict[str, torch.Tensor],
        state: dict[str, torch.Tensor],
    ) -> None:
        """Update ``params`` in place from ``grads`` (same keys and shapes); advance ``state``."""
        self.update(params, grads, state, self.advance(state), slice(None))

    @torch.no_grad()
    def update(
        self,
        params: dict[str, torch.Tensor],
        grads: dict[str, torch.Tensor],
        state: dict[str, torch.Tensor],
        n: int,
        runs: slice,
    ) -> None:
        """Apply update number ``n`` to the runs ``runs`` only (in place; see `advance`).

        Runs share nothing, so updating the runs slice by slice (on several threads) is the
        same arithmetic as one update of all of them.
        """
        lr, wd = self.lr, self.weight_decay
        if self.kind == "sgd":
            for name, value in params.items():
                value, grad = value[runs], grads[name][runs]
                if wd != 0:
                    value.mul_(1 - lr * wd)
                value.add_(grad, alpha=-lr)
            return
        beta1, beta2 = self.betas
        bias_correction1 = 1 - beta1**n
        bias_correction2_sqrt = (1 - beta2**n) ** 0.5
        step_size = lr / bias_correction1
        for name, value in params.items():
            value, grad = value[runs], grads[name][runs]
            exp_avg = state[f"exp_avg.{name}"][runs]
            exp_avg_sq = state[f"exp_avg_sq.{name}"][runs]
            if wd != 0:
                value.mul_(1 - lr * wd)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
            value.addcdiv_(exp_avg, denom, value=-step_size)
