"""Dissipative matrices: the regression re-solved under ``(A + A^T) / 2 <= -eps I``.

A matrix whose symmetric part is negative definite keeps every simulation bounded:

- ``LinearODE`` ``dx/dt = A x + b``: ``x* = -A^-1 b`` exists and
  ``|x(t) - x*| <= exp(-eps t) |x(0) - x*|`` (``d/dt |x - x*|^2 / 2 <= -eps |x - x*|^2``).
- ``LotkaVolterra`` ``dx_i/dt = x_i (r_i + (A x)_i)``: with ``s = sum_i x_i``,
  ``ds/dt = r.x + x'Ax <= max(r, 0) s - eps s^2 / K``, so
  ``s(t) <= max(s(0), K max(r, 0) / eps)``; the saturated equilibrium (the unique LCP
  solution) is globally stable (Goh 1977; Takeuchi 1996, Thm 3.2.1).

`dissipative_fit` minimises the sum over equations of the model's own regression objective
(least squares with the penalty, the intercept profiled out) over the closed convex set
``{A : sym(A) <= -eps I, lower <= A <= upper}`` by accelerated proximal gradient (FISTA).
The prox of the L1 term and the box is exact (clip of a soft threshold), the projection onto
the cone is exact in Frobenius norm (eigenvalues of the symmetric part clipped at ``-eps``,
antisymmetric part kept), and the prox of their sum is computed by the Dykstra-like proximal
algorithm (Bauschke & Combettes 2011, Thm 29.2). A last exact step clips to the box and
shifts the diagonal down by the remaining violation, so the result always satisfies the
constraint, converged or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STABILITIES", "DissipativeFit", "check_stability", "dissipative_fit", "symmetric_top"]

STABILITIES = (None, "dissipative")

#: Inner iterations of the Dykstra-like prox (only with L1 penalties or bounds).
PROX_ITERATIONS = 25


@dataclass(frozen=True)
class DissipativeFit:
    """``A`` (K, K, rows are equations), ``intercept`` (K,), ``n_iter``, ``converged``."""

    A: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool


def check_stability(stability: object, margin: object) -> tuple[str | None, float]:
    """Validate ``stability`` and ``stability_margin``; return them."""
    if stability not in STABILITIES:
        raise ValueError(
            "`stability` must be None (no constraint) or 'dissipative' (A + A^T negative "
            f"definite: bounded simulations); got {stability!r}."
        )
    if (
        isinstance(margin, bool)
        or not isinstance(margin, int | float | np.number)
        or not np.isfinite(margin)
        or not margin > 0
    ):
        raise ValueError(
            "`stability_margin` must be a positive number (a fraction of the spectral norm of "
            f"the unconstrained matrix, such as 1e-3); got {margin!r}."
        )
    return (None if stability is None else str(stability)), float(margin)


def symmetric_top(A: np.ndarray) -> float:
    """Largest eigenvalue of ``(A + A^T) / 2``; negative means dissipative.

    Examples
    --------
    >>> symmetric_top(np.array([[-1.0, 5.0], [-5.0, -2.0]]))
    -1.0
    """
    return float(np.linalg.eigvalsh(0.5 * (A + A.T))[-1])


def _project_cone(A: np.ndarray, eps: float) -> np.ndarray:
    sym, anti = 0.5 * (A + A.T), 0.5 * (A - A.T)
    values, vectors = np.linalg.eigh(sym)
    return (vectors * np.minimum(values, -eps)) @ vectors.T + anti


def _prox(
    V: np.ndarray, eps: float, l1: float, lower: np.ndarray | None, upper: np.ndarray | None
) -> np.ndarray:
    """Prox of ``l1 |A|_1 + [box] + [cone]`` at ``V`` (``l1`` already times the step)."""
    if l1 == 0.0 and lower is None:
        return _project_cone(V, eps)

    def box(Z: np.ndarray) -> np.ndarray:
        Z = np.sign(Z) * np.maximum(np.abs(Z) - l1, 0.0)
        return Z if lower is None or upper is None else np.clip(Z, lower, upper)

    x, p, q = V.copy(), np.zeros_like(V), np.zeros_like(V)
    for _ in range(PROX_ITERATIONS):
        y = box(x + p)
        p = x + p - y
        x = _project_cone(y + q, eps)
        q = y + q - x
    return x


def _make_feasible(
    A: np.ndarray, eps: float, lower: np.ndarray | None, upper: np.ndarray | None
) -> np.ndarray:
    """Clip to the box, then shift the diagonal down until ``sym(A) <= -eps I`` holds."""
    if lower is not None and upper is not None:
        A = np.clip(A, lower, upper)
    # Aim a hair inside the cone, so that rounding in eigh cannot put the result outside.
    excess = symmetric_top(A) + eps * (1.0 + 1e-6)
    if excess > 0:
        A = A - excess * np.eye(A.shape[0])
    return A


def dissipative_fit(
    X: np.ndarray,
    Y: np.ndarray,
    weight: np.ndarray | None,
    start: np.ndarray,
    *,
    eps: float,
    penalty: str,
    alpha: float,
    l1_ratio: float,
    fit_intercept: bool,
    lower: np.ndarray | None,
    upper: np.ndarray | None,
    max_iter: int,
    tol: float,
) -> DissipativeFit:
    """Minimise the regression objective of every equation subject to ``sym(A) <= -eps I``.

    Parameters
    ----------
    X, Y : ndarray (n, K)
        Regressors and targets; equation ``k`` regresses ``Y[:, k]`` on ``X``.
    weight : ndarray (n,) or (n, K), optional
        Sample weights, per equation in the second form.
    start : ndarray (K, K)
        Starting matrix (rows are equations), usually the unconstrained fit.
    eps : float
        The margin: the largest eigenvalue of ``(A + A^T) / 2`` is at most ``-eps``.
    penalty, alpha, l1_ratio, fit_intercept
        The objective, as in `solve_regression`.
    lower, upper : ndarray (K, K), optional
        Entrywise bounds on ``A``; the diagonal must allow negative values.
    max_iter, tol
        FISTA iterations, and the relative change of ``A`` under which it stops.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); A = np.array([[0.5, 1.0], [-1.0, -1.0]])
    >>> Y = X @ A.T
    >>> fit = dissipative_fit(X, Y, None, A, eps=0.1, penalty="ols", alpha=0.0,
    ...                       l1_ratio=0.5, fit_intercept=True, lower=None, upper=None,
    ...                       max_iter=1000, tol=1e-10)
    >>> symmetric_top(fit.A) <= -0.1
    True
    """
    n, k = X.shape
    w = np.ones((n, k)) if weight is None else np.asarray(weight, dtype=np.float64)
    if w.ndim == 1:
        w = np.repeat(w[:, np.newaxis], k, axis=1)
    total = w.sum(axis=0)  # S_k
    safe = np.where(total > 0, total, 1.0)
    if fit_intercept:
        x_mean = (w.T @ X) / safe[:, np.newaxis]  # (K equations, K regressors)
        y_mean = np.einsum("nk,nk->k", w, Y) / safe
    else:
        x_mean, y_mean = np.zeros((k, k)), np.zeros(k)
    # Per equation: gram G_k = sum_n w_nk (x_n - m_k)(x_n - m_k)', cross c_k likewise.
    gram = np.stack([(X * w[:, [e]]).T @ X for e in range(k)])
    gram -= total[:, None, None] * np.einsum("ki,kj->kij", x_mean, x_mean)
    cross = (w * Y).T @ X - total[:, None] * x_mean * y_mean[:, None]
    # The objective of each equation as 0.5 a'Ha - g'a + l1 |a|_1 (`solve_regression`'s).
    eye = np.eye(k)[np.newaxis]
    if penalty in ("ols", "ridge"):
        ridge = alpha if penalty == "ridge" else 0.0
        H, g, l1 = 2.0 * gram + 2.0 * ridge * eye, 2.0 * cross, 0.0
    else:
        ratio = 1.0 if penalty == "lasso" else l1_ratio
        H = gram / safe[:, None, None] + alpha * (1.0 - ratio) * eye
        g, l1 = cross / safe[:, None], alpha * ratio
    H[total == 0] = 0.0
    g[total == 0] = 0.0
    step = 1.0 / max(float(np.linalg.eigvalsh(H)[:, -1].max()), 1e-300)
    A = _make_feasible(_prox(start, eps, 0.0, lower, upper), eps, lower, upper)
    Z, t, converged, n_iter = A.copy(), 1.0, False, 0
    while n_iter < max_iter:
        n_iter += 1
        gradient = np.einsum("kij,kj->ki", H, Z) - g
        new = _prox(Z - step * gradient, eps, step * l1, lower, upper)
        change = float(np.abs(new - A).max())
        if np.vdot(Z - new, new - A) > 0:  # adaptive restart (O'Donoghue & Candes 2015)
            t = 1.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Z = new + ((t - 1.0) / t_next) * (new - A)
        A, t = new, t_next
        if change <= tol * max(float(np.abs(A).max()), 1e-300):
            converged = True
            break
    A = _make_feasible(A, eps, lower, upper)
    intercept = y_mean - np.einsum("ki,ki->k", x_mean, A)
    intercept[total == 0] = 0.0
    return DissipativeFit(A, intercept, n_iter, converged)
