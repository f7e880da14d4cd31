"""Analytic Jacobians against finite differences, and spectra of non-symmetric systems.

Every matrix here is random or built as ``V B V^-1`` with a non-orthogonal ``V``, so it is
far from symmetric: a Jacobian with its indices swapped (``J.T``, or ``A diag(x)`` for
``diag(x) A``) differs from the right one by order one, not by round-off.
"""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn

K = 4


def _random_models() -> list[object]:
    rng = np.random.default_rng(11)
    A = rng.normal(size=(K, K))
    linear = lvdyn.LinearODE.from_params(A, rng.normal(size=K))
    lv = lvdyn.LotkaVolterra.from_params(rng.normal(size=K), rng.normal(size=(K, K)))
    # A dense degree-3 polynomial system: least squares (threshold 0) on random targets.
    X = rng.uniform(0.1, 2.0, size=(60, K))
    sindy = lvdyn.SINDy(degree=3, threshold=0.0, alpha=0.0).fit(X, rng.normal(size=(60, K)))
    return [linear, lv, sindy]


def _central_differences(model, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """``J[i, j] = (rhs_i(x + h e_j) - rhs_i(x - h e_j)) / 2h``, one column per component."""
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((model.rhs(x + step) - model.rhs(x - step)) / (2 * h))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("model", _random_models(), ids=lambda m: type(m).__name__)
def test_jacobian_equals_central_differences_of_rhs(model) -> None:
    states = np.random.default_rng(5).uniform(0.1, 2.0, size=(5, K))
    for x in states:
        analytic = model.jacobian(x)
        numeric = _central_differences(model, x)
        assert np.abs(analytic - analytic.T).max() > 0.1  # not symmetric: a transpose shows
        # h = 1e-5 on polynomials of degree <= 3 with O(1) coefficients: truncation error
        # h^2 |f'''| / 6 ~ 1e-9, rounding ~ 1e-16 |f| / h ~ 1e-10; 1e-7 leaves room for both.
        np.testing.assert_allclose(
            analytic,
            numeric,
            rtol=0,
            atol=1e-7 * max(1.0, float(np.abs(numeric).max())),
            err_msg=f"{type(model).__name__}.jacobian({x}) (rows: equations, columns: d/dx_j) "
            "differs from central differences of rhs",
        )


def _with_spectrum(block: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A matrix ``V block V^-1`` with a random, non-orthogonal ``V``; and that ``V``."""
    rng = np.random.default_rng(seed)
    V = np.eye(block.shape[0]) + 0.6 * rng.normal(size=block.shape)
    return V @ block @ np.linalg.inv(V), V


def _sorted(eigenvalues: np.ndarray) -> np.ndarray:
    return eigenvalues[np.lexsort((-eigenvalues.imag, -eigenvalues.real))]


#: A stable focus (eigenvalues -0.2 +- 1.5i, -1) and a saddle (0.5, -1, -2).
FOCUS = np.array([[-0.2, -1.5, 0.0], [1.5, -0.2, 0.0], [0.0, 0.0, -1.0]])
FOCUS_EIG = np.array([-0.2 + 1.5j, -0.2 - 1.5j, -1.0])
SADDLE = np.diag([0.5, -1.0, -2.0])
SADDLE_EIG = np.array([0.5, -1.0, -2.0], dtype=complex)


@pytest.mark.parametrize(
    ("block", "eigenvalues", "kind"),
    [(FOCUS, FOCUS_EIG, "stable focus"), (SADDLE, SADDLE_EIG, "saddle")],
)
def test_linear_equilibrium_and_spectrum_of_a_non_symmetric_system(
    block, eigenvalues, kind
) -> None:
    A, _ = _with_spectrum(block, seed=2)
    x_star = np.array([0.7, -1.3, 2.1])
    model = lvdyn.LinearODE.from_params(A, -A @ x_star)
    eq = lvdyn.find_equilibria(model)
    # A well-conditioned 3 x 3 solve: the equilibrium is exact to round-off.
    np.testing.assert_allclose(eq.state.values, [x_star], atol=1e-10)
    assert str(eq.classification.values[0]) == kind
    ds = lvdyn.stability(model, x_star)
    assert ds.attrs["classification"] == kind and ds.attrs["is_equilibrium"] == 1
    np.testing.assert_allclose(ds.jacobian.values, A, atol=1e-12)  # row i: d rhs_i / d x_j
    got = ds.eigenvalue_real.values + 1j * ds.eigenvalue_imag.values
    np.testing.assert_allclose(_sorted(got), _sorted(eigenvalues), atol=1e-10)


def test_lotka_volterra_interior_equilibrium_with_a_known_spectrum() -> None:
    # J(x*) = diag(x*) A at an interior equilibrium; choose J = V FOCUS V^-1 and x*, then
    # A = diag(1 / x*) J and r = -A x*. A is non-symmetric, so diag(x*) A != A diag(x*).
    x_star = np.array([0.5, 1.2, 0.8])
    J, _ = _with_spectrum(FOCUS, seed=4)
    A = J / x_star[:, np.newaxis]
    model = lvdyn.LotkaVolterra.from_params(-A @ x_star, A)
    ds = lvdyn.stability(model, x_star)
    assert ds.attrs["classification"] == "stable focus" and ds.attrs["is_equilibrium"] == 1
    np.testing.assert_allclose(ds.jacobian.values, J, atol=1e-12)
    assert np.abs(ds.jacobian.values - A * x_star[np.newaxis, :]).max() > 0.1
    got = ds.eigenvalue_real.values + 1j * ds.eigenvalue_imag.values
    np.testing.assert_allclose(_sorted(got), _sorted(FOCUS_EIG), atol=1e-10)
    eq = lvdyn.find_equilibria(model)
    interior = eq.sel(equilibrium=eq.support.all("component"))
    np.testing.assert_allclose(interior.state.values, [x_star], atol=1e-10)
    assert interior.classification.values.tolist() == ["stable focus"]
    np.testing.assert_allclose(float(interior.max_real_eigenvalue[0]), -0.2, atol=1e-10)
