"""``fit_runs``: one model per run (or per group of runs), fitted in parallel on a cluster."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import xarray as xr
from sklearn.base import clone

from lvdyn.analysis import predict_survivors
from lvdyn.fitting._design import traces_design
from lvdyn.fitting._fitting import _recipe_window, fit_traces, uses_log_rates
from lvdyn.fitting._scores import derivative_scores
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import COMPONENT, COMPONENT_J, RUN, STEP, validate_traces

FEATURE = "feature"

__all__ = ["fit_runs"]


def _score(fitted: Any, unit: xr.Dataset, fit_kwargs: dict[str, Any]) -> float:
    """R^2 of the fitted derivatives on the samples `fit_traces` used, averaged over equations.

    Each equation counts only its own rows (`Design.mask`): an interval or sample that an
    extinction (zero) or a missing value removed from an equation's fit is not scored there.
    """
    wanted = ("window", "runs", "derivative", "time", "zeros")
    kwargs = {k: v for k, v in fit_kwargs.items() if k in wanted}
    if fit_kwargs.get("recipe") is not None:
        kwargs["window"], kwargs["derivative"] = _recipe_window(
            unit, fit_kwargs["recipe"], None, fitted
        )
    design = traces_design(unit, log=uses_log_rates(fitted), **kwargs)
    per_equation = derivative_scores(fitted, design).r2
    if not np.isfinite(per_equation).any():
        return float("nan")
    return float(np.nanmean(per_equation))


def _coefficients(fitted: Any, unit: xr.Dataset) -> xr.Dataset:
    """The fitted parameters under the estimators' attribute names (``growth_rates``,
    ``interaction_matrix``, ``A``, ``b`` or SINDy's ``coef`` over ``feature``)."""
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
    coords: dict[str, Any] = {COMPONENT: labels}
    if any(COMPONENT_J in dims for dims, _ in data.values()):
        coords[COMPONENT_J] = labels
    if not data and hasattr(fitted, "coef_") and hasattr(fitted, "feature_names_"):
        data["coef"] = ((COMPONENT, FEATURE), np.asarray(fitted.coef_))
        coords[FEATURE] = np.asarray(fitted.feature_names_, dtype=str)
    if not data:
        raise ValueError(
            "`model` must be a LotkaVolterra, LinearODE or SINDy estimator; got "
            f"{type(fitted).__name__}."
        )
    return xr.Dataset(data, coords=coords)


def _predicted_survivors(fitted: Any, unit: xr.Dataset) -> np.ndarray:
    """Survivors of the fitted model (`lvdyn.predict_survivors`) from the unit's mean
    initial state."""
    x0 = np.nanmean(unit["strength"].isel({STEP: 0}).values, axis=0)
    return np.asarray(predict_survivors(fitted, x0=x0), dtype=bool)


def _fit_unit(unit: xr.Dataset, model: Any, fit_kwargs: dict[str, Any]) -> xr.Dataset:
    unit = unit.load(scheduler="synchronous")
    fitted = fit_traces(clone(model), unit, **fit_kwargs)
    result = _coefficients(fitted, unit)
    result["predicted_survivor"] = (COMPONENT, _predicted_survivors(fitted, unit))
    result["score"] = ((), _score(fitted, unit, fit_kwargs))
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

    Each fit is `lvdyn.fit_traces` on one run (or on the pooled runs of a group).

    Parameters
    ----------
    ds : xarray.Dataset
        Traces, for example the result of `run_sweep` (dask-backed data are loaded on
        the workers, one run or group at a time).
    model : estimator
        An unfitted `lvdyn.LotkaVolterra`, `lvdyn.LinearODE` or `lvdyn.SINDy`; it is cloned
        per fit.
    client : distributed.Client, optional
        Where the fits run; default one after the other in this process.
    group_by : str, optional
        A coordinate on ``run`` (for example ``"noise"`` or ``"d_embed"``): the runs sharing
        a value are pooled into one fit, and the result has that dimension instead of ``run``.
    **fit_kwargs
        Passed to `lvdyn.fit_traces` (``window``, ``derivative``, ``time``, ...).

    Returns
    -------
    xarray.Dataset
        Per run (or group): the fitted coefficients (``growth_rates`` and
        ``interaction_matrix``, ``A`` and ``b``, or SINDy's ``coef`` over ``feature``);
        ``predicted_survivor``, the components that the fitted model keeps (by
        `lvdyn.predict_survivors` where available, otherwise by simulating it from the
        mean initial state for ten times the observed span of steps: final strength above
        1% of the largest); and ``score``, the R^2 of the derivatives on the fitted samples
        (each equation on its own rows, as fitted; averaged over the equations).
        Per-run coordinates of ``ds`` are kept.

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
