"""Shared fitting code of the models that are linear in a K x K matrix plus a vector."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import validate_data

from lvdyn.models._base import AbstractODEModel
from lvdyn.models._constraints import matrix_bounds
from lvdyn.models._solvers import (
    Regression,
    check_iterations,
    check_penalty,
    solve_regression,
)

__all__ = ["MatrixODEModel"]


class MatrixODEModel(AbstractODEModel):
    """Base of `LinearODE` and `LotkaVolterra`: one regression per equation, sharing a solver.

    Subclasses define ``__init__`` (the hyperparameters ``penalty``, ``alpha``, ``l1_ratio``,
    ``diagonal``, ``support``, ``sign``, ``max_iter``, ``tol``) and ``fit``.
    """

    penalty: Any
    alpha: Any
    l1_ratio: Any
    diagonal: Any
    support: Any
    sign: Any
    max_iter: int
    tol: float

    def _validate_xy(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True)
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim == 1 and X.shape[1] == 1:
            Y = Y[:, np.newaxis]
        if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"`y` must hold one derivative per component of `X`, shape {X.shape}; "
                f"got shape {np.shape(y)}."
            )
        return np.asarray(X, dtype=np.float64), Y

    def _solve(
        self, design: np.ndarray, targets: np.ndarray, sample_weight: Any, fit_intercept: bool
    ) -> Regression:
        penalty, alpha, l1_ratio = check_penalty(self.penalty, self.alpha, self.l1_ratio)
        max_iter, tol = check_iterations(self.max_iter, self.tol)
        n = design.shape[1]
        bounds = matrix_bounds(n, diagonal=self.diagonal, support=self.support, sign=self.sign)
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float64)
            if weight.shape != (design.shape[0],) or np.any(~np.isfinite(weight) | (weight < 0)):
                raise ValueError(
                    f"`sample_weight` must be {design.shape[0]} finite, non-negative numbers; "
                    f"got shape {weight.shape}."
                )
        lower, upper = (None, None) if bounds is None else (bounds[0].T, bounds[1].T)
        result = solve_regression(
            design,
            targets,
            sample_weight=weight,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            lower=lower,
            upper=upper,
            max_iter=max_iter,
            tol=tol,
        )
        self.n_iter_ = result.n_iter
        self.converged_ = (
            np.ones(n, dtype=bool) if result.converged is None else result.converged.copy()
        )
        if not self.converged_.all():
            warnings.warn(
                f"coordinate descent did not converge in {max_iter} sweeps for the equations "
                f"of components {np.flatnonzero(~self.converged_).tolist()} (by position); "
                "increase `max_iter` or `tol`, or use a larger `alpha`. `converged_` says which.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result
