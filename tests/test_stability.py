"""Fits that cannot blow up: ``stability="dissipative"`` and ``fit_traces(method="trajectory")``."""

from __future__ import annotations

import tempfile
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

import lvdyn
from lvdyn.models._stability import symmetric_top
from lvdyn.producers import synthetic

R = np.array([1.0, 0.8, 0.6])
A_STABLE = np.array([[-1.0, -0.3, 0.2], [-0.2, -1.0, -0.3], [0.1, -0.4, -0.8]])  # sym top -0.41


def _matrix(model: lvdyn.LinearODE | lvdyn.LotkaVolterra) -> np.ndarray:
    return model.interaction_matrix_ if isinstance(model, lvdyn.LotkaVolterra) else model.A_


def _random_traces(seed: int, k: int = 5, runs: int = 3, steps: int = 60):
    """Positive random walks in log space: no ODE behind them."""
    rng = np.random.default_rng(seed)
    values = np.exp(0.2 * rng.normal(size=(runs, steps, k)).cumsum(axis=1))
    return lvdyn.make_traces(values, step=np.arange(steps)), values


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", [lvdyn.LotkaVolterra, lvdyn.LinearODE])
def test_random_data_never_diverges(seed, kind) -> None:
    ds, values = _random_traces(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random data are ill-conditioned by design
        model = lvdyn.fit_traces(kind(stability="dissipative"), ds)
    A, eps = _matrix(model), model.stability_margin_
    assert eps > 0 and symmetric_top(A) <= -eps
    x0 = values[0, 0]
    run = model.integrate(x0, 10 * values.shape[1])  # 10x the window
    assert run.status == "ok" and np.isfinite(run.states).all()
    if kind is lvdyn.LotkaVolterra:
        # sum x <= max(sum x0, K max(r, 0) / eps): the bound the docstring proves.
        bound = max(x0.sum(), x0.size * max(model.growth_rates_.max(), 0.0) / eps)
        assert run.states.sum(axis=1).max() <= bound * (1 + 1e-6)
    else:
        # |x(t) - x*| never grows (it decays at rate eps).
        star = -np.linalg.solve(A, model.b_)
        dist = np.linalg.norm(run.states - star, axis=1)
        assert np.all(dist <= dist[0] * (1 + 1e-6))


@pytest.mark.parametrize("kind", [lvdyn.LotkaVolterra, lvdyn.LinearODE])
def test_unconstrained_fit_diverges_on_the_same_data(kind) -> None:
    """The control: without the option, the same random data (seed 2) blow up."""
    ds, values = _random_traces(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lvdyn.fit_traces(kind(), ds)
    assert symmetric_top(_matrix(model)) > 0
    assert model.integrate(values[0, 0], 600).status == "diverged"


def _stable_lv(noise: float = 0.01):
    x0 = np.random.default_rng(0).uniform(0.1, 1.5, size=(4, 3))
    return synthetic.lotka_volterra(r=R, A=A_STABLE, x0=x0, steps=100, dt=0.1, noise=noise)


def test_recovers_a_stable_lotka_volterra_and_equals_the_unconstrained_fit() -> None:
    ds = _stable_lv()
    free = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time")
    held = lvdyn.fit_traces(lvdyn.LotkaVolterra(stability="dissipative"), ds, time="time")
    # The unconstrained fit is already dissipative: it is kept bit for bit.
    assert symmetric_top(free.interaction_matrix_) < -held.stability_margin_
    np.testing.assert_array_equal(held.interaction_matrix_, free.interaction_matrix_)
    np.testing.assert_array_equal(held.growth_rates_, free.growth_rates_)
    # 1% multiplicative noise, dt = 0.1, central differences of log x: measured 3.0% of
    # max |A| and 0.033 on r; twice that is the tolerance.
    assert np.abs(held.interaction_matrix_ - A_STABLE).max() < 0.06 * np.abs(A_STABLE).max()
    assert np.abs(held.growth_rates_ - R).max() < 0.07


def test_trajectory_route_recovers_and_keeps_the_constraint() -> None:
    ds = _stable_lv()
    model = lvdyn.fit_traces(
        lvdyn.LotkaVolterra(stability="dissipative"), ds, time="time", method="trajectory"
    )
    assert model.method_ == "trajectory" and model.refine_converged_
    assert symmetric_top(model.interaction_matrix_) <= -model.stability_margin_
    # Trajectory fitting averages the noise instead of differentiating it: measured 1.0% of
    # max |A| and 0.014 on r (a third of the derivative fit's error); tolerance 2-3x that.
    assert np.abs(model.interaction_matrix_ - A_STABLE).max() < 0.03 * np.abs(A_STABLE).max()
    assert np.abs(model.growth_rates_ - R).max() < 0.03


def test_trajectory_route_on_random_data_stays_dissipative() -> None:
    ds, values = _random_traces(1, k=3, steps=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lvdyn.fit_traces(
            lvdyn.LinearODE(stability="dissipative"),
            ds,
            method="trajectory",
            trajectory={"max_nfev": 20},
        )
    assert symmetric_top(model.A_) <= -model.stability_margin_
    assert np.isfinite(model.simulate(values[0, 0], 400, on_divergence="raise")).all()


def test_recovers_a_stable_linear_system() -> None:
    A = np.array([[-0.5, 0.4], [-0.3, -0.3]])  # sym top -0.25
    b = np.array([0.2, 0.1])
    ds = synthetic.linear(A=A, b=b, x0=[[0.0, 0.0], [1.0, 2.0]], steps=200, dt=0.1)
    model = lvdyn.fit_traces(
        lvdyn.LinearODE(stability="dissipative"), ds, time="time", derivative="central4"
    )
    # Noise-free: only the 4th-order difference error, O(dt^4) ~ 1e-4 relative.
    np.testing.assert_allclose(model.A_, A, atol=1e-3)
    np.testing.assert_allclose(model.b_, b, atol=1e-3)


def test_constrained_solution_is_the_optimum() -> None:
    """Against a direct minimisation over A = -(L L^T + eps I) + (U - U^T) (K = 2)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    A_true = np.array([[0.5, 1.0], [-0.4, 0.2]])  # unstable: the constraint binds
    Y = X @ A_true.T + 0.3 + 0.1 * rng.normal(size=(300, 2))
    model = lvdyn.LinearODE(stability="dissipative", max_iter=20000, tol=1e-12).fit(X, Y)
    eps = model.stability_margin_

    def loss(theta: np.ndarray) -> float:
        L = np.array([[theta[0], 0.0], [theta[1], theta[2]]])
        A = -(L @ L.T) - eps * np.eye(2) + np.array([[0.0, theta[3]], [-theta[3], 0.0]])
        resid = Y - X @ A.T
        resid -= resid.mean(axis=0)  # the intercept profiled out
        return float((resid**2).sum())

    best = min(
        (minimize(loss, rng.normal(size=4), method="BFGS") for _ in range(5)),
        key=lambda r: r.fun,
    )
    ours = float(((Y - model.predict(X)) ** 2).sum())
    assert ours <= best.fun * (1 + 1e-6)
    assert symmetric_top(model.A_) <= -eps


def test_penalties_bounds_and_equation_weights_keep_the_guarantee() -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(0.1, 2.0, size=(300, 4))
    Y = X * rng.normal(size=(300, 4))
    weight = (rng.uniform(size=(300, 4)) > 0.3).astype(float)  # per-equation masks
    sign = -np.eye(4, dtype=int)
    for params in (
        {"penalty": "lasso", "alpha": 0.01},
        {"penalty": "elasticnet", "alpha": 0.01, "l1_ratio": 0.5},
        {"penalty": "ridge", "alpha": 1.0, "sign": sign},
        {"diagonal": "nonpositive", "support": ~np.eye(4, k=1, dtype=bool)},
    ):
        model = lvdyn.LotkaVolterra(stability="dissipative", **params)
        model.fit(X, Y, sample_weight=weight)
        A = model.interaction_matrix_
        assert symmetric_top(A) <= -model.stability_margin_, params
        if "support" in params:
            assert np.all(A[np.eye(4, k=1, dtype=bool)] == 0.0)
        if "sign" in params:
            assert np.all(np.diag(A) <= 0.0)


def test_save_load_round_trips_the_option() -> None:
    estimator = lvdyn.LotkaVolterra(stability="dissipative", stability_margin=0.01)
    model = lvdyn.fit_traces(estimator, _stable_lv(), time="time")
    path = tempfile.mkdtemp() + "/model.nc"
    lvdyn.save_model(model, path)
    loaded = lvdyn.load_model(path)
    assert loaded.get_params()["stability"] == "dissipative"
    assert loaded.get_params()["stability_margin"] == 0.01
    np.testing.assert_array_equal(loaded.interaction_matrix_, model.interaction_matrix_)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"stability": "stable"}, "`stability` must be None"),
        ({"stability": "dissipative", "stability_margin": 0.0}, "`stability_margin`"),
        ({"stability": "dissipative", "diagonal": "nonnegative"}, "diagonal entry"),
    ],
)
def test_bad_options_are_refused(params, match) -> None:
    X = np.random.default_rng(0).uniform(0.1, 1.0, size=(20, 2))
    with pytest.raises(ValueError, match=match):
        lvdyn.LotkaVolterra(**params).fit(X, X)


def test_trajectory_method_is_checked() -> None:
    ds = _stable_lv()
    with pytest.raises(ValueError, match="`method` must be"):
        lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, method="shooting")
    with pytest.raises(ValueError, match="need `method='trajectory'`"):
        lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, trajectory={"max_nfev": 5})


def test_an_unconverged_solve_warns_and_still_meets_the_constraint() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 3))
    Y = X @ np.array([[0.5, 1.0, 0.0], [-0.4, 0.2, 0.3], [0.0, 0.1, 0.4]]).T
    with pytest.warns(ConvergenceWarning, match="stability-constrained solve"):
        model = lvdyn.LinearODE(stability="dissipative", max_iter=1).fit(X, Y)
    assert not model.converged_.any()
    assert symmetric_top(model.A_) <= -model.stability_margin_


def test_the_model_file_records_the_method_and_the_constraint() -> None:
    estimator = lvdyn.LotkaVolterra(stability="dissipative")
    model = lvdyn.fit_traces(estimator, _stable_lv(), time="time", method="trajectory")
    path = tempfile.mkdtemp() + "/model.nc"
    lvdyn.save_model(model, path)
    info = lvdyn.load_model(path).fit_info_
    assert info["fit_method"] == "trajectory"
    assert "stability=dissipative" in info["fit_constraints"]


def test_dissipative_refinement_refuses_sign_constraints() -> None:
    model = lvdyn.LotkaVolterra.from_params(R, A_STABLE)
    model.set_params(stability="dissipative", sign=-np.ones((3, 3), dtype=int))
    with pytest.raises(ValueError, match="cannot also hold `support` or `sign`"):
        lvdyn.refine_trajectories(model, _stable_lv(), time="time")
