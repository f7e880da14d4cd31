"""Linear complementarity problems: Lemke's algorithm and the NNLS route.

The LCP(q, M) asks for ``z >= 0`` with ``w = q + M z >= 0`` and ``z_i w_i = 0``. The saturated
equilibrium of a Lotka-Volterra system ``dx_i/dt = x_i (r_i + (A x)_i)`` is LCP(-r, -A): the
per-capita rate is zero on the support and non-positive (no invader grows) off it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, solve_triangular
from scipy.optimize import nnls

__all__ = ["LCPSolution", "lemke", "principal_pivoting", "solve_lcp", "symmetric_nnls"]


@dataclass(frozen=True)
class LCPSolution:
    """The result of an LCP solver.

    Attributes
    ----------
    z : numpy.ndarray
        The solution (NaN when ``status`` is not ``"ok"``).
    w : numpy.ndarray
        ``q + M z``.
    status : str
        ``"ok"``, ``"ray"`` (Lemke ended on a secondary ray: no solution exists for a
        copositive-plus ``M``) or ``"max_iter"``.
    method : str
        ``"lemke"`` or ``"nnls"``.
    n_pivots : int
        Pivots taken (0 for ``"nnls"``).
    residual : float
        ``max(max(-z, 0), max(-w, 0), |z * w|)``: how far the answer is from solving the LCP.
    """

    z: np.ndarray
    w: np.ndarray
    status: str
    method: str
    n_pivots: int
    residual: float


def _residual(z: np.ndarray, w: np.ndarray) -> float:
    if not np.all(np.isfinite(z)):
        return float("inf")
    worst = max(np.max(-z, initial=0.0), np.max(-w, initial=0.0), np.max(np.abs(z * w)))
    return float(worst) + 0.0  # + 0.0 turns -0.0 into 0.0


def _lexico_min_row(
    candidates: np.ndarray, ratios: np.ndarray, tableau: np.ndarray, col: int, n: int, tol: float
) -> int:
    """Lexicographic minimum ratio test: break ties with the rows of the basis inverse.

    The basis inverse sits in the first ``n`` columns of the tableau (they started as the
    identity of ``w``), so the rows ``[q_i, B^{-1}_i] / T[i, col]`` are distinct and the
    lexicographic minimum is unique: no cycling on degenerate problems.
    """
    best = ratios.min()
    scale = max(1.0, abs(best))
    rows = candidates[ratios <= best + tol * scale]
    for j in range(n):
        if rows.size == 1:
            break
        values = tableau[rows, j] / tableau[rows, col]
        low = values.min()
        rows = rows[values <= low + tol * max(1.0, abs(low))]
    return int(rows[0])


def lemke(q: np.ndarray, M: np.ndarray, *, max_iter: int | None = None) -> LCPSolution:
    """Solve LCP(q, M) by Lemke's complementary pivoting with the covering vector of ones.

    The ratio test is lexicographic, so degenerate problems (ties, zero entries of ``q``)
    terminate. Lemke's method finds a solution whenever ``M`` is a P-matrix (for example
    ``M + M^T`` positive definite) and, for copositive-plus ``M``, either finds one or proves
    that none exists (status ``"ray"``).

    Examples
    --------
    >>> import numpy as np
    >>> sol = lemke(np.array([-3.0, -3.0]), np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> sol.status, sol.z.round(6).tolist()
    ('ok', [1.0, 1.0])
    """
    n = q.size
    if max_iter is None:
        max_iter = 50 * (n + 1)
    if np.all(q >= 0):
        z = np.zeros(n)
        return LCPSolution(z, q.copy(), "ok", "lemke", 0, _residual(z, q))
    tol = 1e-12 * max(1.0, float(np.abs(M).max(initial=0.0)), float(np.abs(q).max()))
    # columns: w (0..n-1), z (n..2n-1), z0 (2n), rhs (2n+1); rows: w - M z - 1 z0 = q
    tableau = np.zeros((n, 2 * n + 2))
    tableau[:, :n] = np.eye(n)
    tableau[:, n : 2 * n] = -M
    tableau[:, 2 * n] = -1.0
    tableau[:, 2 * n + 1] = q
    basis = np.arange(n)
    z0 = 2 * n

    def pivot(row: int, col: int) -> None:
        tableau[row] /= tableau[row, col]
        factor = tableau[:, col].copy()
        factor[row] = 0.0
        tableau[:] -= np.outer(factor, tableau[row])
        basis[row] = col

    leaving_row = int(np.argmin(q))
    leaving = int(basis[leaving_row])
    pivot(leaving_row, z0)
    status = "max_iter"
    pivots = 1
    while pivots < max_iter:
        entering = leaving + n if leaving < n else leaving - n
        column = tableau[:, entering]
        candidates = np.flatnonzero(column > tol)
        if candidates.size == 0:
            status = "ray"
            break
        ratios = tableau[candidates, 2 * n + 1] / column[candidates]
        z0_rows = candidates[basis[candidates] == z0]
        best = ratios.min()
        if z0_rows.size and ratios[candidates == z0_rows[0]][0] <= best + tol * max(1.0, best):
            row = int(z0_rows[0])  # z0 leaves as soon as it can: the path ends at a solution
        else:
            row = _lexico_min_row(candidates, ratios, tableau, entering, n, 1e-12)
        leaving = int(basis[row])
        pivot(row, entering)
        pivots += 1
        if leaving == z0:
            status = "ok"
            break
    values = np.zeros(2 * n + 1)
    values[basis] = tableau[:, 2 * n + 1]
    if status != "ok":
        z = np.full(n, np.nan)
        return LCPSolution(z, np.full(n, np.nan), status, "lemke", pivots, float("inf"))
    z = np.maximum(values[n : 2 * n], 0.0)
    w = q + M @ z
    return LCPSolution(z, w, status, "lemke", pivots, _residual(z, w))


def symmetric_nnls(q: np.ndarray, M: np.ndarray) -> LCPSolution | None:
    """Solve LCP(q, M) for symmetric positive definite ``M`` as a non-negative least squares.

    The LCP is then the optimality condition of ``min_{z >= 0} 1/2 z'Mz + q'z``; with
    ``M = L L'`` this is ``min_{z >= 0} ||L' z + L^{-1} q||^2``, solved by Lawson-Hanson NNLS.
    Returns None when ``M`` is not symmetric positive definite.
    """
    if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(M).max()))):
        return None
    try:
        factor, lower = cho_factor(M, lower=True)
    except np.linalg.LinAlgError:
        return None
    L = np.tril(factor) if lower else np.triu(factor).T
    target = -solve_triangular(L, q, lower=True)
    z, _ = nnls(L.T, target, maxiter=50 * q.size + 100)
    w = q + M @ z
    return LCPSolution(z, w, "ok", "nnls", 0, _residual(z, w))


def principal_pivoting(q: np.ndarray, M: np.ndarray, *, max_iter: int = 200) -> LCPSolution:
    """Solve LCP(q, M) by block principal pivoting (Judice and Pires 1994).

    Guess the support F, solve ``M_FF z_F = -q_F``, and swap every index that violates
    ``z >= 0`` or ``w >= 0``; when the number of violations stops falling for three rounds,
    swap only the largest violating index (Murty's rule, finite for P-matrices). Each round
    is one dense solve on the support, so large well-posed problems take a few rounds.
    Returns status ``"max_iter"`` when it does not settle (possible when ``M`` is not a
    P-matrix); `solve_lcp` then falls back to `lemke`.
    """
    n = q.size
    support = q < 0
    best, stalls = n + 1, 0
    for rounds in range(1, max_iter + 1):
        z = np.zeros(n)
        if support.any():
            try:
                z[support] = np.linalg.solve(M[np.ix_(support, support)], -q[support])
            except np.linalg.LinAlgError:
                break
        w = q + M @ z
        tol = 1e-12 * max(1.0, float(np.abs(q).max(initial=0.0)), float(np.abs(z).max()))
        bad = (support & (z < -tol)) | (~support & (w < -tol))
        if not bad.any():
            z = np.where(support, np.maximum(z, 0.0), 0.0)
            w = q + M @ z
            return LCPSolution(z, w, "ok", "principal_pivoting", rounds, _residual(z, w))
        count = int(bad.sum())
        if count < best:
            best, stalls = count, 0
        else:
            stalls += 1
        if stalls < 3:
            support = support ^ bad
        else:
            support[np.flatnonzero(bad)[-1]] ^= True
    nan = np.full(n, np.nan)
    return LCPSolution(nan, nan, "max_iter", "principal_pivoting", max_iter, float("inf"))


def solve_lcp(q: np.ndarray, M: np.ndarray, method: str = "auto") -> LCPSolution:
    """Solve LCP(q, M).

    ``method`` is ``"auto"`` (NNLS when ``M`` is symmetric positive definite, otherwise block
    principal pivoting, falling back to Lemke if that does not settle), ``"lemke"``,
    ``"principal_pivoting"`` or ``"nnls"``.
    """
    methods = {"auto", "lemke", "nnls", "principal_pivoting"}
    if method not in methods:
        raise ValueError(
            f"`method` must be one of {sorted(methods)}; got {method!r}. "
            "Use 'auto' to let lvdyn choose."
        )
    if method == "principal_pivoting":
        return principal_pivoting(q, M)
    if method in {"auto", "nnls"}:
        solution = symmetric_nnls(q, M)
        if solution is not None:
            return solution
        if method == "nnls":
            raise ValueError(
                "`method='nnls'` needs a symmetric negative definite interaction matrix "
                "(-A symmetric positive definite); this one is not. Use method='lemke'."
            )
    if method == "auto":
        solution = principal_pivoting(q, M)
        if solution.status == "ok":
            return solution
    return lemke(q, M)
