"""The interface every ODE model implements: rhs, analytic jacobian, predict, score, simulate."""

from __future__ import annotations

import warnings
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, validate_data

from lvdyn.core._errors import DivergenceWarning, FitError

__all__ = ["AbstractODEModel", "Trajectory"]


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


class AbstractODEModel(RegressorMixin, BaseEstimator):
    """Base of `LinearODE`, `LotkaVolterra` and `SINDy`.

    Subclasses implement ``fit``, ``_rhs(X)`` (rows of states to rows of derivatives) and
    ``_jacobian(x)`` (one state to a K x K matrix). Time never enters an estimator: rates
    are per unit of whatever time axis the derivatives were taken along (per step by
    default in `lvdyn.fit_traces`).
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y is (n, K): one derivative per state
        return tags

    @abstractmethod
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AbstractODEModel: ...

    @abstractmethod
    def _rhs(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _jacobian(self, x: np.ndarray) -> np.ndarray: ...

    def _validate_fit(
        self, X: Any, y: Any, sample_weight: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Checked ``fit`` inputs: states (n, K), derivatives (n, K) and weights (n,) or None.

        In this order: at least two samples (one cannot fix an intercept and a slope), the
        states (`_check_states`), the weights, then one derivative per state; a 1-D ``y`` is
        accepted when K = 1.
        """
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, ensure_min_samples=2)
        X = self._check_states(np.asarray(X, dtype=np.float64))
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float64)
            if weight.shape != (X.shape[0],) or np.any(~np.isfinite(weight) | (weight < 0)):
                raise ValueError(
                    f"`sample_weight` must be {X.shape[0]} finite, non-negative numbers; "
                    f"got shape {weight.shape}."
                )
            if not weight.any():
                raise ValueError(
                    "`sample_weight` must not be all zero; at least one sample needs a "
                    "positive weight."
                )
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim == 1 and X.shape[1] == 1:
            Y = Y[:, np.newaxis]
        if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"`y` must hold one derivative per component of `X`, shape {X.shape}; "
                f"got shape {np.shape(y)}."
            )
        return X, Y, weight

    def _check_states(self, X: np.ndarray) -> np.ndarray:
        """Model-specific checks of the states to fit (Lotka-Volterra: positive)."""
        return X

    # --- public API shared by every model ------------------------------------------------

    def _states(self, X: Any, *, name: str = "X") -> np.ndarray:
        check_is_fitted(self)
        array = np.asarray(X, dtype=np.float64)
        single = array.ndim == 1
        array = np.atleast_2d(array)
        if array.ndim != 2 or array.shape[1] != self.n_features_in_:
            raise ValueError(
                f"`{name}` must have {self.n_features_in_} components per state "
                f"(the number the model was fitted on); got shape {np.shape(X)}."
            )
        return array[0] if single else array

    def rhs(self, x: Any) -> np.ndarray:
        """Time derivative at state ``x`` (shape (K,)) or at each row of ``x`` (shape (n, K))."""
        states = self._states(x, name="x")
        if states.ndim == 1:
            return self._rhs(states[np.newaxis])[0]
        return self._rhs(states)

    def jacobian(self, x: Any) -> np.ndarray:
        """Analytic Jacobian ``d rhs_i / d x_j`` at one state ``x`` (shape (K,))."""
        state = self._states(x, name="x")
        if state.ndim != 1:
            raise ValueError(
                f"`x` must be a single state of shape ({self.n_features_in_},); "
                f"got shape {np.shape(x)}."
            )
        return self._jacobian(state)

    def predict(self, X: Any) -> np.ndarray:
        """The right-hand side at each row of ``X`` (n, K): `rhs` on a batch of states.

        As scikit-learn's ``predict``, and unlike `rhs`, it takes only 2-D, finite ``X``: a
        single state is ``X.reshape(1, -1)``, and a NaN or inf raises a ValueError.

        Examples
        --------
        >>> from lvdyn import LinearODE
        >>> model = LinearODE.from_params([[-1.0, 0.0], [0.5, -2.0]])
        >>> model.predict([[1.0, 1.0]]).tolist()
        [[-1.0, -1.5]]
        >>> model.predict([[float("nan"), 1.0]])
        Traceback (most recent call last):
        ...
        ValueError: `X` must be finite to predict; found 1 NaN and 0 inf values ...
        """
        check_is_fitted(self)
        states = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        bad = ~np.isfinite(states)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"`X` must be finite to predict; found {int(np.isnan(states).sum())} NaN and "
                f"{int(np.isinf(states).sum())} inf values (first at row {row}, component "
                f"{col}). Drop or fill those samples first."
            )
        return self._rhs(states)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R^2 of the predicted derivatives against ``y``, averaged uniformly over components."""
        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))

    def integrate(
        self,
        x0: Any,
        steps: Any,
        *,
        method: str = "LSODA",
        rtol: float = 1e-8,
        atol: float = 1e-10,
        max_norm: float = 1e12,
        max_evaluations: int = 100_000,
    ) -> Trajectory:
        """Integrate from ``x0``; return the states at ``steps`` with the solver's status.

        Unlike `simulate`, this never warns: a blow-up or a solver failure is reported in
        the returned `Trajectory` (``status`` and ``message``) and the rows after the stop
        are NaN. Parameters are those of `simulate`.

        Examples
        --------
        >>> from lvdyn import LotkaVolterra
        >>> boom = LotkaVolterra.from_params([1.0], [[1.0]])  # x' = x (1 + x) blows up
        >>> run = boom.integrate([1.0], 3)
        >>> run.status, run.stop_time < 1.0
        ('diverged', True)
        """
        state = self._states(x0, name="x0")
        if state.ndim != 1:
            raise ValueError(f"`x0` must be a single state of shape ({self.n_features_in_},).")
        if np.isscalar(steps):
            n = int(steps)  # type: ignore[arg-type]
            if n < 0:
                raise ValueError(f"`steps` must be a non-negative integer; got {steps!r}.")
            times = np.arange(n + 1, dtype=np.float64)
        else:
            times = np.asarray(steps, dtype=np.float64)
            if times.ndim != 1 or np.any(np.diff(times) <= 0):
                raise ValueError("`steps` must be an int or a strictly increasing 1-D array.")
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

        def f(_t: float, x: np.ndarray) -> np.ndarray:
            return self._rhs(x[np.newaxis])[0]

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

    def simulate(
        self,
        x0: Any,
        steps: Any,
        *,
        method: str = "LSODA",
        rtol: float = 1e-8,
        atol: float = 1e-10,
        max_norm: float = 1e12,
        max_evaluations: int = 100_000,
        on_divergence: str = "warn",
    ) -> np.ndarray:
        """Integrate from ``x0`` and return the states at ``steps``.

        Parameters
        ----------
        x0 : array_like, shape (K,)
            Initial state, taken to be at ``steps[0]`` (or at 0 when ``steps`` is an int).
        steps : int or array_like
            An int ``n`` means times ``0, 1, ..., n``; otherwise the increasing times at which
            to report the state.
        method, rtol, atol
            Passed to `scipy.integrate.solve_ivp`.
        max_norm : float
            The integration stops when the state's norm exceeds this; the remaining rows
            are NaN.
        max_evaluations : int
            Budget of right-hand-side evaluations; a solver that needs more (a singular or
            extremely stiff system) stops with status ``"failed"`` instead of hanging.
        on_divergence : {"warn", "raise", "nan"}
            When the model blows up or the solver fails: warn with `lvdyn.DivergenceWarning`
            (saying when and which components), raise `lvdyn.FitError`, or return the NaN
            rows silently (use `integrate` to get the status instead).

        Returns
        -------
        numpy.ndarray, shape (len(times), K)
        """
        if on_divergence not in ("warn", "raise", "nan"):
            raise ValueError(
                f"`on_divergence` must be 'warn', 'raise' or 'nan'; got {on_divergence!r}."
            )
        run = self.integrate(
            x0,
            steps,
            method=method,
            rtol=rtol,
            atol=atol,
            max_norm=max_norm,
            max_evaluations=max_evaluations,
        )
        if run.status != "ok":
            labels = getattr(self, "component_labels_", None)
            text = f"the simulation {run.describe(labels)}; later rows are NaN."
            if on_divergence == "raise":
                raise FitError(text)
            if on_divergence == "warn":
                warnings.warn(text, DivergenceWarning, stacklevel=2)
        return run.states
