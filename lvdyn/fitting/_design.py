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
    DERIVATIVE_METHODS,
    DerivativeMethod,
    Midpoint,
    differentiate,
    midpoint_rates,
    min_samples,
    resolve_derivative,
)
from lvdyn.traces._schema import COMPONENT, RUN, STEP, validate_traces

__all__ = [
    "SHORT_SERIES",
    "Design",
    "choose_derivative",
    "select_traces",
    "trace_times",
    "traces_design",
]

#: Below this median number of samples per run, ``derivative="auto"`` matches gradients
#: between consecutive samples instead of differentiating each series.
SHORT_SERIES = 20

Window = tuple[int | None, int | None] | slice | None

MSG_ACROSS_RUNS = (
    "derivatives are estimated per run, never across run boundaries; pass the runs as one "
    "dataset with a `run` dimension (lvdyn.combine_traces), not concatenated along `step`."
)


@dataclass(frozen=True)
class Design:
    """Regression samples pooled over runs, with the rows each equation may use.

    Attributes
    ----------
    X, y : numpy.ndarray, shape (n, K)
        States and derivative estimates; ``y`` is 0 where ``mask`` is False.
    weight : numpy.ndarray, shape (n,)
        Sample weights (ones unless given).
    run : numpy.ndarray, shape (n,)
        Position (in the selected dataset) of the run each sample comes from.
    step : numpy.ndarray, shape (n,)
        Training step of each sample (for ``"midpoint"``: of the interval's first sample).
    mask : numpy.ndarray of bool, shape (n, K)
        Whether equation ``k`` uses row ``n``: False where component ``k`` had no usable
        value for its derivative (missing, or zero for a log-rate fit).
    dropped_zero, dropped_missing : numpy.ndarray of int, shape (K,)
        Per equation, the samples (intervals for ``"midpoint"``) lost because component ``k``
        was zero (Lotka-Volterra: an extinction) or missing.
    derivative : str
        The derivative method used (``"auto"`` resolved).
    derivative_reason : str
        Why: "given", or the reason ``"auto"`` chose it.
    method : derivative method object
        The method itself.
    start, end : numpy.ndarray, shape (n, K), or None
        For `Midpoint`: the states at both ends of each interval.
    duration : numpy.ndarray, shape (n,), or None
        For `Midpoint`: the length of each interval.
    """

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    run: np.ndarray
    step: np.ndarray
    mask: np.ndarray
    dropped_zero: np.ndarray
    dropped_missing: np.ndarray
    derivative: str = "central"
    derivative_reason: str = "given"
    method: DerivativeMethod | None = None
    start: np.ndarray | None = None
    end: np.ndarray | None = None
    duration: np.ndarray | None = None

    @property
    def masked(self) -> bool:
        """Whether some equation skips some rows (then fit with `equation_weight`)."""
        return not bool(self.mask.all())

    def equation_weight(self, rows: Any = slice(None)) -> np.ndarray:
        """Per-equation weights (n, K): ``weight`` where ``mask``, else 0."""
        return self.weight[rows, np.newaxis] * self.mask[rows]

    def fit_weight(self, rows: Any = slice(None), *, given: bool = True) -> np.ndarray | None:
        """The ``sample_weight`` to pass to ``fit``: None, (n,) or, when masked, (n, K)."""
        if self.masked:
            return self.equation_weight(rows)
        return self.weight[rows] if given else None


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
    """The most consecutive finite samples of any component of any run of ``strength``."""
    lengths = [
        len(rows) for run in strength for column in run.T for rows in _segments(np.isfinite(column))
    ]
    return max(lengths, default=0)


def _describe(method: DerivativeMethod) -> str:
    names = {v: k for k, v in DERIVATIVE_METHODS.items()}
    return names.get(method, repr(method))


def choose_derivative(strength: np.ndarray, times: np.ndarray) -> tuple[DerivativeMethod, str]:
    """The method ``derivative="auto"`` uses on (run, step, K) traces, and why.

    Integral matching between consecutive samples (``"integral"``) when the series are short
    (median below `SHORT_SERIES` samples per run) or a run's time coordinate is unevenly
    spaced; second-order central differences on long, evenly spaced series (as accurate as
    Savitzky-Golay with its default window noise-free, and more with 1 % noise:
    ``benchmarks/auto_derivative.py``).

    Examples
    --------
    >>> t = np.cumsum(np.r_[0.0, np.random.default_rng(0).uniform(0.5, 2.0, 9)])
    >>> choose_derivative(np.ones((1, 10, 2)), t[np.newaxis])[0]
    Midpoint(bridge=8, tol=0.0001)
    """
    sampled = np.isfinite(strength).any(axis=2) & np.isfinite(times)
    median = float(np.median(sampled.sum(axis=1)))
    if median < SHORT_SERIES:
        return DERIVATIVE_METHODS["integral"], (
            f"short series: median {median:g} samples per run (< {SHORT_SERIES})"
        )
    for i, row in enumerate(times):
        spacing = np.diff(row[np.isfinite(row)])
        if spacing.size and not np.allclose(spacing, spacing[0], rtol=1e-6, atol=0.0):
            return DERIVATIVE_METHODS["integral"], (
                f"uneven spacing: run {i} has intervals from {spacing.min():g} to {spacing.max():g}"
            )
    return DERIVATIVE_METHODS["central"], (
        f"long, evenly spaced series: median {median:g} samples per run"
    )


def _run_rows(
    x: np.ndarray, t: np.ndarray, method: DerivativeMethod, log: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate rows of one run: (row index, states, rates, rows x equations usable)."""
    if isinstance(method, Midpoint):
        states, rates = midpoint_rates(x, t, log=log)
        return np.arange(x.shape[0] - 1), states, rates, np.isfinite(rates)
    usable = np.isfinite(x) & (x > 0 if log else True)
    if usable.all():  # the common case: every component differentiated at once
        d = differentiate(x, t, method, log=log)
        return d.index, d.states, d.rates, np.ones(d.rates.shape, dtype=bool)
    states, rates = x.copy(), np.full(x.shape, np.nan)
    for k in range(x.shape[1]):
        for rows in _segments(usable[:, k]):
            d = differentiate(x[rows, k : k + 1], t[rows], method, log=log)
            states[rows[d.index], k] = d.states[:, 0]
            rates[rows[d.index], k] = d.rates[:, 0]
    index = np.arange(x.shape[0])
    return index, states, rates, np.isfinite(rates)


def _losses(x: np.ndarray, method: DerivativeMethod, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per component, the samples (or intervals) of one run lost to values <= 0 and to NaN."""
    missing = ~np.isfinite(x)
    bad = np.isfinite(x) & (x <= 0) if log else np.zeros(x.shape, dtype=bool)
    if isinstance(method, Midpoint):
        missing = missing[:-1] | missing[1:]
        bad = (bad[:-1] | bad[1:]) & ~missing
    return bad.sum(axis=0), missing.sum(axis=0)


def _refuse(sub: xr.Dataset, strength: np.ndarray, zeros: str) -> None:
    """Raise on negative states, and on zeros with ``zeros="raise"``."""
    negative = np.argwhere(np.isfinite(strength) & (strength < 0))
    zero = np.argwhere(strength == 0) if zeros == "raise" else negative[:0]
    for bad, what in ((negative, "negative"), (zero, "zero")):
        if bad.size:
            i, j, k = bad[0]
            where = (
                f"run {sub[RUN].values[i].item()!r} has strength <= 0 ({what}: first at step "
                f"{sub[STEP].values[j]}, component {sub[COMPONENT].values[k].item()!r}, value "
                f"{strength[i, j, k]:g})"
            )
            if what == "negative":
                first = int(sub[STEP].values[j])
                hint = (
                    "Start the window where every strength is positive (after the alignment "
                    "phase of a random initialisation)"
                    if j == 0
                    else f"Fit the steps before it with `window=(None, {first - 1})`"
                )
                raise DataError(
                    f"{where}; Lotka-Volterra fits need positive states and this one is "
                    f"negative. {hint}, set those samples to NaN, or fit the signed traces with "
                    "a LinearODE or SINDy; a deep linear pathway's strength is not a square of "
                    "weights, so flooring it (ds.strength.clip(min=1e-12)) would hide the sign "
                    "change."
                )
            raise DataError(
                f"{where} and `zeros='raise'` refuses zeros. With zeros='extinct' (the default) "
                "Lotka-Volterra reads them as extinctions: each equation then drops only the "
                "samples its own component lacks."
            )


def traces_design(
    ds: xr.Dataset,
    *,
    log: bool = False,
    window: Window = None,
    runs: Any = None,
    derivative: str | DerivativeMethod = "auto",
    time: str = "step",
    sample_weight: Any = None,
    zeros: str = "extinct",
) -> Design:
    """Per-run derivative estimates, pooled over the chosen runs and window.

    Masking is per equation: a missing value of component ``k`` (or, with ``log``, a value
    ``<= 0``) removes only the samples of equation ``k`` whose derivative needs it; a row with
    a missing regressor is dropped for every equation, and only that row. Each stretch of a
    component without such values is differentiated on its own, so no estimate spans a run
    boundary, a gap or an extinction. ``zeros="raise"`` refuses values ``<= 0`` with ``log``.
    """
    if zeros not in ("extinct", "raise"):
        raise ValueError(f"`zeros` must be 'extinct' or 'raise'; got {zeros!r}.")
    sub = select_traces(ds, runs=runs, window=window)
    times = trace_times(sub, time)
    weights = _weights(sample_weight, sub)
    strength = sub["strength"].transpose(RUN, STEP, COMPONENT).values.astype(np.float64)
    strength = np.where(np.isfinite(times)[..., np.newaxis], strength, np.nan)
    if log:
        _refuse(sub, strength, zeros)
    if isinstance(derivative, str) and derivative == "auto":
        method, reason = choose_derivative(strength, times)
    else:
        method, reason = resolve_derivative(derivative), "given"
    steps = sub[STEP].values
    n_comp = strength.shape[2]
    parts: list[tuple[np.ndarray, ...]] = []
    dropped_zero = np.zeros(n_comp, dtype=np.int64)
    dropped_missing = np.zeros(n_comp, dtype=np.int64)
    for i in range(strength.shape[0]):
        x, t = strength[i], times[i]
        zero, missing = _losses(x, method, log)
        dropped_zero += zero
        dropped_missing += missing
        index, states, rates, usable = _run_rows(x, t, method, log)
        keep = np.isfinite(states).all(axis=1) & usable.any(axis=1)
        if not keep.any():
            continue
        idx = index[keep]
        mask = usable[keep]
        ends: tuple[np.ndarray, ...] = ()
        if isinstance(method, Midpoint):
            ends = (x[idx], x[idx + 1], t[idx + 1] - t[idx])
        parts.append(
            (
                states[keep],
                np.where(mask, rates[keep], 0.0),
                weights[i, idx],
                np.full(idx.size, i),
                steps[idx],
                mask,
                *ends,
            )
        )
    if not parts:
        longest = _longest_stretch(np.where(strength > 0, strength, np.nan) if log else strength)
        raise DataError(
            f"no samples to fit: `derivative` {_describe(method)!r} needs {min_samples(method)} "
            f"samples in a row of one component without NaN{' or zeros' if log else ''}; the "
            f"selected runs have at most {longest}. Widen `window`, select other `runs`, or "
            "use derivative='midpoint'."
        )
    X, y, w, run, step, mask, *extra = (np.concatenate(c) for c in zip(*parts, strict=True))
    start, end, duration = extra if extra else (None, None, None)
    return Design(
        X=X,
        y=y,
        weight=w,
        run=run,
        step=step,
        mask=mask,
        dropped_zero=dropped_zero,
        dropped_missing=dropped_missing,
        derivative=_describe(method),
        derivative_reason=reason,
        method=method,
        start=start,
        end=end,
        duration=duration,
    )


def component_labels(ds: xr.Dataset) -> Sequence[Hashable]:
    """The component labels of a traces dataset as a list."""
    return list(ds[COMPONENT].values.tolist())
