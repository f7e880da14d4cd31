"""Checking the settings of the modular-addition producer (`lvdyn.producers.modadd.train`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lvdyn.core._checks import check_bool, check_choice, check_int, check_number
from lvdyn.producers._common import DTYPE_NAMES
from lvdyn.producers._modadd_model import ACTIVATIONS
from lvdyn.producers._optim import OPTIMIZERS

__all__ = ["DESIGNS"]

#: Seed designs of the reference code: what comes from ``init_seed`` and what from ``seed``.
DESIGNS = ("vary_all", "fix_embedding", "fix_mlp", "fix_split")


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
    if not seeds or min(seeds) < 0:
        raise ValueError(
            f"`seeds` must be a non-empty list of non-negative integers; got {seeds!r}."
        )
    if len(set(seeds)) != len(seeds) and not kw["given_embedding"]:
        raise ValueError(
            f"`seeds` must be distinct unless `initial_embedding` tells the runs apart; got "
            f"{seeds!r}. Drop the repeated seeds, or pass one embedding per run."
        )
    p = check_int("p", kw["p"], minimum=3)
    steps = check_int("steps", kw["steps"], minimum=0)
    snapshots = sorted({int(s) for s in kw["snapshot_steps"]})
    if snapshots and (snapshots[0] < 0 or snapshots[-1] > steps):
        raise ValueError(
            f"`snapshot_steps` must lie in [0, steps={steps}]; got {snapshots!r}. "
            "Drop the steps outside the run."
        )
    betas = tuple(float(b) for b in kw["betas"])
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise ValueError(f"`betas` must be two numbers in [0, 1); got {kw['betas']!r}.")
    log_every = check_int("log_every", kw["log_every"])
    eval_every = kw["eval_every"]
    fraction = check_number("train_fraction", kw["train_fraction"], low=1.0 / p**2, high=1.0)
    if int(p * p * fraction) >= p * p:
        raise ValueError(
            f"`train_fraction` must leave at least one test pair; got {kw['train_fraction']!r}."
        )
    config: dict[str, Any] = {
        "producer": "modadd",
        "p": p,
        "d_embed": check_int("d_embed", kw["d_embed"]),
        "width": check_int("width", kw["width"]),
        "depth": check_int("depth", kw["depth"]),
        "activation": check_choice("activation", kw["activation"], list(ACTIVATIONS)),
        "combine": check_choice("combine", kw["combine"], ["concat", "sum"]),
        "optimizer": check_choice("optimizer", kw["optimizer"], OPTIMIZERS),
        "lr": check_number("lr", kw["lr"], high=1e3),
        "weight_decay": check_number("weight_decay", kw["weight_decay"], high=1e6),
        "betas": list(betas),
        "eps": check_number("eps", kw["eps"], high=1.0),
        "train_fraction": fraction,
        "dtype": check_choice("dtype", kw["dtype"], DTYPE_NAMES),
        "device": str(_device(kw["device"])),
        "steps": steps,
        "seeds": seeds,
        "design": check_choice("design", kw["design"], DESIGNS),
        "init_seed": check_int("init_seed", kw["init_seed"], minimum=0),
        "log_every": log_every,
        "eval_every": log_every if eval_every is None else check_int("eval_every", eval_every),
        "snapshot_steps": snapshots,
        "checkpoint_every": check_int("checkpoint_every", kw["checkpoint_every"]),
        "fitness_signals": check_bool("fitness_signals", kw["fitness_signals"]),
        "freeze_embedding": check_bool("freeze_embedding", kw["freeze_embedding"]),
        "freeze_mlp": check_bool("freeze_mlp", kw["freeze_mlp"]),
        "initial_embedding": None,  # the runs' embedding hashes, filled in by `train`
    }
    if config["freeze_embedding"] and config["freeze_mlp"]:
        raise ValueError(
            "`freeze_embedding` and `freeze_mlp` are both True, so nothing would train. "
            "Freeze one of them at most."
        )
    return config
