"""Shared fitting code of the models that are linear in a K x K matrix plus a vector."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from lvdyn.models._base import AbstractODEModel
from lvdyn.models._constraints import matrix_bounds
from lvdyn.models._solvers import (
    Regression,
    check_iterations,
    check_penalty,
    solve_regression,
)
from lvdyn.models._stability import check_stability, dissipative_fit, symmetric_top

__all__ = ["MatrixODEModel"]


class MatrixODEModel(AbstractODEModel):
    """Base of `LinearODE` and `LotkaVolterra`: one regression per equation, sharing a solver.

    ``fit`` accepts ``sample_weight`` of shape (n,) or (n, K); in the second form column ``k``
    weighs the samples of equation ``k``, so each equation can leave out its own samples
    (weight 0) while the states ``X`` stay shared.

    Subclasses define ``__init__`` (the hyperparameters ``penalty``, ``alpha``, ``l1_ratio``,
    ``diagonal``, ``support``, ``sign``, ``max_iter``, ``tol``, ``stability``,
    ``stability_margin``) and ``fit``.

    With ``stability="dissipative"`` the regression is re-solved, only when its matrix is not
    already dissipative by the margin, under ``(A + A^T) / 2 <= -eps I`` with
    ``eps = stability_margin * |A_0|_2`` (``A_0`` the unconstrained fit; 1 in its place when
    it is zero), recorded as ``stability_margin_`` (see ``lvdyn.models._stability``).
    """

    penalty: Any
    alpha: Any
    l1_ratio: Any
    diagonal: Any
    support: Any
    sign: Any
    max_iter: int
    tol: float
    stability: Any
    stability_margin: Any
    _equation_weights = True

    def _solve(
        self,
        design: np.ndarray,
        targets: np.ndarray,
        weight: np.ndarray | None,
        fit_intercept: bool,
    ) -> Regression:
        penalty, alpha, l1_ratio = check_penalty(self.penalty, self.alpha, self.l1_ratio)
        max_iter, tol = check_iterations(self.max_iter, self.tol)
        stability, margin = check_stability(self.stability, self.stability_margin)
        n = design.shape[1]
        bounds = matrix_bounds(n, diagonal=self.diagonal, support=self.support, sign=self.sign)
        if stability is not None and bounds is not None:
            diag = np.arange(n)
            if np.any(bounds[0][diag, diag] >= 0):
                raise ValueError(
                    "`stability='dissipative'` needs every diagonal entry of the matrix free to "
                    "be negative (a negative definite symmetric part has A_ii < 0); `diagonal`, "
                    "`support` or `sign` fix some at zero or make them non-negative. Drop "
                    "those constraints on the diagonal or set `stability=None`."
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
        self.stability_margin_ = None
        solver = "coordinate descent"
        if stability is not None:
            start = result.coef.T
            norm = float(np.linalg.norm(start, 2))
            eps = margin * (norm if norm > 0 else 1.0)
            self.stability_margin_ = eps
            if symmetric_top(start) > -eps:
                fit = dissipative_fit(
                    design,
                    targets,
                    weight,
                    start,
                    eps=eps,
                    penalty=penalty,
                    alpha=alpha,
                    l1_ratio=l1_ratio,
                    fit_intercept=fit_intercept,
                    lower=lower if lower is None else lower.T,
                    upper=upper if upper is None else upper.T,
                    max_iter=max_iter,
                    tol=tol,
                )
                result = Regression(fit.A.T.copy(), fit.intercept, fit.n_iter)
                solver = "the stability-constrained solve (its matrix still meets the constraint)"
                self.n_iter_ = fit.n_iter
                self.converged_ = np.full(n, fit.converged)
        if not self.converged_.all():
            warnings.warn(
                f"{solver} did not converge in {max_iter} iterations for the equations "
                f"of components {np.flatnonzero(~self.converged_).tolist()} (by position); "
                "increase `max_iter` or `tol`, or use a larger `alpha`. `converged_` says which.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return result
