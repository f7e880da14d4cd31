"""The neural race reduction of a routing network: one closed ODE per mode.

From decoupled initialisation (every layer aligned with the target's singular vectors, all
copies of a layer equal) gradient descent on a routing network keeps each mode ``a`` to one
scalar per layer, ``b_l``. Layer ``l`` carries ``n_l`` trained pathways per copy (``K`` for an
input or output domain's own layer, ``M K`` for the shared layer), so in continuous time

    tau db_l/dt = (n_l / M^2) (prod_{m != l} b_m) (s - prod_m b_m)

(rates ``K/M^2`` for the domain layers and ``K/M`` for the shared one: the shared layer learns
``M`` times faster). Then ``d(b_l^2)/dt = (2 n_l / (tau M^2)) pi (s - pi)`` with ``pi`` the mode
strength ``prod_l b_l``, so ``b_l^2 = b_l(0)^2 + n_l u`` for one common ``u(t)``: the
quantities ``b_l^2 / n_l - b_m^2 / n_m`` are conserved (``b_2^2 - M b_1^2`` in the paper's
three-layer network), and

    du/dt = (2 / (tau M^2)) pi(u) (s - pi(u)),   pi(u) = prod_l sqrt(b_l(0)^2 + n_l u),

whose time is the quadrature ``t(u) = (tau M^2 / 2) int_0^u du' / (pi (s - pi))``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

__all__ = ["ModeReduction"]


class ModeReduction:
    """The reduced dynamics of one mode of strength ``s``.

    Parameters
    ----------
    s : float
        The mode's singular value (positive).
    counts : sequence of int
        Trained pathways through one copy of each layer, first layer first.
    initial : sequence of float
        Each layer's initial mode value ``b_l(0)`` (positive).
    n_domains : int
        ``M``; rates are ``n_l / M^2`` per ``tau``.
    tau : float
        Time constant in steps.

    Examples
    --------
    >>> red = ModeReduction(13.6, counts=(4, 28, 4), initial=(0.08,) * 3, n_domains=7,
    ...                     tau=28 / (2 * 0.02 * 49))
    >>> round(red.half_time(), 1)  # epochs; the paper's routing network, M = 7, K = 4
    75.3
    >>> red.rates().tolist()  # K / M^2, K / M, K / M^2 in units of 1 / tau
    [0.08163265306122448, 0.5714285714285714, 0.08163265306122448]
    """

    def __init__(
        self,
        s: float,
        *,
        counts: Sequence[int] | np.ndarray,
        initial: Sequence[float] | np.ndarray,
        n_domains: int,
        tau: float,
    ) -> None:
        self.s = float(s)
        self.counts = np.asarray(counts, dtype=np.float64)
        self.initial = np.asarray(initial, dtype=np.float64)
        if self.counts.shape != self.initial.shape or np.any(self.initial <= 0) or self.s <= 0:
            raise ValueError(
                "the reduction needs a positive singular value and one positive initial value "
                f"per layer; got s={s!r}, counts={list(counts)}, initial={list(initial)}."
            )
        self.n_domains = int(n_domains)
        self.tau = float(tau)

    def rates(self) -> np.ndarray:
        """Each layer's rate ``n_l / M^2`` (per ``tau``)."""
        return self.counts / self.n_domains**2

    def layers(self, u: np.ndarray | float) -> np.ndarray:
        """Layer values ``b_l`` at ``u`` (last axis: layer)."""
        u = np.asarray(u, dtype=np.float64)[..., np.newaxis]
        return np.sqrt(self.initial**2 + self.counts * u)

    def strength(self, u: np.ndarray | float) -> np.ndarray:
        """The mode strength ``pi(u) = prod_l b_l``."""
        return np.prod(self.layers(u), axis=-1)

    def conserved(self) -> np.ndarray:
        """``b_l^2 / n_l - b_0^2 / n_0`` for each layer ``l`` (constant in time)."""
        b2 = self.initial**2
        return b2 / self.counts - b2[0] / self.counts[0]

    def _u_at(self, target: float) -> float:
        """The ``u`` at which the strength reaches ``target`` (it increases with ``u``)."""
        high = 1.0
        while self.strength(high) < target:
            high *= 2.0
        return float(brentq(lambda u: float(self.strength(u)) - target, 0.0, high, xtol=1e-14))

    def time_to(self, fraction: float) -> float:
        """Steps until the strength reaches ``fraction * s`` (0 if it starts there), by quadrature.

        Needs ``0 < fraction < 1`` and a start below ``s``.
        """
        start = float(self.strength(0.0))
        if not 0 < fraction < 1 or start >= self.s:
            raise ValueError(
                f"`fraction` must be in (0, 1) and the mode must start below s; got {fraction!r} "
                f"with a start at {start:g} and s = {self.s:g}."
            )
        target = fraction * self.s
        if start >= target:
            return 0.0
        u_end = self._u_at(target)
        scale = self.tau * self.n_domains**2 / 2.0

        # u = u0 (e^z - 1): u0 is the scale on which the strength leaves its start, so the
        # integrand is smooth in z even for a tiny initialisation
        u0 = 2.0 / float(np.sum(self.counts / self.initial**2))

        def integrand(z: float) -> float:
            pi = float(self.strength(u0 * np.expm1(z)))
            return u0 * np.exp(z) / (pi * (self.s - pi))

        z_end = float(np.log1p(u_end / u0))
        value, _ = quad(integrand, 0.0, z_end, epsabs=0.0, epsrel=1e-11, limit=200)
        return scale * value

    def half_time(self) -> float:
        """Steps until the strength reaches ``s / 2``."""
        return self.time_to(0.5)

    def trajectory(self, steps: np.ndarray) -> np.ndarray:
        """``u`` at the given steps, integrating ``du/dt`` (rtol 1e-10)."""
        steps = np.asarray(steps, dtype=np.float64)
        rate = 2.0 / (self.tau * self.n_domains**2)

        def rhs(_t: float, u: np.ndarray) -> np.ndarray:
            pi = self.strength(u[0])
            return np.array([rate * pi * (self.s - pi)])

        sol = solve_ivp(
            rhs, (0.0, float(steps.max(initial=0.0))), [0.0], t_eval=steps,
            method="DOP853", rtol=1e-10, atol=1e-14,
        )  # fmt: skip
        return np.asarray(sol.y[0], dtype=np.float64)
