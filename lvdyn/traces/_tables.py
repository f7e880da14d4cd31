"""Traces from long tables (CSV, parquet, pandas) written by any task."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lvdyn.core._errors import SchemaError
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces

__all__ = ["read_traces_table", "traces_from_dataframe"]


def _varies_within(df: pd.DataFrame, keys: list[str], column: str) -> bool:
    return bool((df.groupby(keys, sort=False)[column].nunique(dropna=False) > 1).any())


def traces_from_dataframe(
    df: pd.DataFrame,
    *,
    run: str | None = "run",
    step: str = "step",
    component: str = "component",
    value: str = "strength",
    source: str = "table",
) -> xr.Dataset:
    """Turn a long table with one row per (run, step, component) into traces.

    Runs logged at different steps are NaN-padded. Every other column becomes a variable:
    constant within each run, a per-run coordinate (``seed``, ``lr``); constant within each
    (run, step), a ``(run, step)`` variable (``train_loss``); otherwise a
    ``(run, step, component)`` variable.

    Parameters
    ----------
    df : pandas.DataFrame
        The long table.
    run, step, component, value : str
        Column names. ``run=None`` (or a table without the run column) means a single run.
    source : str
        Stored in the ``source`` attribute.

    Examples
    --------
    >>> import pandas as pd, lvdyn
    >>> df = pd.DataFrame({"step": [0, 0, 1, 1], "component": ["a", "b", "a", "b"],
    ...                    "strength": [1.0, 2.0, 1.5, 1.8]})
    >>> ds = lvdyn.traces_from_dataframe(df)
    >>> ds.strength.sel(component="b").values.ravel().tolist()
    [2.0, 1.8]
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas.DataFrame; got {type(df).__name__}.", what="table")
    if df.empty:
        raise SchemaError(
            "the table has no rows; expected one row per (run, step, component).", what="table"
        )
    table = df.copy()
    if run is None or (run == "run" and run not in table.columns):
        run = "__run__"
        table[run] = 0
    missing = [c for c in (run, step, component, value) if c not in table.columns]
    if missing:
        raise SchemaError(
            f"missing columns {missing}; the table has {list(df.columns)}. Name the columns "
            "with the run=, step=, component= and value= arguments.",
            what="table",
        )
    keys = [run, step, component]
    if table[keys].isna().any().any():
        raise SchemaError(f"columns {keys} must not contain empty cells.", what="table")
    steps = pd.to_numeric(table[step], errors="coerce")
    if steps.isna().any() or not np.all(steps == np.round(steps)):
        raise SchemaError(
            f"column {step!r} must hold whole numbers (training steps); found "
            f"{table[step][steps.isna() | (steps != np.round(steps))].head(3).tolist()}.",
            what="table",
        )
    table[step] = steps.astype(np.int64)
    values = pd.to_numeric(table[value], errors="coerce")
    bad = values.isna() & table[value].notna()
    if bad.any():
        raise SchemaError(
            f"column {value!r} must be numeric; found {table[value][bad].head(3).tolist()}.",
            what="table",
        )
    table[value] = values.astype(np.float64)
    dupes = table.duplicated(keys)
    if dupes.any():
        first = [
            v.item() if isinstance(v, np.generic) else v for v in table.loc[dupes, keys].iloc[0]
        ]
        raise SchemaError(
            f"{int(dupes.sum())} rows repeat a (run, step, component) key, for example {first}; "
            "each key must appear once. Aggregate them first (df.groupby(...).mean()).",
            what="table",
        )
    cube = table.set_index(keys)[value].to_xarray()
    cube = cube.transpose(run, step, component)
    extra: dict[str, Any] = {}
    for column in table.columns:
        if column in keys or column == value:
            continue
        if not _varies_within(table, [run], column):
            per_run = table.groupby(run, sort=True)[column].first()
            extra[column] = per_run.reindex(cube[run].values).to_numpy()
        elif not _varies_within(table, [run, step], column):
            per = table.groupby([run, step])[column].first().to_xarray()
            extra[column] = per.reindex_like(cube.isel({component: 0}, drop=True)).values
        else:
            full = table.set_index(keys)[column].to_xarray()
            extra[column] = full.transpose(run, step, component).reindex_like(cube).values
    run_labels = cube[run].values
    ds = make_traces(
        cube.values,
        step=cube[step].values,
        component=cube[component].values,
        run=run_labels,
        source=source,
        **extra,
    )
    return add_history(ds, f"traces_from_dataframe({len(df)} rows)")


def read_traces_table(path: str | os.PathLike[str], **columns: Any) -> xr.Dataset:
    """Read a long table from CSV (or parquet, by extension) and turn it into traces.

    Keyword arguments are passed on to `traces_from_dataframe` (column names).
    """
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"`path`: no file at {str(source)!r}.")
    try:
        if source.suffix.lower() in {".parquet", ".pq"}:
            df = pd.read_parquet(source)
        else:
            df = pd.read_csv(source)
    except pd.errors.EmptyDataError as exc:
        raise SchemaError(f"{str(source)!r} is empty.", what="table") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise SchemaError(f"{str(source)!r} could not be parsed ({exc}).", what="table") from exc
    columns.setdefault("source", f"table:{source.name}")
    return traces_from_dataframe(df, **columns)
