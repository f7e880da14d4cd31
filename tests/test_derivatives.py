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
