"""Penalised, optionally sign-constrained, multi-output linear regression.

One solver serves `LinearODE` and `LotkaVolterra`: every output (equation) is an independent
regression of ``Y[:, k]`` on the columns of ``X`` plus an unpenalised, unconstrained intercept.
The penalties follow scikit-learn's objectives exactly (so ``alpha`` means what it means in
`sklearn.linear_model.Ridge`, `Lasso` and `ElasticNet`), with ``S = sum(w)``:

=================  =======================================================================
``None``/"ols"     ``sum_i w_i r_i^2``
``"ridge"``        ``sum_i w_i r_i^2 + alpha ||b||^2``
``"lasso"``        ``(1 / 2S) sum_i w_i r_i^2 + alpha ||b||_1``
``"elasticnet"``   ``(1 / 2S) sum_i w_i r_i^2 + alpha l1_ratio ||b||_1
                   + (alpha / 2) (1 - l1_ratio) ||b||^2``
=================  =======================================================================

Bounds on each coefficient (sign constraints, entries fixed at zero) are solved exactly:
bounded least squares by `scipy.optimize.lsq_linear`, the L1 penalties by coordinate descent
on the Gram matrix with each coordinate clipped to its interval (exact for a separable box).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

__all__ = ["PENALTIES", "Regression", "check_iterations", "check_penalty", "solve_regression"]

PENALTIES = (None, "ols", "ridge", "lasso", "elasticnet")


@dataclass(frozen=True)
class Regression:
    """Solution of `solve_regression`: ``coef`` (p, K), ``intercept`` (K,), ``n_iter``.

    ``converged`` (K,) says, for iterative solvers, which outputs met the tolerance.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: np.ndarray | None = None  # per output; None means solved in closed form


def check_penalty(penalty: object, alpha: object, l1_ratio: object) -> tuple[str, float, float]:
    """Validate the regulariser hyperparameters; return (penalty name, alpha, l1_ratio)."""
    if penalty not in PENALTIES:
        raise ValueError(
            "`penalty` must be None, 'ols', 'ridge', 'lasso' or 'elasticnet'; "
            f"got {penalty!r} ({type(penalty).__name__})."
        )
    name = "ols" if penalty is None else str(penalty)
    # Checked whether or not the penalty uses them (as scikit-learn does at fit), so a typo
    # such as alpha=-1.0 or alpha="big" is never silently ignored.
    alpha_ = float(alpha) if isinstance(alpha, int | float | np.number) else np.nan
    if isinstance(alpha, bool) or not np.isfinite(alpha_) or alpha_ < 0:
        raise ValueError(
            f"`alpha` must be a non-negative number; got {alpha!r} ({type(alpha).__name__})."
        )
    ratio = float(l1_ratio) if isinstance(l1_ratio, int | float | np.number) else np.nan
    if isinstance(l1_ratio, bool) or not 0 <= ratio <= 1:
        raise ValueError(f"`l1_ratio` must be a number in [0, 1]; got {l1_ratio!r}.")
    return name, alpha_, ratio


def check_iterations(max_iter: object, tol: object) -> tuple[int, float]:
    """Validate the coordinate-descent limits; return them as (int, float)."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(
            f"`max_iter` must be a positive integer; got {max_iter!r} ({type(max_iter).__name__})."
        )
    if (
        isinstance(tol, bool)
        or not isinstance(tol, int | float | np.number)
        or not np.isfinite(tol)
        or tol < 0
    ):
        raise ValueError(
            f"`tol` must be a non-negative number; got {tol!r} ({type(tol).__name__})."
        )
    return int(max_iter), float(tol)


def _coordinate_descent(
    gram: np.ndarray,
    cross: np.ndarray,
    l1: float,
    l2: float,
    lower: np.ndarray,
    upper: np.ndarray,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, int, np.ndarray]:
    """Minimise ``0.5 b'Gb - c'b + l1 |b|_1 + 0.5 l2 |b|^2`` over the box, all outputs at once.

    Returns the coefficients, the sweeps made and, per output, whether its largest change in
    the last sweep was within ``tol`` (relative to its largest coefficient).
    """
    p, k = cross.shape
    coef = np.clip(np.zeros((p, k)), lower, upper)
    diag = np.diag(gram) + l2
    grad = cross - gram @ coef  # c - G b, kept up to date
    converged = np.zeros(k, dtype=bool)
    for it in range(1, max_iter + 1):
        largest = np.zeros(k)
        for j in range(p):
            if diag[j] <= 0.0:
                continue
            old = coef[j].copy()
            rho = grad[j] + gram[j, j] * old
            new = np.sign(rho) * np.maximum(np.abs(rho) - l1, 0.0) / diag[j]
            new = np.clip(new, lower[j], upper[j])
            delta = new - old
            if np.any(delta):
                coef[j] = new
                grad -= np.outer(gram[:, j], delta)
                largest = np.maximum(largest, np.abs(delta))
        converged = largest <= tol * np.maximum(1.0, np.abs(coef).max(axis=0))
        if converged.all():
            return coef, it, converged
    return coef, max_iter, converged


def _bounded_least_squares(
    X: np.ndarray, Y: np.ndarray, ridge: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    p, k = X.shape[1], Y.shape[1]
    coef = np.zeros((p, k))
    for out in range(k):
        free = lower[:, out] < upper[:, out]
        fixed = ~free
        coef[fixed, out] = lower[fixed, out]
        if not free.any():
            continue
        target = Y[:, out] - X[:, fixed] @ coef[fixed, out]
        A, b = X[:, free], target
        if ridge > 0:
            A = np.vstack([A, np.sqrt(ridge) * np.eye(int(free.sum()))])
            b = np.concatenate([b, np.zeros(int(free.sum()))])
        sol = lsq_linear(A, b, bounds=(lower[free, out], upper[free, out]), method="bvls")
        coef[free, out] = sol.x
    return coef


def solve_regression(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    penalty: str = "ols",
    alpha: float = 0.0,
    l1_ratio: float = 0.5,
    fit_intercept: bool = True,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> Regression:
    """Solve the penalised, bounded regression of every column of ``Y`` on ``X``.

    ``lower``/``upper`` have the shape of the coefficients, (p, K); None means unbounded.
    ``sample_weight`` is (n,), or (n, K) for one weight column per output: outputs with the
    same column are solved together; an output whose weights are all zero gets zero
    coefficients and intercept (it has no samples).

    Examples
    --------
    >>> from sklearn.linear_model import Lasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3)); Y = X @ [[1.0], [0.0], [-2.0]] + 0.5
    >>> ours = solve_regression(X, Y, penalty="lasso", alpha=0.1, tol=1e-10)
    >>> theirs = Lasso(alpha=0.1, tol=1e-10).fit(X, Y[:, 0])
    >>> bool(np.allclose(ours.coef[:, 0], theirs.coef_, atol=1e-6))
    True
    """
    n, p = X.shape
    if sample_weight is not None and np.ndim(sample_weight) == 2:
        return _solve_per_output(
            X,
            Y,
            np.asarray(sample_weight, dtype=np.float64),
            lower=lower,
            upper=upper,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
        )
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        raise ValueError(
            "`sample_weight` must not be all zero; at least one sample needs a positive weight."
        )
    if fit_intercept:
        x_mean = w @ X / total
        y_mean = w @ Y / total
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
    root = np.sqrt(w)[:, np.newaxis]
    Xc, Yc = (X - x_mean) * root, (Y - y_mean) * root
    bounded = lower is not None or upper is not None
    lo = np.full((p, Y.shape[1]), -np.inf) if lower is None else np.asarray(lower, float)
    hi = np.full((p, Y.shape[1]), np.inf) if upper is None else np.asarray(upper, float)
    n_iter = 1
    if penalty in ("ols", "ridge") and not bounded:
        if penalty == "ridge" and alpha > 0:
            coef = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(p), Xc.T @ Yc)
        else:
            coef = np.linalg.lstsq(Xc, Yc, rcond=None)[0]
    elif penalty in ("ols", "ridge"):
        coef = _bounded_least_squares(Xc, Yc, alpha if penalty == "ridge" else 0.0, lo, hi)
    else:
        l1 = alpha if penalty == "lasso" else alpha * l1_ratio
        l2 = 0.0 if penalty == "lasso" else alpha * (1.0 - l1_ratio)
        gram, cross = Xc.T @ Xc / total, Xc.T @ Yc / total
        coef, n_iter, converged = _coordinate_descent(gram, cross, l1, l2, lo, hi, max_iter, tol)
        intercept = y_mean - x_mean @ coef
        return Regression(coef, intercept, n_iter, converged)
    intercept = y_mean - x_mean @ coef
    return Regression(coef=coef, intercept=intercept, n_iter=n_iter)


def _solve_per_output(
    X: np.ndarray,
    Y: np.ndarray,
    weight: np.ndarray,
    *,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
    **options: Any,
) -> Regression:
    """`solve_regression` with one weight column per output, grouping identical columns."""
    p, k = X.shape[1], Y.shape[1]
    coef, intercept = np.zeros((p, k)), np.zeros(k)
    converged = np.ones(k, dtype=bool)
    n_iter, iterative = 1, False
    columns, group = np.unique(weight.T, axis=0, return_inverse=True)
    for g, column in enumerate(columns):
        outputs = np.flatnonzero(group.ravel() == g)
        rows = column > 0
        if not rows.any():
            continue
        part = solve_regression(
            X[rows],
            Y[rows][:, outputs],
            sample_weight=column[rows],
            lower=None if lower is None else np.asarray(lower)[:, outputs],
            upper=None if upper is None else np.asarray(upper)[:, outputs],
            **options,
        )
        coef[:, outputs], intercept[outputs] = part.coef, part.intercept
        n_iter = max(n_iter, part.n_iter)
        if part.converged is not None:
            iterative = True
            converged[outputs] = part.converged
    return Regression(coef, intercept, n_iter, converged if iterative else None)
