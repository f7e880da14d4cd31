"""Predict an intervention's outcome from the unperturbed run: a mean-field competition model.

Each circle grows at its own rate and all circles share one resource:

    d log S_k / dt = r_k - a S_k - c sum_j S_j            (k = 1..p//2, time in steps)

``r_k`` is the run's own early growth: with ``g_k`` the mean one-step growth of
``log S_k`` over the first ``early`` steps and ``Sbar_k``, ``Tbar`` the mean of ``S_k`` and
of ``sum_j S_j`` over those steps, ``r_k = g_k + a Sbar_k + c Tbar``. The two scalars
``a`` (self-limitation; negative means a stronger circle grows faster) and ``c``
(competition through the total) are least squares over the first ``window`` steps of

    Delta log S_k(t) - g_k = -a (S_k(t) - Sbar_k) - c (T(t) - Tbar).

An intervention changes the initial state only (boost: ``S_k(0) -> f S_k(0)``; removal:
``S_k(0) = 0``, and it stays 0), so the prediction iterates the fitted model's one-step
map from the perturbed state for as many steps as the training runs and applies the
paper's survival rule, ``S_k > 2 mean`` over all ``p`` DFT rows, to the end state (the
DC row is taken from the unperturbed run's last step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MeanField", "fit_mean_field"]


@dataclass(frozen=True)
class MeanField:
    """A fitted mean-field model of one run (see the module docstring)."""

    r: np.ndarray
    a: float
    c: float
    p: int
    dc: float

    def simulate(self, s0: np.ndarray, steps: int) -> np.ndarray:
        """States at steps ``0..steps`` from ``s0`` (shape ``(p//2,)``), ``(steps + 1, K)``.

        Examples
        --------
        >>> model = MeanField(r=np.array([0.1, 0.05]), a=0.0, c=0.01, p=5, dc=0.0)
        >>> path = model.simulate(np.array([1.0, 1.0]), 2000)
        >>> np.round(path[-1], 3).tolist()  # the faster grower takes the resource: r_0 / c
        [10.0, 0.0]
        """
        alive = np.asarray(s0, dtype=np.float64) > 0
        log_s = np.where(alive, np.log(np.where(alive, s0, 1.0)), -np.inf)
        out = np.empty((steps + 1, alive.size))
        state = np.where(alive, np.exp(log_s), 0.0)
        out[0] = state
        for t in range(steps):
            growth = self.r - self.a * state - self.c * state.sum()
            # a step may not change log S by more than 1: keeps a poor fit finite
            log_s = log_s + np.clip(growth, -1.0, 1.0)
            state = np.where(alive, np.exp(np.minimum(log_s, 700.0)), 0.0)
            out[t + 1] = state
        return out

    def survivors(self, s0: np.ndarray, steps: int) -> np.ndarray:
        """The survival rule applied to the simulated state at ``steps``."""
        final = self.simulate(s0, steps)[-1]
        mean_all = (self.dc + 2.0 * final.sum() + (final[-1] if self.p % 2 == 0 else 0.0)) / self.p
        return np.asarray(final > 2.0 * mean_all)


def fit_mean_field(
    strength: np.ndarray, *, p: int, dc: float, early: int = 20, window: int = 1000
) -> MeanField:
    """Fit `MeanField` to one run's ``strength`` (steps ``0..``, one row per step).

    Parameters
    ----------
    strength : array_like, shape (n_steps, p//2)
        ``S_k(t)`` logged at every step from step 0.
    p : int
        Modulus (for the survival rule's mean over all ``p`` rows).
    dc : float
        ``S_0`` used in that mean.
    early, window : int
        Steps that define ``r_k`` and steps used for ``a, c``.

    Examples
    --------
    >>> truth = MeanField(r=np.array([0.02, 0.015, 0.01]), a=0.001, c=0.002, p=7, dc=0.0)
    >>> path = truth.simulate(np.array([1.0, 1.2, 1.5]), 400)
    >>> fit = fit_mean_field(path, p=7, dc=0.0, early=20, window=400)
    >>> round(fit.a, 6), round(fit.c, 6), np.round(fit.r, 6).tolist()
    (0.001, 0.002, [0.02, 0.015, 0.01])
    """
    s = np.asarray(strength, dtype=np.float64)
    window = min(int(window), s.shape[0] - 1)
    early = min(int(early), window)
    if early < 1 or np.any(s[: window + 1] <= 0):
        raise ValueError(
            "`strength` must hold at least two positive steps per component to fit the "
            f"mean-field model; got shape {s.shape} with a minimum of {s.min(initial=np.inf)}."
        )
    growth = np.diff(np.log(s[: window + 1]), axis=0)  # (window, K)
    states, totals = s[:window], s[:window].sum(axis=1)
    g = growth[:early].mean(axis=0)
    s_bar, t_bar = states[:early].mean(axis=0), totals[:early].mean()
    y = (growth - g).ravel()
    design = np.column_stack(
        [-(states - s_bar).ravel(), -np.repeat(totals - t_bar, states.shape[1])]
    )
    (a, c), *_ = np.linalg.lstsq(design, y, rcond=None)
    return MeanField(r=g + a * s_bar + c * t_bar, a=float(a), c=float(c), p=int(p), dc=float(dc))
