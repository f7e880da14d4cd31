"""The demo's headline model: `lvdyn.MeanFieldLV` forecasting held-out runs from a prefix.

Each run is predicted by a model it was not fitted on: the shared parameters (``a``, ``c``,
floor, ``K``, ``lambda``) are the coefficients shipped with lvdyn when the traces have the
settings they were fitted for and none of the same seeds, otherwise they are fitted on the
other half of the runs (two folds). Each run's growth rates come from its own state up to
`PREFIX_FRACTION` of the median settle step; from there the model is simulated to the end
of training, and its equilibrium gives the predicted survivors.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from lvdyn.models import MeanFieldLV

__all__ = [
    "PREFIX_FRACTION",
    "MeanFieldForecast",
    "RunForecast",
    "forecast_mean_field",
    "forecast_record",
    "prefix_r2",
    "run_r2",
    "write_forecast",
]

#: Where the forecast starts: this fraction of the median settle step (the issue's goal).
PREFIX_FRACTION = 0.2


@dataclass(frozen=True)
class RunForecast:
    """One held-out run: its model, predicted and actual survivors, and the simulation."""

    run: Any
    model: MeanFieldLV
    predicted: np.ndarray  # (K,) bool: the support of the model's equilibrium
    actual: np.ndarray  # (K,) bool: the traces' survival rule at the last step
    simulated: np.ndarray  # (T - prefix, K): the model from the prefix to the last step
    equilibrium: np.ndarray  # (K,): where the model settles from the prefix
    r2: float  # `run_r2` after the prefix
    fitted_on: str  # where the shared parameters come from

    @property
    def f1(self) -> float:
        """F1 of the predicted survivors against the actual ones (NaN when both are empty)."""
        both = int(self.predicted.sum() + self.actual.sum())
        hits = int((self.predicted & self.actual).sum())
        return 2 * hits / both if both else float("nan")

    def summary(self) -> str:
        """``predicted n survivors, h of the m actual ones (F1 x)``: the figure's words."""
        hits = int((self.predicted & self.actual).sum())
        return (
            f"predicted {int(self.predicted.sum())} survivors, {hits} of the "
            f"{int(self.actual.sum())} actual ones (F1 {self.f1:.2f})"
        )


@dataclass(frozen=True)
class MeanFieldForecast:
    """Every run forecast from the same prefix, and where the shared parameters came from."""

    source: str  # "shipped" or "fitted"
    description: str  # one sentence for the reader
    fraction: float  # the prefix as a fraction of the median settle step
    position: int  # position of the prefix's last step in ``step``
    step: int  # that step
    steps: np.ndarray
    components: np.ndarray
    runs: list[RunForecast]
    r2_pooled: float  # `lvdyn.score_traces`' pooled R^2 over every run after the prefix

    @property
    def f1_mean(self) -> float:
        """Mean F1 over the runs (NaN runs skipped)."""
        values = np.array([r.f1 for r in self.runs], dtype=float)
        return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

    def labels(self, mask: np.ndarray) -> list[Any]:
        """The component labels where ``mask`` is True, as plain Python values."""
        return [v.item() if isinstance(v, np.generic) else v for v in self.components[mask]]


def _shipped_for(ds: xr.Dataset) -> tuple[MeanFieldLV | None, str]:
    """The shipped model when it applies to ``ds`` and no run of ``ds`` was in its fit."""
    from lvdyn.prediction._mean_field import MeanFieldRangeWarning, _shipped, shipped_mean_field

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MeanFieldRangeWarning)
        model = shipped_mean_field(ds)
    if any(issubclass(w.category, MeanFieldRangeWarning) for w in caught):
        return None, "the coefficients shipped with lvdyn are for other settings (p = 59, d = 128)"
    used = set(_shipped()["provenance"]["seeds"])
    seeds = set(np.asarray(ds["seed"].values).tolist()) if "seed" in ds.coords else used
    if seeds & used:
        return None, "the shipped coefficients were fitted on runs with some of these seeds"
    return model, ""


def _r2_pooled(observed: np.ndarray, simulated: np.ndarray) -> float:
    """`lvdyn.score_traces`' pooled R^2: every component centred on its own mean."""
    from lvdyn.fitting._scores import _r2

    if not np.all(np.isfinite(simulated)):
        return float("-inf")
    return _r2(observed, simulated)[1]


def run_r2(observed: np.ndarray, simulated: np.ndarray) -> float:
    """R^2 of one run's strengths (steps x components) around their overall mean.

    The benchmark's measure (benchmarks/bench_mean_field.py): how much of the spread
    between the circles that rise and those that fall the simulation reproduces.

    Examples
    --------
    >>> observed = np.array([[1.0, 3.0], [1.0, 5.0]])
    >>> run_r2(observed, observed), run_r2(observed, np.full((2, 2), 2.5))
    (1.0, 0.0)
    """
    if not np.all(np.isfinite(simulated)):
        return float("-inf")
    total = float(((observed - observed.mean()) ** 2).sum())
    return 1.0 - float(((simulated - observed) ** 2).sum()) / total if total > 0 else float("nan")


def prefix_r2(model: Any, ds: xr.Dataset, position: int) -> float:
    """Pooled R^2 (as `lvdyn.score_traces`) of ``model`` simulated from every run's state at
    step position ``position`` to the end; ``-inf`` when a simulation diverges."""
    strength = ds["strength"].transpose("run", "step", "component").values.astype(np.float64)
    elapsed = ds["step"].values[position:] - ds["step"].values[position]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        simulated = [model.simulate(x[position], elapsed, on_divergence="nan") for x in strength]
    return _r2_pooled(np.concatenate(strength[:, position:]), np.concatenate(simulated))


def _shared_per_run(ds: xr.Dataset) -> tuple[str, str, list[tuple[MeanFieldLV, str]]]:
    """(source, description, one (shared model, what it was fitted on) per run)."""
    from lvdyn.prediction._mean_field import fit_mean_field

    n = ds.sizes["run"]
    shipped, reason = _shipped_for(ds)
    if shipped is not None:
        from lvdyn.prediction._mean_field import _shipped

        seeds = _shipped()["provenance"]["seeds"]
        what = f"shipped (seeds {seeds[0]}-{seeds[-1]})"
        text = (
            "Shared parameters: the coefficients shipped with lvdyn, fitted on modular-addition "
            f"runs with seeds {seeds[0]}-{seeds[-1]} at these settings; none of these runs "
            "was among them, so every run is held out."
        )
        return "shipped", text, [(shipped, what)] * n
    if n < 2:
        raise ValueError(
            f"the mean-field forecast needs at least 2 runs to hold one out; got {n} "
            "(and no shipped coefficients apply)."
        )
    folds = np.arange(n) % 2
    runs = ds.run.values
    models = {}
    for fold in (0, 1):
        train = np.flatnonzero(folds != fold)
        names = ", ".join(str(runs[i]) for i in train)
        models[fold] = (fit_mean_field(ds.isel(run=train)), f"fitted on {names}")
    even = ", ".join(str(r) for r in runs[folds == 0])
    odd = ", ".join(str(r) for r in runs[folds == 1])
    text = (
        f"Shared parameters: fitted on the demo's own runs, as {reason}, in two folds: "
        f"{even} are predicted with parameters fitted on {odd}, and the other way round, "
        "so every run is held out."
    )
    return "fitted", text, [models[int(f)] for f in folds]


def forecast_mean_field(
    ds: xr.Dataset,
    *,
    actual: xr.DataArray | None = None,
    fraction: float = PREFIX_FRACTION,
) -> MeanFieldForecast:
    """Forecast every run of ``ds`` from ``fraction`` of the median settle step.

    ``actual`` are the survivors to compare with (default: ``lvdyn.survivors(ds)``).
    """
    from lvdyn.prediction._mean_field import prefix_growth_model
    from lvdyn.prediction._prefix_shooting import prefix_positions
    from lvdyn.traces._rules import survival_rule
    from lvdyn.traces._survival import survivors

    truth = survivors(ds) if actual is None else actual
    [last] = prefix_positions(ds, (fraction,))
    source, description, shared = _shared_per_run(ds)
    rule = survival_rule(ds)
    steps = ds["step"].values
    strength = ds["strength"].transpose("run", "step", "component").values.astype(np.float64)
    out = []
    for i, (model, fitted_on) in enumerate(shared):
        one = ds.isel(run=i)
        run_model = prefix_growth_model(model, ds.isel(run=[i]), last)
        start = strength[i, last]
        settled = run_model.equilibrium(start)
        predicted = np.asarray(rule.apply(settled, rule.baseline_at(one, last, settled)), bool)
        simulated = run_model.simulate(start, steps[last:] - steps[last], on_divergence="nan")
        out.append(
            RunForecast(
                run=ds.run.values[i],
                model=run_model,
                predicted=predicted,
                actual=np.asarray(truth.sel(run=ds.run.values[i]).values, bool),
                simulated=simulated,
                equilibrium=settled,
                r2=run_r2(strength[i, last:], simulated),
                fitted_on=fitted_on,
            )
        )
    pooled = _r2_pooled(
        np.concatenate([strength[i, last:] for i in range(len(out))]),
        np.concatenate([r.simulated for r in out]),
    )
    return MeanFieldForecast(
        source,
        description,
        fraction,
        last,
        int(steps[last]),
        steps,
        ds.component.values,
        out,
        pooled,
    )


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def forecast_record(forecast: MeanFieldForecast) -> dict[str, Any]:
    """The forecast as plain JSON values: the shared parameters, and per run its growth
    rates, predicted and actual survivors, F1 and trajectory R^2 (None where undefined)."""
    runs = {}
    for run in forecast.runs:
        m = run.model
        runs[str(run.run)] = {
            "shared": {
                "a": m.self_limitation_,
                "c": m.competition_,
                "floor": m.floor_,
                "K": m.saturation_,
                "decay": m.decay_,
            },
            "shared_from": run.fitted_on,
            "growth_rates": {
                str(k): float(r) for k, r in zip(forecast.components, m.growth_rates_, strict=True)
            },
            "predicted": forecast.labels(run.predicted),
            "actual": forecast.labels(run.actual),
            "f1": _finite(run.f1),
            "r2": _finite(run.r2),
        }
    return {
        "model": "MeanFieldLV",
        "source": forecast.source,
        "description": forecast.description,
        "prefix_step": forecast.step,
        "prefix_fraction_of_settle": forecast.fraction,
        "f1_mean": _finite(forecast.f1_mean),
        "r2_pooled": _finite(forecast.r2_pooled),
        "runs": runs,
    }


def write_forecast(forecast: MeanFieldForecast, path: str | os.PathLike[str]) -> Path:
    """Write `forecast_record` to ``path`` as JSON, atomically."""
    from lvdyn.core._atomic import atomic_path

    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(forecast_record(forecast), indent=1), encoding="utf-8")
    return target
