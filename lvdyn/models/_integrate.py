"""Integrating ODE systems: the solver call with a budget, and its result `Trajectory`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["Trajectory"]


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
