"""Provenance: every dataset-returning function prepends one line to the ``history`` attribute."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["add_history", "history_line"]


def history_line(entry: str) -> str:
    """Return ``entry`` prefixed with a UTC timestamp and the lvdyn version.

    Examples
    --------
    >>> history_line("make_traces(...)").split(" ", 1)[1]
    'lvdyn 0.1.0: make_traces(...)'
    """
    from lvdyn._version import __version__

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp} lvdyn {__version__}: {entry}"


def add_history(ds: xr.Dataset, entry: str) -> xr.Dataset:
    """Return a shallow copy of ``ds`` whose ``history`` starts with a new timestamped line.

    The newest line comes first (the CF convention used by cf-xarray and NCO).
    """
    out = ds.copy(deep=False)
    out.attrs = dict(ds.attrs)
    previous = str(ds.attrs.get("history", "")).strip()
    line = history_line(entry)
    out.attrs["history"] = f"{line}\n{previous}" if previous else line
    return out
