"""Recovery of known systems from noisy synthetic traces (seeded; tolerances from measurements)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.producers import synthetic


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _spread_start(rng: np.random.Generator, n_runs: int, n_components: int) -> np.ndarray:
    """Initial strengths log-uniform over [0.01, 3]: most components start small and grow.

    That is how components start in training (small, at different scales), and it is what
    identifies a Lotka-Volterra system: while x_i is small its per-capita rate is about r_i,
    and the runs visit states far apart in every direction. Starts spread uniformly around
    the equilibrium (uniform on [0.05, 3]) only excite the slow approach to it: measured
    regression errors 11-14% for A and refined errors 3.5-4.1% (A) / 2.0-4.0% (r), seeds 0-2.
    """
    return 10.0 ** rng.uniform(-2.0, 0.5, size=(n_runs, n_components))


@pytest.mark.slow  # about 6 s a seed: trajectory refinement of 110 parameters and 50 starts
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lotka_volterra_10_components_5_runs_1_percent_noise(seed: int) -> None:
    # The setup: 10 components, 5 runs, 1% multiplicative noise; 301 samples a run at
    # dt = 0.02 (time 0..6, the rates of A and r are about 1, so every run reaches its
    # equilibrium). The accuracy recipe: gradient matching on Savitzky-Golay derivatives of
    # log x (window 51 = one time unit, cubic: wide enough to average the 1% noise, narrow
    # against the curvature of the transients), then single-shooting trajectory refinement.
    system = synthetic.stable_lotka_volterra(10, seed=seed)
    x0 = _spread_start(np.random.default_rng(seed), 5, 10)
    ds = synthetic.lotka_volterra(
        r=system.r, A=system.A, x0=x0, steps=300, dt=0.02, noise=0.01, seed=seed
    )
    rough = lvdyn.fit_traces(
        lvdyn.LotkaVolterra(), ds, time="time", derivative=lvdyn.SavitzkyGolay(51, 3)
    )
    refined = lvdyn.refine_trajectories(rough, ds, time="time", shooting="single", substeps=1)
    # Measured over seeds 0-4: regression 2.8-4.3% (A) / 0.9-2.8% (r), so regression alone
    # misses the r target on some seeds; refinement 1.4-2.4% (A) / 0.5-0.8% (r), with a final
    # cost at the noise floor (0.5 n sigma^2 = 0.75), i.e. the maximum-likelihood fit. The
    # issue's 5% / 2% targets hold with a margin of two.
    assert _rel(rough.interaction_matrix_, system.A) <= 0.07
    assert _rel(refined.interaction_matrix_, system.A) <= 0.05
    assert _rel(refined.growth_rates_, system.r) <= 0.02
    assert refined.refine_cost_ < 1.2 * 0.5 * ds.strength.size * 0.01**2


def _linear_3_runs(seed: int) -> tuple[xr.Dataset, np.ndarray, np.ndarray]:
    # The setup: 10 components, 3 runs, 1% noise (additive, states are O(1));
    # 301 samples at dt = 0.02 cover one to three periods of every mode.
    # Three runs of a 10-d linear system identify A only if each run stays excited along
    # every direction long enough: a run's states span the Krylov space of x0 - x*, whose
    # k-th direction is weighted by about (spread of the eigenvalues * t)^k / k!. In
    # `synthetic.oscillatory_linear` the modes oscillate at frequencies spread over 1..3 and
    # decay slowly (rates 0.2-0.5), so the pooled states' smallest RMS singular value is
    # 0.10-0.18 (seeds 0-2), ten times the noise. In `synthetic.stable_linear` (-I plus small
    # couplings) every eigenvalue sits near -1, each run spans about three directions, the
    # smallest singular value is 0.0008, below the 0.01 noise, and no method identifies A
    # from 3 runs: measured errors 67-215%, trajectory refinement included.
    system = synthetic.oscillatory_linear(10, seed=seed)
    A, b = system.A, system.b
    x0 = system.equilibrium + 2.0 * np.random.default_rng(seed).standard_normal((3, 10))
    ds = synthetic.linear(A=A, b=b, x0=x0, steps=300, dt=0.02, noise=0.01, seed=seed)
    return ds, A, b


def test_linear_10_components_3_runs_1_percent_noise() -> None:
    ds, A, b = _linear_3_runs(0)
    # Savitzky-Golay window 31 (0.6 time units, a third of the shortest period): wider windows
    # bias the fast modes (window 51: 4.4% on A).
    model = lvdyn.fit_traces(
        lvdyn.LinearODE(), ds, time="time", derivative=lvdyn.SavitzkyGolay(31, 3)
    )
    # Measured 1.2% (A) and 0.8% (b) on this seed; 0.7-1.4% / 0.8-1.6% over seeds 0-2.
    assert _rel(model.A_, A) <= 0.02
    assert _rel(model.b_, b) <= 0.02


@pytest.mark.slow  # about 3 s a seed
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_3_runs_refined_over_seeds(seed: int) -> None:
    ds, A, b = _linear_3_runs(seed)
    rough = lvdyn.fit_traces(
        lvdyn.LinearODE(), ds, time="time", derivative=lvdyn.SavitzkyGolay(31, 3)
    )
    refined = lvdyn.refine_trajectories(rough, ds, time="time", shooting="single", substeps=1)
    # Measured over seeds 0-2: refined 0.5-0.7% (A) and 0.5-0.9% (b), under the regression's
    # 0.7-1.4% / 0.8-1.6%; the 2% target holds with a margin of two.
    assert _rel(refined.A_, A) <= 0.02
    assert _rel(refined.b_, b) <= 0.02


@pytest.mark.parametrize(("method", "order"), [("forward", 1), ("central", 2), ("central4", 4)])
def test_noise_free_fit_error_follows_the_derivative_order(method: str, order: int) -> None:
    # Noise-free Lotka-Volterra runs over time 0..4, sampled ever more densely: the error of
    # the fitted A is the truncation error of the derivative, so it falls as dt^order. Measured
    # slopes 0.99, 1.97 and 3.80; 0.3 of slack covers the pre-asymptotic regime of central4.
    system = synthetic.stable_lotka_volterra(3, seed=0)
    x0 = _spread_start(np.random.default_rng(0), 3, 3)
    ns = np.array([50, 100, 200, 400])
    errors = []
    for n in ns:
        ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=int(n), dt=4.0 / n)
        model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time", derivative=method)
        errors.append(_rel(model.interaction_matrix_, system.A))
    slope = np.polyfit(np.log(4.0 / ns), np.log(errors), 1)[0]
    assert slope == pytest.approx(order, abs=0.3)


def test_refinement_multiple_shooting_fixes_a_rough_start() -> None:
    r, A = np.array([1.0, 0.7]), np.array([[-1.0, -0.4], [-0.3, -1.0]])
    ds = synthetic.lotka_volterra(
        r=r, A=A, x0=[[0.05, 1.5], [1.2, 0.1]], steps=80, dt=0.1, noise=0.01, seed=1
    )
    rough = lvdyn.LotkaVolterra.from_params(r * 0.8, A * 1.2)
    refined = lvdyn.refine_trajectories(rough, ds, time="time", shooting="multiple")
    # 2 runs x 81 samples at 1% noise: 8 parameters to about 2%.
    assert _rel(refined.growth_rates_, r) < 0.03
    assert _rel(refined.interaction_matrix_, A) < 0.03
    # With a sign constraint the bounded (trust-region reflective) solver runs instead of
    # Levenberg-Marquardt; it reaches the same optimum here, and A_21 stays <= 0.
    rough.set_params(sign=np.array([[0, 0], [-1, 0]]))
    bounded = lvdyn.refine_trajectories(rough, ds, time="time", shooting="multiple")
    assert bounded.interaction_matrix_[1, 0] <= 0
    assert _rel(bounded.interaction_matrix_, A) < 0.03
    with pytest.raises(ValueError, match="`shooting`"):
        lvdyn.refine_trajectories(rough, ds, shooting="triple")  # type: ignore[arg-type]


def test_bootstrap_covers_truth_and_sindy_inclusion() -> None:
    r, A = np.array([1.0, 0.6]), np.array([[-1.0, 0.0], [-0.5, -1.0]])
    x0 = np.random.default_rng(4).uniform(0.05, 1.5, size=(6, 2))
    ds = synthetic.lotka_volterra(r=r, A=A, x0=x0, steps=100, dt=0.05, noise=0.002, seed=2)
    ci = lvdyn.bootstrap_traces(
        lvdyn.LotkaVolterra(), ds, n_boot=60, time="time", derivative="savgol", random_state=0
    )
    assert ci.A_lower.dims == ("component", "component_j")
    # 95% intervals at 0.2% noise: wide enough to hold the truth, narrow (< 0.1) around it.
    assert ((ci.A_lower <= A + 0.02) & (ci.A_upper >= A - 0.02)).all()
    assert float((ci.A_upper - ci.A_lower).max()) < 0.1
    sindy = lvdyn.bootstrap_traces(
        lvdyn.SINDy("lotka_volterra", threshold=0.2),
        ds,
        n_boot=20,
        time="time",
        derivative="savgol",
        random_state=0,
    )
    prob = sindy.inclusion_probability
    # True terms are always kept; x1^2 in equation 0 and x0^2 in equation 1 are not in the
    # system and are (almost) never selected. (x1 vs x0 x1 in equation 0 trade places: they
    # are nearly collinear once x0 saturates, which is what the probability is there to show.)
    for component, term in [(0, "x0"), (0, "x0^2"), (1, "x1^2")]:
        assert prob.sel(component=component, term=term).item() == 1.0
    assert prob.sel(component=0, term="x1^2").item() <= 0.1
    assert prob.sel(component=1, term="x0^2").item() <= 0.1


def test_regularization_path_sparsifies() -> None:
    system = synthetic.stable_linear(4, seed=3)
    x0 = np.random.default_rng(1).uniform(-1, 3, size=(4, 4))
    ds = synthetic.linear(A=system.A, b=system.b, x0=x0, steps=100, dt=0.05)
    path = lvdyn.regularization_path(
        lvdyn.LinearODE(penalty="lasso"), ds, np.logspace(-5, 0, 6), time="time"
    )
    assert path.A.dims == ("alpha", "component", "component_j")
    counts = path.n_parameters.values
    assert counts[0] == 20 and counts[-1] < counts[0]
    assert np.all(np.diff(counts) <= 0)
    assert path.r2_derivative.values[0] > 0.999  # noise-free, nearly unpenalised
