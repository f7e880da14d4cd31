"""Numerical faults are reported, never hidden: blow-ups, solver failures, ill-conditioned
designs and optimisers that stop before converging.

pytest runs with warnings as errors, so each test also shows that nothing else (numpy
overflow warnings, for example) escapes besides the documented warning.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import xarray as xr
from sklearn.exceptions import ConvergenceWarning

import lvdyn
from lvdyn.models import AbstractODEModel
from lvdyn.producers import synthetic


@pytest.fixture(scope="module")
def growing() -> xr.Dataset:
    """Exponential growth x' = 0.5 x (two components), sampled at dt = 0.1 over 2 time units."""
    return synthetic.linear(
        A=[[0.5, 0.0], [0.0, 0.3]], b=[0.0, 0.0], x0=[[1.0, 2.0]], steps=20, dt=0.1
    )


def _blowing_up_fit(growing: xr.Dataset) -> lvdyn.LinearODE:
    model = lvdyn.fit_traces(lvdyn.LinearODE(), growing, time="time", derivative="central4")
    # The fit recovers the growth rates (noise-free data; fourth-order differences).
    np.testing.assert_allclose(np.diag(model.A_), [0.5, 0.3], atol=1e-4)
    return model


def test_a_fitted_model_that_blows_up_stops_with_a_status(growing: xr.Dataset) -> None:
    model = _blowing_up_fit(growing)
    # Far past the data: exp(0.5 * 100) = 5e21 passes max_norm = 1e12 near t = 55 (step 550).
    with pytest.warns(lvdyn.DivergenceWarning, match=r"run 0 stopped before step \d+: diverged"):
        sim = lvdyn.simulate_traces(model, growing, steps=1000, time="time")
    assert sim.simulation_status.values.tolist() == ["diverged"]
    message = str(sim.simulation_message.values[0])
    assert "max_norm=1e+12" in message and "largest components [0]" in message
    finite = np.isfinite(sim.strength.values[0]).all(axis=1)
    stop = int(np.argmin(finite))
    assert 500 < stop < 600  # blow-up near t = ln(1e12) / 0.5 = 55.3, i.e. step 553
    assert finite[:stop].all() and not finite[stop:].any()


def test_divergence_can_raise_or_stay_silent(growing: xr.Dataset) -> None:
    model = _blowing_up_fit(growing)
    with pytest.raises(lvdyn.FitError, match="did not reach the last step"):
        lvdyn.simulate_traces(model, growing, steps=1000, time="time", on_divergence="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a numpy overflow warning
        sim = lvdyn.simulate_traces(model, growing, steps=1000, time="time", on_divergence="nan")
    assert sim.simulation_status.values.tolist() == ["diverged"]
    ok = lvdyn.simulate_traces(model, growing)  # within the data: no warning, status ok
    assert ok.simulation_status.values.tolist() == ["ok"]
    assert ok.simulation_message.values.tolist() == [""]


def test_model_simulate_names_the_component_that_blew_up() -> None:
    # x_a' = x_a (1 + x_a) blows up at t = ln 2; x_b' = x_b (0.5 - x_b) settles at 0.5.
    model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[1.0, 0.0], [0.0, -1.0]])
    model.component_labels_ = np.array(["a", "b"])
    with pytest.warns(lvdyn.DivergenceWarning, match=r"largest components \['a'\]"):
        path = model.simulate([1.0, 0.1], 5)
    assert np.isfinite(path[0]).all() and np.isnan(path[1:]).all()
    run = model.integrate([1.0, 0.1], 5)
    assert run.status == "diverged" and run.components == (0,)
    assert run.stop_time == pytest.approx(np.log(2.0), abs=1e-3)  # the exact blow-up time


class _Singular(AbstractODEModel):
    """x' = -1 / x: x = sqrt(1 - 2t) reaches 0 at t = 0.5 with an infinite slope."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _Singular:
        self.n_features_in_ = 1
        return self

    def _rhs(self, X: np.ndarray) -> np.ndarray:
        return -1.0 / X

    def _jacobian(self, x: np.ndarray) -> np.ndarray:
        return np.diag(1.0 / x**2)


def test_a_solver_that_cannot_go_on_fails_with_a_status_instead_of_hanging() -> None:
    model = _Singular().fit(np.ones((1, 1)), np.ones((1, 1)))
    run = model.integrate([1.0], [0.0, 0.25, 1.0], max_evaluations=5_000)
    assert run.status == "failed" and "max_evaluations" in run.message
    assert run.states[1, 0] == pytest.approx(np.sqrt(0.5), rel=1e-6)  # before the singularity
    assert np.isnan(run.states[2, 0])
    assert 0.49 < run.stop_time <= 0.5
    with pytest.raises(lvdyn.FitError, match="the simulation failed"):
        model.simulate([1.0], [0.0, 1.0], max_evaluations=5_000, on_divergence="raise")


def test_constant_and_duplicate_components_warn_with_their_names() -> None:
    t = np.linspace(0.0, 1.0, 30)
    x = np.stack([np.exp(-t), np.full_like(t, 2.0), 1.0 + t, 1.0 + t], axis=1)
    ds = lvdyn.make_traces(x, step=np.arange(30), component=["x", "flat", "twin1", "twin2"])
    with pytest.warns(lvdyn.IllConditionedWarning) as caught:
        lvdyn.fit_traces(lvdyn.LinearODE(), ds)
    text = " ".join(str(w.message) for w in caught)
    assert "['flat']" in text and "constant" in text
    assert "('twin1', 'twin2')" in text and "identical trajectories" in text


def test_nearly_collinear_components_warn_with_the_condition_number() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(1.0, 2.0, size=(40, 2))
    almost = base[:, 0] + base[:, 1] + 1e-9 * rng.normal(size=40)  # a sum, up to 1e-9
    ds = lvdyn.make_traces(np.column_stack([base, almost]), step=np.arange(40))
    with pytest.warns(lvdyn.IllConditionedWarning, match="condition number"):
        lvdyn.fit_traces(lvdyn.LinearODE(), ds, derivative="forward")


def test_lasso_that_stops_at_max_iter_names_the_components(growing: xr.Dataset) -> None:
    ds = growing.assign_coords(component=["slow", "fast"], component_j=["slow", "fast"])
    with pytest.warns(ConvergenceWarning, match=r"components \['slow', 'fast'\]") as caught:
        model = lvdyn.fit_traces(
            lvdyn.LinearODE(penalty="lasso", alpha=1e-8, max_iter=1), ds, time="time"
        )
    assert len(caught) == 1  # one warning, with labels (the estimator's own is replaced)
    assert model.converged_.tolist() == [False, False] and model.n_iter_ == 1
    converged = lvdyn.fit_traces(
        lvdyn.LinearODE(penalty="lasso", alpha=1e-8, max_iter=100_000), ds, time="time"
    )
    assert converged.converged_.all()


def test_refinement_that_runs_out_of_evaluations_says_so() -> None:
    ds = synthetic.lotka_volterra(
        r=[1.0], A=[[-1.0]], x0=[[0.1], [2.0]], steps=60, dt=0.1, noise=0.01, seed=0
    )
    rough = lvdyn.LotkaVolterra.from_params([0.8], [[-0.9]])
    with pytest.warns(ConvergenceWarning, match="`max_nfev`=2"):
        refined = lvdyn.refine_trajectories(rough, ds, time="time", max_nfev=2)
    assert refined.refine_converged_ is False
    assert lvdyn.refine_trajectories(rough, ds, time="time").refine_converged_ is True


def test_lcp_without_a_solution_is_reported() -> None:
    # Self-reinforcing growth (A_ii > 0): no saturated equilibrium, the LCP has a ray.
    model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]])
    assert lvdyn.find_equilibria(model).attrs["status"] == "lcp_ray"
    with pytest.raises(lvdyn.FitError, match="'lcp_ray'"):
        lvdyn.predict_survivors(model)
