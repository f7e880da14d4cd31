"""``LinearODE``: dx/dt = A x + b."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from lvdyn.models._matrix import MatrixODEModel

__all__ = ["LinearODE"]


class LinearODE(MatrixODEModel):
    """Linear system ``dx/dt = A x + b``, fitted by (penalised) regression of ``y`` on ``X``.

    Each equation ``i`` is one regression of ``y[:, i]`` on the states, with ``b_i`` as an
    unpenalised intercept. The penalties use scikit-learn's objectives (see
    ``lvdyn.models._solvers``), so ``LinearODE(penalty="lasso", alpha=0.01)`` solves exactly
    what ``sklearn.linear_model.Lasso(alpha=0.01)`` solves.

    Parameters
    ----------
    fit_intercept : bool
        Fit ``b``; otherwise ``b = 0``.
    penalty : {None, "ols", "ridge", "lasso", "elasticnet"}
        Regulariser of ``A`` (never of ``b``).
    alpha : float
        Regularisation strength (ignored without a penalty).
    l1_ratio : float
        Elastic-net mixing: 1 is the lasso, 0 the ridge.
    diagonal : {None, "nonpositive", "nonnegative"}
        Sign constraint on the diagonal of ``A``.
    support : array_like of bool, shape (K, K), optional
        False fixes an entry of ``A`` at zero.
    sign : array_like of {-1, 0, 1}, shape (K, K), optional
        Entries of ``A`` constrained to be <= 0 (-1) or >= 0 (+1).
    max_iter, tol : int, float
        Coordinate-descent limits for the L1 penalties (and the iterations of the
        constrained solve with ``stability``).
    stability : {None, "dissipative"}
        ``"dissipative"`` guarantees ``(A + A^T) / 2 <= -eps I``: the spectral abscissa of
        ``A`` is at most ``-eps`` and, more strongly, ``|x(t) - x*| <= exp(-eps t)
        |x(0) - x*|`` with ``x* = -A^-1 b``, so simulations stay bounded. The regression is
        re-solved under the constraint only when the unconstrained fit violates it.
    stability_margin : float
        ``eps`` as a fraction of the spectral norm of the unconstrained ``A``; the absolute
        margin used is ``stability_margin_``.

    Attributes
    ----------
    A_ : ndarray of shape (K, K)
    b_ : ndarray of shape (K,)
    n_iter_ : int
        Coordinate-descent sweeps (1 for closed-form solves).
    stability_margin_ : float or None
        The absolute ``eps`` of the stability constraint (None without one).
    converged_ : ndarray of bool, shape (K,)
        Per equation, whether coordinate descent met ``tol`` (a `ConvergenceWarning` names
        the equations that did not).

    Examples
    --------
    >>> import numpy as np
    >>> A, b = np.array([[-1.0, 0.2], [0.0, -0.5]]), np.array([1.0, 0.5])
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> model = LinearODE().fit(X, X @ A.T + b)
    >>> np.allclose(model.A_, A), np.allclose(model.b_, b)
    (True, True)
    >>> constrained = LinearODE(support=[[True, False], [False, True]]).fit(X, X @ A.T + b)
    >>> float(constrained.A_[0, 1])
    0.0
    """

    def __init__(
        self,
        fit_intercept: bool = True,
        *,
        penalty: str | None = None,
        alpha: float = 1.0,
        l1_ratio: float = 0.5,
        diagonal: str | None = None,
        support: Any = None,
        sign: Any = None,
        max_iter: int = 1000,
        tol: float = 1e-6,
        stability: str | None = None,
        stability_margin: float = 1e-3,
    ) -> None:
        self.fit_intercept = fit_intercept
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.diagonal = diagonal
        self.support = support
        self.sign = sign
        self.max_iter = max_iter
        self.tol = tol
        self.stability = stability
        self.stability_margin = stability_margin

    @classmethod
    def paper_recipe(cls) -> LinearODE:
        """The estimator of Ding et al. 2024: Lasso, ``alpha = 0.01``, with intercept.

        Use it with ``lvdyn.fit_traces(model, ds, recipe="ding2024")``, which also applies the
        paper's target (raw one-step forward differences) and window (the first 1000 steps).

        Examples
        --------
        >>> LinearODE.paper_recipe()
        LinearODE(alpha=0.01, penalty='lasso')
        """
        return cls(penalty="lasso", alpha=0.01)

    @classmethod
    def from_params(cls, A: Any, b: Any = None) -> LinearODE:
        """A model with known ``A`` and ``b``, behaving as a fitted one."""
        A_ = np.asarray(A, dtype=np.float64)
        if A_.ndim != 2 or A_.shape[0] != A_.shape[1]:
            raise ValueError(f"`A` must be a square matrix; got shape {A_.shape}.")
        b_ = np.zeros(A_.shape[0]) if b is None else np.asarray(b, dtype=np.float64)
        if b_.shape != (A_.shape[0],):
            raise ValueError(f"`b` must have shape ({A_.shape[0]},); got {b_.shape}.")
        model = cls(fit_intercept=b is not None)
        model.A_, model.b_ = A_.copy(), b_.copy()
        model.n_features_in_ = A_.shape[0]
        return model

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LinearODE:
        """Fit ``A`` and ``b`` to states ``X`` (n, K) and derivatives ``y`` (n, K)."""
        if not isinstance(self.fit_intercept, bool | np.bool_):
            raise ValueError(
                "`fit_intercept` must be True or False; got "
                f"{self.fit_intercept!r} ({type(self.fit_intercept).__name__})."
            )
        X, Y, weight = self._validate_fit(X, y, sample_weight)
        result = self._solve(X, Y, weight, bool(self.fit_intercept))
        self.A_ = result.coef.T.copy()
        self.b_ = result.intercept.copy() if self.fit_intercept else np.zeros(X.shape[1])
        return self

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        return X @ self.A_.T + self.b_

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        return self.A_.copy()
