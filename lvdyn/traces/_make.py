"""Build traces datasets from numpy arrays, and combine several into one."""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import SchemaError
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import (
    COMPONENT,
    COMPONENT_J,
    KNOWN_VARIABLES,
    RUN,
    SCHEMA_VERSION,
    STEP,
    validate_traces,
)

__all__ = ["combine_traces", "make_traces"]

_LONG_NAMES = {
    "strength": ("strength of each component", "1"),
    "train_loss": ("training loss", "1"),
    "test_loss": ("test loss", "1"),
    "train_acc": ("training accuracy", "1"),
    "test_acc": ("test accuracy", "1"),
    "grad_strength": ("per-component gradient signal", "1"),
    "true_r": ("true growth rate per unit time", "1"),
    "true_b": ("true constant term per unit time", "1"),
    "true_equilibrium": ("true stable equilibrium", "1"),
    "true_A": ("true interaction matrix per unit time", "1"),
}


def _labels(values: Any, size: int, dim: str) -> np.ndarray:
    if values is None:
        return np.arange(size, dtype=np.int64)
    labels = np.asarray(values)
    if labels.ndim != 1 or labels.shape[0] != size:
        raise SchemaError(
            f"`{dim}` must be a 1-D sequence of {size} labels (one per {dim} of `strength`); "
            f"got shape {labels.shape}."
        )
    if labels.dtype.kind in "iu":
        return labels.astype(np.int64)
    if labels.dtype.kind in "US":
        return labels.astype(str)
    if labels.dtype.kind == "O" and all(isinstance(v, str) for v in labels):
        return labels.astype(str)
    raise SchemaError(
        f"`{dim}` labels must be int or str; got dtype {labels.dtype}. "
        "Convert them with .astype(int) or .astype(str)."
    )


def _extra_variable(
    name: str, value: Any, sizes: dict[str, int], added_run_axis: bool
) -> tuple[tuple[str, ...], np.ndarray, bool]:
    """Return (dims, values, is_coordinate) for one keyword of `make_traces`."""
    if isinstance(value, xr.DataArray):
        return tuple(str(d) for d in value.dims), value.values, False
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple | list | str):
        dims = (value[0],) if isinstance(value[0], str) else tuple(value[0])
        return dims, np.asarray(value[1]), False
    array = np.asarray(value)
    if name in KNOWN_VARIABLES:
        dims = KNOWN_VARIABLES[name]
        if added_run_axis and dims[0] == RUN and array.ndim == len(dims) - 1:
            array = array[np.newaxis]
        return dims, array, False
    n_run = sizes[RUN]
    if array.ndim == 0:
        return (RUN,), np.full(n_run, array.item()), True
    if array.ndim == 1 and array.shape[0] == n_run:
        return (RUN,), array, True
    by_shape = {
        (n_run, sizes[STEP]): (RUN, STEP),
        (n_run, sizes[STEP], sizes[COMPONENT]): (RUN, STEP, COMPONENT),
    }
    if added_run_axis and array.shape in {(sizes[STEP],), (sizes[STEP], sizes[COMPONENT])}:
        array = array[np.newaxis]
    if array.shape in by_shape:
        return by_shape[array.shape], array, False
    raise SchemaError(
        f"cannot tell the dims of keyword `{name}` from its shape {array.shape}: expected a "
        f"scalar or ({n_run},) per-run setting, or ({n_run}, {sizes[STEP]}) or "
        f"({n_run}, {sizes[STEP]}, {sizes[COMPONENT]}) values. Pass it as (dims, values), "
        f"for example {name}=(('component',), values)."
    )


def _strength_array(strength: Any) -> np.ndarray:
    """``strength`` as an array; ragged nested sequences (runs of different lengths) are refused."""
    try:
        return np.asarray(strength)
    except ValueError:
        if isinstance(strength, Sequence) and not isinstance(strength, str):
            shapes = [np.shape(part) for part in strength]
            raise SchemaError(
                "`strength` must be an array whose runs all have the same shape (step, "
                f"component); got runs of shapes {sorted(set(shapes))[:5]}. NaN-pad the shorter "
                "runs, or build one dataset per run and join them with lvdyn.combine_traces."
            ) from None
        raise


def make_traces(
    strength: Any,
    *,
    step: Any,
    component: Any = None,
    run: Any = None,
    source: str = "user",
    producer_config: Mapping[str, Any] | str | None = None,
    attrs: Mapping[str, Any] | None = None,
    **extra: Any,
) -> xr.Dataset:
    """Build a valid traces dataset from a numpy array.

    Parameters
    ----------
    strength : array_like
        Shape ``(run, step, component)``, or ``(step, component)`` for a single run. NaN marks
        a missing sample (for example after the end of a shorter run).
    step : array_like of int
        Strictly increasing training steps, one per row of ``strength``.
    component, run : array_like, optional
        Labels (int or str). Default ``0..n-1``.
    source : str
        The producer and its version, stored in the ``source`` attribute.
    producer_config : dict or str, optional
        The producer's full configuration; stored as a JSON string.
    attrs : dict, optional
        Further global attributes (strings, numbers or lists).
    **extra
        Further variables. Known names get their dims from the schema (``train_loss`` is
        ``(run, step)``, ``true_A`` is ``(component, component_j)``, ...). Other names: a scalar
        or a ``(run,)`` array becomes a per-run coordinate (``seed=[0, 1]``, ``p=59``); a
        ``(run, step)`` or ``(run, step, component)`` array a data variable; anything else must
        be given as ``(dims, values)`` or as a DataArray.

    Returns
    -------
    xarray.Dataset
        A dataset that passes `validate_traces`.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> x = np.random.default_rng(0).uniform(1, 2, size=(2, 4, 3))
    >>> ds = lvdyn.make_traces(x, step=[0, 10, 20, 30], component=[1, 2, 3], seed=[0, 1])
    >>> dict(ds.sizes)
    {'run': 2, 'step': 4, 'component': 3}
    >>> ds.seed.dims
    ('run',)
    """
    values = _strength_array(strength)
    if values.dtype.kind not in "fiub":
        raise SchemaError(
            f"`strength` must be numeric; got dtype {values.dtype}. Convert it to float first."
        )
    added_run_axis = values.ndim == 2
    if added_run_axis:
        values = values[np.newaxis]
    if values.ndim != 3:
        raise SchemaError(
            "`strength` must have shape (run, step, component) or (step, component); "
            f"got {values.ndim} dimensions with shape {values.shape}."
        )
    values = values.astype(np.float64) if values.dtype.kind != "f" else values
    n_run, n_step, n_comp = values.shape
    steps = np.asarray(step)
    if steps.ndim != 1 or steps.shape[0] != n_step:
        raise SchemaError(
            f"`step` must be a 1-D sequence of {n_step} integers (one per step of `strength`); "
            f"got shape {steps.shape}."
        )
    if steps.dtype.kind == "f" and np.all(np.isfinite(steps)) and np.all(steps == np.round(steps)):
        steps = steps.astype(np.int64)
    if steps.dtype.kind not in "iu":
        raise SchemaError(f"`step` must hold integers; got dtype {steps.dtype}.")
    coords: dict[str, Any] = {
        RUN: _labels(run, n_run, RUN),
        STEP: steps.astype(np.int64),
        COMPONENT: _labels(component, n_comp, COMPONENT),
    }
    sizes = {RUN: n_run, STEP: n_step, COMPONENT: n_comp}
    data_vars: dict[str, Any] = {"strength": ((RUN, STEP, COMPONENT), values)}
    for name, value in extra.items():
        dims, array, is_coord = _extra_variable(name, value, sizes, added_run_axis)
        if COMPONENT_J in dims:
            coords[COMPONENT_J] = coords[COMPONENT]
        if is_coord:
            coords[name] = (dims, array)
        else:
            data_vars[name] = (dims, array)
    try:
        ds = xr.Dataset(data_vars, coords=coords)
    except ValueError as exc:
        raise SchemaError(f"the given arrays do not fit together: {exc}") from exc
    for name, (long_name, units) in _LONG_NAMES.items():
        if name in ds:
            ds[name].attrs.update(long_name=long_name, units=units)
    ds[STEP].attrs.update(long_name="training step", units="1")
    ds[RUN].attrs.update(long_name="training run", cf_role="timeseries_id")
    ds[COMPONENT].attrs.update(long_name="competing component")
    if isinstance(producer_config, Mapping):
        producer_config = json.dumps(producer_config, sort_keys=True, default=str)
    ds.attrs.update(
        lvdyn_schema_version=SCHEMA_VERSION,
        Conventions="CF-1.11",
        source=source,
        producer_config=producer_config if producer_config is not None else "{}",
    )
    ds.attrs.update(dict(attrs or {}))
    ds = add_history(ds, f"make_traces(shape={list(values.shape)}, source={source!r})")
    return validate_traces(ds)


def combine_traces(datasets: Sequence[xr.Dataset]) -> xr.Dataset:
    """Concatenate traces along ``run``, NaN-padding runs logged at different steps.

    Run labels must be distinct across the inputs. Attributes come from the first dataset.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> a = lvdyn.make_traces(np.ones((3, 2)), step=[0, 1, 2], run=["a"])
    >>> b = lvdyn.make_traces(np.ones((2, 2)), step=[0, 1], run=["b"])
    >>> both = lvdyn.combine_traces([a, b])
    >>> int(both.strength.isnull().sum())
    2
    """
    if not datasets:
        raise ValueError("`datasets` must hold at least one traces dataset; got an empty list.")
    for ds in datasets:
        validate_traces(ds)
    for name in disagreeing_shared_variables(datasets, coords=False):
        if all(name in ds.data_vars for ds in datasets):  # a missing one is left to concat
            raise SchemaError(
                f"`datasets` disagree on `{name}`, which has no `run` dimension and so must "
                f"be the same for every run. Drop it first (`ds.drop_vars({str(name)!r})`) "
                "or combine runs that share it."
            )
    combined = xr.concat(
        list(datasets),
        dim=RUN,
        join="outer",
        combine_attrs="override",
        data_vars="minimal",
        coords="different",
        compat="equals",
    )
    combined = combined.sortby(STEP)
    combined[STEP] = combined[STEP].astype(np.int64)
    combined = add_history(combined, f"combine_traces({len(datasets)} datasets)")
    return validate_traces(combined)


def disagreeing_shared_variables(
    datasets: Sequence[xr.Dataset], *, coords: bool = True
) -> list[Hashable]:
    """Names of variables without a ``run`` dim that differ between datasets or are missing.

    Such variables (ground truth like ``true_A``) are shared by every run, so runs can only
    be combined where all datasets agree on them. ``coords=False`` looks at data variables
    only.
    """
    names: set[Hashable] = set()
    for ds in datasets:
        variables = ds.variables if coords else ds.data_vars
        names.update(n for n, v in variables.items() if RUN not in v.dims and n not in ds.dims)
    bad = []
    for name in sorted(names, key=str):
        values = [ds.variables.get(name) for ds in datasets]
        first = values[0]
        if first is None or any(v is None or not v.equals(first) for v in values[1:]):
            bad.append(name)
    return bad
