"""Equilibria and stability with known answers: two species, logistic modes, NNLS networks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls

import lvdyn
from lvdyn.producers import synthetic

COEXIST = ([1.0, 1.0], [[-1.0, -0.5], [-0.5, -1.0]])
EXCLUDE = ([1.0, 1.0], [[-1.0, -0.5], [-1.5, -1.0]])
BISTABLE = ([1.0, 1.0], [[-1.0, -2.0], [-2.0, -1.0]])


def test_two_species_coexistence() -> None:
    eq = lvdyn.find_equilibria(lvdyn.LotkaVolterra.from_params(*COEXIST))
    expected = [(0.0, 0.0), (0.0, 1.0), (2 / 3, 2 / 3), (1.0, 0.0)]
    np.testing.assert_allclose(sorted(map(tuple, eq.state.values)), expected, atol=1e-12)
    np.testing.assert_allclose(eq.saturated_state, [2 / 3, 2 / 3], atol=1e-12)
    first = eq.isel(equilibrium=0)
    assert bool(first.saturated) and bool(first.stable)
    assert str(first.classification.values) == "stable node"
    # only the interior point is saturated: each monoculture can be invaded at rate 0.5
    assert int(eq.saturated.sum()) == 1
    mono = eq.sel(equilibrium=(eq.state.sel(component=1) == 0) & (eq.state.sel(component=0) > 0))
    np.testing.assert_allclose(mono.invasion_rate.sel(component=1), [0.5], atol=1e-12)


def test_two_species_competitive_exclusion() -> None:
    model = lvdyn.LotkaVolterra.from_params(*EXCLUDE)
    eq = lvdyn.find_equilibria(model)
    np.testing.assert_allclose(eq.saturated_state, [1.0, 0.0], atol=1e-12)
    assert eq.sizes["equilibrium"] == 3  # the interior solution (x2 = -2) is infeasible
    winner = lvdyn.stability(model, [1.0, 0.0])
    assert winner.attrs["classification"] == "stable node"
    np.testing.assert_allclose(float(winner.invasion_rate.sel(component=1)), -0.5)
    loser = lvdyn.stability(model, [0.0, 1.0])
    assert loser.attrs["classification"] == "saddle"
    np.testing.assert_allclose(float(loser.invasion_rate.sel(component=0)), 0.5)


def test_two_species_bistability() -> None:
    model = lvdyn.LotkaVolterra.from_params(*BISTABLE)
    eq = lvdyn.find_equilibria(model)
    good = eq.state.values[(eq.saturated & eq.stable).values]
    assert {tuple(np.round(s, 12) + 0.0) for s in good} == {(1.0, 0.0), (0.0, 1.0)}
    interior = lvdyn.stability(model, [1 / 3, 1 / 3])
    assert interior.attrs["classification"] == "saddle"
    # Jacobian at (1/3, 1/3) is (1/3) A, eigenvalues (1/3)(-1 -+ 2) = 1/3, -1
    np.testing.assert_allclose(sorted(interior.eigenvalue_real.values), [-1.0, 1 / 3])


def test_deep_linear_network_logistic_law() -> None:
    # research/seed-clock-pizza-race.md 4.1: r_a = 2 eta s_a, A = -2 eta I; equilibria u* = s,
    # Jacobian eigenvalues -2 eta s at u* and +2 eta s at 0
    eta, s = 0.01, np.array([5.0, 3.0, 1.5, 0.5])
    model = lvdyn.LotkaVolterra.from_params(2 * eta * s, -2 * eta * np.eye(4))
    eq = lvdyn.find_equilibria(model)
    assert eq.sizes["equilibrium"] == 16  # every subset of modes is an equilibrium
    np.testing.assert_allclose(eq.saturated_state, s, rtol=1e-12)
    at_s = lvdyn.stability(model, s)
    np.testing.assert_allclose(np.sort(at_s.eigenvalue_real), np.sort(-2 * eta * s), rtol=1e-12)
    np.testing.assert_allclose(at_s.eigenvalue_imag, 0.0, atol=1e-15)
    at_zero = lvdyn.stability(model, np.zeros(4))
    assert at_zero.attrs["classification"] == "unstable node"
    np.testing.assert_allclose(np.sort(at_zero.eigenvalue_real), np.sort(2 * eta * s))
    np.testing.assert_allclose(at_zero.invasion_rate, 2 * eta * s)


@pytest.mark.parametrize("method", ["auto", "lemke"])
def test_diagonal_network_equilibrium_is_nnls(method: str) -> None:
    # research/seed-clock-pizza-race.md 5: beta' = 4 beta (b - G beta), b = X'y/n, G = X'X/n;
    # the equilibrium is argmin_{beta >= 0} |y - X beta|^2, i.e. scipy NNLS on (X, y)
    rng = np.random.default_rng(3)
    n, k = 60, 8
    X = rng.normal(size=(n, k))
    y = X @ np.array([1.0, -0.5, 0.8, 0.0, -1.0, 0.3, 0.6, -0.2]) + 0.05 * rng.normal(size=n)
    G, b = X.T @ X / n, X.T @ y / n
    model = lvdyn.LotkaVolterra.from_params(4 * b, -4 * G)
    eq = lvdyn.find_equilibria(model, method=method, max_enumerate=0)
    reference, _ = nnls(X, y)
    assert (reference == 0).sum() >= 2  # some features really go extinct
    np.testing.assert_allclose(eq.saturated_state, reference, atol=1e-9)
    assert eq.attrs["method"] == ("nnls" if method == "auto" else "lemke")
    np.testing.assert_array_equal(lvdyn.predict_survivors(model), reference > 0)


def test_gdln_race_interior_case() -> None:
    # research 4.2 case 1: pi* = (2, 1, 1); Jacobian eigenvalues * tau = (-3.708, -0.959, -0.667)
    eta = 0.01
    g = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=float)
    s = np.array([3.0, 3.0, 2.0])
    p = np.full(3, 1 / 3)
    G, b = (g * p) @ g.T, (g * p) @ s
    model = lvdyn.LotkaVolterra.from_params(2 * eta * b, -2 * eta * G)
    eq = lvdyn.find_equilibria(model)
    np.testing.assert_allclose(eq.saturated_state, [2.0, 1.0, 1.0], atol=1e-12)
    eig = np.sort(lvdyn.stability(model, [2.0, 1.0, 1.0]).eigenvalue_real.values) / eta
    np.testing.assert_allclose(eig, [-3.708, -0.959, -0.667], atol=1e-3)  # research rounding


def test_saturated_equilibrium_of_500_components() -> None:
    system = synthetic.exclusion_lotka_volterra(500, 150, seed=4)
    model = lvdyn.LotkaVolterra.from_params(system.r, system.A)
    eq = lvdyn.find_equilibria(model)
    assert eq.attrs["complete"] == 0 and eq.attrs["method"] == "principal_pivoting"
    np.testing.assert_allclose(eq.saturated_state, system.equilibrium, atol=1e-9)
    assert str(eq.classification[0].values).startswith("stable")


def test_unbounded_lotka_volterra_reports_a_status() -> None:
    model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[0.5, 0.0], [0.0, -1.0]])
    eq = lvdyn.find_equilibria(model, max_enumerate=0)
    assert eq.attrs["status"] == "lcp_ray"
    assert np.isnan(eq.saturated_state).all()
    with pytest.raises(lvdyn.FitError, match="no saturated equilibrium"):
        lvdyn.predict_survivors(model)


def test_linear_unique_affine_and_none() -> None:
    unique = lvdyn.find_equilibria(lvdyn.LinearODE.from_params([[-1.0, 0.5], [0.0, -2.0]], [1, 4]))
    assert unique.attrs["status"] == "unique"
    np.testing.assert_allclose(unique.state[0], [2.0, 2.0])
    assert str(unique.classification[0].values) == "stable node"
    line = lvdyn.find_equilibria(lvdyn.LinearODE.from_params([[-1.0, 1.0], [1.0, -1.0]], [1, -1]))
    assert line.attrs["status"] == "affine_set"
    assert str(line.classification[0].values) == "non-isolated"
    direction = line.null_space.values[:, 0]
    np.testing.assert_allclose(np.abs(direction), [2**-0.5, 2**-0.5])
    A = np.array([[-1.0, 1.0], [1.0, -1.0]])
    for t in (-1.0, 2.5):  # every point of the set is an equilibrium
        np.testing.assert_allclose(
            A @ (line.state.values[0] + t * direction) + [1, -1], 0, atol=1e-12
        )
    none = lvdyn.find_equilibria(lvdyn.LinearODE.from_params(A, [1.0, 1.0]))
    assert none.attrs["status"] == "none" and none.sizes["equilibrium"] == 0


class _Generic:
    """A model known to analysis only through rhs and jacobian (as SINDy will be)."""

    def __init__(self, inner: lvdyn.LotkaVolterra) -> None:
        self.inner, self.n_features_in_ = inner, inner.n_features_in_

    def rhs(self, x):
        return self.inner.rhs(x)

    def jacobian(self, x):
        return self.inner.jacobian(x)


def test_generic_models_use_numerical_roots() -> None:
    model = _Generic(lvdyn.LotkaVolterra.from_params(*COEXIST))
    eq = lvdyn.find_equilibria(model, n_starts=30, seed=1)
    assert eq.attrs["status"] == "numerical" and eq.attrs["complete"] == 0
    found = eq.state.values[eq.stable.values]
    np.testing.assert_allclose(found, [[2 / 3, 2 / 3]], atol=1e-9)
    assert lvdyn.predict_survivors(model).tolist() == [True, True]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6))
def test_linear_spectrum_is_eig_of_A(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    A, b = rng.normal(size=(n, n)), rng.normal(size=n)
    ds = lvdyn.stability(lvdyn.LinearODE.from_params(A, b), rng.normal(size=n))
    got = np.sort_complex(ds.eigenvalue_real.values + 1j * ds.eigenvalue_imag.values)
    np.testing.assert_allclose(got, np.sort_complex(np.linalg.eigvals(A)), atol=1e-10)


def test_gdln_race_degenerate_line_of_equilibria() -> None:
    # research 4.2 case 2: a shared path (0) and two private ones; G has rank 2, so the
    # equilibria pi = (t, 2 - t, 2 - t), 0 <= t <= 2, form a line
    eta = 0.01
    g = np.array([[1, 1], [1, 0], [0, 1]], dtype=float)
    G, b = (g * 0.5) @ g.T, (g * 0.5) @ np.array([2.0, 2.0])
    model = lvdyn.LotkaVolterra.from_params(2 * eta * b, -2 * eta * G)
    eq = lvdyn.find_equilibria(model)
    assert eq.attrs["n_singular_supports"] == 1  # the full support is skipped, not solved
    x = eq.saturated_state.values
    np.testing.assert_allclose([x[1], x[2]], [2 - x[0], 2 - x[0]], atol=1e-12)
    assert eq.attrs["lcp_residual"] < 1e-12
    inside = lvdyn.stability(model, [1.0, 1.0, 1.0])
    assert inside.attrs["classification"] == "non-isolated"
    assert np.sum(np.abs(inside.eigenvalue_real.values) < 1e-12) == 1
