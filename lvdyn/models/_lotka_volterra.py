"""``LotkaVolterra``: dx_i/dt = x_i (r_i + sum_j A_ij x_j)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from lvdyn.models._base import AbstractODEModel

__all__ = ["LotkaVolterra"]

MSG_NON_POSITIVE = (
    "Lotka-Volterra regresses d(log x)/dt on x, so every state in `X` must be positive; "
    "found {n} values <= 0 (first at row {row}, component {col}). Drop or floor those samples "
    "(for strengths, a floor such as 1e-12 is usually safe), or fit a LinearODE instead."
)


class LotkaVolterra(AbstractODEModel):
    """Generalised Lotka-Volterra ``dx_i/dt = x_i (r_i + sum_j A_ij x_j)``.

    Fitted by regressing the per-capita rate ``y_i / x_i`` (= d log x_i / dt) on ``x``.

    Attributes
    ----------
    growth_rates_ : ndarray of shape (K,)
        ``r``.
    interaction_matrix_ : ndarray of shape (K, K)
        ``A``.

    Examples
    --------
    >>> import numpy as np
    >>> r, A = np.array([1.0, 0.8]), np.array([[-1.0, -0.3], [-0.2, -1.0]])
    >>> X = np.random.default_rng(0).uniform(0.1, 1.0, size=(40, 2))
    >>> model = LotkaVolterra().fit(X, X * (r + X @ A.T))
    >>> np.allclose(model.growth_rates_, r), np.allclose(model.interaction_matrix_, A)
    (True, True)
    """

    def __init__(self) -> None:
        pass

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
        """Least squares of ``y / X`` on ``[X, 1]``."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        Y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
        bad = X <= 0
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(MSG_NON_POSITIVE.format(n=int(bad.sum()), row=row, col=col))
        per_capita = Y / X
        design = np.hstack([X, np.ones((len(X), 1))])
        w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
        root = np.sqrt(w)[:, np.newaxis]
        coef, *_ = np.linalg.lstsq(design * root, per_capita * root, rcond=None)
        self.interaction_matrix_ = coef[: X.shape[1]].T.copy()
        self.growth_rates_ = coef[X.shape[1]].copy()
        return self

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        return X * (self.growth_rates_ + X @ self.interaction_matrix_.T)

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        r, A = self.growth_rates_, self.interaction_matrix_
        return np.diag(r + A @ x) + x[:, np.newaxis] * A
