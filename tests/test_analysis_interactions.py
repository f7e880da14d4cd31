"""Interaction tables and keystoneness."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import lvdyn

# one pair of each kind among components a, b, c, d
A = np.array(
    [
        [-1.0, -0.4, 0.3, 0.2],
        [-0.2, -1.0, 0.5, 0.0],
        [-0.6, 0.1, -1.0, -0.3],
        [0.0, 0.0, 0.0, -1.0],
    ]
)
MODEL = lvdyn.LotkaVolterra.from_params(np.ones(4), A)


def test_each_pair_gets_its_relation() -> None:
    table = lvdyn.interaction_table(MODEL, labels=["a", "b", "c", "d"])
    got = {
        (str(f), str(s)): str(r)
        for f, s, r in zip(
            table.first.values, table.second.values, table.relation.values, strict=True
        )
    }
    assert got == {
        ("a", "b"): "competition",  # -0.4, -0.2
        ("a", "c"): "exploitation",  # +0.3, -0.6
        ("a", "d"): "commensalism",  # +0.2, 0
        ("b", "c"): "mutualism",  # +0.5, +0.1
        ("b", "d"): "none",
        ("c", "d"): "amensalism",  # -0.3, 0
    }
    ab = table.isel(pair=0)
    assert float(ab.effect_on_first) == -0.4 and float(ab.effect_on_second) == -0.2
    np.testing.assert_allclose(float(ab.magnitude), 0.3)
    np.testing.assert_allclose(table.self_effect, -1.0)


def test_atol_and_bootstrap_intervals_decide_zero() -> None:
    assert "mutualism" not in lvdyn.interaction_table(MODEL, atol=0.15).relation.values
    # intervals: the (c on b) = 0.5 effect is certain, (b on c) = 0.1 straddles zero
    lower, upper = A - 0.05, A + 0.05
    lower[2, 1], upper[2, 1] = -0.2, 0.4
    dims = ("component", "component_j")
    intervals = xr.Dataset({"lower": (dims, lower), "upper": (dims, upper)})
    table = lvdyn.interaction_table(MODEL, intervals=intervals)
    bc = table.where((table.first == 1) & (table.second == 2), drop=True)
    assert str(bc.relation.values[0]) == "commensalism"
    np.testing.assert_allclose(bc.effect_on_second_lower, -0.2)
    with pytest.raises(ValueError, match="'lower' and 'upper'"):
        lvdyn.interaction_table(MODEL, intervals=xr.Dataset({"low": (dims, lower)}))


def test_keystoneness_of_a_food_chain() -> None:
    # a resource (0) feeds a consumer (1) that cannot grow alone, and an unrelated component
    # (2): removing 0 kills 1; removing 1 lets 0 grow; removing 2 changes nothing
    r = np.array([1.0, -0.1, 0.5])
    A = np.array([[-1.0, -0.5, 0.0], [0.5, -1.0, 0.0], [0.0, 0.0, -1.0]])
    ks = lvdyn.keystoneness(lvdyn.LotkaVolterra.from_params(r, A))
    assert ks.n_lost.values.tolist() == [1, 0, 0]
    assert ks.n_gained.values.tolist() == [0, 0, 0]
    # full system: x0 = 0.84, x1 = 0.32 (solve -x0 - .5 x1 = -1, .5 x0 - x1 = .1), x2 = 0.5
    np.testing.assert_allclose(ks.state_after.sel(removed=1), [1.0, np.nan, 0.5])
    np.testing.assert_allclose(float(ks.keystone_index.sel(removed=2)), 0.0, atol=1e-12)
    assert float(ks.keystone_index.sel(removed=0)) > 0.3
    assert not bool(ks.survives_after.sel(removed=0, component=1))


def test_keystoneness_of_a_competitor_release() -> None:
    # 0 excludes 1; removing 0 releases 1 (gained)
    model = lvdyn.LotkaVolterra.from_params([1.0, 1.0], [[-1.0, -0.5], [-1.5, -1.0]])
    ks = lvdyn.keystoneness(model)
    assert ks.n_gained.values.tolist() == [1, 0]
    assert ks.was_survivor.values.tolist() == [True, False]


def test_analysis_results_round_trip_through_netcdf(tmp_path) -> None:
    from lvdyn.traces._io import open_netcdf, save_netcdf

    results = {
        "equilibria": lvdyn.find_equilibria(MODEL),
        "stability": lvdyn.stability(MODEL, lvdyn.find_equilibria(MODEL).saturated_state.values),
        "interactions": lvdyn.interaction_table(MODEL, labels=["a", "b", "c", "d"]),
        "keystones": lvdyn.keystoneness(MODEL),
    }
    for name, ds in results.items():
        path = save_netcdf(ds, tmp_path / f"{name}.nc")
        back = open_netcdf(path).load()
        xr.testing.assert_allclose(back, ds)
        assert back.attrs == ds.attrs


class _Generic:
    """A model known only through rhs and jacobian (as SINDy will be)."""

    def __init__(self, inner: lvdyn.LotkaVolterra) -> None:
        self.inner, self.n_features_in_ = inner, inner.n_features_in_

    def rhs(self, x):
        return self.inner.rhs(x)

    def jacobian(self, x):
        return self.inner.jacobian(x)


def test_generic_models_use_the_jacobian_at_a_state() -> None:
    # at a positive state the LV Jacobian off-diagonals are x_i A_ij: same signs as A
    generic = _Generic(MODEL)
    with pytest.raises(ValueError, match="`x` is required"):
        lvdyn.interaction_table(generic)
    table = lvdyn.interaction_table(generic, x=np.full(4, 0.5))
    np.testing.assert_array_equal(table.relation, lvdyn.interaction_table(MODEL).relation)
    np.testing.assert_allclose(
        table.effect_on_first, 0.5 * lvdyn.interaction_table(MODEL).effect_on_first
    )
    with pytest.raises(ValueError, match="linear or Lotka-Volterra"):
        lvdyn.keystoneness(generic)


def test_keystoneness_of_a_linear_model() -> None:
    # decoupled components: removing one changes nothing for the others
    model = lvdyn.LinearODE.from_params(-np.eye(3), [6.0, 1.0, 1.0])
    ks = lvdyn.keystoneness(model)
    np.testing.assert_allclose(ks.keystone_index, 0.0, atol=1e-12)
    # but the 2x-mean rule is relative: with two components left (6, 1) the mean is 3.5 and
    # 6 < 7, so removing 1 or 2 "kills" component 0 under that rule
    assert ks.survives_after.sel(removed=1).values.tolist() == [False, False, False]
    assert ks.n_lost.values.tolist() == [0, 1, 1]
    assert ks.was_survivor.values.tolist() == [True, False, False]


def test_labelled_tables_of_a_fitted_model() -> None:
    """interaction_matrix / growth_rates / predict_survivors carry the traces' labels."""
    import lvdyn
    from lvdyn.producers import synthetic

    r, A = [1.0, 0.9, 0.5], [[-1.0, -0.3, -0.2], [-0.2, -1.0, -0.3], [-1.5, -1.5, -1.0]]
    ds = synthetic.lotka_volterra(
        r=r, A=A, x0=[[0.1, 0.1, 0.1], [0.3, 0.2, 0.1]], steps=300, dt=0.1
    )
    ds = ds.assign_coords(component=["alpha", "beta", "gamma"])
    ds = ds.assign_coords(component_j=["alpha", "beta", "gamma"])
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time", derivative="central4")
    table = lvdyn.interaction_matrix(model).to_pandas()
    assert list(table.index) == ["alpha", "beta", "gamma"] == list(table.columns)
    # noise-free, dt = 0.1, fourth-order differences: A is recovered to well under 1e-2
    assert abs(table.loc["gamma", "alpha"] - (-1.5)) < 1e-2
    assert lvdyn.growth_rates(model).to_pandas().index.tolist() == ["alpha", "beta", "gamma"]
    alive = lvdyn.predict_survivors(model)
    assert alive.dims == ("component",)
    assert alive.component.values[alive.values].tolist() == ["alpha", "beta"]
    assert isinstance(lvdyn.predict_survivors(model, as_array=True), np.ndarray)
    with pytest.raises(ValueError, match="no interaction matrix"):
        lvdyn.interaction_matrix(lvdyn.SINDy().fit(ds.strength.values[0], ds.strength.values[0]))
