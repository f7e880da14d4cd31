"""Reading outcomes off traces: the survivors of each run by a named rule, and when they settle."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.traces._rules import SurvivalRule, SurvivalWarning, survival_rule
from lvdyn.traces._schema import COMPONENT, RUN, STEP

__all__ = ["final_values", "settle_step", "survivors"]


def final_values(ds: xr.Dataset, variable: str = "strength", rule: Any = None) -> xr.Dataset:
    """Per run, ``variable`` at the last step where the run has any finite sample.

    Returns a Dataset with ``value`` (run, component), ``final_step`` (run) and, when the
    survival rule (``rule``, a name or `SurvivalRule`; default the traces' own) has a
    baseline, ``mean_all`` (run): the baseline at that step.
    """
    if variable not in ds:
        raise ValueError(
            f"`variable` must name a (run, step, component) variable of the traces; "
            f"got {variable!r}; the dataset has {sorted(map(str, ds.data_vars))}."
        )
    resolved = rule if isinstance(rule, SurvivalRule) else survival_rule(ds, rule)
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
    if resolved.baseline is not None:
        mean_all = ds[resolved.baseline].transpose(RUN, STEP).values
        out["mean_all"] = (RUN, mean_all[rows, last])
    return out


def survivors(
    ds: xr.Dataset,
    rule: str | SurvivalRule | None = None,
    *,
    value: Any = None,
    variable: str = "strength",
    warn: bool = True,
) -> xr.DataArray:
    """The components that survive in each run of the traces, read from the final step.

    The final strength of a run is its value at the last step with any finite sample.
    Without ``rule``, the rule the traces name (attribute ``survival_rule``, set by the
    producer or `set_survival_rule`; modular addition stores ``"2x-mean"`` over all DFT
    rows); traces that name none get ``"fraction-of-max"`` with value
    ``DEFAULT_FRACTION = 0.1`` (see `survival_rule`). A `SurvivalWarning` says when a run
    has no survivor, or (with more than one component) every component survives.

    Rules:

    * ``"2x-mean"`` (DESIGN.md and Ding et al. 2024): a component survives if its final
      strength exceeds twice the mean strength of the run at that step. When the traces
      name a baseline (attribute ``survival_baseline``, for modular addition
      ``strength_mean_all``, the mean of ``S_k`` over every DFT row ``k = 0..p-1``), that is
      the mean; otherwise the mean over the stored components.
    * ``"threshold"``: final strength ``> value`` (an absolute level; ``value`` required).
    * ``"fraction-of-max"``: final strength ``> value * max`` over components of the run
      (``value`` default 0.1).
    * ``"top-k"``: the ``value`` components with the largest final strength (ties broken by
      component order).

    Parameters
    ----------
    ds : xarray.Dataset
        Traces.
    rule : str or SurvivalRule, optional
        One of `RULES`; default the traces' own rule.
    value : float or int, optional
        The rule's parameter.
    variable : str
        The (run, step, component) variable to read.
    warn : bool
        Warn about runs with no survivor or only survivors.

    Returns
    -------
    xarray.DataArray
        Bool (run, component), named ``survives``, with the rule in its attributes.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> x = np.array([[1.0, 1.0, 1.0], [0.6, 0.3, 0.01]])
    >>> ds = lvdyn.make_traces(x, step=[0, 10], component=["alpha", "beta", "gamma"])
    >>> lvdyn.survivors(ds).values.tolist()
    [[True, True, False]]
    >>> lvdyn.survivors(ds, "top-k", value=1).values.tolist()
    [[True, False, False]]
    """
    resolved = survival_rule(ds, rule, value)
    final = final_values(ds, variable, resolved)
    x = final["value"].values
    mean = final["mean_all"].values if "mean_all" in final else None
    alive = resolved.apply(x, mean)
    out = xr.DataArray(
        alive,
        dims=(RUN, COMPONENT),
        coords={RUN: final[RUN].values, COMPONENT: final[COMPONENT].values},
        name="survives",
    )
    per_run = {name: c for name, c in ds.coords.items() if c.dims == (RUN,) and name != RUN}
    out = out.assign_coords(per_run)  # keep seed, p, lr, ... next to each run
    out.attrs.update(
        rule=resolved.name,
        rule_origin=resolved.origin,
        criterion=resolved.explain(),
        long_name="component survives at the final step",
    )
    if resolved.value is not None:
        out.attrs["value"] = resolved.value
    if resolved.baseline is not None:
        out.attrs["baseline"] = resolved.baseline
    if warn:
        _warn_degenerate(out, resolved)
    return out


def _warn_degenerate(alive: xr.DataArray, rule: SurvivalRule) -> None:
    """Warn when some run has no survivor, or (K > 1) every component survives."""
    counts = alive.values.sum(axis=1)
    n = alive.sizes[COMPONENT]
    none = alive[RUN].values[counts == 0].tolist()
    every = alive[RUN].values[counts == n].tolist() if n > 1 else []
    for runs, what in ((none, "no component survives"), (every, "every component survives")):
        if runs:
            shown = runs[:5] + ["..."] * (len(runs) > 5)
            warnings.warn(
                f"{what} in {len(runs)} of {alive.sizes[RUN]} runs ({shown}) under the "
                f"survival rule {rule.describe()!r} ({rule.origin}). If that is not the "
                "outcome, choose a rule: survivors(ds, rule=..., value=...), "
                "`--rule NAME[:VALUE]` on the command line, or set_survival_rule(ds, ...).",
                SurvivalWarning,
                stacklevel=3,
            )


def settle_step(
    ds: xr.Dataset,
    rule: str | SurvivalRule | None = None,
    *,
    value: Any = None,
    variable: str = "strength",
) -> xr.DataArray:
    """The first logged step from which each run's survivor set no longer changes.

    The survival rule (see `survivors`; default the traces' own) is applied at every logged
    step; a run has settled at step ``s`` when the set at ``s`` and at every later step
    equals its final set. A run whose set changes at its last step settles there; read such
    runs as "not settled yet".

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
    resolved = survival_rule(ds, rule, value)
    data = ds[variable].transpose(RUN, STEP, COMPONENT).values
    baseline = resolved.baseline
    mean = ds[baseline].transpose(RUN, STEP).values if baseline is not None else None
    alive = resolved.apply(data, mean)  # (run, step, component)
    final = survivors(ds, resolved, variable=variable, warn=False).values
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
    out.attrs.update(
        rule=resolved.name, long_name="first step from which the survivor set is final"
    )
    return out
