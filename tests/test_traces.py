"""make_traces, validate_traces, save_traces / open_traces and combine_traces."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import lvdyn
from lvdyn import SchemaError


def without_history(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k != "history"}
    return out


def test_make_traces_builds_the_schema(small_traces: xr.Dataset) -> None:
    ds = small_traces
    assert ds.strength.dims == ("run", "step", "component")
    assert ds.step.dtype == np.int64
    assert ds.seed.dims == ("run",)
    assert ds.train_loss.dims == ("run", "step")
    assert ds.attrs["lvdyn_schema_version"] == 1
    assert ds.attrs["history"].splitlines()[0].endswith("source='user')")
    assert ds.strength.attrs["long_name"]


def test_make_traces_single_run_and_known_truth() -> None:
    A = -np.eye(3)
    ds = lvdyn.make_traces(
        np.ones((4, 3)), step=[0, 1, 2, 3], true_A=A, true_r=[1, 2, 3], train_loss=np.zeros(4), p=59
    )
    assert ds.sizes["run"] == 1
    assert ds.true_A.dims == ("component", "component_j")
    np.testing.assert_array_equal(ds.component_j.values, ds.component.values)
    assert ds.train_loss.dims == ("run", "step")
    assert int(ds.p.values[0]) == 59


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(strength=np.ones((2, 3, 4, 5)), step=[0, 1, 2]), "shape"),
        (dict(strength=np.ones((3, 2)), step=[0, 1]), "1-D sequence of 3"),
        (dict(strength=np.ones((3, 2)), step=[0.5, 1, 2]), "integers"),
        (dict(strength=np.array([["a"]]), step=[0]), "numeric"),
        (dict(strength=np.ones((3, 2)), step=[0, 1, 2], component=["x"]), "2 labels"),
        (dict(strength=np.ones((3, 2)), step=[0, 1, 2], weird=np.ones((7, 7))), "weird"),
    ],
)
def test_make_traces_rejects_bad_arrays(kwargs: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        lvdyn.make_traces(**kwargs)


# --- the catalogue of malformed datasets -------------------------------------------------


def _good() -> xr.Dataset:
    x = np.random.default_rng(2).uniform(1, 2, size=(2, 5, 3))
    return lvdyn.make_traces(x, step=np.arange(5), component=[1, 2, 3], run=[0, 1])


def _set_strength(ds: xr.Dataset, values: np.ndarray) -> xr.Dataset:
    out = ds.copy(deep=True)
    out["strength"] = (out.strength.dims, values)
    return out


def _with_attr(key: str, value: object) -> xr.Dataset:
    ds = _good()
    ds.attrs[key] = value
    return ds


def _nan_component() -> xr.Dataset:
    ds = _good()
    values = ds.strength.values.copy()
    values[:, :, 1] = np.nan
    return _set_strength(ds, values)


def _nan_run() -> xr.Dataset:
    ds = _good()
    values = ds.strength.values.copy()
    values[1] = np.nan
    return _set_strength(ds, values)


def _inf() -> xr.Dataset:
    ds = _good()
    values = ds.strength.values.copy()
    values[0, 2, 0] = np.inf
    return _set_strength(ds, values)


def _var_attr() -> xr.Dataset:
    ds = _good()
    ds["strength"].attrs["flag"] = True
    return ds


MALFORMED = {
    "not a dataset": (lambda: _good().strength, "expected an xarray.Dataset"),
    "missing strength": (lambda: _good().drop_vars("strength"), "`strength` is missing"),
    "missing run dim": (
        lambda: _good().isel(run=0, drop=True),
        "must have dims",
    ),
    "wrong dim order": (
        lambda: _good().transpose("step", "run", "component"),
        "in the order",
    ),
    "renamed dim": (lambda: _good().rename(component="freq"), "must have dims"),
    "non-numeric strength": (
        lambda: _set_strength(_good(), np.full((2, 5, 3), "x", dtype=object)),
        "must be a float array",
    ),
    "integer strength": (
        lambda: _set_strength(_good(), np.ones((2, 5, 3), dtype=np.int64)),
        "must be a float array",
    ),
    "inf in strength": (_inf, "infinite"),
    "all-NaN component": (_nan_component, r"all-NaN for components \[2\]"),
    "all-NaN run": (_nan_run, r"all-NaN for runs \[1\]"),
    "unsorted steps": (lambda: _good().assign_coords(step=[0, 2, 1, 3, 4]), "not sorted"),
    "duplicate steps": (lambda: _good().assign_coords(step=[0, 1, 1, 3, 4]), "duplicate values"),
    "float steps": (lambda: _good().assign_coords(step=np.arange(5) * 0.5), "must be integer"),
    "missing step coordinate": (lambda: _good().drop_vars("step"), "`step` is missing"),
    "duplicate component labels": (
        lambda: _good().assign_coords(component=[1, 1, 2]),
        "duplicate labels",
    ),
    "duplicate run labels": (lambda: _good().assign_coords(run=["a", "a"]), "duplicate labels"),
    "float component labels": (
        lambda: _good().assign_coords(component=[0.5, 1.5, 2.5]),
        "int or str labels",
    ),
    "wrong schema version": (lambda: _with_attr("lvdyn_schema_version", 2), "must be 1"),
    "missing schema version": (
        lambda: _good().drop_attrs(deep=False),
        "`lvdyn_schema_version` is missing",
    ),
    "dict attribute": (lambda: _with_attr("config", {"a": 1}), "attribute 'config'"),
    "bool attribute": (lambda: _with_attr("done", True), "attribute 'done'"),
    "bool variable attribute": (_var_attr, "variable `strength`"),
    "None attribute": (lambda: _with_attr("note", None), "attribute 'note'"),
    "producer_config not JSON": (lambda: _with_attr("producer_config", "{oops"), "JSON"),
    "history not a string": (lambda: _with_attr("history", 3), "`history` must be a string"),
    "loss with wrong dims": (
        lambda: _good().assign(train_loss=(("run",), [1.0, 2.0])),
        "`train_loss` must have dims",
    ),
    "true_A with wrong dims": (
        lambda: _good().assign(true_A=(("component",), [1.0, 2.0, 3.0])),
        "`true_A` must have dims",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_validate_rejects_malformed(case: str) -> None:
    build, match = MALFORMED[case]
    with pytest.raises(SchemaError, match=match):
        lvdyn.validate_traces(build())


def test_validate_lists_every_problem_at_once() -> None:
    ds = _good().assign_coords(step=[0, 2, 1, 3, 4], component=[1, 1, 2])
    ds.attrs["lvdyn_schema_version"] = 7
    with pytest.raises(SchemaError) as info:
        lvdyn.validate_traces(ds)
    assert len(info.value.problems) == 3
    assert "3 problems" in str(info.value)


# --- files -------------------------------------------------------------------------------


def test_round_trip_is_identical(tmp_path, small_traces: xr.Dataset) -> None:
    path = lvdyn.save_traces(small_traces, tmp_path / "t.nc")
    back = lvdyn.open_traces(path)
    xr.testing.assert_identical(without_history(back), without_history(small_traces))
    history = back.attrs["history"].splitlines()
    assert "open_traces" in history[0]
    assert history[1:] == small_traces.attrs["history"].splitlines()


def test_crash_during_save_keeps_the_old_file(tmp_path, small_traces, monkeypatch) -> None:
    path = tmp_path / "t.nc"
    lvdyn.save_traces(small_traces, path)
    before = path.read_bytes()

    def crash(self, target, *args, **kwargs):
        with open(target, "wb") as handle:
            handle.write(b"CDF\x01 half written")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", crash)
    changed = small_traces.copy(deep=True)
    changed["strength"] = changed.strength * 2
    with pytest.raises(OSError, match="simulated"):
        lvdyn.save_traces(changed, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.nc"]


def test_invalid_dataset_is_never_written(tmp_path) -> None:
    bad = _good().assign_coords(step=[0, 2, 1, 3, 4])
    with pytest.raises(SchemaError):
        lvdyn.save_traces(bad, tmp_path / "bad.nc")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"run,step\n1,2\n", "not a netCDF file"),
        (b"", "not a netCDF file"),
        (b"\x89HDF\r\n\x1a\ntruncated", "could not be read"),
    ],
)
def test_open_rejects_non_netcdf(tmp_path, content: bytes, match: str) -> None:
    path = tmp_path / "x.nc"
    path.write_bytes(content)
    with pytest.raises(SchemaError, match=match):
        lvdyn.open_traces(path)


def test_open_rejects_truncated_netcdf(tmp_path, small_traces) -> None:
    path = lvdyn.save_traces(small_traces, tmp_path / "t.nc")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SchemaError, match="could not be read"):
        lvdyn.open_traces(path)


def test_open_rejects_other_schema(tmp_path) -> None:
    xr.Dataset({"temperature": (("time",), [1.0, 2.0])}).to_netcdf(tmp_path / "o.nc")
    with pytest.raises(SchemaError, match="`strength` is missing"):
        lvdyn.open_traces(tmp_path / "o.nc")


def test_open_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no file"):
        lvdyn.open_traces(tmp_path / "nope.nc")


def test_save_into_missing_folder(tmp_path, small_traces) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        lvdyn.save_traces(small_traces, tmp_path / "no" / "t.nc")


def test_combine_pads_ragged_runs() -> None:
    a = lvdyn.make_traces(np.ones((3, 2)), step=[0, 10, 20], run=["a"], seed=1)
    b = lvdyn.make_traces(2 * np.ones((2, 2)), step=[0, 5], run=["b"], seed=2)
    both = lvdyn.combine_traces([a, b])
    assert both.step.values.tolist() == [0, 5, 10, 20]
    assert both.seed.values.tolist() == [1, 2]
    assert np.isnan(both.strength.sel(run="a", step=5)).all()
    assert np.isnan(both.strength.sel(run="b", step=20)).all()
    assert both.attrs["history"].startswith(both.attrs["history"].splitlines()[0])
    assert "combine_traces" in both.attrs["history"].splitlines()[0]
    json.loads(both.attrs["producer_config"])


def test_combine_refuses_runs_that_disagree_on_shared_ground_truth() -> None:
    def run(label: str, r: list[float]) -> xr.Dataset:
        return lvdyn.make_traces(np.ones((2, 2)), step=[0, 1], run=[label], true_r=r)

    same = lvdyn.combine_traces([run("a", [1.0, 2.0]), run("b", [1.0, 2.0])])
    assert same.true_r.values.tolist() == [1.0, 2.0]
    with pytest.raises(lvdyn.SchemaError, match=r"disagree on `true_r`.*drop_vars\('true_r'\)"):
        lvdyn.combine_traces([run("a", [1.0, 2.0]), run("b", [1.0, 3.0])])
