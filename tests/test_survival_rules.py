"""Survival rules as named, stored choices: the producer's rule, the default for a user's
own data, the warning when a rule marks no survivor (or all), and F1 when both sets are empty."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.cli import main
from lvdyn.cli._inputs import parse_rule
from lvdyn.prediction._prediction import evaluate_survival_prediction
from lvdyn.producers import synthetic
from lvdyn.traces._rules import SurvivalRule, survival_rule

LABELS = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def competition_csv(tmp_path_factory) -> str:
    """A user's own 3-species competition as a long CSV: alpha and beta coexist, gamma dies.

    r = 1 and A = -[[1, .5, .5], [.5, 1, .5], [1.5, 1.5, 1]]: alpha and beta settle at 2/3
    each, and gamma's invasion rate there is 1 - 1.5 (2/3 + 2/3) = -1, so it is excluded.
    Two survivors of equal size are 1.5x the mean of three, so "2x-mean" marks none.
    """
    A = -np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [1.5, 1.5, 1.0]])
    x0 = np.random.default_rng(4).uniform(0.05, 0.2, size=(3, 3))
    ds = synthetic.lotka_volterra(r=np.ones(3), A=A, x0=x0, steps=200, dt=0.25)
    table = ds.strength.to_dataframe().reset_index()
    table["component"] = np.array(LABELS)[table["component"].to_numpy()]
    path = tmp_path_factory.mktemp("csv") / "comp.csv"
    table[["run", "step", "component", "strength"]].to_csv(path, index=False)
    return str(path)


def test_a_users_competition_reads_two_survivors_by_default(competition_csv) -> None:
    ds = lvdyn.read_traces_table(competition_csv)
    assert "survival_rule" not in ds.attrs  # a plain table names no rule
    alive = lvdyn.survivors(ds)  # no warning: -W error would turn one into a failure
    assert alive.component.values.tolist() == LABELS
    assert alive.values.tolist() == [[True, True, False]] * 3
    assert alive.attrs["rule"] == "fraction-of-max" and alive.attrs["rule_origin"] == "default"
    # the paper's rule, chosen explicitly, marks none, and says so
    with pytest.warns(lvdyn.SurvivalWarning, match="no component survives in 3 of 3 runs"):
        assert not lvdyn.survivors(ds, "2x-mean").values.any()


def test_predict_command_reads_the_users_survivors_and_takes_a_rule(
    competition_csv, tmp_path, capsys
) -> None:
    traces = str(tmp_path / "comp.nc")
    assert main(["import", competition_csv, "--out", traces, "--quiet"]) == 0
    command = ["predict", traces, "--prefix", "40", "--method", "lv-equilibrium", "--json"]
    assert main(command) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rule"] == "fraction-of-max:0.1"
    assert [row["actual_final"] for row in out["runs"]] == [["alpha", "beta"]] * 3
    # at step 40 (t = 10) gamma is already below a tenth of the leaders, so even the rule
    # read at the prefix is right; the LV fit's equilibrium support certainly is
    assert [row["predicted"] for row in out["runs"]] == [["alpha", "beta"]] * 3
    assert main([*command, "--rule", "top-k:1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rule"] == "top-k:1"
    assert all(len(row["actual_final"]) == 1 for row in out["runs"])
    assert main([*command, "--rule", "majority"]) == 2
    assert "`--rule` must be one of" in capsys.readouterr().err


def test_parse_rule_names_the_flag() -> None:
    assert parse_rule("threshold:0.5") == ("threshold", 0.5)
    with pytest.raises(ValueError, match="takes a number after the colon"):
        parse_rule("top-k:two")


def _modadd_like(p: int = 11) -> xr.Dataset:
    """Traces shaped like modular addition's: S_k for k = 1..p//2, the DC row, and the
    mean over all p rows, with the rule the modadd producer stores."""
    rng = np.random.default_rng(0)
    rows = rng.uniform(0.1, 1.0, size=(2, 3, p))  # (run, step, DFT row)
    rows[:, :, 1:] = (rows[:, :, 1:] + rows[:, :, :0:-1]) / 2  # S_k = S_{p-k}
    rows[:, -1, 1] = rows[:, -1, p - 1] = 2.0  # one strong circle at the end
    k = np.arange(1, p // 2 + 1)
    ds = lvdyn.make_traces(
        rows[:, :, k],
        step=[0, 10, 20],
        component=k,
        dc_strength=(("run", "step"), rows[:, :, 0]),
        strength_mean_all=(("run", "step"), rows.mean(axis=2)),
        mean_all_weight=2.0 / p,
    )
    return lvdyn.set_survival_rule(
        ds, "2x-mean", baseline="strength_mean_all", baseline_weight="mean_all_weight"
    )


def test_modadd_like_traces_keep_2x_mean_over_all_rows() -> None:
    ds = _modadd_like()
    final = ds.isel(step=-1)
    expected = (final.strength > 2 * final.strength_mean_all).transpose("run", "component")
    alive = lvdyn.survivors(ds)
    assert alive.attrs["rule"] == "2x-mean" and alive.attrs["baseline"] == "strength_mean_all"
    np.testing.assert_array_equal(alive.values, expected.values)
    # the mean of the stored S_k alone is a different baseline, so the choice is tested
    assert (final.strength.mean("component") != final.strength_mean_all).all()
    # `last-value` at a prefix reads the same rule, over all rows too
    at = ds.sel(step=10)
    head = lvdyn.predict_survivors_from_prefix(ds, 10, "last-value")
    np.testing.assert_array_equal(head.values, (at.strength > 2 * at.strength_mean_all).values)


def test_the_baseline_follows_a_predicted_state_exactly() -> None:
    # For a state the traces do not hold, the mean over all p rows with the DC row held at
    # its last value is (S_0 + 2 sum S_k) / p; the stored weight 2 / p gives it exactly.
    p = 11
    ds = _modadd_like(p)
    rule = survival_rule(ds)
    assert rule == SurvivalRule("2x-mean", None, "strength_mean_all", "mean_all_weight", "stored")
    one = ds.isel(run=0)
    state = np.linspace(0.1, 3.0, p // 2)
    dc = float(one.dc_strength.values[-1])
    np.testing.assert_allclose(rule.baseline_at(one, 2, state), (dc + 2 * state.sum()) / p)
    np.testing.assert_allclose(rule.baseline_at(one, 2), float(one.strength_mean_all[-1]))


def test_the_stored_rule_survives_a_netcdf_round_trip(tmp_path) -> None:
    ds = lvdyn.set_survival_rule(
        lvdyn.make_traces(np.array([[1.0, 1.0, 1.0], [3.0, 2.0, 0.1]]), step=[0, 9]),
        "top-k",
        value=2,
    )
    back = lvdyn.open_traces(lvdyn.save_traces(ds, tmp_path / "t.nc"))
    assert survival_rule(back).describe() == "top-k:2"
    assert lvdyn.survivors(back).values.tolist() == [[True, True, False]]


def test_producers_store_their_rule() -> None:
    system = synthetic.stable_lotka_volterra(2, seed=0)
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=[0.1, 0.2], steps=5, dt=0.1)
    assert survival_rule(ds).describe() == "fraction-of-max:0.1"
    assert survival_rule(ds).origin == "stored"


def test_a_bad_stored_rule_or_baseline_is_named() -> None:
    ds = lvdyn.make_traces(np.ones((2, 3)), step=[0, 1])
    with pytest.raises(ValueError, match="attribute `survival_rule` must be one of"):
        lvdyn.survivors(ds.assign_attrs(survival_rule="3x-mean"))
    with pytest.raises(ValueError, match="`survival_baseline` names 'mean_all'"):
        lvdyn.set_survival_rule(ds, "2x-mean", baseline="mean_all")


def test_every_component_surviving_warns() -> None:
    ds = lvdyn.make_traces(np.ones((2, 3)), step=[0, 1])
    with pytest.warns(lvdyn.SurvivalWarning, match="every component survives in 1 of 1 runs"):
        lvdyn.survivors(ds)


def test_f1_is_undefined_when_both_sets_are_empty() -> None:
    # top-k:0 marks no survivor anywhere, and `last-value` with the same rule predicts none:
    # F1 (and precision, recall) are NaN, not a perfect 1.0; the exact-set match is still 1.
    x = np.random.default_rng(0).uniform(0.5, 1.5, size=(3, 6, 3))
    ds = lvdyn.make_traces(x, step=np.arange(6) * 10)
    with pytest.warns(lvdyn.SurvivalWarning, match="no component survives"):
        scores = evaluate_survival_prediction(
            ds, [20], ["last-value"], rule="top-k", value=0, n_folds=2
        )
    assert np.isnan(scores.f1.values).all() and np.isnan(scores.precision.values).all()
    assert np.isnan(float(scores.f1_mean.squeeze()))
    assert float(scores.exact_mean.squeeze()) == 1.0
    assert scores.attrs["rule"] == "top-k:0"
