"""Synthetic producers agree with independent high-accuracy references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from lvdyn.producers import synthetic


def test_logistic_matches_closed_form() -> None:
    # dx/dt = x (r - a x) has x(t) = K / (1 + (K/x0 - 1) e^{-r t}) with K = r / a.
    r, a, x0, dt = 0.7, 1.4, 0.01, 0.05
    ds = synthetic.lotka_volterra(r=[r], A=[[-a]], x0=[x0], steps=400, dt=dt)
    t = ds.time.values
    K = r / a
    exact = K / (1 + (K / x0 - 1) * np.exp(-r * t))
    # DOP853 at rtol 1e-10 on log x: relative error well below 1e-8.
    np.testing.assert_allclose(ds.strength.values[0, :, 0], exact, rtol=1e-8)


def test_lotka_volterra_matches_radau_reference() -> None:
    system = synthetic.stable_lotka_volterra(6, seed=3)
    x0 = np.random.default_rng(0).uniform(0.1, 1.0, size=(2, 6))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=100, dt=0.2)

    def rhs(_t, x):
        return x * (system.r + system.A @ x)

    for run in range(2):
        ref = solve_ivp(
            rhs, (0, 20), x0[run], method="Radau", t_eval=ds.time.values, rtol=1e-12, atol=1e-14
        )
        # Two independent integrators at tight tolerance agree to about 1e-9 relative.
        np.testing.assert_allclose(ds.strength.values[run], ref.y.T, rtol=1e-7)
    np.testing.assert_array_equal(ds.true_A.values, system.A)
    np.testing.assert_array_equal(ds.true_r.values, system.r)


def test_linear_is_exact() -> None:
    system = synthetic.stable_linear(4, seed=2)
    x0 = np.ones(4)
    ds = synthetic.linear(A=system.A, b=system.b, x0=x0, steps=30, dt=0.5)
    t = 30 * 0.5
    shift = system.equilibrium
    exact = expm(system.A * t) @ (x0 - shift) + shift
    # Repeated multiplication by the exact propagator: error is rounding only.
    np.testing.assert_allclose(ds.strength.values[0, -1], exact, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ds.true_b.values, system.b)


def test_stable_system_converges_to_its_equilibrium() -> None:
    system = synthetic.stable_lotka_volterra(5, seed=0)
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=np.full(5, 0.3), steps=400, dt=0.25)
    np.testing.assert_allclose(ds.strength.values[0, -1], system.equilibrium, rtol=1e-6)


def test_exclusion_system_keeps_only_its_survivors() -> None:
    system = synthetic.exclusion_lotka_volterra(8, 3, seed=4)
    x0 = np.random.default_rng(1).uniform(0.05, 1.0, size=(3, 8))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=300, dt=1.0)
    final = ds.strength.values[:, -1]
    assert np.all(final[:, system.survivors] > 0.3)
    assert np.all(final[:, ~system.survivors] < 1e-3)
    np.testing.assert_allclose(
        final[:, system.survivors],
        np.broadcast_to(system.equilibrium[system.survivors], (3, 3)),
        rtol=1e-4,
    )


def test_noise_is_seeded_and_multiplicative() -> None:
    kwargs = dict(r=[0.5, 0.4], A=[[-1.0, -0.1], [-0.1, -1.0]], x0=[0.2, 0.2], steps=2000)
    a = synthetic.lotka_volterra(noise=0.01, seed=7, **kwargs)
    b = synthetic.lotka_volterra(noise=0.01, seed=7, **kwargs)
    np.testing.assert_array_equal(a.strength.values, b.strength.values)
    log_ratio = np.log(a.strength / a.clean_strength).values
    # 4002 draws of N(0, 0.01^2): the sample sd is within 5% of 0.01 with overwhelming odds.
    assert abs(log_ratio.std() - 0.01) < 5e-4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(r=[1.0], A=[[-1.0]], x0=[-0.1], steps=5), "positive"),
        (dict(r=[1.0, 2.0], A=[[-1.0]], x0=[0.1], steps=5), r"`r` must have shape \(1,\)"),
        (dict(r=[1.0], A=[[-1.0]], x0=[0.1], steps=0), "`steps`"),
        (dict(r=[1.0], A=[[-1.0]], x0=[0.1], steps=5, dt=-1), "`dt`"),
        (dict(r=[1.0], A=[[-1.0]], x0=[0.1], steps=5, noise=-1), "`noise`"),
        (dict(r=[1.0], A=[1.0, 2.0], x0=[0.1], steps=5), "square"),
    ],
)
def test_bad_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        synthetic.lotka_volterra(**kwargs)
