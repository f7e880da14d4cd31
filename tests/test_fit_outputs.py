"""coefficients, save_model/load_model, score_traces, the ill-conditioning warning, `lvdyn fit`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn.cli import main
from lvdyn.producers import synthetic


@pytest.fixture(scope="module")
def lv_traces() -> xr.Dataset:
    system = synthetic.stable_lotka_volterra(3, seed=2)
    x0 = np.random.default_rng(3).uniform(0.1, 2.0, size=(4, 3))
    ds = synthetic.lotka_volterra(r=system.r, A=system.A, x0=x0, steps=200, dt=0.02)
    return ds.assign_coords(component=["a", "b", "c"], component_j=["a", "b", "c"])


@pytest.mark.parametrize("kind", ["linear", "lv", "sindy"])
def test_save_load_round_trip(tmp_path, lv_traces, kind) -> None:
    model = {
        "linear": lvdyn.LinearODE(penalty="ridge", alpha=0.1),
        "lv": lvdyn.LotkaVolterra(diagonal="nonpositive"),
        "sindy": lvdyn.SINDy(threshold=0.05),
    }[kind]
    lvdyn.fit_traces(model, lv_traces, time="time")
    path = lvdyn.save_model(model, tmp_path / "model.nc")
    loaded = lvdyn.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    x = np.array([[0.3, 0.6, 0.9], [1.0, 0.2, 0.5]])
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(loaded.jacobian(x[0]), model.jacobian(x[0]))
    assert list(loaded.component_labels_) == ["a", "b", "c"]


def test_fit_diagnostics_survive_the_model_file(tmp_path) -> None:
    # Short series with extinctions: auto picks integral matching, CV picks the ridge penalty,
    # some intervals are lost to zeros. Every diagnostic must come back from the file as fitted.
    ds = synthetic.glv_study(10, n_series=10, n_samples=15, sampling="random", seed=3)
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time")
    assert model.zeros_dropped_.sum() > 0 and model.cv_alphas_ is not None
    loaded = lvdyn.load_model(lvdyn.save_model(model, tmp_path / "model.nc"))
    for name in ("derivative_", "derivative_reason_", "bridge_iterations_", "bridge_change_",
                 "penalty_", "alpha_", "penalty_reason_"):  # fmt: skip
        assert getattr(loaded, name) == getattr(model, name), name
    for name in ("n_samples_", "zeros_dropped_", "missing_dropped_", "interaction_stderr_",
                 "signs_determined_", "cv_alphas_", "cv_scores_"):  # fmt: skip
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name), err_msg=name)
    # A fixed penalty has no CV curve, and the file says so.
    fixed = lvdyn.fit_traces(lvdyn.LotkaVolterra(penalty="ols"), ds, time="time")
    again = lvdyn.load_model(lvdyn.save_model(fixed, tmp_path / "fixed.nc"))
    assert again.cv_alphas_ is None and again.penalty_ == "ols"
    assert again.derivative_reason_.startswith("short series")


def test_load_model_rejects_traces_file(tmp_path, lv_traces) -> None:
    path = lvdyn.save_traces(lv_traces, tmp_path / "traces.nc")
    with pytest.raises(lvdyn.SchemaError, match="not an lvdyn model file"):
        lvdyn.load_model(path)


def test_coefficients_are_labelled(lv_traces) -> None:
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), lv_traces, time="time", derivative="central4")
    coefs = lvdyn.coefficients(model)
    # Noise-free, central4 at dt=0.02: coefficients to 1e-4.
    np.testing.assert_allclose(coefs.A.values, lv_traces.true_A.values, atol=1e-4)
    assert coefs.r.sel(component="b").item() == pytest.approx(
        lv_traces.true_r.sel(component="b").item(), abs=1e-4
    )
    assert coefs.attrs["model"] == "LotkaVolterra"


def test_score_traces_on_held_out_run(lv_traces) -> None:
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), lv_traces, runs=[0, 1, 2], time="time")
    scores = lvdyn.score_traces(model, lv_traces, runs=[3], time="time")
    # Noise-free truth-generating data: held-out trajectories are reproduced almost exactly.
    assert scores.r2_trajectory_pooled > 0.999
    assert (scores.r2_derivative > 0.99).all()
    assert list(scores.component.values) == ["a", "b", "c"]
    worse = lvdyn.LotkaVolterra.from_params(lv_traces.true_r.values * 0.5, lv_traces.true_A.values)
    bad = lvdyn.score_traces(worse, lv_traces, runs=[3], time="time")
    assert bad.r2_trajectory_pooled < scores.r2_trajectory_pooled
    assert bad.aic > scores.aic


def test_ill_conditioned_warning_names_components() -> None:
    steps = np.arange(50)
    rising = 1.0 - 0.5 * 0.9**steps
    data = np.stack([rising, np.full(50, 2.0), rising], axis=1)[np.newaxis]
    ds = lvdyn.make_traces(data, step=steps, component=["x", "flat", "twin"])
    with pytest.warns(lvdyn.IllConditionedWarning, match=r"\['flat'\].*\('x', 'twin'\)"):
        lvdyn.fit_traces(lvdyn.LinearODE(penalty="ridge", alpha=1e-3), ds, derivative="forward")


def test_cli_fit_writes_model_and_json(tmp_path, lv_traces, capsys) -> None:
    traces = lvdyn.save_traces(lv_traces, tmp_path / "traces.nc")
    out = tmp_path / "model.nc"
    code = main(
        ["fit", str(traces), "--model", "lv", "--time", "time", "--out", str(out), "--json"]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == "LotkaVolterra" and summary["r2_derivative"] > 0.99
    # The saved model is the one the Python API fits with the same (default) settings.
    loaded = lvdyn.load_model(out)
    same = lvdyn.fit_traces(lvdyn.LotkaVolterra(), lv_traces, time="time")
    assert isinstance(loaded, lvdyn.LotkaVolterra)
    np.testing.assert_allclose(loaded.growth_rates_, same.growth_rates_, rtol=1e-12)
    np.testing.assert_allclose(loaded.interaction_matrix_, same.interaction_matrix_, rtol=1e-12)
    assert list(loaded.component_labels_) == ["a", "b", "c"]
    # Noise-free data, second-order differences at dt = 0.02: A within 1e-2 of the truth.
    np.testing.assert_allclose(loaded.interaction_matrix_, lv_traces.true_A.values, atol=1e-2)
    assert main(["fit", str(traces), "--model", "linear", "--window", "bad"]) == 2


def test_ding2024_recipe_matches_sklearn_lasso() -> None:
    from sklearn.linear_model import Lasso

    system = synthetic.stable_linear(3, seed=1)
    ds = synthetic.linear(A=system.A * 0.01, b=system.b * 0.01, x0=[0.1, 2.0, 1.0], steps=1500)
    # On these slow per-step rates alpha = 0.01 zeroes A, which lvdyn says (issue 18).
    with pytest.warns(lvdyn.DegenerateFitWarning, match="set all 9 entries of A to zero"):
        model = lvdyn.fit_traces(lvdyn.LinearODE.paper_recipe(), ds, recipe="ding2024")
    x = ds.strength.values[0, :1001]  # ode_fit.py: S[:1000] and S[1:1001] - S[:1000]
    reference = Lasso(alpha=0.01).fit(x[:-1], np.diff(x, axis=0))
    assert int(lvdyn.score_traces(model, ds, window=(0, 1000), simulate=False,
                                  derivative="forward").n_samples) == 1000  # fmt: skip
    np.testing.assert_allclose(model.A_, reference.coef_, atol=1e-5)  # both at tol ~1e-4..1e-6
    with pytest.raises(ValueError, match="paper_recipe"):
        lvdyn.fit_traces(lvdyn.LinearODE(), ds, recipe="ding2024")
