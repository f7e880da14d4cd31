"""Intervention studies on modular addition: boost or remove a circle, see who survives.

Observation says survivors tend to start with a larger signal; an intervention tests
whether the signal causes survival. For each seed, the run is trained unperturbed (the
control) and again from the same initial state with one circle's strength multiplied by a
factor (0 removes it); MLP, split and every other circle are the same (see
`lvdyn.producers.modadd.intervene`). `dose_response` picks the target at random among the
control's non-survivors (or survivors), trains every factor as one batched ensemble, and
reports per run whether the target survived and which circles entered or left. Before the
perturbed runs are read, models fitted on the controls predict each outcome:

- ``ecology``: `lvdyn.MeanFieldLV` with positive feedback, the model that holds on
  held-out runs (docs/prediction.md): shared parameters shipped with lvdyn when the settings
  match them (else fitted on the controls), the control's growth rates from its first 20 %
  of the settle step, started from the control's state there with the target scaled by the
  factor (the perturbation's effect carried to the prefix), and settled;
- ``mean_field``: the older per-run competition model of `lvdyn.producers._mean_field` and
  ``lv``: a Lotka-Volterra model (`lvdyn.LotkaVolterra`), both simulated from the perturbed
  initial state.

The controls are trained first, in their own ensemble, because the target depends on
their outcome. A run's trajectory does not depend on the other runs of its ensemble
(tested bit for bit), so each control is the same run it would be beside its perturbations.

Examples
--------
>>> from lvdyn.producers import modadd_interventions as mi
>>> study = mi.dose_response(seeds=[0, 1], factors=[2.0], p=11, d_embed=8, width=16,
...                          steps=30, progress=False)
>>> study.table.columns[:5].tolist()
['seed', 'target', 'factor', 'target_survived', 'target_survived_control']
>>> mi.wilson_interval(8, 10)
(0.49016..., 0.94331...)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lvdyn.prediction._prefix_shooting import prefix_positions
from lvdyn.producers import modadd
from lvdyn.producers._intervention_models import Ecology, Predictors, shared_ecology
from lvdyn.traces._make import combine_traces

__all__ = [
    "InterventionStudy",
    "dose_response",
    "final_survivors",
    "outcomes",
    "plot_dose_response",
    "summarise",
    "wilson_interval",
]

TARGETS = ("non_survivor", "survivor")
#: Settings of `modadd.train` that also fix each seed's initial embedding.
_DRAW_KEYS = ("p", "d_embed", "width", "depth", "combine", "design", "init_seed")
_DRAW_DEFAULTS = {"p": 59, "d_embed": 128, "width": 100, "depth": 2, "combine": "concat",
                  "design": "vary_all", "init_seed": 0}  # fmt: skip


@dataclass
class InterventionStudy:
    """Traces and per-run outcomes of a `dose_response` study.

    Attributes
    ----------
    traces : xarray.Dataset
        All runs (controls first), with run coordinates ``intervention`` (``"control"`` or
        ``"scale"``), ``factor`` (1 for controls) and ``target`` (the circle scaled).
    table : pandas.DataFrame
        One row per perturbed run (see `outcomes`).
    settings : dict
        The study's settings (targets, factors, training keywords).
    """

    traces: xr.Dataset
    table: pd.DataFrame
    settings: dict[str, Any]


def final_survivors(ds: xr.Dataset) -> xr.DataArray:
    """The paper's rule at the last step: ``S_k > 2 x`` the mean over all ``p`` DFT rows."""
    final = ds.isel(step=-1)
    return final.strength > 2 * final.strength_mean_all


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default).

    Examples
    --------
    >>> wilson_interval(0, 8)
    (0.0, 0.32441...)
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _pick_targets(alive: xr.DataArray, target: str, rng_seed: int) -> list[int | None]:
    picks: list[int | None] = []
    for i in range(alive.sizes["run"]):
        row = alive.isel(run=i).values
        pool = alive.component.values[row if target == "survivor" else ~row]
        rng = np.random.default_rng([rng_seed, int(alive.seed.values[i])])
        picks.append(int(rng.choice(pool)) if pool.size else None)
    return picks


def _names(comps: np.ndarray, mask: np.ndarray | None) -> str | None:
    return None if mask is None else " ".join(str(c) for c in comps[mask])


def dose_response(
    *,
    seeds: Sequence[int],
    factors: Sequence[float],
    target: str = "non_survivor",
    steps: int = 3000,
    rng_seed: int = 0,
    early: int = 20,
    window: int = 1000,
    controls: xr.Dataset | None = None,
    **train_kwargs: Any,
) -> InterventionStudy:
    """Scale one circle per seed by each factor, train, and score predicted outcomes.

    Parameters
    ----------
    seeds : list of int
        One control run and ``len(factors)`` perturbed runs per seed.
    factors : list of float
        Multipliers of the target's initial ``S_k`` (0 removes the circle).
    target : {"non_survivor", "survivor"}
        Pool the target is drawn from (uniformly, seeded by ``rng_seed`` and the seed)
        among the control's final circles.
    steps : int
        Optimiser steps of every run.
    early, window : int
        Steps of the control used by the predictors (see `lvdyn.producers._mean_field`);
        the Lotka-Volterra model is fitted on steps ``0..window``.
    controls : xarray.Dataset, optional
        The unperturbed runs of these seeds, trained with the same settings (for example
        the ``traces`` of another study, ``intervention == "control"``); trained when
        not given.
    **train_kwargs
        Passed to `lvdyn.producers.modadd.train` (``p``, ``d_embed``, ``dtype``, ...);
        ``log_every`` is 1 (the predictors need every early step).

    Returns
    -------
    InterventionStudy
    """
    if target not in TARGETS:
        raise ValueError(f"`target` must be one of {list(TARGETS)}; got {target!r}.")
    factor_list = [float(f) for f in factors]
    if not factor_list or any(not f >= 0 or not math.isfinite(f) for f in factor_list):
        raise ValueError(f"`factors` must be a non-empty list of numbers >= 0; got {factors!r}.")
    if "initial_embedding" in train_kwargs or "log_every" in train_kwargs:
        raise ValueError(
            "`dose_response` sets `initial_embedding` and `log_every` itself; leave them out."
        )
    seeds = [int(s) for s in seeds]
    train_kwargs.setdefault("fitness_signals", False)
    draw = {k: train_kwargs.get(k, v) for k, v in _DRAW_DEFAULTS.items()}
    if controls is None:
        controls = modadd.train(seeds=seeds, steps=steps, **train_kwargs)
    else:
        controls = (
            controls.isel(run=controls.intervention.values == "control")
            if ("intervention" in controls.coords)
            else controls
        )
        controls = controls.drop_vars(["intervention", "factor", "target"], errors="ignore")
        if controls.seed.values.tolist() != seeds or int(controls.step.values[-1]) != steps:
            raise ValueError(
                f"`controls` must hold the runs of `seeds` {seeds} trained for {steps} steps; "
                f"got seeds {controls.seed.values.tolist()} and {int(controls.step.values[-1])} "
                "steps. Pass matching controls or leave `controls` out."
            )
    alive = final_survivors(controls)
    targets = _pick_targets(alive, target, rng_seed)
    kept = [(s, k) for s, k in zip(seeds, targets, strict=True) if k is not None]
    embeddings, run_seeds, run_targets, run_factors = [], [], [], []
    for seed, k in kept:
        base = modadd.seed_embedding(seed, **draw)
        for f in factor_list:
            embeddings.append(modadd.intervene(base, boost={k: f}))
            run_seeds.append(seed)
            run_targets.append(k)
            run_factors.append(f)
    controls = controls.assign_coords(
        intervention=("run", ["control"] * len(seeds)),
        factor=("run", np.ones(len(seeds))),
        target=("run", np.asarray([-1 if k is None else k for k in targets], dtype=np.int64)),
    )
    if not kept:
        return InterventionStudy(controls, pd.DataFrame(), {"targets": targets})
    perturbed = modadd.train(
        seeds=run_seeds, steps=steps, initial_embedding=np.stack(embeddings), **train_kwargs
    ).assign_coords(
        intervention=("run", ["scale"] * len(run_seeds)),
        factor=("run", np.asarray(run_factors)),
        target=("run", np.asarray(run_targets, dtype=np.int64)),
    )
    traces = combine_traces([controls, perturbed])
    settings = {"target": target, "factors": factor_list, "steps": steps, "seeds": seeds,
                "rng_seed": rng_seed, "targets": targets, **train_kwargs}  # fmt: skip
    return InterventionStudy(traces, outcomes(traces, early=early, window=window), settings)


def outcomes(traces: xr.Dataset, *, early: int = 20, window: int = 1000) -> pd.DataFrame:
    """One row per perturbed run of a study's ``traces``: outcome and predictions.

    The predictors see only the run's control (``intervention == "control"``, same seed)
    and the perturbed initial state. Columns: ``seed``, ``target``, ``factor``,
    ``target_survived``, ``target_survived_control``, ``entered``, ``left`` (circles gained
    and lost against the control), ``n_survivors``; predictions of ``target_survived``
    (``pred_ecology``, ``pred_mean_field``, ``pred_lv``, ``pred_signal``) and of ``entered``
    (``pred_entered_ecology``, ``pred_entered_mean_field``, ``pred_entered_lv``: each model
    run from the perturbed
    state against itself run from the control's state; ``pred_entered_invasion``, removals
    only: `lvdyn.predict_survivors` of the fitted LV without the target against with it).
    None marks a failed prediction.
    """
    is_control = traces.intervention.values == "control"
    controls, perturbed = traces.isel(run=is_control), traces.isel(run=~is_control)
    steps = int(traces.step.values[-1])
    comps = controls.component.values
    alive_c, alive_p = final_survivors(controls).values, final_survivors(perturbed).values
    fitted: dict[int, Predictors] = {}
    baseline: dict[int, dict[str, np.ndarray | None]] = {}
    ecology: dict[int, Ecology] = {}
    shared = shared_ecology(controls)
    last = prefix_positions(controls, (0.2,))[0]
    rows = []
    for i in range(perturbed.sizes["run"]):
        seed, k, f = (perturbed[n].values[i] for n in ("seed", "target", "factor"))
        ci = int(np.flatnonzero(controls.seed.values == seed)[0])
        s_control = controls.strength.values[ci]
        if ci not in fitted:
            fitted[ci] = Predictors.fit(controls.isel(run=[ci]), early, window)
            baseline[ci] = fitted[ci].simulated(s_control[0], steps)
            ecology[ci] = Ecology.fit(shared, controls.isel(run=[ci]), last)
            baseline[ci]["ecology"] = ecology[ci].survivors(s_control[0])
        model = fitted[ci]
        before, after = alive_c[ci], alive_p[i]
        s0 = perturbed.strength.values[i, 0]
        kk = int(np.flatnonzero(comps == k)[0])
        sims = {**model.simulated(s0, steps), "ecology": ecology[ci].survivors(s0)}
        # the observational rule: survive iff the initial signal beats the control's
        # weakest survivor's (None when the control kept no other circle)
        others = np.delete(np.arange(comps.size), kk)
        floor = s_control[0, others][before[others]]
        row: dict[str, Any] = {
            "seed": int(seed), "target": int(k), "factor": float(f),
            "target_survived": bool(after[kk]), "target_survived_control": bool(before[kk]),
            "entered": _names(comps, after & ~before), "left": _names(comps, before & ~after),
            "n_survivors": int(after.sum()),
            "pred_signal": bool(s0[kk] > floor.min()) if floor.size else None,
        }  # fmt: skip
        for name in ("ecology", "mean_field", "lv"):
            sim, base = sims[name], baseline[ci][name]
            row[f"pred_{name}"] = None if sim is None else bool(sim[kk])
            gained = None if sim is None or base is None else sim & ~base
            row[f"pred_entered_{name}"] = _names(comps, gained)
        row["pred_entered_invasion"] = (
            _names(comps, model.invasion_entrants(kk)) if f == 0 else None
        )
        rows.append(row)
    order = ["seed", "target", "factor", "target_survived", "target_survived_control"]
    frame = pd.DataFrame(rows)
    return frame[order + [c for c in frame.columns if c not in order]]


def _known(prediction: Any) -> bool:
    return prediction is not None and not pd.isna(prediction)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Survival probability of the target per factor, with 95% Wilson intervals, and the
    accuracy of each predictor (fraction of runs where it named the outcome right;
    a failed prediction counts as wrong).

    Examples
    --------
    >>> t = pd.DataFrame({"factor": [1.0, 1.0], "target_survived": [True, False],
    ...                   "pred_mean_field": [True, None]})
    >>> summarise(t)[["factor", "n", "survived", "p_low", "acc_mean_field"]].to_dict("records")
    [{'factor': 1.0, 'n': 2, 'survived': 1, 'p_low': 0.0945..., 'acc_mean_field': 0.5}]
    """
    out = []
    predictors = [c for c in table.columns if c.startswith("pred_")]
    for factor, group in table.groupby("factor", sort=True):
        n, k = len(group), int(group.target_survived.sum())
        low, high = wilson_interval(k, n)
        row = {"factor": float(factor), "n": n, "survived": k, "p_survive": k / n,
               "p_low": low, "p_high": high}  # fmt: skip
        for name in predictors:
            pairs = zip(group[name], group.target_survived, strict=True)
            hits = [_known(pred) and bool(pred) == bool(obs) for pred, obs in pairs]
            row[f"acc_{name[5:]}"] = float(np.mean(hits))
            said = [bool(p) for p in group[name] if _known(p)]
            row[f"rate_{name[5:]}"] = float(np.mean(said)) if said else float("nan")
        out.append(row)
    return pd.DataFrame(out)


def plot_dose_response(summary: pd.DataFrame, *, ax: Any = None, title: str = "") -> Any:
    """Survival probability against factor with its Wilson band, and each predictor's rate.

    ``summary`` is the output of `summarise`; returns the matplotlib axes.

    Examples
    --------
    >>> t = pd.DataFrame({"factor": [1.0, 2.0], "target_survived": [False, True]})
    >>> ax = plot_dose_response(summarise(t))
    >>> ax.get_ylabel()
    'P(target survives)'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.6))
    x, y = summary.factor.values, summary.p_survive.values
    err = np.vstack([y - summary.p_low.values, summary.p_high.values - y])
    ax.errorbar(x, y, yerr=err, marker="o", capsize=4, color="tab:blue",
                label="trained (95% Wilson)")  # fmt: skip
    styles = {"ecology": ("D-", "tab:red"), "mean_field": ("s--", "tab:orange"),
              "lv": ("^:", "tab:green"), "signal": ("x-.", "tab:gray")}  # fmt: skip
    for name, (style, color) in styles.items():
        if f"rate_{name}" in summary:
            ax.plot(x, summary[f"rate_{name}"].values, style, color=color, alpha=0.8,
                    label=f"predicted: {name}")  # fmt: skip
    ax.set_xlabel("factor on the target's initial S_k")
    ax.set_ylabel("P(target survives)")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return ax
