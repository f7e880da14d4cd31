"""Shared fitting code of the models that are linear in a K x K matrix plus a vector."""

from __future__ import annotations

from typing import Any

import numpy as np

from lvdyn.models._base import AbstractODEModel
from lvdyn.models._constraints import matrix_bounds
from lvdyn.models._solvers import Regression, check_penalty, solve_regression

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

    def _solve(
        self,
        design: np.ndarray,
        targets: np.ndarray,
        weight: np.ndarray | None,
        fit_intercept: bool,
    ) -> Regression:
        penalty, alpha, l1_ratio = check_penalty(self.penalty, self.alpha, self.l1_ratio)
        n = design.shape[1]
        bounds = matrix_bounds(n, diagonal=self.diagonal, support=self.support, sign=self.sign)
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
            max_iter=self.max_iter,
            tol=self.tol,
        )
        self.n_iter_ = result.n_iter
        return result
