"""Derivative estimators: exactness on polynomials, convergence order, per-run handling."""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn
from lvdyn.fitting._derivatives import differentiate


def _error(method: str, n: int) -> float:
    t = np.linspace(0.0, 1.0, n + 1)
    x = np.stack([np.sin(3 * t), np.exp(t)], axis=1)
    exact = np.stack([3 * np.cos(3 * t), np.exp(t)], axis=1)
    d = differentiate(x, t, method)
    return float(np.abs(d.rates - exact[d.index]).max())


@pytest.mark.parametrize(
    ("method", "order"),
    [("forward", 1), ("forward2", 2), ("forward4", 4), ("central", 2), ("central4", 4)],
)
def test_finite_difference_convergence_order(method: str, order: int) -> None:
    # Halving dt four times: the slope of log(error) against log(dt) is the order of
    # accuracy; 0.3 of slack covers the pre-asymptotic regime on this smooth test function.
    ns = np.array([20, 40, 80, 160])
    errors = np.array([_error(method, int(n)) for n in ns])
    slope = np.polyfit(np.log(1.0 / ns), np.log(errors), 1)[0]
    assert slope == pytest.approx(order, abs=0.3)


def test_nonuniform_grid_keeps_order() -> None:
    rng = np.random.default_rng(0)
    t = np.sort(np.concatenate([[0.0, 1.0], rng.uniform(0, 1, 40)]))
    x = (t**3)[:, np.newaxis]
    d = differentiate(x, t, "central4")  # exact for cubics on any grid
    np.testing.assert_allclose(d.rates[:, 0], 3 * t[d.index] ** 2, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("method", "edge"), [("savgol", 0), ("spline", 10)])
def test_smoothers_are_accurate_on_smooth_data(method: str, edge: int) -> None:
    t = np.linspace(0.0, 2.0, 201)
    x = np.exp(-t)[:, np.newaxis]
    d = differentiate(x, t, method)
    inner = slice(edge, d.index.size - edge)
    # Noise-free exponential: both smoothers are accurate to 2e-3. The natural spline's zero
    # curvature at the ends biases its last few samples, so the spline is checked inside.
    np.testing.assert_allclose(d.rates[inner, 0], -np.exp(-t[d.index][inner]), atol=2e-3)


def test_sqrt_ratio_is_exact_for_the_discrete_map() -> None:
    r, a = 0.02, -0.01
    x = [0.1]
    for _ in range(50):
        x.append(x[-1] * (1 + 0.5 * (r + a * x[-1])) ** 2)
    xs = np.array(x)[:, np.newaxis]
    d = differentiate(xs, np.arange(xs.shape[0], dtype=float), "sqrt_ratio")
    per_capita = d.rates[:, 0] / d.states[:, 0]
    np.testing.assert_allclose(per_capita, r + a * d.states[:, 0], rtol=1e-10)


def test_unknown_method_names_the_choices() -> None:
    with pytest.raises(ValueError, match="`derivative` must be one of"):
        differentiate(np.ones((5, 1)), np.arange(5.0), "magic")


def test_bad_savgol_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="`window_length` must be an odd"):
        lvdyn.SavitzkyGolay(window_length=8)
    with pytest.raises(ValueError, match="`order` must be one of"):
        lvdyn.FiniteDifference(order=1, kind="central")


# --- the stencils themselves, pinned on a non-uniform grid -----------------------------------

#: A non-uniform grid: the spacings 0.5, 1, 0.25, 1.25, 1.5, 0.5, 2 are all different.
GRID = np.array([0.0, 0.5, 1.5, 1.75, 3.0, 4.5, 5.0, 7.0])
#: method -> (order of accuracy, stencil offsets in samples)
STENCILS = {
    "forward": (1, [0, 1]),
    "forward2": (2, [0, 1, 2]),
    "forward4": (4, [0, 1, 2, 3, 4]),
    "central": (2, [-1, 0, 1]),
    "central4": (4, [-2, -1, 0, 1, 2]),
}


def _lagrange_weights(nodes: np.ndarray, at: float) -> np.ndarray:
    """``w_m = L_m'(at)``, the derivative of each Lagrange basis polynomial (no linear solve).

    ``L_m(s) = prod_{j != m} (s - t_j) / (t_m - t_j)``, differentiated by the product rule.
    """
    weights = np.zeros(nodes.size)
    for m in range(nodes.size):
        others = np.delete(nodes, m)
        for j in range(others.size):
            rest = np.delete(others, j)
            weights[m] += np.prod((at - rest) / (nodes[m] - rest)) / (nodes[m] - others[j])
    return weights


def _weight_matrix(method: str, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of estimates and the weight of each sample in each, read off unit impulses."""
    d = differentiate(np.eye(t.size), t, method)  # column k: x = e_k, so rates[n, k] = w_nk
    return d.index, d.rates


@pytest.mark.parametrize("method", list(STENCILS))
def test_stencil_weights_on_a_non_uniform_grid(method: str) -> None:
    _, offsets = STENCILS[method]
    index, weights = _weight_matrix(method, GRID)
    lo, hi = -min(offsets), max(offsets)
    np.testing.assert_array_equal(index, np.arange(lo, GRID.size - hi), err_msg=method)
    expected = np.zeros_like(weights)
    for row, k in enumerate(index):
        stencil = k + np.array(offsets)
        expected[row, stencil] = _lagrange_weights(GRID[stencil], GRID[k])
    # Weights of size <= ~10 from a 5 x 5 solve: equal to round-off.
    np.testing.assert_allclose(weights, expected, rtol=0, atol=1e-11, err_msg=method)


def test_stencil_weights_by_hand() -> None:
    t = np.array([0.0, 1.0, 3.0])
    # Central, spacings a = 1 behind and b = 2 ahead: -b/(a(a+b)), (b-a)/(ab), a/(b(a+b)).
    np.testing.assert_allclose(_weight_matrix("central", t)[1], [[-2 / 3, 1 / 2, 1 / 6]])
    # Second-order forward at t = 0 on the same nodes: L_m'(0) = -4/3, 3/2, -1/6.
    np.testing.assert_allclose(_weight_matrix("forward2", t)[1][0], [-4 / 3, 3 / 2, -1 / 6])
    np.testing.assert_allclose(_weight_matrix("forward", t)[1], [[-1, 1, 0], [0, -1 / 2, 1 / 2]])


@pytest.mark.parametrize("method", list(STENCILS))
def test_stencils_are_exact_on_polynomials_of_their_order_only(method: str) -> None:
    order, _ = STENCILS[method]
    coefficients = np.random.default_rng(order).normal(size=order + 2)
    for degree in (order, order + 1):
        poly = np.polynomial.Polynomial(coefficients[: degree + 1])
        d = differentiate(poly(GRID)[:, np.newaxis], GRID, method)
        error = np.abs(d.rates[:, 0] - poly.deriv()(GRID[d.index])).max()
        if degree == order:  # exact up to rounding of values of size ~1e3
            assert error < 1e-8, f"{method} is not exact on degree {degree}: error {error:g}"
        else:  # one degree more on a non-uniform grid: a truncation error of order one
            assert error > 1e-3, f"{method} is exact on degree {degree}: not order {order}"
