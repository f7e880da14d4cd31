"""From a traces dataset to regression samples: run and window selection, time axis, derivatives.

`traces_design` is the one place where traces become ``(X, y)`` rows; `fit_traces`,
`score_traces`, the bootstrap and the regularisation path all call it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import DataError
from lvdyn.fitting._derivatives import (
    DerivativeMethod,
    differentiate,
    min_samples,
    resolve_derivative,
)
from lvdyn.traces._schema import COMPONENT, RUN, STEP, validate_traces

__all__ = ["Design", "select_traces", "trace_times", "traces_design"]

Window = tuple[int | None, int | None] | slice | None

MSG_ACROSS_RUNS = (
    "derivatives are estimated per run, never across run boundaries; pass the runs as one "
    "dataset with a `run` dimension (lvdyn.combine_traces), not concatenated along `step`."
)


@dataclass(frozen=True)
class Design:
    """Regression samples pooled over runs.

    Attributes
    ----------
    X, y : numpy.ndarray, shape (n, K)
        States and derivative estimates.
    weight : numpy.ndarray, shape (n,)
        Sample weights (ones unless given).
    run : numpy.ndarray, shape (n,)
        Position (in the selected dataset) of the run each sample comes from.
    step : numpy.ndarray, shape (n,)
        Training step of each sample.
    """

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    run: np.ndarray
    step: np.ndarray


def _as_slice(window: Window) -> slice:
    if window is None:
        return slice(None)
    if isinstance(window, slice):
        return window
    if isinstance(window, tuple | list) and len(window) == 2:
        return slice(window[0], window[1])
    raise ValueError(
        "`window` must be None, a (first_step, last_step) pair or a slice of steps; "
        f"got {window!r} ({type(window).__name__}). Example: window=(0, 999)."
    )


def select_traces(ds: xr.Dataset, *, runs: Any = None, window: Window = None) -> xr.Dataset:
    """The runs (labels, or None for all) and the step window (inclusive, by step value)."""
    validate_traces(ds)
    out = ds
    if runs is not None:
        labels = [runs] if isinstance(runs, str | int | np.integer) else list(runs)
        missing = [r for r in labels if r not in set(ds[RUN].values.tolist())]
        if missing:
            raise ValueError(
                f"`runs` must be labels of the `run` coordinate {ds[RUN].values.tolist()[:10]}; "
                f"got unknown labels {missing[:5]}."
            )
        out = out.sel({RUN: labels})
    out = out.sel({STEP: _as_slice(window)})
    if out.sizes[STEP] == 0:
        steps = ds[STEP].values
        raise ValueError(
            f"`window` {window!r} selects no steps; the traces cover steps "
            f"{int(steps[0])}..{int(steps[-1])}."
        )
    return out


def trace_times(ds: xr.Dataset, time: str = "step") -> np.ndarray:
    """Time of every (run, step) sample as floats, from ``step`` or a coordinate on it."""
    n_run, n_step = ds.sizes[RUN], ds.sizes[STEP]
    if time == STEP:
        values = ds[STEP].values.astype(np.float64)
    elif time in ds.coords:
        coord = ds[time]
        if not set(coord.dims) <= {RUN, STEP} or STEP not in coord.dims:
            raise ValueError(
                f"`time` coordinate {time!r} must have dims (step,) or (run, step); "
                f"got {coord.dims}."
            )
        values = coord.transpose(*[d for d in (RUN, STEP) if d in coord.dims]).values
        values = values.astype(np.float64)
    else:
        coords = [str(c) for c in ds.coords if STEP in ds[c].dims and c != STEP]
        raise ValueError(
            f"`time` must be 'step' or the name of a coordinate on `step`; got {time!r}. "
            f"Coordinates available: {coords or 'none'}."
        )
    out = np.broadcast_to(values, (n_run, n_step)).astype(np.float64)
    if np.any(np.diff(out, axis=1) <= 0):
        raise ValueError(f"`time` coordinate {time!r} must increase strictly along `step`.")
    return out


def _weights(sample_weight: Any, ds: xr.Dataset) -> np.ndarray:
    shape = (ds.sizes[RUN], ds.sizes[STEP])
    if sample_weight is None:
        return np.ones(shape)
    if isinstance(sample_weight, str):
        if sample_weight not in ds:
            raise ValueError(f"`sample_weight` names no variable of the traces: {sample_weight!r}.")
        sample_weight = ds[sample_weight]
    if isinstance(sample_weight, xr.DataArray):
        extra = set(sample_weight.dims) - {RUN, STEP}
        if extra:
            raise ValueError(
                f"`sample_weight` must have dims within (run, step); got {sample_weight.dims}."
            )
        picked = sample_weight.sel({d: ds[d].values for d in sample_weight.dims})
        array = picked.broadcast_like(ds["strength"].isel({COMPONENT: 0}, drop=True))
        values = array.transpose(RUN, STEP).values
    else:
        values = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), shape)
    values = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        raise ValueError(
            "`sample_weight` must be finite and non-negative everywhere; got "
            f"{int(bad.sum())} other values (for example {values[bad][0]:g})."
        )
    return values


def _segments(finite: np.ndarray) -> list[np.ndarray]:
    """Row indices of each maximal stretch of finite samples."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
    return [np.arange(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _longest_stretch(strength: np.ndarray) -> int:
    """The most consecutive samples without NaN in any run of ``strength`` (run, step, K)."""
    lengths = [len(rows) for run in strength for rows in _segments(np.isfinite(run).all(axis=1))]
    return max(lengths, default=0)


def traces_design(
    ds: xr.Dataset,
    *,
    log: bool = False,
    window: Window = None,
    runs: Any = None,
    derivative: str | DerivativeMethod = "auto",
    time: str = "step",
    sample_weight: Any = None,
) -> Design:
    """Per-run derivative estimates, pooled over the chosen runs and window.

    Samples with a NaN in any component are dropped; each gap-free stretch of each run is
    differentiated on its own, so no estimate spans a run boundary or a gap.
    """
    method = resolve_derivative(derivative)
    sub = select_traces(ds, runs=runs, window=window)
    times = trace_times(sub, time)
    weights = _weights(sample_weight, sub)
    strength = sub["strength"].transpose(RUN, STEP, COMPONENT).values.astype(np.float64)
    steps = sub[STEP].values
    parts: list[tuple[np.ndarray, ...]] = []
    for i in range(strength.shape[0]):
        finite = np.isfinite(strength[i]).all(axis=1)
        for rows in _segments(finite):
            x = strength[i, rows]
            if log and np.any(x <= 0):
                bad = np.argwhere(x <= 0)[0]
                first = int(steps[rows][bad[0]])
                where = (
                    "Start the window where every strength is positive (after the alignment "
                    "phase of a random initialisation)"
                    if bad[0] == 0
                    else f"Fit the steps before it with `window=(None, {first - 1})`"
                )
                sign = x[tuple(bad)] < 0
                raise DataError(
                    f"run {sub[RUN].values[i].item()!r} has strength <= 0 (first at step "
                    f"{first}, component {sub[COMPONENT].values[bad[1]].item()!r}, "
                    f"value {x[tuple(bad)]:g}); Lotka-Volterra fits need positive states"
                    + (" and this one is negative" if sign else "")
                    + f". {where}, or fit the signed traces with a LinearODE or SINDy"
                    + (
                        "; a deep linear pathway's strength is not a square of weights, so "
                        "flooring it (ds.strength.clip(min=1e-12)) would hide the sign change."
                        if sign
                        else ", or floor them (ds.strength.clip(min=1e-12))."
                    )
                )
            d = differentiate(x, times[i, rows], method, log=log)
            idx = rows[d.index]
            parts.append((d.states, d.rates, weights[i, idx], np.full(idx.size, i), steps[idx]))
    if not parts or sum(p[0].shape[0] for p in parts) == 0:
        longest = _longest_stretch(strength)
        raise DataError(
            f"no samples to fit: `derivative` {derivative!r} needs {min_samples(method)} "
            f"samples in a row without NaN; the selected runs have at most {longest}. Widen "
            "`window`, select other `runs`, or use derivative='forward'."
        )
    X, y, w, run, step = (np.concatenate(col) for col in zip(*parts, strict=True))
    return Design(X=X, y=y, weight=w, run=run, step=step)


def component_labels(ds: xr.Dataset) -> Sequence[Hashable]:
    """The component labels of a traces dataset as a list."""
    return list(ds[COMPONENT].values.tolist())
