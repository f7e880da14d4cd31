"""Predicted survivors (models) and observed survivors (traces)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lvdyn
from lvdyn.producers import synthetic

BISTABLE = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -2.0], [-2.0, -1.0]])


def test_two_species_predictions() -> None:
    coexist = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -0.5], [-0.5, -1.0]])
    exclude = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -0.5], [-1.5, -1.0]])
    assert lvdyn.predict_survivors(coexist).tolist() == [True, True]
    assert lvdyn.predict_survivors(exclude).tolist() == [True, False]
    # the loser starting far ahead still loses, and simulation agrees (no warning)
    assert lvdyn.predict_survivors(exclude, x0=[0.01, 2.0]).tolist() == [True, False]


def test_bistability_warns_without_x0_and_follows_the_basin_with_it() -> None:
    with pytest.warns(lvdyn.MultistabilityWarning, match="multistable"):
        lvdyn.predict_survivors(BISTABLE)
    # the separatrix is the diagonal x1 = x2: the larger starter wins
    assert lvdyn.predict_survivors(BISTABLE, x0=[0.5, 0.1]).tolist() == [True, False]
    assert lvdyn.predict_survivors(BISTABLE, x0=[0.1, 0.5]).tolist() == [False, True]


def test_disagreement_with_simulation_warns() -> None:
    # May-Leonard rock-paper-scissors with alpha + beta = 2.5 > 2: the saturated (interior)
    # equilibrium is a saddle and orbits wander along a heteroclinic cycle
    A = np.array([[-1.0, -2.0, -0.5], [-0.5, -1.0, -2.0], [-2.0, -0.5, -1.0]])
    model = lvdyn.LotkaVolterra.from_params(np.ones(3), A)
    with pytest.warns(lvdyn.MultistabilityWarning, match="not asymptotically stable"):
        lvdyn.predict_survivors(model)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7), data=st.data())
def test_predictions_agree_with_long_simulation(seed: int, n: int, data: st.DataObject) -> None:
    n_survivors = data.draw(st.integers(0, n))
    system = synthetic.exclusion_lotka_volterra(n, n_survivors, seed=seed)
    model = lvdyn.LotkaVolterra.from_params(system.r, system.A)
    x0 = np.random.default_rng(seed).uniform(0.1, 2.0, n)
    predicted = lvdyn.predict_survivors(model, x0=x0)  # warnings are errors in the suite
    np.testing.assert_array_equal(predicted, system.survivors)
    # independent check: the synthetic producer's log-space DOP853 run for t = 400. Invasion
    # rates are <= -0.2, so extinct components end below exp(-80) relative to survivors
    final = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=40, dt=10.0)
    end = final.strength.isel(run=0, step=-1).values
    np.testing.assert_array_equal(end > 1e-6 * max(end.max(), x0.max()), system.survivors)


def test_stable_systems_keep_everyone() -> None:
    system = synthetic.stable_lotka_volterra(12, seed=3)
    model = lvdyn.LotkaVolterra.from_params(system.r, system.A)
    assert lvdyn.predict_survivors(model).all()


def test_linear_rule_on_the_long_run_state() -> None:
    # equilibrium (6, 1, 1): mean 8/3, so only the first exceeds twice the mean
    model = lvdyn.LinearODE.from_params(-np.eye(3), [6.0, 1.0, 1.0])
    assert lvdyn.predict_survivors(model).tolist() == [True, False, False]
    assert lvdyn.predict_survivors(model, rule="positive").tolist() == [True, True, True]
    unstable = lvdyn.LinearODE.from_params(np.diag([0.1, -1.0, -1.0]), [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="pass `x0`"):
        lvdyn.predict_survivors(unstable)
    # from x0 = (1, 0, 0): x1 grows like e^{0.1 t} to 2.2e4 at t = 100, the others -> 1
    after = lvdyn.predict_survivors(unstable, x0=[1.0, 0.0, 0.0], horizon=100.0)
    assert after.tolist() == [True, False, False]
    with pytest.raises(ValueError, match="Leave `rule` unset"):
        lvdyn.predict_survivors(BISTABLE, rule="positive")


def _traces(final: np.ndarray, **extra: np.ndarray):
    start = np.ones_like(final)
    return lvdyn.make_traces(np.stack([start, final], axis=1), step=[0, 100], **extra)


def test_survivors_two_x_mean_and_named_rules() -> None:
    final = np.array([[1.0, 1.0, 1.0, 9.0], [4.0, 3.0, 0.5, 0.5]])
    ds = _traces(final)
    # run 0: mean 3 -> only 9 > 6; run 1: mean 2 -> only 4 > 4? no (strict) -> none, which
    # is never silent
    with pytest.warns(
        lvdyn.SurvivalWarning, match=r"no component survives in 1 of 2 runs \(\[1\]\)"
    ):
        two_x_mean = lvdyn.survivors(ds, "2x-mean")
    assert two_x_mean.values.tolist() == [
        [False, False, False, True],
        [False, False, False, False],
    ]
    assert lvdyn.survivors(ds, "threshold", value=2.0).values.tolist() == [
        [False, False, False, True],
        [True, True, False, False],
    ]
    assert lvdyn.survivors(ds, "fraction-of-max", value=0.7).values[1].tolist() == [
        True,
        True,
        False,
        False,
    ]
    top = lvdyn.survivors(ds, "top-k", value=2)
    assert top.sum("component").values.tolist() == [2, 2]
    assert top.dims == ("run", "component") and top.dtype == bool
    with pytest.raises(ValueError, match="`rule` must be one of"):
        lvdyn.survivors(ds, "majority")
    with pytest.raises(ValueError, match="needs `value`"):
        lvdyn.survivors(ds, "threshold")


def test_survivors_use_strength_mean_all_when_present() -> None:
    # the mean over all p DFT rows is smaller than over the stored components, so more survive
    final = np.array([[4.0, 3.0, 0.5, 0.5]])
    mean_all = np.array([[1.0, 1.0]])  # (run, step)
    ds = _traces(final, strength_mean_all=mean_all)
    assert lvdyn.survivors(ds).values.tolist() == [[True, True, False, False]]


def test_survivors_read_the_last_sampled_step_of_ragged_runs() -> None:
    x = np.array(
        [
            [[1.0, 1.0, 1.0], [0.1, 5.0, 0.1], [np.nan, np.nan, np.nan]],
            [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [6.0, 0.1, 0.1]],
        ]
    )
    ds = lvdyn.make_traces(x, step=[0, 1, 2], run=["a", "b"], seed=[7, 8])
    out = lvdyn.survivors(ds)
    assert out.seed.values.tolist() == [7, 8]  # per-run settings travel with the result
    assert out.sel(run="a").values.tolist() == [False, True, False]
    assert out.sel(run="b").values.tolist() == [True, False, False]


def test_traces_of_a_known_system_match_the_prediction() -> None:
    system = synthetic.exclusion_lotka_volterra(8, 3, seed=11)
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=np.full(8, 0.5), steps=60, dt=10.0)
    observed = lvdyn.survivors(ds, "fraction-of-max", value=1e-3).isel(run=0).values
    model = lvdyn.LotkaVolterra.from_params(system.r, system.A)
    np.testing.assert_array_equal(observed, lvdyn.predict_survivors(model))


def test_a_saddle_lcp_solution_is_replaced_by_a_stable_saturated_one() -> None:
    # three species: 0 and 1 bistable, 2 absent everywhere; Lemke may stop at any LCP
    # solution, including the interior saddle of the bistable pair
    A = np.array([[-1.0, -2.0, 0.0], [-2.0, -1.0, 0.0], [-1.0, -1.0, -1.0]])
    model = lvdyn.LotkaVolterra.from_params([1.0, 1.0, 0.5], A)
    for method in ("lemke", "principal_pivoting"):
        eq = lvdyn.find_equilibria(model, method=method)
        assert bool(eq.saturated[0]) and bool(eq.stable[0])
    with pytest.warns(lvdyn.MultistabilityWarning, match="multistable"):
        got = lvdyn.predict_survivors(model)
    assert got.tolist() in ([True, False, False], [False, True, False])


def test_settle_step_per_run_with_padding_and_rules() -> None:
    # run 0: component 1 takes over at step 20 and stays; run 1: component 0 leads
    # throughout but component 2 joins at step 30 (the last step), and run 1 is NaN-padded
    # at step 40, so its final set is read at step 30.
    run0 = [[1, 1, 1], [3, 1, 1], [1, 5, 1], [1, 6, 1], [1, 7, 1]]
    run1 = [[5, 1, 1], [5, 1, 1], [5, 1, 1], [5, 1, 5], [np.nan] * 3]
    ds = lvdyn.make_traces(np.array([run0, run1], dtype=float), step=[0, 10, 20, 30, 40])
    assert lvdyn.settle_step(ds, "2x-mean").values.tolist() == [20, 30]
    # fraction-of-max 0.9: run 1's final set {0, 2} only appears at step 30 as well
    assert lvdyn.settle_step(ds, "fraction-of-max", value=0.9).values.tolist() == [20, 30]
    # a constant set settles at the first step
    still = lvdyn.make_traces(np.array([[2.0, 0.1, 0.1]] * 4), step=[0, 1, 2, 3])
    assert lvdyn.settle_step(still, "2x-mean").values.tolist() == [0]
