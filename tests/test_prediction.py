"""Survival prediction from prefixes: methods, cross-validated evaluation, errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.producers import synthetic


@pytest.fixture(scope="module")
def exclusion_runs() -> tuple[xr.Dataset, np.ndarray]:
    """8 runs of a 6-component system in which the same 2 components always win."""
    system = synthetic.exclusion_lotka_volterra(6, 2, seed=3)
    x0 = np.random.default_rng(5).uniform(0.05, 0.5, size=(8, 6))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=300, dt=0.25)
    return ds, system.survivors


@pytest.fixture(scope="module")
def founder_runs() -> xr.Dataset:
    """Strong competition (|A_ij| > |A_ii|): whoever leads early wins (founder control)."""
    r = np.ones(3)
    A = -np.array([[1.0, 1.6, 1.6], [1.6, 1.0, 1.6], [1.6, 1.6, 1.0]])
    x0 = np.random.default_rng(0).uniform(0.01, 0.1, size=(12, 3))
    return synthetic.lotka_volterra(r=r, A=A, x0=x0, steps=200, dt=0.25)


def test_truth_is_read_from_the_traces(exclusion_runs) -> None:
    ds, truth = exclusion_runs
    actual = lvdyn.survivors(ds).transpose("run", "component").values
    assert (actual == truth).all()


def test_lv_fit_on_a_short_prefix_finds_the_survivors(exclusion_runs) -> None:
    ds, truth = exclusion_runs
    # 8 of 300 steps (t = 2): the final winners do not yet stand out in half of the runs, but
    # the LV system fitted on each run's prefix (noise-free data), whose saturated equilibrium
    # is unique, already has the right support.
    predicted = lvdyn.predict_survivors_from_prefix(ds, 8, "lv-equilibrium")
    assert predicted.dims == ("run", "component")
    assert (predicted.values == truth).all()
    not_yet = lvdyn.predict_survivors_from_prefix(ds, 8, "last-value").values
    assert not (not_yet == truth).all()  # so the task is not trivial at this prefix


def test_trained_methods_need_other_runs(exclusion_runs) -> None:
    ds, _ = exclusion_runs
    with pytest.raises(ValueError, match="pass `train=`"):
        lvdyn.predict_survivors_from_prefix(ds, 20, "signal")
    with pytest.raises(ValueError, match="`method` must be one of"):
        lvdyn.predict_survivors_from_prefix(ds, 20, "oracle")


@pytest.mark.parametrize("prefix", [0, 301, 10_000, 2.5])  # 300, the last step, is allowed
def test_prefix_outside_the_data_is_rejected(exclusion_runs, prefix) -> None:
    ds, _ = exclusion_runs
    with pytest.raises(ValueError, match="`prefix`"):
        lvdyn.predict_survivors_from_prefix(ds, prefix, "last-value")


def test_evaluation_scores_every_method_on_unseen_runs(founder_runs) -> None:
    ds = founder_runs
    scores = lvdyn.evaluate_survival_prediction(
        ds,
        prefixes=[4, 40],
        methods=["last-value", "signal", "lv-equilibrium", "lv-simulate"],
        n_folds=4,
    )
    assert scores.f1.dims == ("predictor", "prefix", "run")
    assert scores.f1_mean.dims == ("predictor", "prefix")
    assert float(scores.f1.min()) >= 0 and float(scores.f1.max()) <= 1
    # Under founder control the initially strongest component wins (d/dt log(x_i/x_j) =
    # 0.6 (x_i - x_j) here), so the initial signal is informative; its threshold, learned on
    # other folds, is one number for all runs and may miss a run whose top two are close.
    assert float(scores.f1_mean.sel(predictor="signal", prefix=4)) >= 0.9
    # The fitted LV system, followed from the prefix's state, picks the right basin.
    assert float(scores.exact_mean.sel(predictor="lv-equilibrium", prefix=4)) == 1.0
    assert float(scores.exact_mean.sel(predictor="lv-simulate", prefix=40)) == 1.0
    # Reading the survival rule at the prefix is wrong early: no one is dominant yet, so
    # every component still counts as alive (F1 0.5 against the one winner, never exact).
    assert float(scores.f1_mean.sel(predictor="last-value", prefix=4)) <= 0.5
    assert float(scores.exact_mean.sel(predictor="last-value", prefix=4)) < 0.5
    assert "evaluate_survival_prediction" in scores.attrs["history"]
    # the goal's scale: prefixes relative to the median step at which the set is final
    settled = lvdyn.settle_step(ds).values
    assert (scores.settle_step.values == settled).all()
    expected = np.array([4, 40]) / np.median(settled)
    np.testing.assert_allclose(scores.prefix_fraction.values, expected)


def test_trained_predictions_do_not_see_the_test_run(founder_runs) -> None:
    ds = founder_runs
    train, test = ds.isel(run=slice(0, 8)), ds.isel(run=slice(8, None))
    predicted = lvdyn.predict_survivors_from_prefix(test, 4, "classifier", train=train)
    truth = lvdyn.survivors(test).transpose("run", "component").values
    assert (predicted.values == truth).mean() >= 0.9


def test_a_run_in_progress_can_be_predicted_at_its_last_logged_step() -> None:
    """Traces that end at the prefix (a run still training) are predicted; only a prefix
    beyond the data is refused."""
    import lvdyn

    x = np.exp(np.linspace(0, 1, 40))[:, None] * np.array([1.0, 3.0, 0.2])
    ds = lvdyn.make_traces(x, step=np.arange(0, 400, 10))
    head = ds.sel(step=slice(None, 300))
    predicted = lvdyn.predict_survivors_from_prefix(head, prefix=300, method="last-value")
    expected = lvdyn.predict_survivors_from_prefix(ds, prefix=300, method="last-value")
    assert predicted.values.tolist() == expected.values.tolist()
    with pytest.raises(ValueError, match=r"within the logged steps \(0\.\.300\); got 310"):
        lvdyn.predict_survivors_from_prefix(head, prefix=310, method="last-value")
