"""Routing networks against the neural race reduction, and honest extinction in the race.

Ground truth: the per-mode reduction of Saxe, Sodhani, Lewallen (2022), as in the notebooks of
facebookresearch/gated-dln (lvdyn.producers.routing.ModeReduction): layer rates n_l / M^2, conserved
b_l^2 / n_l differences, learning time by quadrature. Gradient descent departs from the ODE by
O(lr) (a time lag of a few steps), so half-learning times are checked at a small step size.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.producers import race, routing


def half_steps(ds: xr.Dataset) -> np.ndarray:
    """First logged step at which each trained pathway's mode reaches half its value."""
    x = ds.strength.isel(run=0).values
    reached = x >= 0.5 * ds.singular_value.values
    first = np.where(reached.any(axis=0), ds.step.values[np.argmax(reached, axis=0)], -1)
    return first[ds.trained.values]


@pytest.fixture(scope="module")
def small_lr() -> xr.Dataset:
    # lr 0.005 (tau = 57 steps): the discretisation lag is below 1 % of every half time
    return routing.train(init="decoupled", init_scale=0.08, lr=0.005, steps=1350, hidden=8)


def test_reduction_half_times_of_the_paper_network() -> None:
    # M = 7, K = 4, lr 0.02 (tau = 28 / (2 lr M^2) epochs), equal layers b0 = 0.08: the
    # quadrature's 75.3, 158.5, 334.2 epochs (research/seed-clock-pizza-race.md)
    tau = 28 / (2 * 0.02 * 49)
    reduce = partial(routing.ModeReduction, counts=(4, 28, 4), initial=(0.08,) * 3, n_domains=7)
    times = [
        reduce(s, tau=tau).half_time()
        for s in np.linalg.svd(routing.NOTEBOOK_TARGET, compute_uv=False)
    ]
    np.testing.assert_allclose(times, [75.29, 158.47, 334.19, 334.19], atol=0.01)
    # depth 2, one domain: the closed form t = (tau / 2s) ln((s - u0) / u0) of Saxe et al. 2014
    two = routing.ModeReduction(5.0, counts=(1, 1), initial=(1e-3, 1e-3), n_domains=1, tau=100.0)
    np.testing.assert_allclose(two.half_time(), 50 / 5 * np.log((5 - 1e-6) / 1e-6), rtol=1e-9)


def test_routing_follows_the_reduction_quadrature(small_lr) -> None:
    ds = small_lr
    expected = ds.reduction_half_step.values[ds.component_mode.values[ds.trained.values]]
    measured = half_steps(ds)
    assert np.all(measured > 0)
    np.testing.assert_allclose(measured, expected, rtol=0.02)  # the 2 %
    assert np.all(measured >= expected)  # gradient descent lags the ODE, it never leads


def test_conserved_quantity_is_constant_to_discretisation_error(small_lr) -> None:
    big = routing.train(init="decoupled", init_scale=0.08, lr=0.02, steps=340, hidden=8)
    drifts = []
    for ds in (big, small_lr):
        b = ds.layer_mode_value.isel(run=0).values  # (step, layer, mode)
        conserved = b[:, 1] ** 2 - 7 * b[:, 0] ** 2  # b_2^2 - M b_1^2, M = 7
        np.testing.assert_allclose(conserved[0], 0.08**2 * (1 - 7))
        np.testing.assert_allclose(b[:, 0], b[:, 2], atol=1e-12)  # b_1^2 - b_3^2 = 0 exactly
        drifts.append(np.abs(conserved - conserved[0]).max() / (b[:, 1] ** 2).max())
    # first order in lr: a quarter of the step size gives about a quarter of the drift
    assert drifts[1] < 1e-3
    assert 3.0 < drifts[0] / drifts[1] < 5.0


@pytest.mark.parametrize("M, K", [(7, 4), (5, 3)])
def test_shared_layer_learns_M_times_faster(M: int, K: int) -> None:
    ds = routing.train(n_domains=M, trained_per_input=K, init="decoupled", init_scale=0.1,
                       steps=1, hidden=8)  # fmt: skip
    b = ds.layer_mode_value.isel(run=0).values
    change = b[1] - b[0]  # (layer, mode); every layer starts at 0.1
    np.testing.assert_allclose(change[1] / change[0], M, rtol=1e-9)
    np.testing.assert_allclose(change[2] / change[0], 1.0, rtol=1e-9)
    np.testing.assert_allclose(ds.layer_pathways.values, [K, M * K, K])


def test_depth_two_routing_follows_its_reduction() -> None:
    ds = routing.train(layers=("input", "output"), init="decoupled", init_scale=0.3, lr=0.005,
                       steps=700, hidden=8)  # fmt: skip
    expected = ds.reduction_half_step.values[ds.component_mode.values[ds.trained.values]]
    np.testing.assert_allclose(half_steps(ds), expected, rtol=0.02)
    # decoupled start: zero-shot pathways learn exactly what trained ones do, at every step
    final = ds.strength.isel(run=0)
    for mode in range(4):
        same = final.values[:, ds.component_mode.values == mode]
        np.testing.assert_allclose(same, same[:, :1].repeat(same.shape[1], 1), rtol=1e-12)


def test_traces_are_valid_and_roundtrip(tmp_path) -> None:
    ds = routing.train(n_domains=3, trained_per_input=2, steps=5, hidden=6, seeds=(0, 1))
    assert ds.sizes["component"] == 3 * 3 * 4 and ds.trained.sum() == 3 * 2 * 4
    assert bool(ds.true_equilibrium.where(~ds.trained).isnull().all())  # depends on the start
    back = lvdyn.open_traces(lvdyn.save_traces(ds, tmp_path / "r.nc"))
    assert back.trained.dtype == bool and back.component.values[5] == "0->1:1"
    xr.testing.assert_allclose(back.zero_shot_error, ds.zero_shot_error)


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="`layers` must be two or more"):
        routing.train(layers=("input", "middle"))
    with pytest.raises(ValueError, match=r"`gates` must be an \(n_domains, n_domains\)"):
        routing.train(n_domains=3, gates=[[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="`trained_per_input` must be at most"):
        routing.gate_pattern(3, 4)
    with pytest.raises(ValueError, match="`init_scale` must be a positive number or one per"):
        routing.train(init_scale=(0.1, 0.1))


@pytest.mark.slow  # 2 x 3 runs of 800 epochs: ~60 s on a loaded machine
def test_rich_start_generalises_and_lazy_start_does_not() -> None:
    rich = routing.train(init_scale=0.2, steps=800, log_every=800, seeds=(0, 1, 2))
    lazy = routing.train(init_scale=2.5, steps=800, log_every=800, seeds=(0, 1, 2))
    for ds in (rich, lazy):  # every run goes to the stored equilibrium on trained pathways
        final = ds.strength.isel(step=-1).where(ds.trained, drop=True)
        # the rich runs approach it slowly (trained MSE ~1e-5 after 800 epochs, up to 0.6 % off
        # on the weakest modes); the lazy ones are there to 1e-13
        np.testing.assert_allclose(final, ds.true_equilibrium.where(ds.trained, drop=True)
                                   .broadcast_like(final), rtol=1e-2)  # fmt: skip
    assert rich.zero_shot_error.isel(step=-1).max() < 1e-3  # the shared structure transfers
    assert lazy.zero_shot_error.isel(step=-1).min() > 5.0  # random maps stay


def test_race_stored_equilibrium_is_where_random_starts_go() -> None:
    case = race.canonical_case("exclusion")
    case.update(init="random", init_scale=3e-3)
    ds = race.train(**case, steps=3200, log_every=3200, seeds=(0, 1, 2, 3))
    np.testing.assert_allclose(ds.true_equilibrium, [2.0, 2.0, -1.0], atol=1e-12)
    # pathway 2 changed sign: the non-negative Lotka-Volterra point (5/3, 5/3, 0) is a saddle
    np.testing.assert_allclose(ds.strength.isel(step=-1), np.tile([2.0, 2.0, -1.0], (4, 1)),
                               atol=1e-3)  # fmt: skip
    np.testing.assert_allclose(ds.lv_equilibrium, [5 / 3, 5 / 3, 0.0], atol=1e-12)


def test_race_depth_two_pathway_is_the_exact_gradient_descent_map() -> None:
    case = race.canonical_case("interior")
    ds = race.train(**case, steps=2000)
    g, s = np.asarray(case["gates"], float), np.asarray(case["strengths"])
    b, G = g @ s / 3, g @ g.T / 3
    x = np.asarray(case["init_scale"]) ** 2
    expected = [x]
    for _ in range(2000):
        x = x * (1 + 0.01 * (b - G @ x)) ** 2
        expected.append(x)
    np.testing.assert_allclose(ds.strength[0], np.array(expected), rtol=1e-10)


def test_lv_fit_of_sign_changing_traces_names_step_and_component() -> None:
    case = race.canonical_case("exclusion")
    case.update(init="random", init_scale=3e-3)
    ds = race.train(**case, steps=1500, log_every=10)
    with pytest.raises(lvdyn.FitError, match=r"step 760, component 2.*is negative.*LinearODE"):
        lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, window=(300, None))
    model = lvdyn.fit_traces(lvdyn.LinearODE(), ds, window=(300, None))  # the signed form
    assert np.all(np.isfinite(model.A_)) and np.all(np.isfinite(model.b_))


def test_unbalanced_start_follows_the_reduction() -> None:
    # input and output layers start 4 times smaller than the shared one
    ds = routing.train(init="decoupled", init_scale=(0.05, 0.2, 0.05), lr=0.005, steps=340,
                       hidden=8)  # fmt: skip
    fastest = ds.trained.values & (ds.component_mode.values == 0)
    x = ds.strength.isel(run=0).values[:, fastest]
    first = ds.step.values[np.argmax(x >= 0.5 * ds.mode_singular_value.values[0], axis=0)]
    np.testing.assert_allclose(first, ds.reduction_half_step.values[0], rtol=0.02)
    b = ds.layer_mode_value.isel(run=0).values  # (step, layer, mode)
    conserved = b[:, 1] ** 2 / 28 - b[:, 0] ** 2 / 4  # b_l^2 / n_l differences
    np.testing.assert_allclose(conserved[0], ds.reduction_conserved.values[1])
    # O(lr) discretisation drift, small against the terms themselves (b_2^2 / 28 grows to ~0.7)
    drift = np.abs(conserved - conserved[0]).max(axis=0)
    assert np.all(drift < 1e-3 * (b[:, 1] ** 2 / 28).max(axis=0))
