"""Checking the settings of the modular-addition producer (`lvdyn.producers.modadd.train`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from lvdyn.producers._modadd_model import ACTIVATIONS
from lvdyn.producers._optim import OPTIMIZERS

__all__ = ["DESIGNS"]

#: Seed designs of the reference code: what comes from ``init_seed`` and what from ``seed``.
DESIGNS = ("vary_all", "fix_embedding", "fix_mlp", "fix_split")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}; got {value!r} ({type(value).__name__})."
        )
    return int(value)


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {list(allowed)}; got {value!r}.")
    return str(value)


def _number(name: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise ValueError(f"`{name}` must be a number in [{low}, {high}]; got {value!r}.")
    return number


def _device(device: str) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"`device` must be 'cpu' or 'cuda[:i]'; got {device!r}.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"`device` {device!r} was asked for, but CUDA is not available. Use 'cpu'."
        )
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"`device` must be 'cpu' or 'cuda[:i]'; got {device!r}.")
    return dev


def _config(**kw: Any) -> dict[str, Any]:
    """Validate every setting and return the configuration as JSON-ready values."""
    seeds = kw["seeds"]
    if isinstance(seeds, int | np.integer):
        seeds = [int(seeds)]
    try:
        seeds = [int(s) for s in seeds]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`seeds` must be a list of integers; got {kw['seeds']!r}.") from exc
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ValueError(
            f"`seeds` must be a non-empty list of distinct non-negative integers; got {seeds!r}."
        )
    p = _positive_int("p", kw["p"], 3)
    steps = _positive_int("steps", kw["steps"], 0)
    snapshots = sorted({int(s) for s in kw["snapshot_steps"]})
    if snapshots and (snapshots[0] < 0 or snapshots[-1] > steps):
        raise ValueError(
            f"`snapshot_steps` must lie in [0, steps={steps}]; got {snapshots!r}. "
            "Drop the steps outside the run."
        )
    betas = tuple(float(b) for b in kw["betas"])
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise ValueError(f"`betas` must be two numbers in [0, 1); got {kw['betas']!r}.")
    log_every = _positive_int("log_every", kw["log_every"])
    eval_every = kw["eval_every"]
    fraction = _number("train_fraction", kw["train_fraction"], 1.0 / p**2, 1.0)
    if int(p * p * fraction) >= p * p:
        raise ValueError(
            f"`train_fraction` must leave at least one test pair; got {kw['train_fraction']!r}."
        )
    config: dict[str, Any] = {
        "producer": "modadd",
        "p": p,
        "d_embed": _positive_int("d_embed", kw["d_embed"]),
        "width": _positive_int("width", kw["width"]),
        "depth": _positive_int("depth", kw["depth"]),
        "activation": _choice("activation", kw["activation"], list(ACTIVATIONS)),
        "combine": _choice("combine", kw["combine"], ["concat", "sum"]),
        "optimizer": _choice("optimizer", kw["optimizer"], OPTIMIZERS),
        "lr": _number("lr", kw["lr"], 0.0, 1e3),
        "weight_decay": _number("weight_decay", kw["weight_decay"], 0.0, 1e6),
        "betas": list(betas),
        "eps": _number("eps", kw["eps"], 0.0, 1.0),
        "train_fraction": fraction,
        "dtype": _choice("dtype", kw["dtype"], list(_DTYPES)),
        "device": str(_device(kw["device"])),
        "steps": steps,
        "seeds": seeds,
        "design": _choice("design", kw["design"], DESIGNS),
        "init_seed": _positive_int("init_seed", kw["init_seed"], 0),
        "log_every": log_every,
        "eval_every": log_every if eval_every is None else _positive_int("eval_every", eval_every),
        "snapshot_steps": snapshots,
        "checkpoint_every": _positive_int("checkpoint_every", kw["checkpoint_every"]),
    }
    return config
