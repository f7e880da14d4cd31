"""Reading outcomes off traces: the survivors of each run by a named rule, and when they settle."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from lvdyn.traces._schema import COMPONENT, RUN, STEP

__all__ = ["LONG_RUN_RULES", "RULES", "final_values", "settle_step", "state_rule", "survivors"]

RULES = ("2x-mean", "threshold", "fraction-of-max", "top-k")
LONG_RUN_RULES = ("2x-mean", "positive")


def final_values(ds: xr.Dataset, variable: str = "strength") -> xr.Dataset:
    """Per run, ``variable`` at the last step where the run has any finite sample.

    Returns a Dataset with ``value`` (run, component), ``final_step`` (run) and, when the
    traces have it, ``mean_all`` (run): ``strength_mean_all`` at that step.
    """
    if variable not in ds:
        raise ValueError(
            f"`variable` must name a (run, step, component) variable of the traces; "
            f"got {variable!r}; the dataset has {sorted(map(str, ds.data_vars))}."
        )
    data = ds[variable].transpose(RUN, STEP, COMPONENT)
    sampled = np.isfinite(data.values).any(axis=2)
    if not sampled.any(axis=1).all():
        empty = ds[RUN].values[~sampled.any(axis=1)].tolist()
        raise ValueError(f"runs {empty} have no finite `{variable}` sample; drop them first.")
    last = sampled.shape[1] - 1 - np.argmax(sampled[:, ::-1], axis=1)
    rows = np.arange(sampled.shape[0])
    out = xr.Dataset(
        {
            "value": ((RUN, COMPONENT), data.values[rows, last]),
            "final_step": (RUN, ds[STEP].values[last]),
        },
        coords={RUN: ds[RUN].values, COMPONENT: ds[COMPONENT].values},
    )
    if "strength_mean_all" in ds:
        mean_all = ds["strength_mean_all"].transpose(RUN, STEP).values
        out["mean_all"] = (RUN, mean_all[rows, last])
    return out


def survivors(
    ds: xr.Dataset, rule: str = "2x-mean", *, value: Any = None, variable: str = "strength"
) -> xr.DataArray:
    """The components that survive in each run of the traces, read from the final step.

    The final strength of a run is its value at the last step with any finite sample.

    Rules:

    * ``"2x-mean"`` (the default, DESIGN.md and Ding et al. 2024): a component survives if
      its final strength exceeds twice the mean strength of the run at that step. When the
      traces hold ``strength_mean_all`` (run, step), that is the mean (for modular addition
      it averages ``S_k`` over every DFT row ``k = 0..p-1``, not only the stored
      components); otherwise the mean over the stored components.
    * ``"threshold"``: final strength ``> value`` (an absolute level; ``value`` required).
    * ``"fraction-of-max"``: final strength ``> value * max`` over components of the run
      (``value`` default 0.5).
    * ``"top-k"``: the ``value`` components with the largest final strength (ties broken by
      component order).

    Parameters
    ----------
    ds : xarray.Dataset
        Traces.
    rule : str
        One of `RULES`.
    value : float or int, optional
        The rule's parameter.
    variable : str
        The (run, step, component) variable to read.

    Returns
    -------
    xarray.DataArray
        Bool (run, component), named ``survives``, with the rule in its attributes.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> ds = lvdyn.make_traces(np.array([[1.0, 1.0, 1.0], [0.1, 5.0, 0.2]]), step=[0, 10])
    >>> lvdyn.survivors(ds).values.tolist()
    [[False, True, False]]
    >>> lvdyn.survivors(ds, "top-k", value=2).values.tolist()
    [[False, True, True]]
    """
    final = final_values(ds, variable)
    x = final["value"].values
    mean = final["mean_all"].values if "mean_all" in final else None
    alive = _alive(x, mean, rule, value)
    out = xr.DataArray(
        alive,
        dims=(RUN, COMPONENT),
        coords={RUN: final[RUN].values, COMPONENT: final[COMPONENT].values},
        name="survives",
    )
    per_run = {name: c for name, c in ds.coords.items() if c.dims == (RUN,) and name != RUN}
    out = out.assign_coords(per_run)  # keep seed, p, lr, ... next to each run
    out.attrs.update(rule=rule, long_name="component survives at the final step")
    if value is not None:
        out.attrs["value"] = value
    return out


def _alive(x: np.ndarray, mean: np.ndarray | None, rule: str, value: Any) -> np.ndarray:
    """Apply a survival rule to states ``x`` of shape (..., component).

    ``mean`` (shape ``x.shape[:-1]``) is the mean used by ``"2x-mean"``; ``None`` means the
    mean over the components of ``x``.
    """
    filled = np.where(np.isfinite(x), x, -np.inf)
    if rule == "2x-mean":
        if value is not None:
            raise ValueError("`value` is not used by rule '2x-mean'; leave it unset.")
        if mean is None:  # mean over finite components; NaN rows (padding) stay NaN
            count = np.isfinite(x).sum(axis=-1)
            mean = np.where(count > 0, np.nansum(x, axis=-1) / np.maximum(count, 1), np.nan)
        return filled > 2.0 * np.asarray(mean)[..., np.newaxis]
    if rule == "threshold":
        if value is None:
            raise ValueError("rule 'threshold' needs `value`, the absolute strength level.")
        return filled > float(value)
    if rule == "fraction-of-max":
        fraction = 0.5 if value is None else float(value)
        if not 0 <= fraction <= 1:
            raise ValueError(f"`value` must be a fraction in [0, 1]; got {value!r}.")
        with np.errstate(invalid="ignore"):  # 0 * -inf on all-NaN (padding) rows
            return filled > fraction * filled.max(axis=-1)[..., np.newaxis]
    if rule == "top-k":
        if value is None or int(value) != value or not 0 <= int(value) <= x.shape[-1]:
            raise ValueError(
                f"rule 'top-k' needs `value`, an integer k in [0, {x.shape[-1]}]; got {value!r}."
            )
        order = np.argsort(-filled, axis=-1, kind="stable")[..., : int(value)]
        alive = np.zeros(x.shape, dtype=bool)
        np.put_along_axis(alive, order, True, axis=-1)
        return alive
    raise ValueError(f"`rule` must be one of {RULES}; got {rule!r}.")


def settle_step(
    ds: xr.Dataset, rule: str = "2x-mean", *, value: Any = None, variable: str = "strength"
) -> xr.DataArray:
    """The first logged step from which each run's survivor set no longer changes.

    The survival rule (see `survivors`) is applied at every logged step; a run has settled at
    step ``s`` when the set at ``s`` and at every later step equals its final set. A run whose
    set changes at its last step settles there; read such runs as "not settled yet".

    Returns
    -------
    xarray.DataArray
        Integer steps with dim ``run``, named ``settle_step``.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> x = np.array([[1.0, 1.0, 1.0], [3.0, 1.0, 1.0], [1.0, 5.0, 0.2], [1.0, 6.0, 0.1]])
    >>> lvdyn.settle_step(lvdyn.make_traces(x, step=[0, 10, 20, 30])).values.tolist()
    [20]
    """
    data = ds[variable].transpose(RUN, STEP, COMPONENT).values
    mean = (
        ds["strength_mean_all"].transpose(RUN, STEP).values if "strength_mean_all" in ds else None
    )
    alive = _alive(data, mean, rule, value)  # (run, step, component)
    final = survivors(ds, rule, value=value, variable=variable).values
    sampled = np.isfinite(data).any(axis=2)
    differs = (alive != final[:, np.newaxis, :]).any(axis=2) & sampled
    steps = ds[STEP].values
    settled = []
    for run_differs in differs:
        changed = np.flatnonzero(run_differs)
        settled.append(steps[changed[-1] + 1] if changed.size else steps[0])
    out = xr.DataArray(
        np.asarray(settled), dims=(RUN,), coords={RUN: ds[RUN].values}, name="settle_step"
    )
    out.attrs.update(rule=rule, long_name="first step from which the survivor set is final")
    return out


def state_rule(state: np.ndarray, rule: str, *, mean: float | None = None) -> np.ndarray:
    """Survivors of one long-run state: ``"2x-mean"`` (``x_i > 2 mean(x)``) or
    ``"positive"`` (``x_i > 1e-6 max |x|``).

    ``mean`` replaces ``mean(x)`` in the 2x-mean rule when the mean is over more rows than
    ``state`` holds (for modular addition: all p DFT rows, the DC row included).

    Examples
    --------
    >>> state_rule(np.array([3.0, 1.0, 0.5, 0.5]), "2x-mean").tolist()
    [True, False, False, False]
    >>> state_rule(np.array([3.0, 1.0]), "2x-mean", mean=0.4).tolist()
    [True, True]
    """
    if rule == "2x-mean":
        return np.asarray(state > 2.0 * (state.mean() if mean is None else mean))
    if rule == "positive":
        return np.asarray(state > 1e-6 * max(float(np.abs(state).max(initial=0.0)), 1e-300))
    raise ValueError(f"`rule` must be one of {LONG_RUN_RULES}; got {rule!r}.")
