"""Turn a modular-addition trainer's logs into a traces dataset (`build_traces`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from lvdyn._version import __version__
from lvdyn.producers._common import producer_config
from lvdyn.producers._fourier import circle_frequencies
from lvdyn.producers._modadd_trainer import N_METRICS, EnsembleTrainer
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces
from lvdyn.traces._rules import set_survival_rule
from lvdyn.traces._schema import validate_traces

__all__ = ["build_traces"]


def _run_label(config: dict[str, Any], i: int) -> str:
    label = f"p{config['p']}-d{config['d_embed']}-s{config['seeds'][i]}"
    if config["design"] != "vary_all":
        label += f"-{config['design']}{config['init_seed']}"
    if config.get("initial_embedding"):
        label += f"-e{config['initial_embedding'][i][:8]}"
    return label


def _embedding_sources(config: dict[str, Any]) -> list[str]:
    hashes = config.get("initial_embedding")
    if not hashes:
        return ["seed"] * len(config["seeds"])
    return [f"given:{h}" for h in hashes]


_VARIABLE_ATTRS = {
    "dc_strength": ("strength of the k = 0 (DC) row of the embedding's DFT", "1"),
    "strength_mean_all": ("mean strength over all p DFT rows (survival-rule baseline)", "1"),
    "early_gradient": ("early signal change (S_k(4) - S_k(3)) / S_k(0)", "1"),
    "embedding": ("token embedding E at the snapshot step", "1"),
    "loss_push": ("growth of S_k per unit lr under gradient descent on the loss", "1"),
    "grad_strength": ("norm of the k-th DFT row of the loss gradient dL/dE", "1"),
}


def build_traces(trainer: EnsembleTrainer, config: dict[str, Any]) -> xr.Dataset:
    """Turn a trainer's logs into a traces dataset."""
    p = config["p"]
    rows = np.stack(trainer.rows).transpose(1, 0, 2)  # (run, step, p + 4)
    strengths = rows[:, :, :p]
    components = circle_frequencies(p)
    early = np.asarray(trainer.early)
    with np.errstate(divide="ignore", invalid="ignore"):
        early_gradient = (early[:, 4] - early[:, 3]) / early[:, 0]
    runs = trainer.runs
    seeds = config["seeds"]
    ds = make_traces(
        strengths[:, :, components],
        step=np.asarray(trainer.logged_steps, dtype=np.int64),
        component=components,
        run=[_run_label(config, i) for i in range(len(seeds))],
        source=f"lvdyn.producers.modadd {__version__}",
        producer_config=producer_config(config),
        dc_strength=(("run", "step"), strengths[:, :, 0]),
        strength_mean_all=(("run", "step"), strengths.mean(axis=2)),
        mean_all_weight=2.0 / p,
        early_gradient=(("run", "component"), early_gradient[:, components]),
        train_loss=rows[:, :, p],
        train_acc=rows[:, :, p + 1],
        test_loss=rows[:, :, p + 2],
        test_acc=rows[:, :, p + 3],
        seed=np.asarray(seeds, dtype=np.int64),
        embedding_seed=np.asarray([r.embedding_seed for r in runs], dtype=np.int64),
        mlp_seed=np.asarray([r.mlp_seed for r in runs], dtype=np.int64),
        split_seed=np.asarray([r.split_seed for r in runs], dtype=np.int64),
        embedding_source=np.asarray(_embedding_sources(config)),
        freeze_embedding=config.get("freeze_embedding", False),
        freeze_mlp=config.get("freeze_mlp", False),
        **{k: config[k] for k in ("p", "d_embed", "width", "depth", "lr", "weight_decay")},
        **{k: config[k] for k in ("train_fraction", "activation", "combine", "design", "dtype")},
    )
    if config["fitness_signals"]:
        signals = rows[:, :, p + N_METRICS :].reshape(*rows.shape[:2], 2, p)
        ds = ds.assign(
            loss_push=(("run", "step", "component"), signals[:, :, 0][:, :, components]),
            grad_strength=(("run", "step", "component"), signals[:, :, 1][:, :, components]),
        )
    if trainer.snapshots:
        snap_steps = sorted(trainer.snapshots)
        stacked = np.stack([trainer.snapshots[t] for t in snap_steps], axis=1)
        ds = ds.assign(embedding=(("run", "snapshot_step", "token", "embed_dim"), stacked))
        ds = ds.assign_coords(
            snapshot_step=np.asarray(snap_steps, dtype=np.int64),
            token=np.arange(p, dtype=np.int64),
            embed_dim=np.arange(config["d_embed"], dtype=np.int64),
        )
    for name, (long_name, units) in _VARIABLE_ATTRS.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units=units)
    # the paper's survivors: above twice the mean over all p DFT rows, the DC row included;
    # each stored S_k stands for rows k and p - k, so it moves that mean by 2 / p per unit
    ds = set_survival_rule(
        ds, "2x-mean", baseline="strength_mean_all", baseline_weight="mean_all_weight"
    )
    ds["mean_all_weight"].attrs.update(
        long_name="change of strength_mean_all per unit of one stored S_k (2 / p)", units="1"
    )
    ds = add_history(ds, f"modadd.train(steps={trainer.step}, runs={len(seeds)})")
    return validate_traces(ds)
