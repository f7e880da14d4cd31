"""The interface every ODE model implements: rhs, analytic jacobian, predict, score, simulate."""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, validate_data

from lvdyn.core._errors import DivergenceWarning, NumericalError
from lvdyn.models._integrate import Trajectory, integrate_rhs

__all__ = ["AbstractODEModel", "Trajectory"]


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
        weights, the states (`_check_states`), then one derivative per state; a 1-D ``y`` is
        accepted when K = 1. Models with ``_equation_weights`` also take weights of shape
        (n, K): column ``k`` weighs the samples of equation ``k`` (0 leaves a sample out).
        """
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, ensure_min_samples=2)
        X = np.asarray(X, dtype=np.float64)
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float64)
            shapes = [(X.shape[0],), X.shape] if self._equation_weights else [(X.shape[0],)]
            if weight.shape not in shapes or np.any(~np.isfinite(weight) | (weight < 0)):
                what = " or (n, K), one column per equation" if self._equation_weights else ""
                raise ValueError(
                    f"`sample_weight` must be {X.shape[0]} finite, non-negative numbers{what}; "
                    f"got shape {weight.shape}."
                )
            if not weight.any():
                raise ValueError(
                    "`sample_weight` must not be all zero; at least one sample needs a "
                    "positive weight."
                )
        X = self._check_states(X, weight)
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim == 1 and X.shape[1] == 1:
            Y = Y[:, np.newaxis]
        if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"`y` must hold one derivative per component of `X`, shape {X.shape}; "
                f"got shape {np.shape(y)}."
            )
        return X, Y, weight

    #: Whether ``fit`` accepts per-equation weights of shape (n, K).
    _equation_weights = False

    def _check_states(self, X: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
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

        def f(_t: float, x: np.ndarray) -> np.ndarray:
            return self._rhs(x[np.newaxis])[0]

        return integrate_rhs(
            f,
            state,
            times,
            method=method,
            rtol=rtol,
            atol=atol,
            max_norm=max_norm,
            max_evaluations=max_evaluations,
        )

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
            (saying when and which components), raise `lvdyn.NumericalError` (a
            `lvdyn.FitError`), or return the NaN rows silently (use `integrate` to get the
            status instead).

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
                raise NumericalError(text)
            if on_divergence == "warn":
                warnings.warn(text, DivergenceWarning, stacklevel=2)
        return run.states
