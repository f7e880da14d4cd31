"""MeanFieldLV: recovery of known systems, closed-form equilibria, bounded simulations, and
cross-validated mean-field survival prediction."""

from __future__ import annotations

import numpy as np
import pytest

import lvdyn
from lvdyn.models import MeanFieldLV
from lvdyn.models._mean_field import mean_field_equilibrium
from lvdyn.prediction import _mean_field as mf


def _runs(a=2e-3, c=4e-4, floor=1.5, decay=0.01, n_runs=5, seed=0):
    """Runs of one mean-field system whose growth rates are a permutation per run.

    Labels carry no identity across runs: run i's component k has the rate of a random
    component of the base vector, as frequencies do in modular addition.
    """
    rng = np.random.default_rng(seed)
    base = np.linspace(0.01, 0.06, 6) + decay
    steps = np.arange(0.0, 400.0, 2.0)
    paths, rates = [], []
    for _ in range(n_runs):
        r = rng.permutation(base)
        truth = MeanFieldLV.from_params(r, a=a, c=c, floor=floor, decay=decay)
        x0 = floor + rng.uniform(5.0, 20.0, size=6)
        paths.append(truth.simulate(x0, steps))
        rates.append(r)
    ds = lvdyn.make_traces(np.stack(paths), step=steps.astype(np.int64))
    return ds, np.stack(rates)


def test_recovers_shared_parameters_and_each_runs_growth_rates_from_permuted_labels():
    ds, rates = _runs()
    model = lvdyn.fit_traces(MeanFieldLV(decay=0.01, floor=1.5), ds, derivative="central4")
    # Noise-free data, 4th-order differences at step 2: errors ~1e-5 relative; 1e-3 allows
    # for the stiffer early transient while a wrong sign or a missing term is off by O(1).
    assert model.self_limitation_ == pytest.approx(2e-3, rel=1e-3)
    assert model.competition_ == pytest.approx(4e-4, rel=1e-3)
    np.testing.assert_allclose(model.growth_rates_by_group_, rates, rtol=1e-3)
    assert model.run_labels_.tolist() == ds.run.values.tolist()


def test_fits_the_floor_when_asked():
    ds, _ = _runs()
    model = lvdyn.fit_traces(MeanFieldLV(decay=0.01, floor="fit", floor_max=3.0), ds,
                             derivative="central4")  # fmt: skip
    # the profile objective is flat to ~1e-3 near its minimum at this noise-free precision
    assert model.floor_ == pytest.approx(1.5, abs=2e-2)


def test_closed_form_equilibrium_is_where_the_system_goes():
    rng = np.random.default_rng(3)
    for _ in range(5):
        r = rng.uniform(-0.02, 0.08, size=8)
        model = MeanFieldLV.from_params(r, a=1e-3, c=3e-4, floor=2.0, decay=0.01)
        final = model.simulate(2.0 + rng.uniform(1, 30, size=8), np.array([0.0, 4e4]))[-1]
        # from any positive start the state converges to the unique saturated equilibrium
        np.testing.assert_allclose(final, model.equilibrium(), atol=1e-6)
        assert model.predict_survivors().tolist() == (model.equilibrium() > 2.0 + 1e-9).tolist()


def test_equilibrium_by_hand():
    # r - lambda = (3, 2, 0.5), a = 1, c = 0.5: the top two survive with Z = 5 / 2 = 2.5,
    # z = r - c Z = (1.75, 0.75); the third has 0.5 < c Z and is excluded
    assert mean_field_equilibrium([3.0, 2.0, 0.5], 1.0, 0.5).tolist() == [1.75, 0.75, 0.0]
    model = MeanFieldLV.from_params([3.1, 2.1, 0.6], a=1.0, c=0.5, floor=1.0, decay=0.1)
    np.testing.assert_allclose(model.equilibrium(), [2.75, 1.75, 1.0])


def test_jacobian_equals_central_differences():
    rng = np.random.default_rng(1)
    model = MeanFieldLV.from_params(rng.normal(size=5), a=0.7, c=0.2, floor=0.5, decay=0.1)
    x = 0.5 + rng.uniform(0.1, 2.0, size=5)
    h = 1e-6
    numeric = np.stack(
        [(model.rhs(x + h * e) - model.rhs(x - h * e)) / (2 * h) for e in np.eye(5)], axis=1
    )
    np.testing.assert_allclose(model.jacobian(x), numeric, rtol=1e-6, atol=1e-8)


def test_fitted_models_stay_bounded_on_random_data():
    """With a > 0 and c >= 0 each excess obeys z' <= z (r - lambda - a z), so no component
    ever exceeds max(z(0), (r - lambda) / a): the guarantee the fit's constraints give."""
    rng = np.random.default_rng(7)
    for seed in range(5):
        X = rng.uniform(1.0, 50.0, size=(60, 6))
        y = rng.normal(scale=2.0, size=(60, 6))
        model = MeanFieldLV(floor=0.5).fit(X, y)
        assert model.self_limitation_ > 0 and model.competition_ >= 0
        path = model.simulate(X[0], np.array([0.0, 1e3, 1e5]), on_divergence="raise")
        bound = np.maximum(
            X[0] - 0.5, (model.growth_rates_ - model.decay_) / model.self_limitation_
        )
        assert np.all(np.isfinite(path)), seed
        assert np.all(path - 0.5 <= bound * (1 + 1e-6) + 1e-9), seed


def test_cross_validated_prediction_never_fits_on_the_scored_run(monkeypatch):
    ds, _ = _runs(n_runs=6)
    seen: list[list[str]] = []
    real = mf.fit_mean_field

    def recording(train):
        seen.append(train.run.values.tolist())
        return real(train, route="derivative")  # the fold bookkeeping is what is tested

    monkeypatch.setattr(mf, "fit_mean_field", recording)
    monkeypatch.setattr(mf, "_FITTED", {})
    scores = lvdyn.evaluate_survival_prediction(ds, [40, 60], ["mean-field"], n_folds=3,
                                                rule="2x-mean")  # fmt: skip
    assert len(seen) == 3  # one fit per fold, reused for the second prefix
    runs = ds.run.values.tolist()
    folds = np.random.default_rng(0).permutation(len(runs)) % 3
    for fold, used in enumerate(seen):
        held_out = {runs[i] for i in np.flatnonzero(folds == fold)}
        assert held_out.isdisjoint(used)
    assert np.isfinite(scores.f1.values).all()


def test_shipped_coefficients_apply_to_the_paper_settings_and_warn_elsewhere():
    data = mf._shipped()
    assert data["applies_to"]["d_embed"] == 128 and data["a"] > 0 and data["c"] >= 0
    coords = {k: [v] for k, v in data["applies_to"].items() if k != "producer"}
    ds = lvdyn.make_traces(np.ones((1, 3, 2)), step=[0, 1, 2], **coords,
                           producer_config={"producer": "modadd"})  # fmt: skip
    model = mf.shipped_mean_field(ds)  # no warning: -W error would fail the test
    assert model.decay_ == pytest.approx(0.005)
    other = ds.assign_coords(d_embed=("run", [32]))
    with pytest.warns(mf.MeanFieldRangeWarning, match="d_embed"):
        mf.shipped_mean_field(other)


def test_single_run_prediction_out_of_the_box():
    ds, _ = _runs(n_runs=1)
    with pytest.warns(mf.MeanFieldRangeWarning, match="no training runs"):
        predicted = lvdyn.predict_survivors_from_prefix(ds, 100, rule="fraction-of-max")
    assert predicted.dims == ("run", "component") and predicted.attrs["method"] == "mean-field"


def test_symbolic_readout_matches_the_model():
    model = MeanFieldLV.from_params([0.01, 0.03, 0.02], a=4e-5, c=1e-6, floor=5.5, decay=0.005)
    model.component_labels_ = np.array([3, 7, 11])
    readout = lvdyn.to_sympy(model, precision=None)
    assert [str(s) for s in readout.symbols] == ["x_3", "x_7", "x_11"]
    assert float(readout.parameters["a"]) == 4e-5 and float(readout.parameters["floor"]) == 5.5
    x = np.array([40.0, 80.0, 9.0])
    values = dict(zip(readout.symbols, x, strict=True))
    np.testing.assert_allclose([float(e.subs(values)) for e in readout.rhs], model.rhs(x))


def test_symbolic_readout_with_saturation_matches_the_model():
    model = MeanFieldLV.from_params([0.01, 0.03], a=4e-5, c=1e-6, floor=5.5, decay=0.005,
                                    saturation=30.0)  # fmt: skip
    readout = lvdyn.to_sympy(model, precision=None)
    assert float(readout.parameters["K"]) == 30.0
    x = np.array([40.0, 80.0])
    values = dict(zip(readout.symbols, x, strict=True))
    np.testing.assert_allclose([float(e.subs(values)) for e in readout.rhs], model.rhs(x))


def test_equations_keep_the_excess_over_the_floor_unexpanded():
    model = MeanFieldLV.from_params([0.01, 0.03], a=4e-5, c=1e-6, floor=5.5, decay=0.005,
                                    saturation=30.0)  # fmt: skip
    lines = lvdyn.equations(model, labels=["S3", "S7"])
    assert lines == [
        "dS3/dt = z3*(0.01*z3/(z3 + 30.0) - 0.005 - 4.0e-5*z3 - 1.0e-6*Z)",
        "dS7/dt = z7*(0.03*z7/(z7 + 30.0) - 0.005 - 4.0e-5*z7 - 1.0e-6*Z)",
        "where z3 = S3 - 5.5, z7 = S7 - 5.5 (excess over the floor) and Z = z3 + z7",
    ]
    readout = lvdyn.to_sympy(model, precision=None)
    x = np.array([40.0, 80.0])
    values = dict(zip(readout.symbols, x, strict=True))
    excess = {z: float(value.subs(values)) for z, value in readout.definitions.items()}
    # the printed form, evaluated at the excess, is the model's right-hand side
    np.testing.assert_allclose([float(e.subs(excess)) for e in readout.compact], model.rhs(x))
    latex = lvdyn.to_latex(model, labels=["S3", "S7"])
    assert r"\text{where }z_{3} = S_{3} - 5.5" in latex


# --- saturation (positive feedback), the batch integrator and the prefix route --------------

SATURATED = {"a": 2e-3, "c": 4e-4, "floor": 1.5, "decay": 0.01, "saturation": 5.0}


def _saturated_runs(n_runs=6, seed=1):
    """Runs of one saturating system, each with its own permutation of the growth rates."""
    rng = np.random.default_rng(seed)
    steps = np.arange(0.0, 600.0, 2.0)
    base = np.linspace(0.015, 0.07, 6) + SATURATED["decay"]
    paths, rates = [], []
    for _ in range(n_runs):
        r = rng.permutation(base)
        truth = MeanFieldLV.from_params(r, **SATURATED)
        paths.append(truth.simulate(1.5 + rng.uniform(8.0, 25.0, size=6), steps))
        rates.append(r)
    return lvdyn.make_traces(np.stack(paths), step=steps.astype(np.int64)), np.stack(rates)


def test_batch_integrator_equals_the_adaptive_solver():
    from lvdyn.models._mean_field import integrate_mean_field

    rng = np.random.default_rng(4)
    r = rng.uniform(0.0, 0.08, size=(3, 7))
    z0 = rng.uniform(1.0, 30.0, size=(3, 7))
    times = np.linspace(0.0, 800.0, 41)
    batch = integrate_mean_field(z0, r, times, a=2e-3, c=4e-4, saturation=5.0, decay=0.01)
    for i in range(3):
        model = MeanFieldLV.from_params(r[i], a=2e-3, c=4e-4, floor=0.0, decay=0.01,
                                        saturation=5.0)  # fmt: skip
        # LSODA at rtol 1e-8 is the reference; RK4 at half the fastest time scale is
        # accurate to ~1e-6 of the state's size here (a wrong term is off by O(1))
        np.testing.assert_allclose(batch[i], model.simulate(z0[i], times), rtol=0, atol=1e-4)


def test_saturating_jacobian_equals_central_differences():
    model = MeanFieldLV.from_params([0.02, 0.05, 0.01], a=2e-3, c=4e-4, floor=1.0, decay=0.01,
                                    saturation=5.0)  # fmt: skip
    x = np.array([4.0, 20.0, 1.5])
    eps = 1e-6
    numeric = np.stack(
        [(model.rhs(x + eps * e) - model.rhs(x - eps * e)) / (2 * eps) for e in np.eye(3)], 1
    )
    np.testing.assert_allclose(model.jacobian(x), numeric, rtol=1e-6, atol=1e-10)


def test_derivative_fit_with_known_saturation_recovers_the_system():
    ds, rates = _saturated_runs()
    model = lvdyn.fit_traces(MeanFieldLV(decay=0.01, floor=1.5, saturation=5.0), ds,
                             derivative="central4")  # fmt: skip
    # noise-free, 4th-order differences at step 2: relative errors ~1e-4
    assert model.self_limitation_ == pytest.approx(SATURATED["a"], rel=2e-3)
    assert model.competition_ == pytest.approx(SATURATED["c"], rel=2e-3)
    np.testing.assert_allclose(model.growth_rates_by_group_, rates, rtol=2e-3)


def test_saturated_equilibrium_needs_a_start_and_is_where_the_system_goes():
    model = MeanFieldLV.from_params([0.03, 0.06, 0.02, 0.05], **SATURATED)
    with pytest.raises(ValueError, match="x0"):
        model.equilibrium()
    x0 = np.array([3.0, 20.0, 2.0, 15.0])
    final = model.simulate(x0, np.array([0.0, 5e3]))[-1]
    np.testing.assert_allclose(model.equilibrium(x0), final, rtol=1e-5, atol=1e-4)
    assert model.predict_survivors(x0).tolist() == (final - 1.5 > 1e-2).tolist()
    assert model.predict_survivors(x0).tolist() == [False, True, False, False]
    # the outcome depends on the start: with every excess below the feedback's threshold
    # (r h(z) < decay) the same rates leave no survivor
    assert not model.predict_survivors(np.full(4, 2.0)).any()


def test_shooting_recovers_the_shared_parameters_of_a_saturating_system():
    ds, _ = _saturated_runs(n_runs=4)
    model = mf.fit_mean_field(ds.assign_coords(lr=("run", [0.01] * 4),
                                               weight_decay=("run", [1.0] * 4)))  # fmt: skip
    assert model.decay_ == pytest.approx(0.01)
    # the prefix estimator reads each rate over a window where z changes, so the recovered
    # parameters carry its small bias: 15 % (the K = 0 start is off by O(1) in K)
    assert model.self_limitation_ == pytest.approx(SATURATED["a"], rel=0.15)
    assert model.competition_ == pytest.approx(SATURATED["c"], rel=0.15)
    assert model.floor_ == pytest.approx(SATURATED["floor"], abs=0.3)
    assert model.saturation_ == pytest.approx(SATURATED["saturation"], rel=0.15)


def test_prefix_growth_is_calibrated_on_the_measured_push():
    from lvdyn.prediction._prefix_growth import SharedParameters, prefix_growth_rates

    ds, rates = _saturated_runs(n_runs=2)
    shared = SharedParameters(SATURATED["a"], SATURATED["c"], SATURATED["floor"],
                              SATURATED["saturation"], SATURATED["decay"])  # fmt: skip
    S = ds.strength.values
    z = S - shared.floor
    true_push = rates[:, np.newaxis, :] * shared.feedback(z)
    measured = (true_push - 0.004) / 3.0  # a signal the push is an affine function of
    last = 40
    calibrated = prefix_growth_rates(S, ds.step.values, last, shared, push=measured)
    # the calibration finds alpha = 0.004, beta = 3 from the window and reads the push at
    # the prefix's last step exactly: only the derivative error (~1e-4) remains
    np.testing.assert_allclose(calibrated, rates, rtol=1e-2)
    plain = prefix_growth_rates(S, ds.step.values, last, shared)
    # without the push, the rate is a window average over a changing h(z): off by up to 20 %
    np.testing.assert_allclose(plain, rates, rtol=0.2)
    assert np.abs(calibrated - rates).max() < 0.1 * np.abs(plain - rates).max()


def test_fit_mean_field_takes_a_known_decay():
    ds, _ = _saturated_runs(n_runs=2)
    assert "lr" not in ds.coords  # so the default decay is 0
    assert mf.fit_mean_field(ds, route="derivative").decay_ == 0.0
    given = mf.fit_mean_field(ds, route="derivative", decay=SATURATED["decay"])
    assert given.decay_ == SATURATED["decay"]
