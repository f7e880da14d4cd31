"""Symbolic readout agrees with the numeric model."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import lvdyn
from lvdyn.producers import synthetic


def _models():
    lv = synthetic.stable_lotka_volterra(4, seed=2)
    lin = synthetic.stable_linear(3, seed=5)
    return [
        lvdyn.LotkaVolterra.from_params(lv.r, lv.A),
        lvdyn.LinearODE.from_params(lin.A, lin.b),
    ]


@pytest.mark.parametrize("model", _models(), ids=["lotka_volterra", "linear"])
def test_sympy_rhs_equals_numeric_rhs_at_random_points(model) -> None:
    sym = lvdyn.to_sympy(model)
    rng = np.random.default_rng(0)
    for x in rng.uniform(-2, 2, size=(10, model.n_features_in_)):
        values = sym.rhs.subs(dict(zip(sym.symbols, x, strict=True))).evalf()
        # sympy Floats carry the 15-17 digits of the coefficients: agreement to 1e-12
        np.testing.assert_allclose(np.array(values, dtype=float).ravel(), model.rhs(x), atol=1e-12)
    fast = lvdyn.lambdify_rhs(model)
    X = rng.uniform(-2, 2, size=(50, model.n_features_in_))
    np.testing.assert_allclose(fast(X), model.rhs(X), atol=1e-12)
    np.testing.assert_allclose(fast(X[0]), model.rhs(X[0]), atol=1e-12)


def test_matrices_labels_and_equations() -> None:
    model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -0.25], [0.125, -2.0]])
    sym = lvdyn.to_sympy(model, labels=["k3", "k7"], rational=True)
    assert sym.A == sympy.Matrix([[-1, sympy.Rational(-1, 4)], [sympy.Rational(1, 8), -2]])
    assert sym.r == sympy.Matrix([1, sympy.Rational(1, 2)])
    assert sym.b is None and [str(s) for s in sym.symbols] == ["k3", "k7"]
    k3, k7 = sym.symbols
    assert sympy.expand(sym.equations[0].rhs - k3 * (1 - k3 - k7 / 4)) == 0
    assert lvdyn.equations(model, precision=2, labels=["k3", "k7"]) == [
        "dk3/dt = k3*(1.0 - 1.0*k3 - 0.25*k7)",
        "dk7/dt = k7*(0.5 + 0.12*k3 - 2.0*k7)",  # 0.125 rounds half to even
    ]
    # integer labels become x_<label>
    assert lvdyn.equations(model, rational=True)[0] == "dx_0/dt = x_0*(1 - x_0 - x_1/4)"


def test_rounding_is_display_only() -> None:
    A = np.array([[-1.23456789]])
    model = lvdyn.LinearODE.from_params(A, [0.987654321])
    assert lvdyn.equations(model, precision=3) == ["dx_0/dt = 0.988 - 1.23*x_0"]
    assert lvdyn.to_sympy(model, precision=2, rational=True).A == sympy.Matrix(
        [[-sympy.Rational(6, 5)]]
    )
    np.testing.assert_array_equal(model.A_, A)  # the model is untouched


def test_latex_export() -> None:
    model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, 0.0], [0.0, -2.0]])
    tex = lvdyn.to_latex(model, precision=2, labels=["u", "v"])
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    assert r"\frac{d u}{d t} &= u \left(1.0 - 1.0 u\right)" in tex
    assert tex.count("\\\\") == 1  # one line break between two equations


class _LibraryModel:
    """Stand-in for a SINDy model: coef_ over pysindy-style feature names."""

    def __init__(self) -> None:
        self.n_features_in_ = 2
        self.feature_names_ = ["1", "x0", "x1", "x0^2", "x0 x1", "x1^2"]
        self.coef_ = np.array([[0.0, 1.0, 0.0, -1.0, -0.5, 0.0], [0.2, 0.0, 0.8, 0.0, -0.3, -1.0]])

    def rhs(self, x):
        x = np.atleast_2d(x)
        lib = np.stack(
            [np.ones(len(x)), x[:, 0], x[:, 1], x[:, 0] ** 2, x[:, 0] * x[:, 1], x[:, 1] ** 2],
            axis=1,
        )
        return lib @ self.coef_.T

    def jacobian(self, x):  # not used here
        raise NotImplementedError


def test_library_models_are_read_from_feature_names() -> None:
    model = _LibraryModel()
    sym = lvdyn.to_sympy(model, labels=["a", "b"])
    a, b = sym.symbols
    assert sym.features == (sympy.Integer(1), a, b, a**2, a * b, b**2)
    fast = lvdyn.lambdify_rhs(model)
    X = np.random.default_rng(1).uniform(-1, 1, size=(20, 2))
    np.testing.assert_allclose(fast(X), model.rhs(X), atol=1e-12)
    assert lvdyn.equations(model, labels=["a", "b"])[0] == "da/dt = 1.0*a - 1.0*a**2 - 0.5*a*b"


def test_unreadable_feature_names_raise() -> None:
    model = _LibraryModel()
    model.feature_names_ = ["1", "x0", "x1", "x0^^2", "x0 x1", "x1^2"]
    with pytest.raises(ValueError, match="could not be read"):
        lvdyn.to_sympy(model)


def test_symbolic_names_load_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lvdyn; before = 'sympy' in sys.modules; f = lvdyn.to_sympy; "
        "print(before, 'sympy' in sys.modules, f.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "lvdyn.symbolic"]
    assert "to_latex" in dir(lvdyn)
    with pytest.raises(AttributeError, match="no attribute 'to_pandas'"):
        lvdyn.to_pandas  # noqa: B018


def test_readouts_use_the_stored_component_labels(tmp_path):
    """Equations, LaTeX, equilibria, stability and SINDy's own readout all name components by
    the labels `fit_traces` stored, and a saved model reads back identically."""
    import lvdyn

    model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -0.2], [-0.1, -1.0]])
    model.component_labels_ = np.array([3, 7])
    assert lvdyn.equations(model, precision=2)[0].startswith("dx_3/dt = x_3*(")
    model.component_labels_ = np.array(["alpha", "beta"])
    lines = lvdyn.equations(model, precision=2)
    assert lines[0] == "dalpha/dt = alpha*(1.0 - 1.0*alpha - 0.2*beta)"
    assert r"\alpha" in lvdyn.to_latex(model)
    assert lvdyn.find_equilibria(model).component.values.tolist() == ["alpha", "beta"]
    path = tmp_path / "m.nc"
    lvdyn.save_model(model, path)
    assert lvdyn.equations(lvdyn.load_model(path), precision=2) == lines
    X = np.random.default_rng(0).uniform(0.1, 1.0, size=(40, 2))
    sindy = lvdyn.SINDy(library="lotka_volterra", threshold=0.05).fit(X, model.rhs(X))
    sindy.component_labels_ = np.array(["x1", "foo"])  # 'x1' must not be read as component 1
    first = lvdyn.equations(sindy, precision=2)[0]
    assert first.startswith("dx1/dt = ") and "foo" in first
    assert sindy.equations(precision=2)[0].startswith("dx1/dt = 1 x1")


def test_symbol_names_of_awkward_labels():
    from lvdyn.traces import symbol_mapping, symbol_names

    assert symbol_names(["species A", "2b", 5]) == ["species_A", "x_2b", "x_5"]
    assert symbol_mapping(["species A", "beta"]) == "species_A = 'species A'"
    with pytest.raises(ValueError, match="distinct"):
        symbol_names(["a b", "a_b"])
