"""`simulate_traces`: integrate a fitted model into a traces dataset (schema version 1)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import DivergenceWarning, NumericalError
from lvdyn.fitting._design import trace_times
from lvdyn.models import AbstractODEModel
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces
from lvdyn.traces._schema import COMPONENT, RUN, STEP, validate_traces

__all__ = ["initial_states", "simulate_traces"]


def initial_states(ds: xr.Dataset) -> np.ndarray:
    """The first sample of every run with no NaN, shape (run, K), and its step position."""
    strength = ds["strength"].transpose(RUN, STEP, COMPONENT).values
    out = np.empty((strength.shape[0], strength.shape[2]))
    for i, run in enumerate(strength):
        finite = np.flatnonzero(np.isfinite(run).all(axis=1))
        if finite.size == 0:
            raise ValueError(
                f"run {ds[RUN].values[i]!r} has no step where every component is finite; "
                "simulate_traces needs a complete initial state per run."
            )
        out[i] = run[finite[0]]
    return out


def simulate_traces(
    model: AbstractODEModel,
    ds_or_x0: xr.Dataset | Any,
    steps: Any = None,
    *,
    time: str = "step",
    dt: float = 1.0,
    on_divergence: str = "warn",
) -> xr.Dataset:
    """Simulate ``model`` and return the trajectories as traces (schema version 1).

    Parameters
    ----------
    model : fitted lvdyn estimator
    ds_or_x0 : xarray.Dataset or array_like of shape (K,) or (run, K)
        Traces whose first sample per run is the initial state (runs, component labels and,
        by default, the steps are copied), or the initial states themselves.
    steps : int or array_like of int, optional
        Steps to report: an int ``n`` means ``0..n`` (offset by the first traces step when
        ``ds_or_x0`` is a dataset); by default the dataset's steps.
    time : str
        With a dataset: ``"step"`` or a time coordinate on ``step`` (use the one the model
        was fitted with).
    dt : float
        With initial states: time per step.
    on_divergence : {"warn", "raise", "nan"}
        When a run blows up or its solver fails: warn once with `lvdyn.DivergenceWarning`,
        raise `lvdyn.NumericalError` (a `lvdyn.FitError`), or only record it in the status
        coordinates.

    Returns
    -------
    xarray.Dataset
        ``strength`` holds the simulation; a run whose integration stopped early is NaN from
        there on. Per run, ``simulation_status`` is ``"ok"``, ``"diverged"`` (the state blew
        up) or ``"failed"`` (the solver gave up) and ``simulation_message`` says when and
        which components.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LinearODE.from_params([[-1.0]], [1.0])
    >>> sim = lvdyn.simulate_traces(model, [0.0], steps=3)
    >>> [round(v, 3) for v in sim.strength.values[0, :, 0].tolist()]
    [0.0, 0.632, 0.865, 0.95]
    """
    if on_divergence not in ("warn", "raise", "nan"):
        raise ValueError(
            f"`on_divergence` must be 'warn', 'raise' or 'nan'; got {on_divergence!r}."
        )
    if isinstance(ds_or_x0, xr.Dataset):
        ds = validate_traces(ds_or_x0)
        x0 = initial_states(ds)
        first = int(ds[STEP].values[0])
        if steps is None:
            step_values = ds[STEP].values.astype(np.int64)
            times = trace_times(ds, time)
        else:
            step_values = _step_values(steps, first)
            scale = trace_times(ds, time)[:, :2]
            per_step = (scale[:, 1] - scale[:, 0]) / float(ds[STEP].values[1] - first)
            times = scale[:, :1] + (step_values - first)[np.newaxis] * per_step[:, np.newaxis]
        runs: Any = ds[RUN].values
        components: Any = ds[COMPONENT].values
    else:
        x0 = np.atleast_2d(np.asarray(ds_or_x0, dtype=np.float64))
        if not np.isfinite(x0).all():
            raise ValueError(f"`ds_or_x0` initial states must be finite; got {x0.tolist()!r}.")
        step_values = _step_values(0 if steps is None else steps, 0)
        times = np.broadcast_to(step_values * float(dt), (x0.shape[0], step_values.size))
        runs = None
        components = getattr(model, "component_labels_", None)
    out = np.full((x0.shape[0], step_values.size, x0.shape[1]), np.nan)
    status = np.full(x0.shape[0], "ok", dtype=object)
    messages = np.full(x0.shape[0], "", dtype=object)
    labels = components if components is not None else np.arange(x0.shape[1])
    for i in range(x0.shape[0]):
        run = model.integrate(x0[i], times[i])
        out[i] = run.states
        status[i] = run.status
        if run.status != "ok":
            stopped = step_values[int(np.argmin(np.isfinite(run.states).all(axis=1)))]
            messages[i] = f"stopped before step {stopped}: {run.describe(labels)}"
    bad = np.flatnonzero(status != "ok")
    if bad.size:
        name = runs[bad[0]] if runs is not None else bad[0]
        text = (
            f"{bad.size} of {status.size} simulated runs did not reach the last step; run "
            f"{_plain(name)!r} {messages[bad[0]]}. Later steps are NaN; see the "
            "`simulation_status` and `simulation_message` coordinates."
        )
        if on_divergence == "raise":
            raise NumericalError(text)
        if on_divergence == "warn":
            warnings.warn(text, DivergenceWarning, stacklevel=2)
    sim = make_traces(
        out,
        step=step_values,
        component=components,
        run=runs,
        source=f"lvdyn.simulate_traces ({type(model).__name__})",
        simulation_status=status.astype(str),
        simulation_message=messages.astype(str),
    )
    sim["simulation_status"].attrs["long_name"] = "ok, diverged (blew up) or failed (solver)"
    return add_history(sim, f"simulate_traces({type(model).__name__}, steps={step_values.size})")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _step_values(steps: Any, first: int) -> np.ndarray:
    if np.isscalar(steps):
        n = int(steps)  # type: ignore[arg-type]
        if n < 0:
            raise ValueError(f"`steps` must be a non-negative int or an array of steps; got {n}.")
        return first + np.arange(n + 1, dtype=np.int64)
    values = np.asarray(steps, dtype=np.int64)
    if values.ndim != 1 or np.any(np.diff(values) <= 0):
        raise ValueError("`steps` must be an int or a strictly increasing 1-D array of steps.")
    return values
