"""Penalties and constraints of LinearODE / LotkaVolterra, and SINDy, on known systems."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, Ridge

import lvdyn


@pytest.fixture
def linear_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    A = np.array([[-1.0, 0.3, 0.0], [0.0, -0.5, 0.2], [0.1, 0.0, -0.8]])
    b = np.array([0.5, -0.2, 0.1])
    X = rng.normal(size=(200, 3))
    y = X @ A.T + b + 0.05 * rng.normal(size=(200, 3))
    return X, y, A, b


@pytest.mark.parametrize(
    ("penalty", "reference"),
    [
        ("ridge", Ridge(alpha=3.0)),
        ("lasso", Lasso(alpha=0.05, tol=1e-12)),
        ("elasticnet", ElasticNet(alpha=0.05, l1_ratio=0.3, tol=1e-12)),
    ],
)
def test_penalties_match_scikit_learn(linear_data, penalty, reference) -> None:
    X, y, _, _ = linear_data
    params = {"ridge": dict(alpha=3.0), "lasso": dict(alpha=0.05)}.get(
        penalty, dict(alpha=0.05, l1_ratio=0.3)
    )
    ours = lvdyn.LinearODE(penalty=penalty, tol=1e-12, **params).fit(X, y)
    theirs = reference.fit(X, y)
    # Same objective, both solved to tight tolerance: agreement to 1e-6.
    np.testing.assert_allclose(ours.A_, theirs.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.b_, theirs.intercept_, atol=1e-6)


def test_support_and_sign_constraints_hold(linear_data) -> None:
    X, y, A, _ = linear_data
    support = A != 0
    model = lvdyn.LinearODE(support=support, diagonal="nonpositive").fit(X, y)
    assert np.all(model.A_[~support] == 0)
    assert np.all(np.diag(model.A_) <= 0)
    # Noise 0.05 over 200 samples: the free entries are within 0.02 of the truth.
    np.testing.assert_allclose(model.A_, A, atol=0.02)
    sign = -np.ones((3, 3), dtype=int)  # force everything <= 0: positive entries hit zero
    forced = lvdyn.LinearODE(sign=sign, penalty="lasso", alpha=1e-3).fit(X, y)
    assert np.all(forced.A_ <= 0)
    assert forced.A_[0, 1] == 0.0


def test_bad_hyperparameters_are_named(linear_data) -> None:
    X, y, _, _ = linear_data
    with pytest.raises(ValueError, match="`penalty` must be"):
        lvdyn.LinearODE(penalty="l0").fit(X, y)
    with pytest.raises(ValueError, match="`sign` must be"):
        lvdyn.LinearODE(sign=np.ones((2, 2))).fit(X, y)
    with pytest.raises(ValueError, match="`y` must hold one derivative"):
        lvdyn.LinearODE().fit(X, y[:, :2])


def test_lv_floor_option() -> None:
    truth = lvdyn.LotkaVolterra.from_params([1.0, -0.5], [[-1.0, 0.4], [0.7, -0.3]])
    X = np.random.default_rng(2).uniform(0.1, 1.0, size=(12, 2))
    X[[3, 8], [0, 1]] = 0.0  # two states at zero
    # Derivatives of the floored states: a fit that applies the floor to the states it
    # divides by and regresses on recovers the truth exactly.
    y = truth.rhs(np.maximum(X, 1e-3))
    with pytest.raises(ValueError, match="must be positive"):
        lvdyn.LotkaVolterra().fit(X, y)
    model = lvdyn.LotkaVolterra(floor=1e-3).fit(X, y)
    # Noise-free least squares on 12 well-spread samples: exact to round-off (~1e-12).
    np.testing.assert_allclose(model.growth_rates_, truth.growth_rates_, atol=1e-9)
    np.testing.assert_allclose(model.interaction_matrix_, truth.interaction_matrix_, atol=1e-9)


def test_sindy_recovers_sparse_lv_support() -> None:
    from lvdyn.producers import synthetic

    r = np.array([1.0, 0.8, 0.6])
    A = np.array([[-1.0, -0.5, 0.0], [0.0, -1.0, -0.3], [-0.2, 0.0, -1.0]])
    # Six short runs from spread-out starts: long stretches near the equilibrium would make
    # the quadratic library collinear.
    x0 = np.random.default_rng(0).uniform(0.05, 2.0, size=(6, 3))
    ds = synthetic.lotka_volterra(r=r, A=A, x0=x0, steps=200, dt=0.02)
    model = lvdyn.fit_traces(
        lvdyn.SINDy(degree=2, threshold=0.05), ds, time="time", derivative="central4"
    )
    # Expected support: x_i (r_i) and x_i x_j (A_ij) in equation i; nothing else.
    expected = np.zeros_like(model.coef_, dtype=bool)
    for i in range(3):
        for m, p in enumerate(model.powers_):
            if p.sum() == 1 and p[i] == 1 and r[i] != 0:
                expected[i, m] = True
            if p.sum() == 2 and p[i] >= 1:
                j = i if p[i] == 2 else int(np.flatnonzero((p == 1) & (np.arange(3) != i))[0])
                expected[i, m] = A[i, j] != 0
    np.testing.assert_array_equal(np.abs(model.coef_) > 1e-6, expected)  # 1e-6: round-off
    # Analytic Jacobian equals the LV Jacobian of the truth at a test point (coefficients to 1e-3).
    x = np.array([0.4, 0.7, 0.2])
    truth = lvdyn.LotkaVolterra.from_params(r, A)
    np.testing.assert_allclose(model.jacobian(x), truth.jacobian(x), atol=1e-2)


def test_sindy_missing_optional_solver_names_the_install() -> None:
    pysindy = pytest.importorskip("pysindy")
    if hasattr(pysindy, "ConstrainedSR3"):
        pytest.skip("cvxpy is installed")
    with pytest.raises(ImportError, match="pip install 'pysindy\\[cvxpy\\]'"):
        lvdyn.SINDy(optimizer="constrained_sr3").fit(np.ones((5, 2)), np.ones((5, 2)))


def test_fit_validates_samples_states_and_weights_before_the_target_shape() -> None:
    X = np.random.default_rng(0).uniform(0.1, 1.0, size=(6, 2))
    with pytest.raises(ValueError, match="1 sample"):
        lvdyn.LinearODE().fit(X[:1], X[:1])
    with pytest.raises(ValueError, match="`sample_weight` must not be all zero"):
        lvdyn.SINDy().fit(X, X, sample_weight=np.zeros(6))
    with pytest.raises(ValueError, match="Negative values in data"):
        lvdyn.LotkaVolterra().fit(X - 0.5, X[:, 0])  # the states are checked before y
    with pytest.raises(ValueError, match="one derivative per component"):
        lvdyn.LotkaVolterra().fit(X, X[:, 0])
