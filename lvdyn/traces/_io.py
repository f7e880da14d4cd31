"""Reading and writing traces as netCDF4 files. Nothing is ever unpickled."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xarray as xr

from lvdyn.core._atomic import atomic_path
from lvdyn.core._errors import SchemaError
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import validate_traces

__all__ = ["open_netcdf", "open_traces", "save_netcdf", "save_traces"]

_NETCDF_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF\r\n\x1a\n")


def _encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    encoding: dict[str, dict[str, Any]] = {}
    for name, var in ds.data_vars.items():
        if var.dtype.kind == "f" and var.ndim >= 2:
            encoding[str(name)] = {"zlib": True, "complevel": 4, "shuffle": True}
    return encoding


def save_netcdf(ds: xr.Dataset, path: str | os.PathLike[str], *, argument: str = "path") -> Path:
    """Write any dataset to ``path`` as netCDF4, atomically (temporary file, then rename)."""
    with atomic_path(path, argument=argument) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4", encoding=_encoding(ds))
    return Path(path)


def open_netcdf(path: str | os.PathLike[str], *, argument: str = "path") -> xr.Dataset:
    """Read a netCDF file fully into memory (the file is closed on return).

    Raises `FileNotFoundError` for a missing path and `SchemaError` for a file that is not
    netCDF or cannot be decoded.
    """
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"`{argument}`: no file at {str(source)!r}.")
    if source.is_dir():
        raise SchemaError(f"`{argument}` is a folder, not a netCDF file: {str(source)!r}.")
    with open(source, "rb") as handle:
        head = handle.read(8)
    if not any(head.startswith(magic) for magic in _NETCDF_MAGIC):
        raise SchemaError(
            f"{str(source)!r} is not a netCDF file (its first bytes are {head!r}). "
            "lvdyn reads netCDF written by save_traces; import tables with `lvdyn import`.",
            what="file",
        )
    try:
        with xr.open_dataset(source, engine="netcdf4") as opened:
            ds = opened.load()
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise SchemaError(
            f"{str(source)!r} could not be read as netCDF ({type(exc).__name__}: {exc}); "
            "the file may be truncated or damaged.",
            what="file",
        ) from exc
    return ds


def save_traces(ds: xr.Dataset, path: str | os.PathLike[str], *, argument: str = "path") -> Path:
    """Validate ``ds`` and write it to ``path`` as netCDF4, atomically.

    The data are written to a temporary file in the same folder, flushed to disk, then
    renamed over ``path``; a crash at any point leaves an older file at ``path`` intact.
    ``argument`` is the name that error messages give the path (``"--out"`` in the CLI).

    Examples
    --------
    >>> import tempfile, numpy as np, lvdyn
    >>> path = tempfile.mkdtemp() + "/traces.nc"
    >>> ds = lvdyn.make_traces(np.ones((4, 2)), step=[0, 1, 2, 3])
    >>> _ = lvdyn.save_traces(ds, path)
    >>> lvdyn.open_traces(path).strength.shape
    (1, 4, 2)
    """
    validate_traces(ds)
    return save_netcdf(ds, path, argument=argument)


def open_traces(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a traces file written by `save_traces` (or any tool that follows the schema).

    The file is loaded into memory and closed, then validated; `SchemaError` lists every
    problem. Nothing is unpickled.
    """
    ds = validate_traces(open_netcdf(path))
    return add_history(ds, f"open_traces({os.fspath(path)!r})")
