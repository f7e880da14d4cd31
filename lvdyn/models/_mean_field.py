"""``MeanFieldLV``: Lotka-Volterra competition among exchangeable components.

    dx_i/dt = -lambda z_i + z_i (r_i h(z_i) - a z_i - c sum_j z_j),    z_i = x_i - f,
    h(z) = z / (z + K)  (h = 1 when K = 0)

Every component limits itself (``a``) and competes with all others alike (``c``); only the
growth rate ``r_i`` tells components apart. With a saturation ``K > 0`` a component's push
grows with its own excess and saturates at ``r_i`` (positive feedback: a circle the network
stops using loses its push, and then decays at exactly ``lambda``, as the losing circles of
modular addition do); the outcome then depends on the state as well as on ``r``. ``f`` is
the floor a component that loses settles at (a dead circle of modular addition keeps a
noise-level strength instead of going extinct); with ``f = 0`` and ``K = 0`` this is an
ordinary Lotka-Volterra system with interaction matrix ``A = -a I - c 1 1^T``.

Components of different runs are exchangeable (frequency 7 of one run has nothing to do
with frequency 7 of another), so ``a``, ``c`` and ``f`` are shared across runs while each
run has its own growth rates: `MeanFieldLV.fit` takes ``groups`` (the run of each sample)
and stores one row of growth rates per group. ``lambda`` is a known decay that acts on
every component alike (for a network trained with AdamW, the decoupled weight decay's pull
``lr * weight_decay`` per step), so ``r_i`` is the push that has to beat it.

With ``a > 0`` and ``c >= 0`` (the fit's constraints), ``A + A^T`` is negative definite, so
the system has exactly one saturated equilibrium, globally stable on the positive orthant
of ``z``: simulations stay bounded. Without saturation the equilibrium is known in closed
form: components are taken in decreasing order of ``r``; the survivors are the largest ``m``
with ``r_(m) > c Z_m``, where ``Z_m = sum_{i <= m} r_(i) / (a + m c)``, and each survivor
sits at ``z_i = (r_i - c Z_m) / a``, all with ``r - lambda`` in place of ``r``. With
saturation (``h <= 1``, so still bounded) the equilibrium reached depends on the start and
is found by integrating from it (`MeanFieldLV.equilibrium` with ``x0``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar, nnls
from sklearn.utils.validation import check_is_fitted

from lvdyn.models._base import AbstractODEModel

__all__ = ["MeanFieldLV", "integrate_mean_field", "mean_field_equilibrium"]


def mean_field_equilibrium(r: Any, a: float, c: float) -> np.ndarray:
    """The saturated equilibrium ``z*`` of ``dz_i/dt = z_i (r_i - a z_i - c sum_j z_j)``.

    Parameters
    ----------
    r : array_like, shape (..., K)
        Growth rates (a leading axis evaluates several systems at once).
    a, c : float
        Self-limitation (> 0) and competition (>= 0).

    Examples
    --------
    >>> mean_field_equilibrium([3.0, 2.0, 0.5], a=1.0, c=0.5).round(3).tolist()
    [1.75, 0.75, 0.0]
    """
    rates = np.asarray(r, dtype=np.float64)
    if not a > 0 or not c >= 0:
        raise ValueError(f"`a` must be > 0 and `c` >= 0; got a={a!r}, c={c!r}.")
    order = np.argsort(-rates, axis=-1, kind="stable")
    ranked = np.take_along_axis(rates, order, axis=-1)
    m = np.arange(1, rates.shape[-1] + 1)
    total = np.cumsum(ranked, axis=-1) / (a + m * c)  # Z_m if the top m survive
    feasible = ranked > c * total
    # the top-m set is self-consistent for every m up to the last feasible one (ranked falls,
    # c * total rises while feasible), so the survivors are the longest feasible prefix
    n_alive = np.where(feasible.any(axis=-1), feasible.cumprod(axis=-1).sum(axis=-1), 0)
    z_total = np.where(
        n_alive > 0,
        np.take_along_axis(total, np.maximum(n_alive - 1, 0)[..., np.newaxis], axis=-1)[..., 0],
        0.0,
    )
    z = np.maximum((rates - c * z_total[..., np.newaxis]) / a, 0.0)
    alive_rank = m <= n_alive[..., np.newaxis]
    alive = np.zeros_like(alive_rank)
    np.put_along_axis(alive, order, alive_rank, axis=-1)
    return np.where(alive, z, 0.0)


def _feedback(z: np.ndarray, saturation: float) -> np.ndarray:
    """``h(z) = z / (z + K)`` for ``z > 0`` (0 below the floor); 1 everywhere when K = 0."""
    if saturation == 0:
        return np.ones_like(z)
    positive = np.maximum(z, 0.0)
    return positive / (positive + saturation)


def integrate_mean_field(
    z0: Any,
    r: Any,
    times: Any,
    *,
    a: float,
    c: float,
    saturation: float = 0.0,
    decay: float = 0.0,
    max_step: float | None = None,
    max_norm: float = 1e12,
) -> np.ndarray:
    """Excess states ``z`` at ``times`` of many mean-field systems at once (RK4).

    ``z0`` and ``r`` have shape (..., K) (one system per leading index, for example one per
    run); returns shape (..., T, K). Each step is at most ``max_step`` and at most half of
    the fastest time scale of the Jacobian at the current state, which keeps RK4 within
    ~1e-6 of an adaptive solver on these smooth systems (tested against
    `MeanFieldLV.simulate`). Once any excess passes ``max_norm`` (possible only for
    parameters outside the fit's constraints) the remaining rows are NaN.

    Examples
    --------
    >>> z = integrate_mean_field([[1.0, 1.0]], [[0.3, 0.05]], [0.0, 200.0], a=0.1, c=0.05)
    >>> z[0, -1].round(3).tolist()
    [2.0, 0.0]
    """
    z = np.array(z0, dtype=np.float64)
    rates = np.broadcast_to(np.asarray(r, dtype=np.float64), z.shape)
    t = np.asarray(times, dtype=np.float64)
    k = float(saturation)
    push_scale = np.abs(rates).max(initial=0.0) + decay

    def rhs(state: np.ndarray) -> np.ndarray:
        per_capita = -decay - a * state - c * state.sum(axis=-1, keepdims=True)
        if k == 0:
            return state * (per_capita + rates)
        positive = np.maximum(state, 0.0)
        return state * (per_capita + rates * positive / (positive + k))

    def stable_step(state: np.ndarray) -> float:
        # half the fastest time scale of the Jacobian at this state (a bound on its norm)
        size = np.abs(state)
        fastest = push_scale + 2 * a * size.max(initial=0.0) + 2 * c * size.sum(axis=-1).max()
        step = 0.5 / max(fastest, 1e-300)
        return step if max_step is None else min(step, max_step)

    out = np.empty((*z.shape[:-1], t.size, z.shape[-1]))
    out[..., 0, :] = z
    for i in range(1, t.size):
        now = t[i - 1]
        while now < t[i]:
            h = min(stable_step(z), t[i] - now)
            if t[i] - (now + h) < 1e-9 * max(abs(t[i]), 1.0):
                h = t[i] - now
            k1 = rhs(z)
            k2 = rhs(z + 0.5 * h * k1)
            k3 = rhs(z + 0.5 * h * k2)
            z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + rhs(z + h * k3))
            now += h
            if not np.all(np.abs(z) < max_norm):  # diverged (or NaN): the rest is unknown
                out[..., i:, :] = np.nan
                return out
        out[..., i, :] = z
    return out


class MeanFieldLV(AbstractODEModel):
    """Mean-field Lotka-Volterra competition with per-run growth rates (module docstring).

    Parameters
    ----------
    floor : float or "fit"
        The level ``f`` a losing component settles at: a number fixes it, ``"fit"``
        chooses it by least squares (profiled over ``[0, floor_max]``).
    floor_max : float, optional
        Upper bound for a fitted floor (default: the 5th percentile of the states).
    decay : float
        ``lambda``, known and fixed (default 0).
    saturation : float
        ``K`` of the positive feedback ``h(z) = z / (z + K)``, fixed (default 0: none).
        `lvdyn.prediction` fits it by shooting from prefixes of training runs.

    Attributes
    ----------
    self_limitation_ : float
        ``a``.
    competition_ : float
        ``c``.
    floor_ : float
        ``f``.
    decay_ : float
        ``lambda``.
    saturation_ : float
        ``K``.
    growth_rates_ : ndarray of shape (K,)
        ``r`` of the last group fitted (the only one without ``groups``); see
        `growth_rates_by_group_` and `with_growth_rates`.
    growth_rates_by_group_ : ndarray of shape (G, K)
        One row of growth rates per group, in the order of `groups_`.
    groups_ : ndarray of shape (G,)

    Examples
    --------
    >>> import numpy as np
    >>> truth = MeanFieldLV.from_params([0.3, 0.2, 0.05], a=0.01, c=0.004, floor=2.0)
    >>> X = truth.simulate([20.0, 20.0, 20.0], np.arange(0.0, 200.0, 2.0))
    >>> model = MeanFieldLV(floor=2.0).fit(X, truth.rhs(X))
    >>> round(model.self_limitation_, 4), round(model.competition_, 4)
    (0.01, 0.004)
    >>> model.predict_survivors().tolist()
    [True, True, False]
    """

    #: `lvdyn.fit_traces` passes the run of each sample as ``groups``.
    pooled_by_run = True

    def __init__(
        self,
        *,
        floor: float | str = 0.0,
        floor_max: float | None = None,
        decay: float = 0.0,
        saturation: float = 0.0,
    ) -> None:
        self.floor = floor
        self.floor_max = floor_max
        self.decay = decay
        self.saturation = saturation

    @classmethod
    def from_params(
        cls,
        r: Any,
        *,
        a: float,
        c: float,
        floor: float = 0.0,
        decay: float = 0.0,
        saturation: float = 0.0,
    ) -> MeanFieldLV:
        """A model with known parameters, behaving as a fitted one."""
        rates = np.asarray(r, dtype=np.float64)
        if rates.ndim != 1:
            raise ValueError(f"`r` must be one growth rate per component; got shape {rates.shape}.")
        model = cls(floor=float(floor), decay=float(decay), saturation=float(saturation))
        model._set(np.asarray([0]), rates[np.newaxis], float(a), float(c), float(floor))
        return model

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None) -> MeanFieldLV:
        """Fit ``a``, ``c``, ``f`` (shared) and ``r`` (per group) to states and derivatives.

        Derivative matching in the derivative's own units, ``y_i ~ z_i (r_i - a z_i - c Z)``
        (no division by small states), with one growth rate per (group, component) profiled
        out exactly; ``a`` and ``c`` by non-negative least squares.

        Parameters
        ----------
        X, y : array_like, shape (n, K)
            States and their time derivatives.
        sample_weight : array_like, shape (n,), optional
        groups : array_like, shape (n,), optional
            The run of each sample (default: one run).
        """
        X, Y, weight = self._validate_fit(X, y, sample_weight)
        n = X.shape[0]
        labels = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
        if labels.shape != (n,):
            raise ValueError(f"`groups` must give one group per sample ({n}); got {labels.shape}.")
        group_values, index = np.unique(labels, return_inverse=True)
        w = np.ones(n) if weight is None else weight
        decay, saturation = self._decay(), self._saturation()
        floor = self._fit_floor(X, Y, w, index) if self.floor == "fit" else self._fixed_floor()
        z = X - floor
        entry_weight = w[:, np.newaxis] * self._active_cells(z, index)
        growth = z * _feedback(z, saturation)
        a, c, rates, _ = _solve(z, growth, Y + decay * z, entry_weight, index, len(group_values))
        self._set(group_values, rates, a, c, floor)
        return self

    def _active_cells(self, z: np.ndarray, index: np.ndarray) -> np.ndarray:
        """1 for the (sample, component) entries of components still well above the floor.

        With a decay, a component that has lost sits near the floor at the end of its
        group's samples (its excess under a quarter of the group's largest): the loss no
        longer drives it, so it says nothing about how active components limit each other
        and is left out of the estimate of ``a`` and ``c`` (its growth rate is still
        fitted). Without decay every component counts.
        """
        if self._decay() == 0:
            return np.ones_like(z)
        active = np.ones_like(z)
        for g in np.unique(index):
            rows = np.flatnonzero(index == g)
            tail = z[rows[-max(3, rows.size // 10) :]].mean(axis=0)
            active[rows] = (tail > 0.25 * tail.max()).astype(float)
        return active

    def _decay(self) -> float:
        if isinstance(self.decay, bool) or not isinstance(self.decay, int | float):
            raise ValueError(f"`decay` must be a number >= 0; got {self.decay!r}.")
        if not self.decay >= 0:
            raise ValueError(f"`decay` must be a number >= 0; got {self.decay!r}.")
        return float(self.decay)

    def _saturation(self) -> float:
        value = self.saturation
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValueError(f"`saturation` must be a number >= 0; got {value!r}.")
        return float(value)

    def _fixed_floor(self) -> float:
        if isinstance(self.floor, bool) or not isinstance(self.floor, int | float):
            raise ValueError(f"`floor` must be a number or 'fit'; got {self.floor!r}.")
        return float(self.floor)

    def _fit_floor(self, X: np.ndarray, Y: np.ndarray, w: np.ndarray, index: np.ndarray) -> float:
        upper = float(np.percentile(X, 5)) if self.floor_max is None else float(self.floor_max)
        if not upper > 0:
            return 0.0
        n_groups = int(index.max()) + 1

        decay, saturation = self._decay(), self._saturation()

        def loss(f: float) -> float:
            z = X - f
            weight = w[:, np.newaxis] * self._active_cells(z, index)
            growth = z * _feedback(z, saturation)
            return _solve(z, growth, Y + decay * z, weight, index, n_groups)[3]

        found = minimize_scalar(loss, bounds=(0.0, upper), method="bounded",
                                options={"xatol": 1e-3 * upper})  # fmt: skip
        return float(found.x)

    def _set(self, groups: np.ndarray, rates: np.ndarray, a: float, c: float, floor: float) -> None:
        k = rates.shape[1]
        self.groups_ = np.asarray(groups)
        self.growth_rates_by_group_ = np.asarray(rates, dtype=np.float64)
        self.growth_rates_ = self.growth_rates_by_group_[-1].copy()
        self.self_limitation_, self.competition_, self.floor_ = a, c, floor
        self.decay_ = self._decay()
        self.saturation_ = self._saturation()
        self.n_features_in_ = k

    # --- growth rates of a new run ---------------------------------------------------------

    def estimate_growth_rates(self, X: Any, y: Any, sample_weight: Any = None) -> np.ndarray:
        """Growth rates of one run from its states and derivatives, ``a``, ``c``, ``f`` fixed.

        The least-squares ``r_i`` of ``y_i = z_i (r_i h(z_i) - a z_i - c Z)`` over the
        samples given (for example the last steps of a run's prefix).
        """
        check_is_fitted(self)
        states = self._states(X)
        Y = np.atleast_2d(np.asarray(y, dtype=np.float64))
        if Y.shape != np.atleast_2d(states).shape:
            raise ValueError(f"`y` must have the shape of `X`, {states.shape}; got {Y.shape}.")
        z = np.atleast_2d(states) - self.floor_
        w = np.ones(z.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        a, c = self.self_limitation_, self.competition_
        target = Y + self.decay_ * z + a * z**2 + c * z * z.sum(axis=1, keepdims=True)
        growth = z * _feedback(z, self.saturation_)
        denom = (w[:, np.newaxis] * growth**2).sum(axis=0)
        numerator = (w[:, np.newaxis] * growth * target).sum(axis=0)
        return np.asarray(numerator / np.maximum(denom, 1e-300))

    def with_growth_rates(self, r: Any) -> MeanFieldLV:
        """The same shared parameters with the growth rates ``r`` of one run."""
        check_is_fitted(self)
        return MeanFieldLV.from_params(
            r,
            a=self.self_limitation_,
            c=self.competition_,
            floor=self.floor_,
            decay=self.decay_,
            saturation=self.saturation_,
        )

    # --- the model -------------------------------------------------------------------------

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        z = X - self.floor_
        return z * (
            self.growth_rates_ * _feedback(z, self.saturation_)
            - self.decay_
            - self.self_limitation_ * z
            - self.competition_ * z.sum(axis=1, keepdims=True)
        )

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        z = x - self.floor_
        a, c, k = self.self_limitation_, self.competition_, self.saturation_
        # d(z h(z))/dz = z (z + 2K) / (z + K)^2 above the floor (1 without saturation)
        positive = np.maximum(z, 0.0)
        slope = 1.0 if k == 0 else positive * (positive + 2 * k) / (positive + k) ** 2
        own = self.growth_rates_ * slope - self.decay_ - 2 * a * z - c * z.sum()
        return np.diag(own) - c * z[:, np.newaxis] * np.ones((1, z.size))

    def equilibrium(self, x0: Any = None) -> np.ndarray:
        """The stable equilibrium in state units (``f + z*``).

        Without saturation: the unique, globally stable saturated equilibrium (closed
        form; ``x0`` is ignored). With saturation the equilibrium reached depends on the
        start: ``x0`` is required, and the system is integrated from it until no excess
        changes by more than 1e-6 of the largest over a relaxation time.
        """
        check_is_fitted(self)
        if self.saturation_ == 0:
            z = mean_field_equilibrium(
                self.growth_rates_ - self.decay_, self.self_limitation_, self.competition_
            )
            return self.floor_ + z
        if x0 is None:
            raise ValueError(
                "`x0` is required: with saturation (K > 0) where the system settles depends "
                "on where it starts. Pass the state to start from (for example the last "
                "observed one)."
            )
        start = np.asarray(x0, dtype=np.float64)
        if start.shape != (self.n_features_in_,) or not np.all(np.isfinite(start)):
            raise ValueError(
                f"`x0` must be a finite state with {self.n_features_in_} components; got "
                f"shape {start.shape}."
            )
        return self.floor_ + self._settle(start - self.floor_)

    def _settle(self, z: np.ndarray) -> np.ndarray:
        relaxation = 1.0 / max(self.decay_, self.self_limitation_ * max(z.max(), 1.0), 1e-12)
        options = {"a": self.self_limitation_, "c": self.competition_,
                   "saturation": self.saturation_, "decay": self.decay_}  # fmt: skip
        for _ in range(200):
            path = integrate_mean_field(z, self.growth_rates_, [0.0, relaxation], **options)
            new = np.maximum(path[-1], 0.0)
            if np.abs(new - z).max() <= 1e-6 * max(new.max(), 1e-300):
                return new
            z = new
        return z

    def interaction_matrix(self) -> np.ndarray:
        """``A = -a I - c 1 1^T``: the Lotka-Volterra form ``dz/dt = z (r - lambda + A z)``."""
        check_is_fitted(self)
        k = int(self.n_features_in_)
        return -self.self_limitation_ * np.eye(k) - self.competition_ * np.ones((k, k))

    def predict_survivors(self, x0: Any = None) -> np.ndarray:
        """Which components sit above the floor at the equilibrium (from ``x0`` with
        saturation, see `equilibrium`)."""
        check_is_fitted(self)
        excess = self.equilibrium(x0) - self.floor_
        if self.saturation_ > 0:
            # a loser's excess decays at rate lambda but never reaches exactly zero
            return excess > 1e-3 * max(excess.max(), 1e-300)
        return excess > 0


def _solve(
    z: np.ndarray, growth: np.ndarray, Y: np.ndarray, w: np.ndarray, index: np.ndarray,
    n_groups: int,
) -> tuple[float, float, np.ndarray, float]:  # fmt: skip
    """Least squares for ``Y = r[group] g - a z^2 - c z Z``: ``(a, c, r, residual sum)``.

    ``g`` (``growth``) is the growth column ``z h(z)`` (``z`` without saturation); ``w``
    weighs each (sample, component) entry. For fixed ``a`` and ``c`` each ``r[g, i]`` is
    a one-variable regression of ``Y + a z^2 + c z Z`` on ``g``; projecting ``g`` out within
    each (group, component) leaves a two-column regression for ``(a, c)``, solved with
    ``a, c >= 0``. Growth rates use every entry of their cell (weights only choose which
    entries inform ``a`` and ``c``).
    """
    k = z.shape[1]
    total = z.sum(axis=1, keepdims=True)
    columns = (-(z**2), -z * total)  # coefficients a and c
    cell = (index[:, np.newaxis] * k + np.arange(k)).ravel()  # (group, component) of entries

    def slopes(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
        gg = np.bincount(cell, (weight * growth * growth).ravel(), n_groups * k)
        gv = np.bincount(cell, (weight * growth * values).ravel(), n_groups * k)
        return gv / np.maximum(gg, 1e-300)

    def project_out(values: np.ndarray) -> np.ndarray:
        return values - slopes(values, w)[cell].reshape(z.shape) * growth

    sw = np.sqrt(w)
    design = np.stack([(sw * project_out(col)).ravel() for col in columns], axis=1)
    target = (sw * project_out(Y)).ravel()
    scale = np.maximum(np.linalg.norm(design, axis=0), 1e-300)
    coef, _ = nnls(design / scale, target)
    a, c = (coef / scale).tolist()
    a = max(a, 1e-12)  # strictly self-limiting: a unique, globally stable equilibrium
    every = np.ones_like(z) * (w.sum(axis=1, keepdims=True) > 0)
    rates = slopes(Y - a * columns[0] - c * columns[1], every).reshape(n_groups, k)
    fitted = growth * rates[index] - a * z**2 - c * z * total
    rss = float((w * (Y - fitted) ** 2).sum())
    return a, c, rates, rss
