"""fit_traces and simulate_traces on seeded synthetic systems with known ground truth."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.producers import synthetic


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def linear_traces() -> xr.Dataset:
    system = synthetic.stable_linear(4, seed=0)
    x0 = np.random.default_rng(0).uniform(-1.0, 3.0, size=(3, 4))
    return synthetic.linear(A=system.A, b=system.b, x0=x0, steps=300, dt=0.05)


def test_linear_noise_free_recovery(linear_traces: xr.Dataset) -> None:
    model = lvdyn.fit_traces(lvdyn.LinearODE(), linear_traces, time="time", derivative="central4")
    # Noise-free, 4th-order differences at dt=0.05: truncation error ~ dt^4 * |A|^5 ~ 1e-5.
    assert _rel(model.A_, linear_traces.true_A.values) < 1e-4
    assert _rel(model.b_, linear_traces.true_b.values) < 1e-4
    assert list(model.component_labels_) == [0, 1, 2, 3]


def test_lv_noise_free_recovery() -> None:
    system = synthetic.stable_lotka_volterra(3, seed=0)
    x0 = np.random.default_rng(1).uniform(0.1, 2.0, size=(3, 3))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=400, dt=0.02)
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time", derivative="central4")
    # log-space central4 on a smooth noise-free trajectory: error ~ dt^4, far below 1e-4.
    assert _rel(model.interaction_matrix_, system.A) < 1e-4
    assert _rel(model.growth_rates_, system.r) < 1e-4


def test_derivatives_never_cross_run_boundaries() -> None:
    # Two runs of an exact per-step linear map x[k+1] = 0.9 x[k] + 1 at very different
    # levels: forward differences inside each run satisfy dx = -0.1 x + 1 exactly, while any
    # difference across the boundary would not.
    steps = np.arange(30)
    runs = []
    for start in (0.0, 100.0):
        x = [start]
        for _ in steps[1:]:
            x.append(0.9 * x[-1] + 1.0)
        runs.append(np.array(x)[:, np.newaxis])
    ds = lvdyn.make_traces(np.stack(runs), step=steps)
    model = lvdyn.fit_traces(lvdyn.LinearODE(), ds, derivative="forward")
    np.testing.assert_allclose(model.A_, [[-0.1]], atol=1e-10)
    np.testing.assert_allclose(model.b_, [1.0], atol=1e-9)


def test_nan_samples_are_dropped_not_bridged() -> None:
    # Both stretches follow x[k+1] = 0.95 x[k] + 0.05 exactly (dx/step = -0.05 x + 0.05), but
    # restart at another level behind the NaN: a difference bridging the gap would break it.
    def stretch(start: float, n: int) -> np.ndarray:
        return (start - 1.0) * 0.95 ** np.arange(n) + 1.0

    x = np.concatenate([stretch(3.0, 20), [np.nan], stretch(40.0, 19)])
    ds = lvdyn.make_traces(x[np.newaxis, :, np.newaxis], step=np.arange(40))
    model = lvdyn.fit_traces(lvdyn.LinearODE(), ds, derivative="forward")
    np.testing.assert_allclose(model.A_, [[-0.05]], atol=1e-10)
    np.testing.assert_allclose(model.b_, [0.05], atol=1e-10)


def test_window_and_run_selection(linear_traces: xr.Dataset) -> None:
    model = lvdyn.fit_traces(
        lvdyn.LinearODE(), linear_traces, time="time", runs=[0, 2], window=(0, 100)
    )
    assert _rel(model.A_, linear_traces.true_A.values) < 1e-2  # central 2nd order, dt=0.05
    with pytest.raises(ValueError, match="`runs` must be labels"):
        lvdyn.fit_traces(lvdyn.LinearODE(), linear_traces, runs=[7])
    with pytest.raises(ValueError, match="`window`"):
        lvdyn.fit_traces(lvdyn.LinearODE(), linear_traces, window="first")
    with pytest.raises(ValueError, match="`time` must be 'step'"):
        lvdyn.fit_traces(lvdyn.LinearODE(), linear_traces, time="clock")


def test_time_scale_changes_rates(linear_traces: xr.Dataset) -> None:
    per_time = lvdyn.fit_traces(lvdyn.LinearODE(), linear_traces, time="time")
    per_step = lvdyn.fit_traces(lvdyn.LinearODE(), linear_traces, time="step")
    np.testing.assert_allclose(per_step.A_, per_time.A_ * 0.05, rtol=1e-10)


def test_lv_refuses_non_positive_states_when_asked() -> None:
    data = np.ones((1, 10, 2))
    data[0, 5, 1] = 0.0
    ds = lvdyn.make_traces(data, step=np.arange(10))
    with pytest.raises(lvdyn.FitError, match=r"strength <= 0.*zeros='raise'"):
        lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, zeros="raise")


def test_simulate_traces_round_trip(linear_traces: xr.Dataset) -> None:
    truth = lvdyn.LinearODE.from_params(linear_traces.true_A.values, linear_traces.true_b.values)
    sim = lvdyn.simulate_traces(truth, linear_traces, time="time")
    lvdyn.validate_traces(sim)
    # The producer integrates exactly (matrix exponential); LSODA at rtol 1e-8 agrees to 1e-6.
    np.testing.assert_allclose(sim.strength.values, linear_traces.strength.values, atol=1e-6)
    assert list(sim.run.values) == list(linear_traces.run.values)


def test_sample_weight_zero_equals_leaving_the_run_out() -> None:
    system = synthetic.stable_linear(2, seed=5)
    x0 = np.random.default_rng(5).uniform(-1.0, 3.0, size=(3, 2))
    ds = synthetic.linear(A=system.A, b=system.b, x0=x0, steps=60, dt=0.1, noise=0.01, seed=5)
    weight = xr.DataArray(np.array([1.0, 1.0, 0.0]), dims="run", coords={"run": ds.run.values})
    weighted = lvdyn.fit_traces(lvdyn.LinearODE(), ds, time="time", sample_weight=weight)
    subset = lvdyn.fit_traces(lvdyn.LinearODE(), ds, time="time", runs=[0, 1])
    np.testing.assert_allclose(weighted.A_, subset.A_, atol=1e-10)
    # A weight over all runs still lines up after run selection.
    picked = lvdyn.fit_traces(lvdyn.LinearODE(), ds, time="time", runs=[0, 1], sample_weight=weight)
    np.testing.assert_allclose(picked.A_, subset.A_, atol=1e-10)


def test_simulate_traces_from_initial_states() -> None:
    # A non-symmetric interaction matrix: a swapped index (A.T) changes the trajectory.
    r, A = np.array([1.0, 0.5]), np.array([[-1.0, -0.6], [0.3, -1.0]])
    model = lvdyn.LotkaVolterra.from_params(r, A)
    sim = lvdyn.simulate_traces(model, [[0.1, 0.1], [2.0, 1.0]], steps=200, dt=0.1)
    assert sim.strength.shape == (2, 201, 2)
    # Both runs approach the interior equilibrium x* = -A^-1 r; the Jacobian diag(x*) A has
    # eigenvalues with real part about -0.6, so exp(-12) ~ 6e-6 of the distance is left.
    x_star = np.linalg.solve(A, -r)
    np.testing.assert_allclose(sim.strength.values[:, -1], [x_star, x_star], atol=1e-4)
    # Early on, against an independent integration of dx/dt = x (r + A x) (scipy, tight).
    from scipy.integrate import solve_ivp

    for run, x0 in enumerate([[0.1, 0.1], [2.0, 1.0]]):
        exact = solve_ivp(
            lambda _t, x: x * (r + A @ x),
            (0, 2),
            x0,
            t_eval=[0.5, 1.0, 2.0],
            rtol=1e-11,
            atol=1e-13,
        ).y.T
        got = sim.strength.isel(run=run).sel(step=[5, 10, 20]).values
        # Both solvers at rtol <= 1e-8 on a smooth non-stiff system: agreement to 1e-6.
        np.testing.assert_allclose(got, exact, atol=1e-6)
