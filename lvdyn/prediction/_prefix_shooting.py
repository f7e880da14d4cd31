"""Shared mean-field parameters fitted by shooting from prefixes of training runs.

The use of `lvdyn.MeanFieldLV` in prediction is: take a run's state at the end of a prefix,
estimate its growth rates from that prefix (`lvdyn.prediction._prefix_growth`), and
integrate to the end of training. `fit_by_shooting` chooses the shared parameters (``a``,
``c``, floor ``f``, saturation ``K``; the decay ``lambda`` stays known) that make exactly
this reproduce the training runs: the squared error between the simulated and the observed
strengths after prefixes at `SHOOTING_FRACTIONS` of the runs' median settle step, each
prefix's error relative to the variance after it (``1 - R^2``, so that no prefix dominates),
summed and minimised by Nelder-Mead over ``(log a, log c, f, log K)`` from the
derivative-matching fit. Prefixes that end before ``first_step`` (for modular addition: the
step where the training loss has fallen to 1 % of its start, before which every circle
rises at once and no competition model applies) are moved to it.
It is multiple shooting in which the shooting nodes are the prefix ends and the per-run
unknowns (growth rates) are the estimator's, so the fit is judged the way it is used.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.optimize import minimize

from lvdyn.models._mean_field import integrate_mean_field
from lvdyn.prediction._prefix_growth import SharedParameters, prefix_growth_rates
from lvdyn.traces._survival import settle_step

__all__ = ["SHOOTING_FRACTIONS", "fit_by_shooting", "prefix_positions"]

#: Prefixes (fractions of the median settle step) the shooting fit simulates from.
SHOOTING_FRACTIONS = (0.1, 0.2, 0.3)


def prefix_positions(ds: xr.Dataset, fractions: tuple[float, ...]) -> list[int]:
    """Positions of the last step at each fraction of the median settle step (of the run
    length when no run settles), at least 2 so that growth can be estimated."""
    steps = ds["step"].values
    settle = settle_step(ds).values.astype(float)
    reference = float(np.nanmedian(settle)) if np.isfinite(settle).any() else float(steps[-1])
    found = [int(np.searchsorted(steps, f * reference, side="right")) - 1 for f in fractions]
    return [min(max(i, 2), steps.size - 2) for i in found]


def fit_by_shooting(
    train: xr.Dataset,
    start: SharedParameters,
    *,
    first_step: int | None = None,
    max_evaluations: int = 200,
) -> SharedParameters:
    """Shared parameters minimising the error of simulations from prefixes of ``train``.

    ``start`` is the first guess (its ``saturation`` 0 starts ``K`` at half the median
    excess at the prefixes); the floor stays within ``[0, median final strength]``.
    """
    strength = np.asarray(train["strength"].transpose("run", "step", "component").values, float)
    push = None
    if "loss_push" in train:
        push = np.asarray(train["loss_push"].transpose("run", "step", "component").values, float)
    steps = train["step"].values.astype(np.float64)
    positions = prefix_positions(train, SHOOTING_FRACTIONS)
    if first_step is not None:
        earliest = min(int(np.searchsorted(steps, first_step)), steps.size - 3)
        positions = sorted({max(i, earliest) for i in positions})
    upper = float(np.nanmedian(strength[:, -1]))
    decay = start.decay
    saturation = start.saturation
    if saturation <= 0:
        states = np.concatenate([strength[:, i] for i in positions]) - start.floor
        saturation = max(0.5 * float(np.median(states)), 1e-6)

    def unpack(theta: np.ndarray) -> SharedParameters:
        a, c, k = np.exp(theta[[0, 1, 3]])
        return SharedParameters(float(a), float(c), float(theta[2]), float(k), decay)

    def error(theta: np.ndarray) -> float:
        shared = unpack(theta)
        if not 0 <= shared.floor < upper:
            return np.inf
        with np.errstate(all="ignore"):
            total = _shooting_error(strength, steps, positions, shared, push)
        return total if np.isfinite(total) else np.inf

    first = np.array([np.log(max(start.a, 1e-12)), np.log(max(start.c, 1e-12)),
                      min(start.floor, 0.99 * upper), np.log(saturation)])  # fmt: skip
    found = minimize(error, first, method="Nelder-Mead",
                     options={"maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-6})  # fmt: skip
    return unpack(found.x) if np.isfinite(found.fun) else start


def _shooting_error(
    strength: np.ndarray,
    steps: np.ndarray,
    positions: list[int],
    shared: SharedParameters,
    push: np.ndarray | None,
) -> float:
    """Squared error of every run simulated from each prefix end to the end of the runs.

    All (prefix, run) systems are integrated as one batch over the union of their elapsed
    times, each from its own start.
    """
    elapsed = np.unique(np.concatenate([steps[last:] - steps[last] for last in positions]))
    starts = [strength[:, last] - shared.floor for last in positions]
    rates = [prefix_growth_rates(strength, steps, last, shared, push=push) for last in positions]
    z = integrate_mean_field(np.concatenate(starts), np.concatenate(rates), elapsed,
                             a=shared.a, c=shared.c, saturation=shared.saturation,
                             decay=shared.decay)  # fmt: skip
    total, runs = 0.0, strength.shape[0]
    for i, last in enumerate(positions):
        at = np.searchsorted(elapsed, steps[last:] - steps[last])
        simulated = shared.floor + z[i * runs : (i + 1) * runs][:, at]
        observed = strength[:, last:]
        spread = float(((observed - observed.mean()) ** 2).sum())
        total += float(((simulated - observed) ** 2).sum()) / max(spread, 1e-300)
    return total
