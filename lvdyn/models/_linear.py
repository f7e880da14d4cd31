"""``LinearODE``: dx/dt = A x + b."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from lvdyn.models._base import AbstractODEModel

__all__ = ["LinearODE"]


class LinearODE(AbstractODEModel):
    """Linear system ``dx/dt = A x + b``, fitted by least squares on (states, derivatives).

    Parameters
    ----------
    fit_intercept : bool
        Fit ``b``; otherwise ``b = 0``.

    Attributes
    ----------
    A_ : ndarray of shape (K, K)
    b_ : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> A, b = np.array([[-1.0, 0.2], [0.0, -0.5]]), np.array([1.0, 0.5])
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> model = LinearODE().fit(X, X @ A.T + b)
    >>> np.allclose(model.A_, A), np.allclose(model.b_, b)
    (True, True)
    """

    def __init__(self, fit_intercept: bool = True) -> None:
        self.fit_intercept = fit_intercept

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
        """Least squares of ``y`` (derivatives) on ``X`` (states) and a constant."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        Y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        if Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"`y` must have one derivative per component of `X` "
                f"({X.shape[1]}); got {Y.shape[1]}."
            )
        design = np.hstack([X, np.ones((len(X), 1))]) if self.fit_intercept else X
        w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
        root = np.sqrt(w)[:, np.newaxis]
        coef, *_ = np.linalg.lstsq(design * root, Y * root, rcond=None)
        self.A_ = coef[: X.shape[1]].T.copy()
        self.b_ = coef[X.shape[1]].copy() if self.fit_intercept else np.zeros(X.shape[1])
        return self

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        return X @ self.A_.T + self.b_

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        return self.A_.copy()
