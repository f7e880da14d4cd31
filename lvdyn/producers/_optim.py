"""Optimisers on batched parameters, identical per run to their torch.optim counterparts.

Every parameter tensor has a leading run axis. The update of each element depends only
on that element's gradient and state, so a run inside an ensemble takes exactly the step
it would take alone. AdamW follows ``torch.optim.AdamW``'s single-tensor code path
operation by operation (decoupled decay first, then ``lerp`` for the first moment), with
each operation applied to all tensors by one ``torch._foreach_*`` call: on CPU those calls
run the same single-tensor kernels (so the values are the same, bit for bit) without the
Python dispatch of each (an update of 7 tensors of one run measured 1.6x faster).
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
        values = [value[runs] for value in params.values()]
        grad = [grads[name][runs] for name in params]
        if self.kind == "sgd":
            if wd != 0:
                torch._foreach_mul_(values, 1 - lr * wd)
            torch._foreach_add_(values, grad, alpha=-lr)
            return
        beta1, beta2 = self.betas
        bias_correction1 = 1 - beta1**n
        bias_correction2_sqrt = (1 - beta2**n) ** 0.5
        step_size = lr / bias_correction1
        exp_avg = [state[f"exp_avg.{name}"][runs] for name in params]
        exp_avg_sq = [state[f"exp_avg_sq.{name}"][runs] for name in params]
        if wd != 0:
            torch._foreach_mul_(values, 1 - lr * wd)
        torch._foreach_lerp_(exp_avg, grad, 1 - beta1)
        torch._foreach_mul_(exp_avg_sq, beta2)
        torch._foreach_addcmul_(exp_avg_sq, grad, grad, value=1 - beta2)
        denom = torch._foreach_sqrt(exp_avg_sq)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(values, exp_avg, denom, value=-step_size)
