"""Fuzzing: random valid and invalid datasets, files and tables never raise anything but the
documented exceptions (`SchemaError`, `FitError`, `ValueError`; see docs/reliability.md).

Examples are few (the default suite must stay fast) and the database is off, so every run
explores the same seeded examples.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning

import lvdyn

DOCUMENTED = (lvdyn.SchemaError, lvdyn.FitError, ValueError)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
dim_names = st.sampled_from(["run", "step", "component", "time", "component_j", "k"])
labels = st.one_of(
    st.lists(st.integers(-3, 3), min_size=1, max_size=4),
    st.lists(st.text("abc", min_size=0, max_size=2), min_size=1, max_size=4),
    st.lists(st.floats(-2, 2) | st.just(np.nan), min_size=1, max_size=4),
)
attr_values = st.one_of(
    st.integers(-2, 3),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
    st.booleans(),
    st.none(),
    st.dictionaries(st.text("ab", max_size=2), st.integers(), max_size=2),
)


@st.composite
def datasets(draw: Any) -> xr.Dataset:
    """Datasets near the schema: right or wrong dims, dtypes, labels, values and attributes."""
    if draw(st.booleans()):  # start from a valid dataset and break some of it
        n_run, n_step, n_comp = (draw(st.integers(1, 3)) for _ in range(3))
        values = draw(
            hnp.arrays(np.float64, (n_run, n_step, n_comp), elements=floats | st.just(1.0))
        )
        ds = xr.Dataset(
            {"strength": (("run", "step", "component"), values)},
            coords={
                "run": np.arange(n_run),
                "step": draw(
                    hnp.arrays(
                        draw(st.sampled_from([np.int64, np.float64])),
                        n_step,
                        elements=st.integers(-5, 20),
                    )
                ),
                "component": np.arange(n_comp),
            },
            attrs={"lvdyn_schema_version": 1},
        )
    else:  # anything with a few variables over a few dims
        ds = xr.Dataset()
        for name in draw(st.lists(st.sampled_from(["strength", "train_loss", "true_A", "x"]))):
            dims = tuple(draw(st.lists(dim_names, min_size=0, max_size=3, unique=True)))
            shape = tuple(draw(st.integers(1, 3)) for _ in dims)
            dtype = draw(st.sampled_from([np.float64, np.int64, np.bool_, "U2"]))
            try:
                ds[name] = (dims, draw(hnp.arrays(dtype, shape)))
            except ValueError:  # conflicting sizes for a dim: skip this variable
                continue
        for dim in ds.dims:
            if draw(st.booleans()):
                coord = draw(labels)
                if len(coord) == ds.sizes[dim]:
                    ds = ds.assign_coords({dim: coord})
    for key in draw(
        st.lists(st.sampled_from(["lvdyn_schema_version", "source", "history", "producer_config"]))
    ):
        value = draw(attr_values)
        if value is not None:
            ds.attrs[key] = value
    return ds


@FUZZ
@given(ds=datasets())
def test_validate_traces_returns_or_raises_schema_error(ds: xr.Dataset) -> None:
    try:
        out = lvdyn.validate_traces(ds)
    except lvdyn.SchemaError as error:
        event("invalid")
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
    else:
        event("valid")
        assert out is ds and ds["strength"].dims == ("run", "step", "component")


@FUZZ
@given(
    data=st.binary(max_size=600), header=st.sampled_from([b"", b"CDF\x01", b"\x89HDF\r\n\x1a\n"])
)
def test_open_traces_on_random_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, header: bytes
) -> None:
    path = tmp_path_factory.mktemp("bytes") / "random.nc"
    path.write_bytes(header + data)
    with pytest.raises(lvdyn.SchemaError):
        lvdyn.open_traces(path)


@FUZZ
@given(ds=datasets())
def test_open_traces_on_random_netcdf(
    tmp_path_factory: pytest.TempPathFactory, ds: xr.Dataset
) -> None:
    path = tmp_path_factory.mktemp("netcdf") / "random.nc"
    try:
        ds.to_netcdf(path, engine="netcdf4")
    except (ValueError, TypeError):  # xarray refuses to write it: not a file we can test
        return
    try:
        opened = lvdyn.open_traces(path)
    except lvdyn.SchemaError:
        event("invalid")
        return
    event("valid")
    assert lvdyn.validate_traces(opened) is opened


cells = st.one_of(
    st.integers(-2, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text("ab1.", max_size=3),
    st.none(),
)


@st.composite
def tables(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(0, 8))
    names = draw(
        st.lists(
            st.sampled_from(["run", "step", "component", "strength", "seed", "loss"]),
            unique=True,
            max_size=6,
        )
    )
    if draw(st.booleans()):  # often a table with the right columns, to reach the valid path
        names = [
            "step",
            "component",
            "strength",
            *(n for n in names if n not in ("step", "component", "strength")),
        ]
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(["int", "float", "mixed"]))
        if kind == "int":
            columns[name] = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
        elif kind == "float":
            columns[name] = draw(st.lists(floats, min_size=n, max_size=n))
        else:
            columns[name] = draw(st.lists(cells, min_size=n, max_size=n))
    return pd.DataFrame(columns)


@FUZZ
@given(df=tables())
def test_traces_from_dataframe_returns_valid_traces_or_raises_schema_error(
    df: pd.DataFrame,
) -> None:
    try:
        ds = lvdyn.traces_from_dataframe(df)
    except lvdyn.SchemaError:
        event("invalid")
        return
    event("valid")
    assert lvdyn.validate_traces(ds) is ds


@st.composite
def fit_problems(draw: Any) -> tuple[Any, xr.Dataset, dict[str, Any]]:
    n_run, n_step, n_comp = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 12)),
        draw(st.integers(1, 3)),
    )
    values = draw(
        hnp.arrays(
            np.float64,
            (n_run, n_step, n_comp),
            elements=st.floats(-1.0, 1e3) | st.just(np.nan) | st.just(0.0),
        )
    )
    values[:, 0, :] = np.where(np.isfinite(values[:, 0, :]), values[:, 0, :], 1.0)
    ds = lvdyn.make_traces(values, step=np.arange(n_step) * draw(st.integers(1, 5)))
    model = draw(
        st.sampled_from(
            [
                lvdyn.LinearODE(),
                lvdyn.LinearODE(penalty="lasso", alpha=0.1, max_iter=50),
                lvdyn.LotkaVolterra(),
                lvdyn.LotkaVolterra(penalty="ridge", alpha=1.0, diagonal="nonpositive"),
            ]
        )
    )
    options = {
        "derivative": draw(st.sampled_from(["auto", "forward", "central4", "savgol", "spline"])),
        "window": draw(st.sampled_from([None, (0, 5), (100, 200), (3, None)])),
    }
    return model, ds, options


@FUZZ
@given(problem=fit_problems())
def test_fit_traces_raises_only_documented_errors(problem: tuple[Any, xr.Dataset, dict]) -> None:
    model, ds, options = problem
    with warnings.catch_warnings():
        # Documented warnings: the fit proceeds and says what is wrong.
        warnings.simplefilter("ignore", lvdyn.IllConditionedWarning)
        warnings.simplefilter("ignore", lvdyn.DegenerateFitWarning)
        warnings.simplefilter("ignore", lvdyn.MissingValuesWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            fitted = lvdyn.fit_traces(model, ds, **options)
        except DOCUMENTED as error:
            event(type(error).__name__)
            return
    event("fitted")
    assert fitted.n_features_in_ == ds.sizes["component"]
