"""Property tests: any valid traces survive save -> open unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lvdyn

labels_int = st.lists(st.integers(-1000, 1000), min_size=1, max_size=5, unique=True)
labels_str = st.lists(
    st.text(alphabet="abcdefghij_0123456789", min_size=1, max_size=6),
    min_size=1,
    max_size=5,
    unique=True,
)
attr_values = st.one_of(
    st.text(alphabet="abc xyz-_.:", max_size=20),
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    # netCDF stores a one-element list as a scalar, so lists here have two or more items.
    st.lists(st.integers(-100, 100), min_size=2, max_size=4),
)


@st.composite
def traces(draw: st.DrawFn) -> xr.Dataset:
    components = draw(st.one_of(labels_int, labels_str))
    runs = draw(st.one_of(labels_int, labels_str))
    n_step = draw(st.integers(1, 8))
    start = draw(st.integers(0, 100))
    gaps = draw(st.lists(st.integers(1, 50), min_size=n_step, max_size=n_step))
    steps = start + np.cumsum(gaps) - gaps[0]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = rng.lognormal(size=(len(runs), n_step, len(components)))
    # NaN-pad the tail of some runs (ragged runs), keeping each run's first sample.
    for i in range(len(runs)):
        cut = draw(st.integers(1, n_step))
        values[i, cut:] = np.nan
    extra_attrs = draw(
        st.dictionaries(st.sampled_from(["title", "note", "n", "tags"]), attr_values, max_size=3)
    )
    return lvdyn.make_traces(
        values,
        step=steps,
        component=components,
        run=runs,
        attrs=extra_attrs,
        seed=np.arange(len(runs)),
    )


@given(ds=traces())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip(ds: xr.Dataset) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.nc"
        lvdyn.save_traces(ds, path)
        back = lvdyn.open_traces(path)
    back.attrs.pop("history")
    expected = ds.copy()
    expected.attrs.pop("history")
    xr.testing.assert_identical(back, expected)


def test_hypothesis_profile_is_derandomized_in_ci() -> None:
    # tests/conftest.py: fixed examples when CI=true (unless HYPOTHESIS_PROFILE says otherwise).
    import os

    wanted = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev")
    assert settings.default.derandomize == (wanted == "ci")
    assert (settings.default.database is None) == (wanted == "ci")
