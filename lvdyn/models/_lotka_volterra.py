"""``LotkaVolterra``: dx_i/dt = x_i (r_i + sum_j A_ij x_j)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from lvdyn.models._matrix import MatrixODEModel

__all__ = ["LotkaVolterra"]

MSG_NON_POSITIVE = (
    "Negative values in data (or zeros): Lotka-Volterra regresses d(log x)/dt on x, so "
    "every state in `X` must be positive; "
    "found {n} values <= 0 (first at row {row}, component {col}). Drop those samples, set "
    "`floor` (for strengths, floor=1e-12 is usually safe), or fit a LinearODE instead."
)


class LotkaVolterra(MatrixODEModel):
    """Generalised Lotka-Volterra ``dx_i/dt = x_i (r_i + sum_j A_ij x_j)``.

    Fitted by regressing the per-capita rate ``y_i / x_i`` (= d log x_i / dt) on ``x``, one
    regression per component with ``r_i`` as its unpenalised intercept (gradient matching, as
    in MDSINE's ridge and MTIST's baselines). Penalties and constraints act on ``A`` only and
    follow scikit-learn's objectives (see `LinearODE`).

    Parameters
    ----------
    penalty : {None, "ols", "ridge", "lasso", "elasticnet"}
    alpha : float
    l1_ratio : float
    diagonal : {None, "nonpositive", "nonnegative"}
        ``"nonpositive"`` enforces self-limitation, ``A_ii <= 0``.
    support : array_like of bool, shape (K, K), optional
        False fixes an interaction at zero.
    sign : array_like of {-1, 0, 1}, shape (K, K), optional
        Interactions constrained to be <= 0 (-1, competition) or >= 0 (+1, cooperation).
    floor : float, optional
        Raise states below ``floor`` to it before dividing; by default states <= 0 are an error.
    max_iter, tol : int, float
        Coordinate-descent limits for the L1 penalties (and the iterations of the
        constrained solve with ``stability``).
    stability : {None, "dissipative"}
        ``"dissipative"`` guarantees ``(A + A^T) / 2 <= -eps I`` (negative definite), so every
        simulation from a positive state stays bounded (``sum x <= max(sum x(0),
        K max(r, 0) / eps)``) and the saturated equilibrium is globally stable (Goh's and
        Takeuchi's Lyapunov function). The regression is re-solved under the constraint only
        when the unconstrained fit violates it; an already dissipative fit is kept as is.
    stability_margin : float
        ``eps`` as a fraction of the spectral norm of the unconstrained ``A``; the absolute
        margin used is ``stability_margin_``.

    Attributes
    ----------
    growth_rates_ : ndarray of shape (K,)
        ``r``.
    interaction_matrix_ : ndarray of shape (K, K)
        ``A``.
    n_iter_ : int
    stability_margin_ : float or None
        The absolute ``eps`` of the stability constraint (None without one).
    converged_ : ndarray of bool, shape (K,)
        Per equation, whether coordinate descent met ``tol`` (a `ConvergenceWarning` names
        the equations that did not).

    Examples
    --------
    >>> import numpy as np
    >>> r, A = np.array([1.0, 0.8]), np.array([[-1.0, -0.3], [-0.2, -1.0]])
    >>> X = np.random.default_rng(0).uniform(0.1, 1.0, size=(40, 2))
    >>> model = LotkaVolterra().fit(X, X * (r + X @ A.T))
    >>> np.allclose(model.growth_rates_, r), np.allclose(model.interaction_matrix_, A)
    (True, True)
    """

    def __init__(
        self,
        *,
        penalty: str | None = None,
        alpha: float = 1.0,
        l1_ratio: float = 0.5,
        diagonal: str | None = None,
        support: Any = None,
        sign: Any = None,
        floor: float | None = None,
        max_iter: int = 1000,
        tol: float = 1e-6,
        stability: str | None = None,
        stability_margin: float = 1e-3,
    ) -> None:
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.diagonal = diagonal
        self.support = support
        self.sign = sign
        self.floor = floor
        self.max_iter = max_iter
        self.tol = tol
        self.stability = stability
        self.stability_margin = stability_margin

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    @classmethod
    def from_params(cls, r: Any, A: Any) -> LotkaVolterra:
        """A model with known ``r`` and ``A``, behaving as a fitted one."""
        A_ = np.asarray(A, dtype=np.float64)
        if A_.ndim != 2 or A_.shape[0] != A_.shape[1]:
            raise ValueError(f"`A` must be a square matrix; got shape {A_.shape}.")
        r_ = np.asarray(r, dtype=np.float64)
        if r_.shape != (A_.shape[0],):
            raise ValueError(f"`r` must have shape ({A_.shape[0]},); got {r_.shape}.")
        model = cls()
        model.growth_rates_, model.interaction_matrix_ = r_.copy(), A_.copy()
        model.n_features_in_ = A_.shape[0]
        return model

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LotkaVolterra:
        """Fit ``r`` and ``A`` to positive states ``X`` (n, K) and derivatives ``y`` (n, K)."""
        X, Y, weight = self._validate_fit(X, y, sample_weight)
        if weight is not None and weight.ndim == 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                rates = np.where(weight > 0, Y / X, 0.0)
        else:
            rates = Y / X
        result = self._solve(X, rates, weight, True)
        self.interaction_matrix_ = result.coef.T.copy()
        self.growth_rates_ = result.intercept.copy()
        return self

    def _check_states(self, X: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        """Apply ``floor``, then reject states <= 0 (where their equation uses them).

        With per-equation weights (n, K), ``X[n, k]`` must be positive only where
        ``weight[n, k] > 0`` (equation ``k`` divides by it); elsewhere it must be
        non-negative (a zero is an extinct species, still a valid regressor).
        """
        if self.floor is not None:
            if not isinstance(self.floor, int | float) or not self.floor > 0:
                raise ValueError(f"`floor` must be None or a positive number; got {self.floor!r}.")
            X = np.maximum(X, float(self.floor))
        if weight is not None and weight.ndim == 2:
            bad = ((X <= 0) & (weight > 0)) | (X < 0)
        else:
            bad = X <= 0
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(MSG_NON_POSITIVE.format(n=int(bad.sum()), row=row, col=col))
        return X

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        return X * (self.growth_rates_ + X @ self.interaction_matrix_.T)

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        r, A = self.growth_rates_, self.interaction_matrix_
        return np.diag(r + A @ x) + x[:, np.newaxis] * A
