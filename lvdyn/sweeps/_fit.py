"""``fit_runs``: one model per run (or per group of runs), fitted in parallel on a cluster."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import xarray as xr
from sklearn.base import clone

from lvdyn._errors import FitError
from lvdyn._history import add_history
from lvdyn._schema import COMPONENT, COMPONENT_J, RUN, STEP, validate_traces

__all__ = ["fit_runs"]

#: How far past the last observed step the fitted model is simulated to read its survivors,
#: as a multiple of the observed span of steps.
HORIZON_FACTOR = 10.0
#: A component survives the fitted model's simulation if its final strength exceeds this
#: fraction of the largest final strength (excluded components decay exponentially to 0).
SURVIVAL_FRACTION = 1e-2


def _samples(unit: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """States and their per-step derivatives (np.gradient within each run), pooled."""
    steps = unit[STEP].values.astype(np.float64)
    states, rates = [], []
    for i in range(unit.sizes[RUN]):
        x = unit["strength"].isel({RUN: i}).values
        keep = np.isfinite(x).all(axis=1)
        if keep.sum() < 3:
            raise FitError(
                f"run {unit[RUN].values[i]!r} has {int(keep.sum())} complete samples; "
                "fitting needs at least 3."
            )
        states.append(x[keep])
        rates.append(np.gradient(x[keep], steps[keep], axis=0))
    return np.concatenate(states), np.concatenate(rates)


def _fit(model: Any, unit: xr.Dataset, fit_kwargs: dict[str, Any]) -> Any:
    import lvdyn

    fit_traces: Callable[..., Any] | None = getattr(lvdyn, "fit_traces", None)
    if fit_traces is not None:
        return fit_traces(clone(model), unit, **fit_kwargs)
    if fit_kwargs:
        raise ValueError(
            f"fit keywords {sorted(fit_kwargs)} need lvdyn.fit_traces, which this version of "
            "lvdyn lacks; call fit_runs without them."
        )
    X, y = _samples(unit)
    return clone(model).fit(X, y)


def _coefficients(fitted: Any, unit: xr.Dataset) -> xr.Dataset:
    import lvdyn

    coefficients: Callable[..., xr.Dataset] | None = getattr(lvdyn, "coefficients", None)
    if coefficients is not None:
        return coefficients(fitted, unit)
    labels = unit[COMPONENT].values
    pair = (COMPONENT, COMPONENT_J)
    names = {
        "growth_rates_": ((COMPONENT,), "growth_rates"),
        "interaction_matrix_": (pair, "interaction_matrix"),
        "A_": (pair, "A"),
        "b_": ((COMPONENT,), "b"),
    }
    data = {
        name: (dims, np.asarray(getattr(fitted, attr)))
        for attr, (dims, name) in names.items()
        if hasattr(fitted, attr)
    }
    if not data:
        raise ValueError(
            f"`model` must be a LotkaVolterra or LinearODE for fit_runs in this version; got "
            f"{type(fitted).__name__}."
        )
    return xr.Dataset(data, coords={COMPONENT: labels, COMPONENT_J: labels})


def _predicted_survivors(fitted: Any, unit: xr.Dataset) -> np.ndarray:
    """Survivors of the fitted model simulated from the unit's mean initial state."""
    import lvdyn

    first = unit["strength"].isel({STEP: 0}).values
    x0 = np.nanmean(first, axis=0)
    predict: Callable[..., Any] | None = getattr(lvdyn, "predict_survivors", None)
    if predict is not None:
        return np.asarray(predict(fitted, x0=x0), dtype=bool)
    steps = unit[STEP].values
    horizon = HORIZON_FACTOR * float(max(steps[-1] - steps[0], 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a blow-up leaves NaN: no survivors
        final = fitted.simulate(x0, np.array([0.0, horizon]))[-1]
    if not np.all(np.isfinite(final)):
        return np.zeros(final.shape, dtype=bool)
    return np.asarray(final > SURVIVAL_FRACTION * np.abs(final).max())


def _fit_unit(unit: xr.Dataset, model: Any, fit_kwargs: dict[str, Any]) -> xr.Dataset:
    unit = unit.load(scheduler="synchronous")
    fitted = _fit(model, unit, fit_kwargs)
    result = _coefficients(fitted, unit)
    result["predicted_survivor"] = (COMPONENT, _predicted_survivors(fitted, unit))
    X, y = _samples(unit)
    result["score"] = ((), fitted.score(X, y))
    return result


def _units(ds: xr.Dataset, group_by: str | None) -> tuple[str, list[Hashable], list[xr.Dataset]]:
    if group_by is None:
        labels = list(ds[RUN].values)
        return RUN, labels, [ds.isel({RUN: [i]}) for i in range(len(labels))]
    if group_by not in ds.coords or ds[group_by].dims != (RUN,):
        per_run = [str(n) for n, c in ds.coords.items() if c.dims == (RUN,) and n != RUN]
        raise ValueError(
            f"`group_by` must name a coordinate on `run`; got {group_by!r}. "
            f"The per-run coordinates are: {', '.join(per_run) or 'none'}."
        )
    groups = list(ds.groupby(group_by))
    return group_by, [key for key, _ in groups], [group for _, group in groups]


def fit_runs(
    ds: xr.Dataset,
    model: Any,
    *,
    client: Any = None,
    group_by: str | None = None,
    **fit_kwargs: Any,
) -> xr.Dataset:
    """Fit one copy of ``model`` per run (or per group of runs), in parallel on a cluster.

    Parameters
    ----------
    ds : xarray.Dataset
        Traces, for example the result of `run_sweep` (dask-backed data are loaded on
        the workers, one run or group at a time).
    model : estimator
        An unfitted `lvdyn.LotkaVolterra` or `lvdyn.LinearODE`; it is cloned per fit.
    client : distributed.Client, optional
        Where the fits run; default one after the other in this process.
    group_by : str, optional
        A coordinate on ``run`` (for example ``"noise"`` or ``"d_embed"``): the runs sharing
        a value are pooled into one fit, and the result has that dimension instead of ``run``.
    **fit_kwargs
        Passed to `lvdyn.fit_traces` when available.

    Returns
    -------
    xarray.Dataset
        Per run (or group): the fitted coefficients (``growth_rates`` and
        ``interaction_matrix``, or ``A`` and ``b``), ``predicted_survivor`` (components the
        fitted model keeps when simulated from the mean initial state for ten times the
        observed span of steps: final strength above 1% of the largest) and ``score`` (R^2 of
        the derivatives). Per-run coordinates of ``ds`` are kept.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> from lvdyn.producers import synthetic
    >>> from lvdyn.sweeps import fit_runs
    >>> ds = synthetic.lotka_volterra(r=[1.0, 0.5], A=[[-1.0, -0.5], [-0.2, -1.0]],
    ...                               x0=[[0.1, 0.1], [0.3, 0.2]], steps=400, dt=1.0)
    >>> fits = fit_runs(ds, lvdyn.LotkaVolterra())
    >>> dict(fits.growth_rates.sizes)
    {'run': 2, 'component': 2}
    """
    validate_traces(ds)
    dim, labels, units = _units(ds, group_by)
    if client is None:
        results = [_fit_unit(unit, model, fit_kwargs) for unit in units]
    else:
        futures = [client.submit(_fit_unit, unit, model, fit_kwargs, pure=False) for unit in units]
        results = client.gather(futures)
    out = xr.concat(results, dim=dim).assign_coords({dim: labels})
    if dim == RUN:
        for name, coord in ds.coords.items():
            if coord.dims == (RUN,) and name != RUN:
                out = out.assign_coords({name: (RUN, coord.values)})
    return add_history(out, f"fit_runs({type(model).__name__}, {len(units)} fits over {dim!r})")
