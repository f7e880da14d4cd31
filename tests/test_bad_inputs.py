"""The bad-input catalogue: every wrong input gets a clear error and writes nothing.

Each case builds its inputs in a fresh folder, then makes one bad call. The test checks the
documented exception type (or, for the command line, exit status 2 with one line on stderr
and no traceback), that the message names the argument or variable and what was found, and
that the folder holds exactly the files it held before the call (no output, no temporary
file).
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import lvdyn
from lvdyn.cli import main
from lvdyn.sweeps import load_config

#: What a case's ``build`` returns: the bad call, ready to run.
Thunk = Callable[[], Any]


@dataclass(frozen=True)
class Case:
    """One bad input: ``build(folder)`` writes the inputs and returns the call to make."""

    name: str
    build: Callable[[Path], Thunk]
    error: type[BaseException] | type[Warning]  # a warning: the call warns and goes on
    says: tuple[str, ...]  # substrings the message must contain: the argument and what was found


def _given(make: Callable[[Path], Any], call: Callable[[Any], Any]) -> Callable[[Path], Thunk]:
    """A case builder: ``make(folder)`` writes the input now; the thunk calls ``call`` on it."""
    return lambda folder: functools.partial(call, make(folder))


def _traces(**kw: Any) -> xr.Dataset:
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(2, 12, 3))
    return lvdyn.make_traces(x, step=np.arange(0, 120, 10), component=["a", "b", "c"], **kw)


def _saved(folder: Path, ds: xr.Dataset | None = None, name: str = "traces.nc") -> Path:
    path = folder / name
    lvdyn.save_traces(_traces() if ds is None else ds, path)
    return path


def _raw_netcdf(folder: Path, ds: xr.Dataset, name: str = "other.nc") -> Path:
    path = folder / name
    ds.to_netcdf(path, engine="netcdf4")
    return path


def _bytes(folder: Path, data: bytes, name: str = "traces.nc") -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _truncated(folder: Path) -> Path:
    good = _saved(folder)
    data = good.read_bytes()
    return _bytes(folder, data[: len(data) // 2])


def _with_version(version: Any) -> xr.Dataset:
    ds = _traces()
    ds.attrs["lvdyn_schema_version"] = version
    return ds


def _fit(model: Any, ds: xr.Dataset | None = None, **kw: Any) -> Thunk:
    return lambda: lvdyn.fit_traces(model, _traces() if ds is None else ds, **kw)


def _strength(values: np.ndarray, **kw: Any) -> xr.Dataset:
    return lvdyn.make_traces(values, step=np.arange(values.shape[-2]), **kw)


def _with_zero() -> xr.Dataset:
    ds = _traces()
    ds["strength"][0, 3, 1] = 0.0
    return ds


def _with_negative() -> xr.Dataset:
    ds = _traces()
    ds["strength"][1, 5, 2] = -0.25
    return ds


def _constant_b() -> xr.DataArray:
    strength = _traces().strength.copy()
    strength.loc[{"component": "b"}] = 2.0
    return strength


def _twin_c() -> xr.DataArray:
    strength = _traces().strength.copy()
    strength.loc[{"component": "c"}] = strength.sel(component="a").values
    return strength


def _rows_logged(*steps: int) -> xr.DataArray:
    """True on the given step positions of `_traces` (the rest become NaN with ``where``)."""
    return xr.DataArray(np.isin(np.arange(12), steps), dims="step")


def _csv(folder: Path, text: str, name: str = "table.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _toml(folder: Path, text: str) -> Path:
    return _csv(folder, text, "sweep.toml")


_SWEEP = 'producer = "synthetic"\nentry = "lotka_volterra"\nseeds = [0]\n'

API_CASES = [
    # --- files that are not traces ----------------------------------------------------------
    Case(
        "open: not netCDF",
        _given(lambda d: _bytes(d, b"step,strength\n0,1.0\n"), lvdyn.open_traces),
        lvdyn.SchemaError,
        ("traces.nc", "not a netCDF file", "first bytes"),
    ),
    Case(
        "open: empty file",
        _given(lambda d: _bytes(d, b""), lvdyn.open_traces),
        lvdyn.SchemaError,
        ("traces.nc", "not a netCDF file", "b''"),
    ),
    Case(
        "open: truncated netCDF",
        _given(_truncated, lvdyn.open_traces),
        lvdyn.SchemaError,
        ("traces.nc", "truncated"),
    ),
    Case(
        "open: netCDF of another schema",
        _given(
            lambda d: _raw_netcdf(d, xr.Dataset({"temperature": ("time", np.arange(3.0))})),
            lvdyn.open_traces,
        ),
        lvdyn.SchemaError,
        ("`strength` is missing", "`lvdyn_schema_version` is missing"),
    ),
    Case(
        "open: another schema version",
        _given(lambda d: _raw_netcdf(d, _with_version(2)), lvdyn.open_traces),
        lvdyn.SchemaError,
        ("`lvdyn_schema_version` must be 1", "got 2"),
    ),
    Case(
        "open: missing file",
        lambda d: lambda: lvdyn.open_traces(d / "nowhere.nc"),
        FileNotFoundError,
        ("`path`", "nowhere.nc"),
    ),
    Case(
        "open: a folder",
        lambda d: lambda: lvdyn.open_traces(d),
        lvdyn.SchemaError,
        ("`path` is a folder",),
    ),
    Case(
        "load_model: a traces file",
        _given(_saved, lvdyn.load_model),
        lvdyn.SchemaError,
        ("not an lvdyn model file", "`model` is None"),
    ),
    # --- datasets that break the schema ------------------------------------------------------
    Case(
        "validate: not a dataset",
        lambda d: lambda: lvdyn.validate_traces(np.ones((2, 3))),
        lvdyn.SchemaError,
        ("xarray.Dataset", "got ndarray"),
    ),
    Case(
        "validate: misnamed dim",
        lambda d: lambda: lvdyn.validate_traces(_traces().rename(step="time")),
        lvdyn.SchemaError,
        ("`strength` must have dims", "'time'", "coordinate `step` is missing"),
    ),
    Case(
        "validate: missing run dim",
        lambda d: lambda: lvdyn.validate_traces(_traces().isel(run=0, drop=True)),
        lvdyn.SchemaError,
        ("`strength` must have dims", "got ('step', 'component')"),
    ),
    Case(
        "validate: transposed dims",
        lambda d: lambda: lvdyn.validate_traces(_traces().transpose("step", "run", "component")),
        lvdyn.SchemaError,
        ("dims in the order", "got ('step', 'run', 'component')"),
    ),
    Case(
        "make: inf in strength",
        lambda d: lambda: _strength(np.array([[1.0, 2.0], [np.inf, 1.0], [1.0, 1.0]])),
        lvdyn.SchemaError,
        ("`strength` contains 1 infinite value", "step 1", "component 0"),
    ),
    Case(
        "make: component all NaN",
        lambda d: lambda: _strength(np.array([[1.0, np.nan], [2.0, np.nan]]), component=["a", "b"]),
        lvdyn.SchemaError,
        ("`strength` is all-NaN for components ['b']",),
    ),
    Case(
        "make: ragged runs",
        lambda d: lambda: lvdyn.make_traces([np.ones((5, 2)), np.ones((4, 2))], step=range(5)),
        lvdyn.SchemaError,
        ("`strength`", "same shape", "(5, 2)", "(4, 2)"),
    ),
    Case(
        "make: strength 1-D",
        lambda d: lambda: lvdyn.make_traces(np.ones(5), step=range(5)),
        lvdyn.SchemaError,
        ("`strength` must have shape", "got 1 dimensions"),
    ),
    Case(
        "make: strength of strings",
        lambda d: lambda: lvdyn.make_traces(np.array([["a", "b"]]), step=[0]),
        lvdyn.SchemaError,
        ("`strength` must be numeric", "<U1"),
    ),
    Case(
        "make: duplicate steps",
        lambda d: lambda: lvdyn.make_traces(np.ones((3, 2)), step=[0, 1, 1]),
        lvdyn.SchemaError,
        ("`step` has duplicate values [1]",),
    ),
    Case(
        "make: unsorted steps",
        lambda d: lambda: lvdyn.make_traces(np.ones((3, 2)), step=[0, 2, 1]),
        lvdyn.SchemaError,
        ("`step` is not sorted", "sortby"),
    ),
    Case(
        "make: fractional steps",
        lambda d: lambda: lvdyn.make_traces(np.ones((2, 2)), step=[0.0, 0.5]),
        lvdyn.SchemaError,
        ("`step` must hold integers", "float64"),
    ),
    Case(
        "make: steps of the wrong length",
        lambda d: lambda: lvdyn.make_traces(np.ones((3, 2)), step=[0, 1]),
        lvdyn.SchemaError,
        ("`step` must be a 1-D sequence of 3", "got shape (2,)"),
    ),
    Case(
        "make: duplicate components",
        lambda d: lambda: lvdyn.make_traces(np.ones((2, 2)), step=[0, 1], component=["a", "a"]),
        lvdyn.SchemaError,
        ("`component` has duplicate labels ['a']",),
    ),
    Case(
        "make: run labels of the wrong length",
        lambda d: lambda: _traces(run=["a", "b", "c"]),
        lvdyn.SchemaError,
        ("`run` must be a 1-D sequence of 2", "got shape (3,)"),
    ),
    Case(
        "make: train_loss of mismatched length",
        lambda d: lambda: _traces(train_loss=np.ones((2, 11))),
        lvdyn.SchemaError,
        ("train_loss", "11", "12"),
    ),
    # --- fitting -----------------------------------------------------------------------------
    Case(
        "fit: zero strength for Lotka-Volterra",
        lambda d: _fit(lvdyn.LotkaVolterra(), _with_zero(), zeros="raise"),
        lvdyn.DataError,
        ("strength <= 0", "step 30", "component 'b'", "zeros='raise'"),
    ),
    Case(
        "fit: negative strength for Lotka-Volterra",
        lambda d: _fit(lvdyn.LotkaVolterra(), _with_negative()),
        lvdyn.DataError,
        ("strength <= 0", "negative", "step 50", "component 'c'"),
    ),
    Case(
        "fit: fewer steps than the derivative needs",
        lambda d: _fit(lvdyn.LinearODE(), _traces().isel(step=slice(0, 3)), derivative="central4"),
        lvdyn.DataError,
        ("`derivative`", "5 samples in a row", "at most 3"),
    ),
    Case(
        "fit: NaN gaps leave no stretch long enough",
        lambda d: _fit(
            lvdyn.LinearODE(),
            _traces().where(xr.DataArray(np.arange(12) % 2 == 0, dims="step")),
            derivative="central",
        ),
        lvdyn.DataError,
        ("`derivative`", "3 samples in a row", "at most 1"),
    ),
    Case(
        "fit: a constant component (warns, then fits)",
        lambda d: _fit(lvdyn.LinearODE(), _traces().assign(strength=_constant_b())),
        lvdyn.IllConditionedWarning,
        ("components ['b'] are constant",),
    ),
    Case(
        "fit: duplicate components (warns, then fits)",
        lambda d: _fit(lvdyn.LinearODE(), _traces().assign(strength=_twin_c())),
        lvdyn.IllConditionedWarning,
        ("[('a', 'c')] have identical trajectories",),
    ),
    Case(
        "fit: SINDy threshold above every derivative (warns, dx/dt = 0)",
        lambda d: _fit(lvdyn.SINDy(threshold=10.0)),
        lvdyn.DegenerateFitWarning,
        ("0 nonzero terms", "`threshold` 10 cut every term", "for example threshold="),
    ),
    Case(
        "fit: a penalty that zeroes A (warns)",
        lambda d: _fit(lvdyn.LinearODE(penalty="lasso", alpha=100.0), derivative="central"),
        lvdyn.DegenerateFitWarning,
        ("lasso penalty", "set all 9 entries of A to zero", "smaller alpha"),
    ),
    Case(
        "fit: many missing values (warns)",
        lambda d: _fit(
            lvdyn.LinearODE(),
            _traces().where(_rows_logged(0, 1, 2, 3, 4, 5, 6)),
            derivative="central",
        ),
        lvdyn.MissingValuesWarning,
        ("30 of the 72 selected strengths (42%) are missing",),
    ),
    Case(
        "fit: window outside the data",
        lambda d: _fit(lvdyn.LinearODE(), window=(500, 900)),
        ValueError,
        ("`window` (500, 900) selects no steps", "0..110"),
    ),
    Case(
        "fit: window of the wrong type",
        lambda d: _fit(lvdyn.LinearODE(), window="0:50"),
        ValueError,
        ("`window` must be", "got '0:50' (str)"),
    ),
    Case(
        "fit: unknown run",
        lambda d: _fit(lvdyn.LinearODE(), runs=[7]),
        ValueError,
        ("`runs`", "unknown labels [7]"),
    ),
    Case(
        "fit: unknown derivative",
        lambda d: _fit(lvdyn.LinearODE(), derivative="backward"),
        ValueError,
        ("`derivative` must be one of", "got 'backward' (str)"),
    ),
    Case(
        "fit: unknown time coordinate",
        lambda d: _fit(lvdyn.LinearODE(), time="seconds"),
        ValueError,
        ("`time` must be 'step'", "got 'seconds'"),
    ),
    Case(
        "fit: not a model",
        lambda d: _fit("lv"),
        ValueError,
        ("`model` must be an lvdyn estimator", "got str"),
    ),
    Case(
        "fit: negative sample weight",
        lambda d: _fit(lvdyn.LinearODE(), sample_weight=-1.0),
        ValueError,
        ("`sample_weight` must be finite and non-negative", "-1"),
    ),
    # --- hyperparameters of the wrong type or range -------------------------------------------
    Case(
        "hyper: unknown penalty",
        lambda d: _fit(lvdyn.LinearODE(penalty="l3")),
        ValueError,
        ("`penalty` must be", "got 'l3' (str)"),
    ),
    Case(
        "hyper: negative alpha",
        lambda d: _fit(lvdyn.LinearODE(penalty="ridge", alpha=-1.0)),
        ValueError,
        ("`alpha` must be a non-negative number", "got -1.0 (float)"),
    ),
    Case(
        "hyper: alpha of the wrong type",
        lambda d: _fit(lvdyn.LotkaVolterra(penalty="lasso", alpha="big")),
        ValueError,
        ("`alpha` must be a non-negative number", "got 'big' (str)"),
    ),
    Case(
        "hyper: negative alpha without a penalty (checked even though unused)",
        lambda d: _fit(lvdyn.LotkaVolterra(alpha=-1.0)),
        ValueError,
        ("`alpha` must be a non-negative number", "got -1.0 (float)"),
    ),
    Case(
        "hyper: alpha a string without a penalty",
        lambda d: _fit(lvdyn.LotkaVolterra(alpha="big")),
        ValueError,
        ("`alpha` must be a non-negative number", "got 'big' (str)"),
    ),
    Case(
        "hyper: l1_ratio out of range without elasticnet",
        lambda d: _fit(lvdyn.LinearODE(l1_ratio=-0.5)),
        ValueError,
        ("`l1_ratio` must be a number in [0, 1]", "got -0.5"),
    ),
    Case(
        "hyper: SINDy degree unused by the lotka_volterra library",
        lambda d: _fit(lvdyn.SINDy(library="lotka_volterra", degree=0)),
        ValueError,
        ("`degree` must be a positive integer", "got 0"),
    ),
    Case(
        "hyper: SINDy relax_coeff_nu unused by stlsq",
        lambda d: _fit(lvdyn.SINDy(relax_coeff_nu=-1.0)),
        ValueError,
        ("`relax_coeff_nu` must be a positive number", "got -1.0"),
    ),
    Case(
        "hyper: l1_ratio out of range",
        lambda d: _fit(lvdyn.LinearODE(penalty="elasticnet", l1_ratio=2)),
        ValueError,
        ("`l1_ratio` must be a number in [0, 1]", "got 2"),
    ),
    Case(
        "hyper: max_iter zero",
        lambda d: _fit(lvdyn.LinearODE(penalty="lasso", alpha=0.1, max_iter=0)),
        ValueError,
        ("`max_iter` must be a positive integer", "got 0 (int)"),
    ),
    Case(
        "hyper: negative tol",
        lambda d: _fit(lvdyn.LinearODE(penalty="lasso", alpha=0.1, tol=-1e-3)),
        ValueError,
        ("`tol` must be a non-negative number", "got -0.001 (float)"),
    ),
    Case(
        "hyper: fit_intercept not a bool",
        lambda d: _fit(lvdyn.LinearODE(fit_intercept="yes")),
        ValueError,
        ("`fit_intercept` must be True or False", "got 'yes' (str)"),
    ),
    Case(
        "hyper: unknown diagonal constraint",
        lambda d: _fit(lvdyn.LotkaVolterra(diagonal="negative")),
        ValueError,
        ("`diagonal` must be", "got 'negative'"),
    ),
    Case(
        "hyper: negative floor",
        lambda d: _fit(lvdyn.LotkaVolterra(floor=-1.0)),
        ValueError,
        ("`floor` must be None or a positive number", "got -1.0"),
    ),
    Case(
        "hyper: support of the wrong shape",
        lambda d: _fit(lvdyn.LotkaVolterra(support=np.ones((2, 2), dtype=bool))),
        ValueError,
        ("`support` must be a (3, 3) boolean array", "got shape (2, 2)"),
    ),
    Case(
        "hyper: SINDy degree zero",
        lambda d: _fit(lvdyn.SINDy(degree=0)),
        ValueError,
        ("`degree` must be a positive integer", "got 0"),
    ),
    Case(
        "hyper: SINDy negative threshold",
        lambda d: _fit(lvdyn.SINDy(threshold=-0.1)),
        ValueError,
        ("`threshold` must be a non-negative number", "got -0.1"),
    ),
    # --- simulation and prediction -----------------------------------------------------------
    Case(
        "simulate: negative steps",
        lambda d: lambda: lvdyn.simulate_traces(lvdyn.LinearODE.from_params([[-1.0]]), [1.0], -3),
        ValueError,
        ("`steps` must be a non-negative int", "got -3"),
    ),
    Case(
        "simulate: x0 of the wrong size",
        lambda d: lambda: lvdyn.simulate_traces(lvdyn.LinearODE.from_params([[-1.0]]), [1.0, 2.0]),
        ValueError,
        ("`x0` must have 1 components", "got shape (2,)"),
    ),
    Case(
        "predict: prefix longer than the run",
        lambda d: lambda: lvdyn.predict_survivors_from_prefix(_traces(), 500, "last-value"),
        ValueError,
        ("`prefix` must lie within the logged steps", "(0..110)", "got 500"),
    ),
    Case(
        "predict: prefix of the wrong type",
        lambda d: lambda: lvdyn.predict_survivors_from_prefix(_traces(), 5.5, "last-value"),
        ValueError,
        ("`prefix` must be an integer training step", "got 5.5 (float)"),
    ),
    Case(
        "predict: unknown method",
        lambda d: lambda: lvdyn.predict_survivors_from_prefix(_traces(), 50, "oracle"),
        ValueError,
        ("`method` must be one of", "got 'oracle'"),
    ),
    Case(
        "survivors: unknown rule",
        lambda d: lambda: lvdyn.survivors(_traces(), rule="3x-mean"),
        ValueError,
        ("`rule` must be one of", "got '3x-mean'"),
    ),
    # --- tables ------------------------------------------------------------------------------
    Case(
        "table: empty CSV",
        _given(lambda d: _csv(d, ""), lvdyn.read_traces_table),
        lvdyn.SchemaError,
        ("table.csv", "is empty"),
    ),
    Case(
        "table: CSV with a header only",
        _given(lambda d: _csv(d, "run,step,component,strength\n"), lvdyn.read_traces_table),
        lvdyn.SchemaError,
        ("the table has no rows",),
    ),
    Case(
        "table: CSV with a missing column",
        _given(lambda d: _csv(d, "step,component\n0,a\n"), lvdyn.read_traces_table),
        lvdyn.SchemaError,
        ("missing columns ['strength']", "the table has ['step', 'component']"),
    ),
    Case(
        "table: misnamed column",
        _given(lambda d: _csv(d, "epoch,component,strength\n0,a,1.0\n"), lvdyn.read_traces_table),
        lvdyn.SchemaError,
        ("missing columns ['step']", "'epoch'"),
    ),
    Case(
        "table: non-numeric strength",
        _given(
            lambda d: _csv(d, "step,component,strength\n0,a,1.0\n1,a,high\n"),
            lvdyn.read_traces_table,
        ),
        lvdyn.SchemaError,
        ("column 'strength' must be numeric", "['high']"),
    ),
    Case(
        "table: a netCDF file read as a table",
        _given(_saved, lvdyn.read_traces_table),
        lvdyn.SchemaError,
        ("traces.nc", "could not be parsed"),
    ),
    Case(
        "table: repeated keys",
        lambda d: (
            lambda: lvdyn.traces_from_dataframe(
                pd.DataFrame({"step": [0, 0], "component": ["a", "a"], "strength": [1.0, 2.0]})
            )
        ),
        lvdyn.SchemaError,
        ("repeat a (run, step, component) key", "[0, 0, 'a']"),
    ),
    Case(
        "table: not a DataFrame",
        lambda d: lambda: lvdyn.traces_from_dataframe({"step": [0]}),
        lvdyn.SchemaError,
        ("expected a pandas.DataFrame", "got dict"),
    ),
    # --- sweep configuration -----------------------------------------------------------------
    Case(
        "sweep: unknown key",
        _given(lambda d: _toml(d, _SWEEP + 'colour = "red"\n'), load_config),
        ValueError,
        ("unknown sweep key `colour`",),
    ),
    Case(
        "sweep: not TOML",
        _given(lambda d: _toml(d, "producer = \n"), load_config),
        ValueError,
        ("`config`", "sweep.toml", "is not valid TOML"),
    ),
    Case(
        "sweep: combined outside the folder",
        _given(lambda d: _toml(d, _SWEEP + 'combined = "../escape.nc"\n'), load_config),
        ValueError,
        ("`combined` must be a path inside the output folder", "'../escape.nc'"),
    ),
    Case(
        "sweep: absolute combined path",
        _given(lambda d: _toml(d, _SWEEP + 'combined = "/tmp/escape.nc"\n'), load_config),
        ValueError,
        ("`combined` must be a path inside the output folder", "'/tmp/escape.nc'"),
    ),
    Case(
        "sweep: path parameter outside the folder",
        _given(lambda d: _toml(d, _SWEEP + '[params]\ncheckpoint = "/etc/ckpt.pt"\n'), load_config),
        ValueError,
        ("`params.checkpoint` must be a path inside the output folder", "'/etc/ckpt.pt'"),
    ),
    Case(
        "sweep: chunk_size of the wrong type",
        _given(lambda d: _toml(d, _SWEEP + 'chunk_size = "2"\n'), load_config),
        ValueError,
        ("`chunk_size` must be an integer >= 1", "got '2' (str)"),
    ),
    # --- output paths that cannot be written -------------------------------------------------
    Case(
        "save: missing folder",
        lambda d: lambda: lvdyn.save_traces(_traces(), d / "missing" / "out.nc"),
        ValueError,
        ("`path`", "does not exist"),
    ),
    Case(
        "save: path is a folder",
        lambda d: lambda: lvdyn.save_traces(_traces(), d),
        ValueError,
        ("`path` must be a file path", "got the folder"),
    ),
    Case(
        "save: parent is a file",
        _given(lambda d: _csv(d, "x") / "out.nc", functools.partial(lvdyn.save_traces, _traces())),
        ValueError,
        ("`path`", "table.csv", "is a file, not a folder"),
    ),
    Case(
        "save: a folder the file system refuses",
        lambda d: lambda: lvdyn.save_traces(_traces(), "/proc/lvdyn-out.nc"),
        ValueError,
        ("`path`", "cannot create a file in", "/proc"),
    ),
    Case(
        "save: an invalid dataset",
        lambda d: lambda: lvdyn.save_traces(_traces().drop_vars("strength"), d / "out.nc"),
        lvdyn.SchemaError,
        ("`strength` is missing",),
    ),
    Case(
        "save_model: an unfitted model",
        lambda d: lambda: lvdyn.save_model(lvdyn.LinearODE(), d / "model.nc"),
        ValueError,
        ("`model`", "not fitted"),
    ),
]


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("case", API_CASES, ids=[c.name for c in API_CASES])
def test_api_bad_input(case: Case, tmp_path: Path) -> None:
    call = case.build(tmp_path)
    before = _listing(tmp_path)
    if issubclass(case.error, Warning):  # a documented warning: the call goes on
        with pytest.warns(case.error) as record:
            call()
        message = " ".join(str(w.message) for w in record)
    else:
        with pytest.raises(case.error) as caught:
            call()
        message = str(caught.value)
    for fragment in case.says:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert _listing(tmp_path) == before  # nothing written, no temporary file left


# --- command line ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CliCase:
    """One bad command line: ``build(folder)`` writes the inputs and returns the arguments."""

    name: str
    build: Callable[[Path], list[str]]
    says: tuple[str, ...]


def _out(d: Path) -> str:
    return str(d / "out.nc")


CLI_CASES = [
    CliCase(
        "fit: not netCDF",
        lambda d: ["fit", str(_bytes(d, b"hello")), "--out", _out(d)],
        ("not a netCDF file",),
    ),
    CliCase(
        "fit: truncated netCDF",
        lambda d: ["fit", str(_truncated(d)), "--out", _out(d)],
        ("truncated",),
    ),
    CliCase(
        "fit: missing file",
        lambda d: ["fit", str(d / "none.nc"), "--out", _out(d)],
        ("no file at", "none.nc"),
    ),
    CliCase(
        "fit: bad window",
        lambda d: ["fit", str(_saved(d)), "--window", "a-b", "--out", _out(d)],
        ("`--window` must be FIRST:LAST", "'a-b'"),
    ),
    CliCase(
        "fit: window outside the data",
        lambda d: ["fit", str(_saved(d)), "--window", "500:900", "--out", _out(d)],
        ("`--window` (500, 900) selects no steps",),
    ),
    CliCase(
        "fit: negative strength for LV",
        lambda d: ["fit", str(_saved(d, _with_negative())), "--model", "lv", "--out", _out(d)],
        ("strength <= 0", "negative", "component 'c'"),
    ),
    CliCase(
        "fit: unknown derivative",
        lambda d: ["fit", str(_saved(d)), "--derivative", "nope", "--out", _out(d)],
        ("`--derivative` must be one of", "'nope'"),
    ),
    CliCase(
        "fit: unknown penalty",
        lambda d: ["fit", str(_saved(d)), "--penalty", "l0", "--out", _out(d)],
        ("`--penalty` must be", "'l0'"),
    ),
    CliCase(
        "fit: out in a missing folder",
        lambda d: ["fit", str(_saved(d)), "--out", str(d / "no" / "model.nc")],
        ("`--out`", "does not exist"),
    ),
    CliCase(
        "fit: out is a folder",
        lambda d: ["fit", str(_saved(d)), "--out", str(d)],
        ("`--out` must be a file path",),
    ),
    CliCase(
        "fit: too few steps names the flags, not keywords",
        lambda d: [
            "fit",
            str(_saved(d, _traces().isel(step=slice(0, 3)))),
            "--derivative",
            "central4",
            "--out",
            _out(d),
        ],
        ("`--derivative` 'central4' needs 5 samples", "`--window`", "--derivative midpoint"),
    ),
    CliCase(
        "fit: diagonal for SINDy",
        lambda d: [
            "fit",
            str(_saved(d)),
            "--model",
            "sindy",
            "--diagonal",
            "nonpositive",
            "--out",
            _out(d),
        ],
        ("`--diagonal` constrains linear and lv fits",),
    ),
    CliCase(
        "fit: unknown diagonal",
        lambda d: ["fit", str(_saved(d)), "--diagonal", "negative", "--out", _out(d)],
        ("`--diagonal` must be", "'negative'"),
    ),
    CliCase(
        "fit: time axis the traces lack",
        lambda d: ["fit", str(_saved(d)), "--time", "time", "--out", _out(d)],
        ("`--time` must be 'step'", "Coordinates available: none"),
    ),
    CliCase(
        "import: value column misnamed names the flags",
        lambda d: [
            "import",
            str(_csv(d, "step,component,strength\n0,a,1\n")),
            "--value",
            "val",
            "--out",
            _out(d),
        ],
        ("missing columns ['val']", "--component and --value"),
    ),
    CliCase(
        "plot: a single logged step",
        lambda d: [
            "plot",
            str(_saved(d, _traces().isel(step=[0]))),
            "--out",
            str(d / "one.png"),
        ],
        ("has 1 logged step", "at least 2"),
    ),
    CliCase(
        "import: empty CSV",
        lambda d: ["import", str(_csv(d, "")), "--out", _out(d)],
        ("is empty",),
    ),
    CliCase(
        "import: missing column",
        lambda d: ["import", str(_csv(d, "step,component\n0,a\n")), "--out", _out(d)],
        ("missing columns ['strength']",),
    ),
    CliCase(
        "import: out in a missing folder",
        lambda d: [
            "import",
            str(_csv(d, "step,component,strength\n0,a,1\n1,a,2\n")),
            "--out",
            str(d / "no" / "t.nc"),
        ],
        ("`--out`", "does not exist"),
    ),
    CliCase(
        "analyze: a traces file",
        lambda d: ["analyze", str(_saved(d))],
        ("not an lvdyn model file",),
    ),
    CliCase(
        "predict: prefix longer than the run",
        lambda d: ["predict", str(_saved(d)), "--prefix", "5000", "--method", "last-value"],
        ("`--prefix` must lie within the logged steps", "got 5000"),
    ),
    CliCase(
        "predict: a single logged step",
        lambda d: [
            "predict",
            str(_saved(d, _traces().isel(step=[0]))),
            "--prefix",
            "0",
            "--method",
            "last-value",
        ],
        ("at least 2 logged steps", "got 1"),
    ),
    CliCase(
        "predict: unknown method",
        lambda d: ["predict", str(_saved(d)), "--prefix", "50", "--method", "oracle"],
        ("`--method` must be one of", "'oracle'"),
    ),
    CliCase(
        "sweep: unknown key",
        lambda d: ["sweep", str(_toml(d, _SWEEP + "colour = 1\n")), "--out", str(d / "s")],
        ("unknown sweep key `colour`",),
    ),
    CliCase(
        "sweep: combined escapes",
        lambda d: [
            "sweep",
            str(_toml(d, _SWEEP + 'combined = "../x.nc"\n')),
            "--out",
            str(d / "s"),
        ],
        ("`combined` must be a path inside the output folder",),
    ),
    CliCase(
        "usage: unknown model",
        lambda d: ["fit", str(_saved(d)), "--model", "ode", "--out", _out(d)],
        ("--model", "'ode' is not one of", "See 'lvdyn fit --help'"),
    ),
    CliCase(
        "usage: unknown option",
        lambda d: ["fit", str(_saved(d)), "--colour", "red"],
        ("No such option: --colour",),
    ),
    CliCase(
        "usage: missing --out",
        lambda d: ["import", str(_csv(d, "step,component,strength\n0,a,1\n"))],
        ("Missing option '--out'",),
    ),
    CliCase(
        "usage: prefix not an integer",
        lambda d: ["predict", str(_saved(d)), "--prefix", "early"],
        ("--prefix", "valid integer", "got 'early'"),
    ),
    CliCase(
        "train: bad seeds",
        lambda d: ["train", "modadd", "--seeds", "a-b", "--steps", "2", "--out", _out(d)],
        ("`--seeds` must be integers", "'a-b'"),
    ),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_cli_bad_input(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.build(tmp_path)
    before = _listing(tmp_path)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("lvdyn: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in case.says:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert _listing(tmp_path) == before


def test_cli_bad_input_in_a_real_process_prints_one_line(tmp_path: Path) -> None:
    """The same policy end to end: a subprocess, its real stderr and exit status."""
    bad = _bytes(tmp_path, b"\x00\x01 not netCDF")
    before = _listing(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "lvdyn", "fit", str(bad), "--out", str(tmp_path / "m.nc")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a netCDF file" in result.stderr
    assert "Traceback" not in result.stderr
    assert _listing(tmp_path) == before


def test_catalogue_size() -> None:
    # The catalogue is the specification of the error policy; keep it broad.
    assert len(API_CASES) + len(CLI_CASES) >= 40


def test_data_errors_are_value_errors_and_fit_errors() -> None:
    """scikit-learn users catch ValueError for bad input; FitError still catches it too."""
    for ds in (_with_negative(), _traces().isel(step=slice(0, 2))):
        with pytest.raises(ValueError) as caught:
            lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, derivative="central4")
        assert isinstance(caught.value, lvdyn.FitError)
        assert isinstance(caught.value, lvdyn.DataError)
    assert not issubclass(lvdyn.NumericalError, ValueError)
    assert issubclass(lvdyn.NumericalError, lvdyn.FitError)
