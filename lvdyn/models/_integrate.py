"""Integrating ODE systems: the solver call with a budget, and its result `Trajectory`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from lvdyn.core._errors import NumericalError

__all__ = ["Trajectory", "integrate_log_lotka_volterra", "integrate_rhs"]


@dataclass(frozen=True)
class Trajectory:
    """The result of `AbstractODEModel.integrate`.

    Attributes
    ----------
    times : numpy.ndarray, shape (T,)
    states : numpy.ndarray, shape (T, K)
        NaN after the integration stopped.
    status : {"ok", "diverged", "failed"}
        ``"diverged"``: the state's norm passed ``max_norm`` (or left the floating-point
        range); ``"failed"``: the solver gave up (for example, a step size below its minimum).
    message : str
        Why and when it stopped, naming the largest components; empty when ``"ok"``.
    stop_time : float
        The last time reached.
    components : tuple of int
        Positions of the components that blew up (the up to five largest, within a factor
        of ten of the largest) when it stopped; empty when ``"ok"``.
    """

    times: np.ndarray
    states: np.ndarray
    status: str
    message: str
    stop_time: float
    components: tuple[int, ...] = ()

    def describe(self, labels: Any = None) -> str:
        """One sentence: the status, why and when, and the components by label."""
        if self.status == "ok":
            return "ok"
        names = self.components if labels is None else [_plain(labels[i]) for i in self.components]
        return f"{self.status}: {self.message}; largest components {list(names)}"


class _OutOfBudget(Exception):
    """Raised inside the right-hand side to stop a solver that has run out of evaluations."""


def _solve_within(
    f: Any, times: np.ndarray, state: np.ndarray, budget: int, options: dict[str, Any]
) -> tuple[Any, float]:
    """`solve_ivp` over ``times`` with at most ``budget`` evaluations of ``f``.

    Returns the solution (None when the budget ran out) and the furthest time evaluated.
    """
    reached = [float(times[0])]

    def counted(t: float, x: np.ndarray) -> np.ndarray:
        if len(reached) > budget:
            raise _OutOfBudget
        reached.append(float(t))
        return f(t, x)

    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            sol = solve_ivp(counted, (times[0], times[-1]), state, t_eval=times, **options)
    except _OutOfBudget:
        return None, max(reached)
    return sol, max(reached)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def integrate_rhs(
    f: Callable[[float, np.ndarray], np.ndarray],
    state: np.ndarray,
    times: np.ndarray,
    *,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_norm: float = 1e12,
    max_evaluations: int = 100_000,
) -> Trajectory:
    """Integrate ``dx/dt = f(t, x)`` from ``state`` at ``times[0]``; never warns or raises.

    A blow-up (the norm passes ``max_norm``), a solver failure or a spent budget of
    ``max_evaluations`` right-hand-side calls ends the integration; the returned
    `Trajectory` says which and when, and its rows after the stop are NaN.

    Examples
    --------
    >>> run = integrate_rhs(lambda t, x: -x, np.array([1.0]), np.array([0.0, 1.0]))
    >>> run.status, round(float(run.states[-1, 0]), 4)
    ('ok', 0.3679)
    """
    out = np.full((times.size, state.size), np.nan)
    out[0] = state
    if times.size == 1:
        return Trajectory(times, out, "ok", "", float(times[0]))
    if not np.isfinite(state).all():
        bad = tuple(np.flatnonzero(~np.isfinite(state)).tolist())
        return Trajectory(times, out, "failed", "`x0` is not finite", float(times[0]), bad)

    def blow_up(_t: float, x: np.ndarray) -> float:
        norm = float(np.linalg.norm(x))
        return max_norm - norm if np.isfinite(norm) else -1.0  # overflow counts as past

    blow_up.terminal = True  # type: ignore[attr-defined]

    options = dict(method=method, rtol=rtol, atol=atol, events=blow_up)
    try:
        sol, stuck = _solve_within(f, times, state, max_evaluations, options)
    except ValueError:
        # The event's root finding fails when the state overflows within one step (the
        # step's interpolant is inf at both ends); without the event the overflowed rows
        # are found below.
        options["events"] = None
        sol, stuck = _solve_within(f, times, state, max_evaluations, options)
    if sol is None:
        # Out of budget: integrate again up to the last reported time before the point
        # where the solver stalled, so the rows it did reach are kept.
        before = times[times < stuck]
        if before.size > 1:
            partial, _ = _solve_within(f, before, state, max_evaluations, options)
            if partial is not None and partial.status == 0:
                out[: before.size] = partial.y.T
        message = (
            f"the solver used its budget of `max_evaluations`={max_evaluations} "
            f"right-hand-side evaluations and stalled at time {stuck:g} of {times[-1]:g} "
            "(a singular or extremely stiff system)"
        )
        return Trajectory(times, out, "failed", message, stuck)
    n_ok = sol.y.shape[1]
    out[:n_ok] = sol.y.T
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(out[:n_ok]).all(axis=1) & (
            np.linalg.norm(out[:n_ok], axis=1) <= max_norm
        )
    n_ok = int(np.argmin(finite)) if not finite.all() else n_ok
    out[n_ok:] = np.nan
    if n_ok == times.size:
        return Trajectory(times, out, "ok", "", float(times[-1]))
    events = sol.t_events[0] if sol.t_events else np.zeros(0)
    if events.size:
        stop, last = float(events[0]), sol.y_events[0][0]
    else:
        stop = float(sol.t[-1]) if sol.t.size else float(times[0])
        last = sol.y[:, -1] if sol.y.size else state
    size = np.nan_to_num(np.abs(last), nan=np.inf, posinf=np.inf)
    order = np.argsort(-size, kind="stable")
    largest = [int(i) for i in order[:5] if size[i] >= 0.1 * size[order[0]]]
    if sol.status == 1 or not np.isfinite(last).all():
        status = "diverged"
        reason = f"the state norm exceeded max_norm={max_norm:g}"
    else:
        status = "failed"
        reason = f"the solver stopped: {sol.message}"
    message = f"{reason} at time {stop:g} of {times[-1]:g}"
    return Trajectory(times, out, status, message, stop, tuple(largest))


def integrate_log_lotka_volterra(
    r: np.ndarray,
    A: np.ndarray,
    x0: np.ndarray,
    times: np.ndarray,
    *,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-9,
) -> np.ndarray:
    """States of ``dx_i/dt = x_i (r_i + (A x)_i)`` at ``times``, integrated in ``log x``.

    In log coordinates states stay positive and extinctions are scale-free (a dying
    component's log falls linearly instead of its value underflowing). Components with
    ``x0 == 0`` are absent and stay 0. Returns shape (len(times), K).

    Raises
    ------
    NumericalError
        The solver failed or the state left the floating-point range.

    Examples
    --------
    >>> r, A = np.array([1.0, 0.5]), np.array([[-1.0, -1.0], [-1.0, -1.0]])
    >>> x = integrate_log_lotka_volterra(r, A, np.array([0.1, 0.0]), np.array([0.0, 50.0]))
    >>> x[-1].round(6).tolist()
    [1.0, 0.0]
    """
    alive = x0 > 0
    r_, A_ = r[alive], A[np.ix_(alive, alive)]

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        return r_ + A_ @ np.exp(y)

    def jac(_t: float, y: np.ndarray) -> np.ndarray:
        return A_ * np.exp(y)[np.newaxis, :]

    implicit = method in ("LSODA", "BDF", "Radau")  # the explicit methods take no Jacobian
    with np.errstate(over="ignore", invalid="ignore"):
        sol = solve_ivp(
            rhs,
            (float(times[0]), float(times[-1])),
            np.log(x0[alive]),
            method=method,
            t_eval=times,
            rtol=rtol,
            atol=atol,
            **({"jac": jac} if implicit else {}),
        )
    if not sol.success or sol.y.shape[1] != len(times) or not np.all(np.isfinite(sol.y)):
        raise NumericalError(
            f"the Lotka-Volterra simulation (in log coordinates) failed: {sol.message}"
        )
    out = np.zeros((len(times), x0.size))
    out[:, alive] = np.exp(sol.y.T)
    return out
