"""Combine the parts of a sweep along ``run``: lazily opened files, dask arrays, one output."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from lvdyn.traces._history import add_history
from lvdyn.traces._io import save_traces
from lvdyn.traces._make import disagreeing_shared_variables
from lvdyn.traces._schema import RUN, STEP

__all__ = ["combine_parts"]


def combine_parts(paths: Sequence[Path], out: Path, *, attrs: dict[str, str] | None = None) -> Path:
    """Concatenate the traces files ``paths`` along ``run`` and write them to ``out``.

    Each part is opened lazily (dask arrays, one chunk per part); runs logged at different
    steps are NaN-padded. Variables without a ``run`` dimension (ground truth such as
    ``true_A``) are kept only where every part agrees on them; a sweep over ``A`` drops them.
    Run labels must be unique across parts.
    """
    opened = [xr.open_dataset(p, engine="netcdf4", chunks={}) for p in paths]
    try:
        drop = disagreeing_shared_variables(opened)
        combined = xr.concat(
            [ds.drop_vars(drop, errors="ignore") for ds in opened],
            dim=RUN,
            join="outer",
            data_vars="minimal",
            coords="minimal",
            compat="override",
            combine_attrs="override",
        )
        # The first part's encoding would be applied to all: its fixed string width ('<U14')
        # would truncate longer run labels of later parts ('.../10' -> '.../1').
        combined = combined.drop_encoding()
        if not combined.indexes[STEP].is_monotonic_increasing:
            combined = combined.sortby(STEP)
        combined.attrs.update(attrs or {})
        if drop:
            combined.attrs["sweep_dropped"] = [str(name) for name in drop]
        combined = add_history(combined, f"combined {len(paths)} sweep parts along run")
        return save_traces(combined, out)
    finally:
        for ds in opened:
            with contextlib.suppress(Exception):
                ds.close()
