"""Which components a fitted model says will survive."""

from __future__ import annotations

import warnings

import numpy as np

from lvdyn.analysis._equilibria import find_equilibria, lv_spectrum
from lvdyn.analysis._models import family, linear_params, lv_params
from lvdyn.core._errors import FitError
from lvdyn.core._types import ArrayLike, FittedODEModel, SimulatingODEModel
from lvdyn.models._integrate import integrate_log_lotka_volterra
from lvdyn.traces._rules import state_rule

__all__ = ["MultistabilityWarning", "predict_survivors"]


class MultistabilityWarning(RuntimeWarning):
    """More than one stable outcome exists, or simulation and equilibrium analysis disagree."""


def _default_horizon(eig: np.ndarray) -> float:
    """Fifty times the slowest relaxation time, so transients shrink by about e^-50."""
    rates = np.abs(eig.real)
    rates = rates[rates > 1e-12 * max(float(rates.max(initial=0.0)), 1e-300)]
    return float(min(50.0 / rates.min(), 1e9)) if rates.size else 1e4


def _lv_survivors(
    model: FittedODEModel, x0: np.ndarray | None, horizon: float | None, max_enumerate: int
) -> np.ndarray:
    r, A = lv_params(model)
    eq = find_equilibria(model, max_enumerate=max_enumerate)
    if eq.attrs["status"] != "ok":
        raise FitError(
            "the Lotka-Volterra model has no saturated equilibrium (the LCP solver reported "
            f"{eq.attrs['status']!r}); its dynamics grow without bound, so no survivor set "
            "exists. Check the sign of the interaction matrix's diagonal."
        )
    saturated = eq.saturated_state.values
    predicted = saturated > 0
    outcomes = eq.state.values[(eq.saturated & eq.stable).values]
    eig = lv_spectrum(r, A, saturated)
    stable = bool(eig.real.max(initial=-np.inf) < 0)
    if not stable and len(outcomes):
        # the LCP may return a saturated saddle (e.g. the interior point of a bistable pair);
        # an asymptotically stable saturated equilibrium is the better answer
        predicted = outcomes[0] > 0
        stable = True
    if len(outcomes) > 1 and x0 is None:
        warnings.warn(
            f"the model is multistable: {len(outcomes)} stable saturated equilibria exist; "
            "the survivors depend on the initial state. Pass `x0` to choose one.",
            MultistabilityWarning,
            stacklevel=3,
        )
    elif not stable and x0 is None:
        warnings.warn(
            "the saturated equilibrium is not asymptotically stable (an eigenvalue has real "
            "part >= 0), so the long-run state may not settle there. Pass `x0` to simulate.",
            MultistabilityWarning,
            stacklevel=3,
        )
    if x0 is None:
        return predicted
    if np.any(x0 < 0):
        raise ValueError("`x0` must be non-negative for a Lotka-Volterra model.")
    end = horizon or _default_horizon(eig)
    final = integrate_log_lotka_volterra(r, A, x0, np.array([0.0, end]))[-1]
    reference = max(float(final.max()), float(x0.max()), float(saturated.max()), 1e-300)
    simulated = final > 1e-6 * reference
    if len(outcomes) > 1:
        nearest = outcomes[np.argmin(np.linalg.norm(outcomes - final, axis=1))]
        predicted = nearest > 0
    if not np.array_equal(simulated, predicted):
        warnings.warn(
            "simulation from `x0` and equilibrium analysis disagree on the survivors "
            f"({np.flatnonzero(simulated).tolist()} against {np.flatnonzero(predicted).tolist()}"
            "); the system may be multistable, cycle, or converge slowly. The equilibrium "
            "answer is returned; try a longer `horizon`.",
            MultistabilityWarning,
            stacklevel=3,
        )
    return predicted


def _simulating(model: FittedODEModel) -> SimulatingODEModel:
    if not isinstance(model, SimulatingODEModel):
        raise ValueError(
            f"`x0` needs a model that can simulate itself (a `simulate` method); "
            f"{type(model).__name__} has none. Leave `x0` unset."
        )
    return model


def _long_run_state(
    model: FittedODEModel, x0: np.ndarray | None, horizon: float | None
) -> np.ndarray:
    kind = family(model)
    if kind == "linear":
        A = linear_params(model)[0]
        eq = find_equilibria(model)
        if eq.attrs["status"] == "unique" and bool(eq.stable[0]):
            return np.asarray(eq.state.values[0])
        if x0 is None:
            raise ValueError(
                "the linear model has no unique stable equilibrium (an eigenvalue of A has "
                "real part >= 0), so its long-run state depends on the start; pass `x0`."
            )
        eig = np.linalg.eigvals(A)
        end = horizon or _default_horizon(eig)
        return np.asarray(_simulating(model).simulate(x0, [0.0, end])[-1])
    eq = find_equilibria(model)
    if x0 is None:
        stable = eq.state.values[eq.stable.values]
        if len(stable) != 1:
            raise ValueError(
                f"found {len(stable)} stable equilibria numerically, so the long-run state "
                "is ambiguous; pass `x0` (and `horizon`) to simulate instead."
            )
        return np.asarray(stable[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        path = _simulating(model).simulate(x0, [0.0, horizon or 1e4])
    if not np.all(np.isfinite(path[-1])):
        raise FitError("the model's simulation from `x0` diverged; no long-run state exists.")
    return np.asarray(path[-1])


def predict_survivors(
    model: FittedODEModel,
    x0: ArrayLike | None = None,
    *,
    rule: str | None = None,
    horizon: float | None = None,
    max_enumerate: int = 10,
) -> np.ndarray:
    """Which components the model says survive, as a bool array over components.

    * **Lotka-Volterra**: the support of the saturated equilibrium (the LCP solution of
      `find_equilibria`), where every absent component has a non-positive invasion rate
      (if that solution is not asymptotically stable but the enumeration found a stable
      saturated one, the latter).
      For ``K <= max_enumerate`` all equilibria are listed too; when several are stable and
      saturated (multistability) a `MultistabilityWarning` says so. With ``x0``, the system
      is also integrated (in log coordinates, for ``horizon``, by default fifty times the
      slowest relaxation time at the saturated equilibrium); a component survives the
      simulation if it ends above ``1e-6`` of the largest of ``x0``, the end state and the
      equilibrium. When several stable outcomes
      exist, the one nearest the simulated end state is returned; any remaining
      disagreement with the simulation warns.
    * **Linear** (``rule`` default ``"2x-mean"``): the long-run state is the equilibrium
      ``-A^{-1} b`` when every eigenvalue of ``A`` has negative real part, else (``x0``
      required) the simulated state at ``horizon``; a component survives if its long-run
      value exceeds twice the mean over components (the rule of `survivors`).
      ``rule="positive"`` keeps every component above ``1e-6`` of the largest.
    * **Other models** (``rule`` default ``"positive"``): the long-run state is the only
      stable equilibrium found numerically, or with ``x0`` the state at ``horizon``
      (default 1e4).

    Parameters
    ----------
    model : fitted lvdyn model
    x0 : array_like, optional
        Initial state for the cross-check (Lotka-Volterra) or the simulation (others).
    rule : {"2x-mean", "positive"}, optional
        Survival rule applied to a linear or generic model's long-run state.
    horizon : float, optional
        Simulated time.
    max_enumerate : int
        Largest ``K`` for which all Lotka-Volterra equilibria are listed to detect
        multistability.

    Returns
    -------
    numpy.ndarray of bool, shape (K,)

    Raises
    ------
    FitError
        No long-run state exists (unbounded growth).

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -1.0], [-1.0, -1.0]])
    >>> lvdyn.predict_survivors(model).tolist()
    [True, False]
    """
    n = int(model.n_features_in_)
    start = None
    if x0 is not None:
        start = np.asarray(x0, dtype=np.float64)
        if start.shape != (n,) or not np.all(np.isfinite(start)):
            raise ValueError(
                f"`x0` must be a finite state with {n} components; got shape {np.shape(x0)}."
            )
    kind = family(model)
    if kind == "lotka_volterra":
        if rule is not None:
            raise ValueError(
                "`rule` applies to linear and generic models; Lotka-Volterra survivors are "
                "the support of the saturated equilibrium. Leave `rule` unset."
            )
        return _lv_survivors(model, start, horizon, max_enumerate)
    state = _long_run_state(model, start, horizon)
    return state_rule(state, rule or ("2x-mean" if kind == "linear" else "positive"))
