"""The traces schema (version 1) and its validator.

A traces dataset holds, for every run, the strength of every component at every logged
training step. See ``docs/traces.md`` for the full description.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import SchemaError

__all__ = [
    "COMPONENT",
    "COMPONENT_J",
    "KNOWN_VARIABLES",
    "RUN",
    "SCHEMA_VERSION",
    "STEP",
    "validate_traces",
]

SCHEMA_VERSION = 1
RUN, STEP, COMPONENT, COMPONENT_J = "run", "step", "component", "component_j"
STRENGTH_DIMS = (RUN, STEP, COMPONENT)

#: Variables whose name fixes their dimensions.
KNOWN_VARIABLES: dict[str, tuple[str, ...]] = {
    "strength": STRENGTH_DIMS,
    "train_loss": (RUN, STEP),
    "test_loss": (RUN, STEP),
    "train_acc": (RUN, STEP),
    "test_acc": (RUN, STEP),
    "grad_strength": STRENGTH_DIMS,
    "true_r": (COMPONENT,),
    "true_b": (COMPONENT,),
    "true_equilibrium": (COMPONENT,),
    "true_A": (COMPONENT, COMPONENT_J),
}

_NETCDF_ATTR_HINT = "netCDF attributes hold only strings, numbers or lists of them"


def _is_netcdf_attr(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, str | int | float | np.integer | np.floating):
        return True
    if isinstance(value, list | tuple | np.ndarray):
        items = list(np.asarray(value, dtype=object).ravel())
        if not items:
            return True
        strings = all(isinstance(v, str) for v in items)
        numbers = all(
            isinstance(v, int | float | np.integer | np.floating)
            and not isinstance(v, bool | np.bool_)
            for v in items
        )
        return strings or numbers
    return False


def _check_attrs(name: str, attrs: Mapping[Hashable, Any], problems: list[str]) -> None:
    for key, value in attrs.items():
        if not _is_netcdf_attr(value):
            problems.append(
                f"attribute {key!r} of {name} must be a string, a number or a list of them; "
                f"got {type(value).__name__} {value!r}. {_NETCDF_ATTR_HINT}: convert it "
                "(for example json.dumps for a dict, int() for a bool)."
            )


def _label(ds: xr.Dataset, dim: str, index: int) -> Any:
    """The label at ``index`` of coordinate ``dim`` as a plain Python value (the index if none)."""
    if dim not in ds.coords or ds[dim].ndim != 1:
        return index
    return ds[dim].values[index].item()


def _check_labels(ds: xr.Dataset, dim: str, problems: list[str]) -> None:
    if dim not in ds.coords:
        problems.append(
            f"coordinate `{dim}` is missing; expected labels for every {dim}. "
            f"Assign one with ds.assign_coords({dim}=...)."
        )
        return
    labels = ds[dim].values
    if labels.ndim != 1:
        problems.append(f"coordinate `{dim}` must be 1-D; got shape {labels.shape}.")
        return
    kind = labels.dtype.kind
    if kind not in "iuUO" and kind != "S":
        problems.append(
            f"coordinate `{dim}` must hold int or str labels; got dtype {labels.dtype}. "
            "Convert the labels with .astype(int) or .astype(str)."
        )
        return
    if kind == "O" and not all(isinstance(v, str | int | np.integer) for v in labels):
        problems.append(
            f"coordinate `{dim}` must hold int or str labels; found other objects. "
            "Convert the labels with .astype(str)."
        )
        return
    values, counts = np.unique(labels.astype(str), return_counts=True)
    dupes = values[counts > 1]
    if dupes.size:
        problems.append(
            f"coordinate `{dim}` has duplicate labels {dupes[:5].tolist()}; every {dim} needs a "
            "unique label. Rename or drop the duplicates."
        )


def _check_step(ds: xr.Dataset, problems: list[str]) -> None:
    if STEP not in ds.coords:
        problems.append(
            "coordinate `step` is missing; expected the int64 training step of every sample. "
            "Assign one with ds.assign_coords(step=...)."
        )
        return
    step = ds[STEP].values
    if step.ndim != 1:
        problems.append(f"coordinate `step` must be 1-D; got shape {step.shape}.")
        return
    if step.dtype.kind not in "iu":
        problems.append(
            f"coordinate `step` must be integer (int64); got dtype {step.dtype}. "
            "Use ds.assign_coords(step=ds.step.astype('int64')) if the values are whole numbers."
        )
        return
    diffs = np.diff(step.astype(np.int64))
    if np.any(diffs == 0):
        dup = step[1:][diffs == 0][:5].tolist()
        problems.append(
            f"coordinate `step` has duplicate values {dup}; steps must be strictly increasing. "
            "Average or drop the repeated samples."
        )
    if np.any(diffs < 0):
        problems.append(
            "coordinate `step` is not sorted; steps must be strictly increasing. "
            "Use ds.sortby('step')."
        )


def _check_strength(ds: xr.Dataset, problems: list[str]) -> None:
    if "strength" not in ds.data_vars:
        problems.append(
            "data variable `strength` is missing; expected a float array with dims "
            f"{STRENGTH_DIMS}. Build datasets with lvdyn.make_traces."
        )
        return
    strength = ds["strength"]
    if set(strength.dims) != set(STRENGTH_DIMS):
        problems.append(
            f"`strength` must have dims {STRENGTH_DIMS}; got {strength.dims}. "
            "Add a missing run dimension with ds.expand_dims('run') or rename dims with ds.rename."
        )
        return
    if strength.dims != STRENGTH_DIMS:
        problems.append(
            f"`strength` must have dims in the order {STRENGTH_DIMS}; got {strength.dims}. "
            f"Use ds.transpose{STRENGTH_DIMS}."
        )
    if strength.dtype.kind != "f":
        problems.append(
            f"`strength` must be a float array; got dtype {strength.dtype}. "
            "Convert it with .astype('float64')."
        )
        return
    values = strength.values
    infinite = np.isinf(values)
    if infinite.any():
        where = dict(zip(strength.dims, np.argwhere(infinite)[0], strict=True))
        first = ", ".join(f"{dim} {_label(ds, str(dim), int(i))!r}" for dim, i in where.items())
        n = int(infinite.sum())
        problems.append(
            f"`strength` contains {n} infinite value{'s' if n > 1 else ''} (first at {first}); "
            "use NaN for missing samples and drop diverged runs."
        )
    finite = np.isfinite(values)
    axes = {d: i for i, d in enumerate(strength.dims)}
    if values.size:
        empty_comp = ~finite.any(axis=(axes[RUN], axes[STEP]))
        if empty_comp.any():
            labels = ds[COMPONENT].values[empty_comp][:5].tolist() if COMPONENT in ds else []
            problems.append(
                f"`strength` is all-NaN for components {labels}; every component needs data. "
                "Drop them with ds.drop_sel(component=[...])."
            )
        empty_run = ~finite.any(axis=(axes[STEP], axes[COMPONENT]))
        if empty_run.any():
            labels = ds[RUN].values[empty_run][:5].tolist() if RUN in ds else []
            problems.append(
                f"`strength` is all-NaN for runs {labels}; every run needs data. "
                "Drop them with ds.drop_sel(run=[...])."
            )
    if ds.sizes.get(STEP, 0) < 1 or ds.sizes.get(COMPONENT, 0) < 1 or ds.sizes.get(RUN, 0) < 1:
        problems.append(
            "`strength` must have at least one run, step and component; "
            f"got sizes {dict(ds.sizes)}."
        )


def _check_known_variables(ds: xr.Dataset, problems: list[str]) -> None:
    for name, dims in KNOWN_VARIABLES.items():
        if name == "strength" or name not in ds.variables:
            continue
        var = ds[name]
        if set(var.dims) != set(dims):
            problems.append(
                f"variable `{name}` must have dims {dims}; got {var.dims}. "
                "Rename or transpose it, or store it under another name."
            )
        elif var.dtype.kind not in "fiu":
            problems.append(f"variable `{name}` must be numeric; got dtype {var.dtype}.")
    if COMPONENT_J in ds.dims and COMPONENT in ds.coords:
        if COMPONENT_J not in ds.coords:
            problems.append(
                "dimension `component_j` has no coordinate; it must repeat the `component` labels."
            )
        elif ds.sizes[COMPONENT_J] != ds.sizes[COMPONENT] or not np.array_equal(
            ds[COMPONENT_J].values.astype(str), ds[COMPONENT].values.astype(str)
        ):
            problems.append(
                "coordinate `component_j` must equal the `component` labels; they differ."
            )


def _check_global_attrs(ds: xr.Dataset, problems: list[str]) -> None:
    version = ds.attrs.get("lvdyn_schema_version")
    if version is None:
        problems.append(
            "attribute `lvdyn_schema_version` is missing; expected 1. "
            "Build datasets with lvdyn.make_traces, or set ds.attrs['lvdyn_schema_version'] = 1."
        )
    else:
        try:
            ok = int(version) == SCHEMA_VERSION and float(version) == SCHEMA_VERSION
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(
                f"attribute `lvdyn_schema_version` must be {SCHEMA_VERSION}; got "
                f"{version.item() if isinstance(version, np.generic) else version!r}. "
                "This file was written by another version of lvdyn or another tool."
            )
    for key in ("source", "history"):
        if key in ds.attrs and not isinstance(ds.attrs[key], str):
            problems.append(
                f"attribute `{key}` must be a string; got {type(ds.attrs[key]).__name__}."
            )
    config = ds.attrs.get("producer_config")
    if config is not None:
        if not isinstance(config, str):
            problems.append(
                "attribute `producer_config` must be a JSON string; got "
                f"{type(config).__name__}. Use json.dumps(config)."
            )
        else:
            try:
                json.loads(config)
            except json.JSONDecodeError as exc:
                problems.append(f"attribute `producer_config` is not valid JSON ({exc}).")
    _check_attrs("the dataset", ds.attrs, problems)
    for name, var in ds.variables.items():
        _check_attrs(f"variable `{name}`", var.attrs, problems)


def validate_traces(ds: Any) -> xr.Dataset:
    """Return ``ds`` unchanged if it follows the traces schema; raise `SchemaError` otherwise.

    Every problem is collected before raising, and each message names the variable, what
    was expected, what was found and how to fix it.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset to check.

    Returns
    -------
    xarray.Dataset
        ``ds`` itself.

    Raises
    ------
    SchemaError
        Listing every problem found.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> ds = lvdyn.make_traces(np.ones((5, 3)), step=np.arange(5))
    >>> lvdyn.validate_traces(ds) is ds
    True
    >>> lvdyn.validate_traces(ds.drop_vars("strength"))
    Traceback (most recent call last):
    ...
    lvdyn.core._errors.SchemaError: invalid traces dataset: data variable `strength` is missing; ...
    """
    if not isinstance(ds, xr.Dataset):
        raise SchemaError(
            f"expected an xarray.Dataset; got {type(ds).__name__}. "
            "Build one from an array with lvdyn.make_traces or from a table with "
            "lvdyn.traces_from_dataframe."
        )
    problems: list[str] = []
    _check_strength(ds, problems)
    _check_step(ds, problems)
    _check_labels(ds, COMPONENT, problems)
    _check_labels(ds, RUN, problems)
    _check_known_variables(ds, problems)
    _check_global_attrs(ds, problems)
    if problems:
        raise SchemaError(problems)
    return ds
