"""Integral matching between consecutive samples: interval means along the model's own path.

Over an interval of length ``dt`` a Lotka-Volterra system satisfies exactly
``(log x_i(t + dt) - log x_i(t)) / dt = r_i + sum_j A_ij mean(x_j)``, with the mean of ``x_j``
over the interval. Gradient matching (`Midpoint`) stands in the geometric mean of the two
samples, which is biased when the sampling is coarse against the dynamics (an interval of
two time units over a relaxation of one). `refit_bridged` replaces it by the mean along the
fitted model's path from the first sample, bridged to end at the second (a correction
growing linearly in time: multiplicative for Lotka-Volterra, additive for linear models), and
refits until the parameters settle (`Midpoint.tol`). At the true parameters the bridged path
is the true one, so noise-free data are fitted without discretisation bias. The linear
model's analogue is the same with ``x`` in place of ``log x``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from lvdyn.fitting._design import Design
from lvdyn.models import LinearODE, LotkaVolterra
from lvdyn.models._matrix import MatrixODEModel

__all__ = ["BridgeResult", "bridged_means", "refit_bridged"]

#: Runge-Kutta step as a fraction of the fastest rate's time scale, and the most sub-steps.
#: The rate is an upper bound (|r| + |A| times each component's largest value); classical RK4
#: at 0.5 of it errs by about 0.5**5 / 120 ~ 3e-4 per step, and the interval means use
#: Simpson's rule, of the same order. Measured on six 10-species studies of 50 series: 0.4
#: and 0.8 give the same fitted A to 1e-4 (noise-free relative errors 0.0029-0.41) and the
#: same sign scores at 1 % noise; the trapezoid rule at 0.2 took twice the time of 0.4.
STEP_FRACTION = 0.5
MAX_SUBSTEPS = 512
MIN_SUBSTEPS = 8


def _substeps(
    model: MatrixODEModel, start: np.ndarray, end: np.ndarray, duration: np.ndarray
) -> np.ndarray:
    """Runge-Kutta sub-steps per interval, rounded up to powers of two (for grouping)."""
    if isinstance(model, LotkaVolterra):
        top = np.nanmax(np.maximum(start, end), axis=0)
        rate = np.abs(model.growth_rates_) + np.abs(model.interaction_matrix_) @ top
    else:
        rate = np.abs(model.A_).sum(axis=1)
    fastest = float(np.max(rate, initial=0.0))
    if not np.isfinite(fastest) or fastest <= 0:
        return np.full(duration.shape, MIN_SUBSTEPS)
    wanted = np.clip(np.ceil(duration * fastest / STEP_FRACTION), MIN_SUBSTEPS, MAX_SUBSTEPS)
    return (2 ** np.ceil(np.log2(wanted))).astype(np.int64)


def bridged_means(
    model: MatrixODEModel, start: np.ndarray, end: np.ndarray, duration: np.ndarray
) -> np.ndarray:
    """Mean state over each interval along ``model``'s path, bridged to both ends (n, K).

    Rows whose path leaves the floating-point range keep NaN (the caller falls back).

    Examples
    --------
    >>> truth = LotkaVolterra.from_params([1.0], [[-1.0]])  # logistic growth
    >>> t = 2.0; x1 = 1 / (1 + 9 * np.exp(-t))              # from 0.1 at t = 0
    >>> exact = np.log(x1 / 0.1) / t - 1.0                  # mean of x: (log-ratio - r t) / (A t)
    >>> mean = bridged_means(truth, np.array([[0.1]]), np.array([[x1]]), np.array([t]))
    >>> bool(np.isclose(mean[0, 0], -exact, rtol=1e-3))
    True
    """
    substeps = _substeps(model, start, end, duration)
    means = np.empty(start.shape)
    for m in np.unique(substeps):
        rows = substeps == m
        means[rows] = _bridged(model, start[rows], end[rows], duration[rows], int(m))
    means[~np.isfinite(means).all(axis=1)] = np.nan
    return means


def _bridged(
    model: MatrixODEModel, start: np.ndarray, end: np.ndarray, duration: np.ndarray, m: int
) -> np.ndarray:
    """`bridged_means` for intervals sharing ``m`` classical Runge-Kutta sub-steps."""
    lv = isinstance(model, LotkaVolterra)
    h = (duration / m)[:, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if lv:
            r, A = model.growth_rates_, model.interaction_matrix_
            y = np.log(start)

            def f(v: np.ndarray) -> np.ndarray:
                return r + np.exp(v) @ A.T

        else:
            A_, b = model.A_, model.b_
            y = start.astype(np.float64)

            def f(v: np.ndarray) -> np.ndarray:
                return v @ A_.T + b

        path = [y]
        for _ in range(m):
            k1 = f(y)
            k2 = f(y + 0.5 * h * k1)
            k3 = f(y + 0.5 * h * k2)
            k4 = f(y + h * k3)
            y = y + h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
            path.append(y)
        stacked = np.stack(path, axis=1)  # (n, m + 1, K)
        tau = np.linspace(0.0, 1.0, m + 1)[np.newaxis, :, np.newaxis]
        if lv:
            both = (start > 0) & (end > 0)
            gap = np.where(both, np.log(end) - y, 0.0)
            states = np.exp(stacked + tau * gap[:, np.newaxis, :])
        else:
            states = stacked + tau * (end - y)[:, np.newaxis, :]
        # Simpson's rule (m is even), fourth order like the Runge-Kutta steps
        weights = np.where(np.arange(m + 1) % 2 == 1, 4.0, 2.0) / (3.0 * m)
        weights[[0, -1]] = 1.0 / (3.0 * m)
        return np.einsum("m,nmk->nk", weights, states)


def _parameters(model: MatrixODEModel) -> np.ndarray:
    if isinstance(model, LotkaVolterra):
        return np.concatenate([model.growth_rates_, model.interaction_matrix_.ravel()])
    return np.concatenate([model.b_, model.A_.ravel()])


@dataclass(frozen=True)
class BridgeResult:
    """What `refit_bridged` did: the last design, the iterations run and the last change."""

    design: Design
    iterations: int
    change: float  # relative change of the parameters in the last iteration (NaN if none)


def refit_bridged(
    model: MatrixODEModel,
    design: Design,
    iterations: int,
    sample_weight: Any,
    tol: float = 0.0,
) -> BridgeResult:
    """Refit a fitted ``model`` on bridged interval means, at most ``iterations`` times.

    ``design`` is a `Midpoint` design (with ``start``, ``end`` and ``duration``); rows whose
    bridged path overflows keep their midpoint regressor. Iteration stops early once the
    parameters change by less than ``tol`` relative to their norm.
    """
    if design.start is None or design.end is None or design.duration is None:
        raise ValueError("`design` must come from derivative='midpoint' or 'integral'.")
    if not isinstance(model, LotkaVolterra | LinearODE):
        raise ValueError(f"`model` must be a LinearODE or LotkaVolterra; got {model!r}.")
    lv = isinstance(model, LotkaVolterra)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_capita = np.where(design.mask, design.y / design.X, 0.0) if lv else design.y
    current, done, change = design, 0, float("nan")
    while done < iterations:
        before = _parameters(model)
        means = bridged_means(model, design.start, design.end, design.duration)
        X = np.where(np.isfinite(means), means, design.X)
        y = np.where(design.mask, X * per_capita, 0.0) if lv else design.y
        model.fit(X, y, sample_weight=sample_weight)
        current, done = dataclasses.replace(design, X=X, y=y), done + 1
        after = _parameters(model)
        size = max(float(np.linalg.norm(after)), 1e-300)
        change = float(np.linalg.norm(after - before)) / size
        if change < tol:
            break
    return BridgeResult(current, done, change)
