"""Linear complementarity: Lemke on known and degenerate instances, NNLS agreement."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import nnls

import lvdyn


def _check_solution(sol: lvdyn.analysis.LCPSolution, q: np.ndarray, M: np.ndarray) -> None:
    # 1e-10: every instance below has entries O(1), so pivoting error stays near 1e-14
    assert sol.status == "ok"
    assert np.all(sol.z >= -1e-12)
    w = q + M @ sol.z
    assert np.all(w >= -1e-10)
    assert np.max(np.abs(sol.z * w)) < 1e-10


@pytest.mark.parametrize(
    ("q", "M", "expected"),
    [
        # all ratios tie at the first pivot (degenerate)
        ([-1.0, -1.0, -1.0], np.eye(3), [1.0, 1.0, 1.0]),
        ([-3.0, -3.0], [[2.0, 1.0], [1.0, 2.0]], [1.0, 1.0]),
        # q has a zero entry (degenerate basis from the start)
        ([0.0, -1.0], [[1.0, 1.0], [1.0, 1.0]], [0.0, 1.0]),
        # weak complementarity: z_2 = w_2 = 0 (invasion rate exactly zero)
        ([-1.0, -0.5], [[1.0, 0.5], [0.5, 1.0]], [1.0, 0.0]),
        # non-symmetric P-matrix
        ([-1.0, 2.0, -3.0], [[2.0, -1.0, 0.5], [1.0, 3.0, 0.0], [-0.5, 0.2, 1.0]], None),
        # q >= 0: z = 0
        ([1.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]),
    ],
)
@pytest.mark.parametrize("method", ["lemke", "principal_pivoting"])
def test_known_instances(
    q: list[float], M: list[list[float]], expected: list | None, method: str
) -> None:
    q_, M_ = np.asarray(q), np.asarray(M, dtype=float)
    sol = lvdyn.solve_lcp(q_, M_, method=method)
    _check_solution(sol, q_, M_)
    if expected is not None:
        np.testing.assert_allclose(sol.z, expected, atol=1e-12)


def test_lemke_reports_a_ray_when_no_solution_exists() -> None:
    # w = -1 - z >= 0 has no solution with z >= 0
    sol = lvdyn.solve_lcp(np.array([-1.0]), np.array([[-1.0]]), method="lemke")
    assert sol.status == "ray"
    assert np.isnan(sol.z).all()


def _brute_force(q: np.ndarray, M: np.ndarray) -> list[np.ndarray]:
    n = q.size
    out = []
    for size in range(n + 1):
        for support in itertools.combinations(range(n), size):
            idx = list(support)
            z = np.zeros(n)
            if idx:
                z[idx] = np.linalg.solve(M[np.ix_(idx, idx)], -q[idx])
            w = q + M @ z
            feasible = np.all(z >= -1e-12) and np.all(w >= -1e-12)
            if feasible and not any(np.allclose(z, y, atol=1e-9) for y in out):
                out.append(z)  # degenerate problems reach one z from several supports
    return out


@pytest.mark.parametrize("method", ["lemke", "principal_pivoting", "auto"])
@pytest.mark.parametrize("seed", range(20))
def test_matches_brute_force_on_degenerate_p_matrices(seed: int, method: str) -> None:
    # M = I + skew + small PSD is a P-matrix: the LCP has exactly one solution. Build q so
    # that the solution has a chosen support and some absent w_i exactly 0 (degenerate).
    rng = np.random.default_rng(seed)
    n = 6
    skew = rng.normal(size=(n, n))
    M = np.eye(n) + 0.8 * (skew - skew.T) + 0.1 * np.cov(rng.normal(size=(n, 3 * n)))
    support = rng.random(n) < 0.5
    z_true = np.where(support, rng.uniform(0.5, 1.5, n), 0.0)
    w_true = np.where(support, 0.0, rng.choice([0.0, 0.3], n))
    q = w_true - M @ z_true
    sol = lvdyn.solve_lcp(q, M, method=method)
    _check_solution(sol, q, M)
    solutions = _brute_force(q, M)
    assert len(solutions) == 1
    np.testing.assert_allclose(sol.z, z_true, atol=1e-9)


@pytest.mark.parametrize(("n", "seed"), [(5, 0), (40, 1), (200, 2)])
def test_lemke_and_nnls_agree_on_symmetric_positive_definite(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n, n))
    G = X.T @ X / (2 * n) + 0.05 * np.eye(n)
    b = rng.normal(size=n)
    by_nnls = lvdyn.solve_lcp(-b, G, method="nnls")
    by_lemke = lvdyn.solve_lcp(-b, G, method="lemke")
    assert by_nnls.method == "nnls"
    _check_solution(by_lemke, -b, G)
    # both solve a strictly convex QP exactly; differences are rounding (cond(G) < 1e3)
    np.testing.assert_allclose(by_lemke.z, by_nnls.z, atol=1e-9)
    # and the QP minimiser agrees with an independent scipy NNLS on the Cholesky factor
    L = np.linalg.cholesky(G)
    reference, _ = nnls(L.T, np.linalg.solve(L, b))
    np.testing.assert_allclose(by_nnls.z, reference, atol=1e-9)


def test_nnls_method_rejects_non_symmetric_matrices() -> None:
    with pytest.raises(ValueError, match="method='lemke'"):
        lvdyn.solve_lcp(np.array([-1.0, -1.0]), np.array([[1.0, 0.5], [0.0, 1.0]]), method="nnls")
    with pytest.raises(ValueError, match="`method` must be"):
        lvdyn.solve_lcp(np.array([-1.0]), np.array([[1.0]]), method="simplex")


@pytest.mark.parametrize("seed", range(10))
def test_principal_pivoting_on_hard_p_matrices(seed: int) -> None:
    # strongly non-symmetric P-matrices with random q: supports far from the q < 0 guess
    rng = np.random.default_rng(100 + seed)
    n = 30
    skew = rng.normal(size=(n, n))
    M = np.eye(n) + 2.0 * (skew - skew.T) / np.sqrt(n)
    q = rng.normal(size=n) * 3
    fast = lvdyn.solve_lcp(q, M, method="principal_pivoting")
    slow = lvdyn.solve_lcp(q, M, method="lemke")
    _check_solution(slow, q, M)
    if fast.status == "ok":  # the auto method falls back to Lemke otherwise
        np.testing.assert_allclose(fast.z, slow.z, atol=1e-9)
    np.testing.assert_allclose(lvdyn.solve_lcp(q, M).z, slow.z, atol=1e-9)
