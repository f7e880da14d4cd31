"""Fitted parameters as labelled datasets, and models saved to / loaded from netCDF (no pickle)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import SchemaError
from lvdyn.fitting._diagnostics import diagnostics_dataset, restore_diagnostics
from lvdyn.fitting._provenance import FIT_KEYS, parameter_units
from lvdyn.models import AbstractODEModel, LinearODE, LotkaVolterra, SINDy
from lvdyn.traces._history import add_history
from lvdyn.traces._io import open_netcdf, save_netcdf
from lvdyn.traces._schema import COMPONENT, COMPONENT_J

__all__ = ["coefficients", "load_model", "save_model"]

MODEL_FORMAT_VERSION = 1
_MODELS: dict[str, type[AbstractODEModel]] = {
    "LinearODE": LinearODE,
    "LotkaVolterra": LotkaVolterra,
    "SINDy": SINDy,
}


def _labels(model: AbstractODEModel, ds: xr.Dataset | None) -> np.ndarray:
    k = int(model.n_features_in_)
    if ds is not None:
        labels = np.asarray(ds[COMPONENT].values)
    else:
        labels = np.asarray(getattr(model, "component_labels_", np.arange(k)))
    if labels.shape != (k,):
        raise ValueError(
            f"`ds` has {labels.size} components but the model has {k}; pass the traces the "
            "model was fitted on."
        )
    return labels


def _json_params(model: AbstractODEModel) -> str:
    params = {
        k: (np.asarray(v).tolist() if isinstance(v, np.ndarray | list | tuple) else v)
        for k, v in model.get_params().items()
    }
    return json.dumps(params)


def coefficients(model: AbstractODEModel, ds: xr.Dataset | None = None) -> xr.Dataset:
    """The fitted parameters of ``model`` labelled by component.

    Parameters
    ----------
    model : fitted LinearODE, LotkaVolterra or SINDy
    ds : xarray.Dataset, optional
        Traces whose component labels to use; by default the labels `fit_traces` stored on
        the model (or 0..K-1).

    Returns
    -------
    xarray.Dataset
        `LinearODE`: ``A`` (component, component_j) and ``b`` (component). `LotkaVolterra`:
        ``r`` and ``A``. `SINDy`: ``coef`` (component, term) and ``powers`` (term,
        component_j); each with ``units`` (per step unless fitted on another time axis).
        Attributes ``model`` (class name), ``params`` (JSON) and, for a model from
        `fit_traces`, what the fit was made from (``fit_window``, ``fit_time``,
        ``fit_derivative``, ``fit_penalty``, ``source_traces``, ``source_traces_sha256``,
        ``lvdyn_version``, ...; see `lvdyn.fitting._provenance.FIT_KEYS`).

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -0.2], [-0.1, -1.0]])
    >>> coefficients(model).A.sel(component=0, component_j=1).item()
    -0.2
    """
    if isinstance(model, AbstractODEModel) and not hasattr(model, "n_features_in_"):
        raise ValueError(
            f"`model` is not fitted: this {type(model).__name__} has no parameters yet. Fit it "
            "with lvdyn.fit_traces or build it with from_params."
        )
    labels = _labels(model, ds)
    coords = {COMPONENT: labels, COMPONENT_J: labels}
    if isinstance(model, LinearODE):
        data = {
            "A": ((COMPONENT, COMPONENT_J), model.A_, {"long_name": "interaction matrix A"}),
            "b": ((COMPONENT,), model.b_, {"long_name": "constant term b"}),
        }
    elif isinstance(model, LotkaVolterra):
        data = {
            "r": ((COMPONENT,), model.growth_rates_, {"long_name": "growth rate r"}),
            "A": (
                (COMPONENT, COMPONENT_J),
                model.interaction_matrix_,
                {"long_name": "interaction matrix A"},
            ),
        }
    elif isinstance(model, SINDy):
        names = [str(n) for n in model.feature_names_]
        data = {
            "coef": (("component", "term"), model.coef_, {"long_name": "coefficient of each term"}),
            "powers": (
                ("term", COMPONENT_J),
                model.powers_,
                {"long_name": "exponent of each component in each term"},
            ),
        }
        coords = {**coords, "term": np.asarray(names)}
    else:
        raise ValueError(
            f"`model` must be a LinearODE, LotkaVolterra or SINDy; got {type(model).__name__}."
        )
    info = dict(getattr(model, "fit_info_", None) or {})
    units = parameter_units(
        type(model).__name__,
        str(info.get("fit_time_units", "step")),
        str(info.get("fit_strength_units", "strength")),
    )
    for name, (_, _, attrs) in data.items():
        if name in units:
            attrs["units"] = units[name]
    out = xr.Dataset(
        {
            name: xr.Variable(
                dims, np.asarray(values, dtype=np.float64 if name != "powers" else np.int64), attrs
            )
            for name, (dims, values, attrs) in data.items()
        },
        coords=coords,
        attrs={
            "model": type(model).__name__,
            "params": _json_params(model),
            "lvdyn_model_version": MODEL_FORMAT_VERSION,
            **{key: info[key] for key in FIT_KEYS if key in info},
        },
    )
    return add_history(out, f"coefficients({type(model).__name__})")


def save_model(
    model: AbstractODEModel, path: str | os.PathLike[str], *, argument: str = "path"
) -> Path:
    """Write a fitted model to netCDF, atomically; `load_model` reads it back. No pickle.

    The file holds `coefficients` and, for a `LinearODE` or `LotkaVolterra` from
    `fit_traces`, how the fit went (`lvdyn.fitting._diagnostics`: the derivative used and
    why, the penalty used and why, the CV curve, the samples each equation used or lost).

    Examples
    --------
    >>> import tempfile, lvdyn
    >>> path = tempfile.mkdtemp() + "/model.nc"
    >>> _ = save_model(lvdyn.LinearODE.from_params([[-1.0]], [2.0]), path)
    >>> load_model(path).b_.tolist()
    [2.0]
    """
    out = coefficients(model)
    extra = diagnostics_dataset(model)
    out = out.assign_coords({name: extra[name].variable for name in extra.coords})
    for name, variable in extra.data_vars.items():
        out[name] = variable.variable
    out.attrs.update(extra.attrs)
    return save_netcdf(out, path, argument=argument)


def load_model(path: str | os.PathLike[str]) -> AbstractODEModel:
    """Read a model written by `save_model`; it behaves as a fitted model.

    ``component_labels_`` holds the traces' component labels; for a model from
    `fit_traces`, ``fit_info_`` holds what the fit was made from and the fit's diagnostics
    come back under their attribute names (``derivative_``, ``derivative_reason_``,
    ``penalty_``, ``alpha_``, ``cv_alphas_``, ``zeros_dropped_``, ...).
    """
    ds = open_netcdf(path)
    name = ds.attrs.get("model")
    if name not in _MODELS or "params" not in ds.attrs:
        raise SchemaError(
            f"{os.fspath(path)!r} is not an lvdyn model file (attribute `model` is {name!r}); "
            "write one with lvdyn.save_model.",
            what="model file",
        )
    params = json.loads(str(ds.attrs["params"]))
    labels = np.asarray(ds[COMPONENT].values)
    model: AbstractODEModel
    if name == "LinearODE":
        model = LinearODE.from_params(ds["A"].values, ds["b"].values)
        model.set_params(**params)
    elif name == "LotkaVolterra":
        model = LotkaVolterra.from_params(ds["r"].values, ds["A"].values)
        model.set_params(**params)
    else:
        model = SINDy(**params)
        model.coef_ = ds["coef"].values.astype(np.float64)
        model.powers_ = ds["powers"].values.astype(np.int64)
        model.feature_names_ = [str(t) for t in ds["term"].values]
        model.n_features_in_ = int(labels.size)
    model.component_labels_ = labels
    if isinstance(model, LinearODE | LotkaVolterra):
        restore_diagnostics(model, ds)
    info = {key: _plain_attr(ds.attrs[key]) for key in FIT_KEYS if key in ds.attrs}
    if info:
        model.fit_info_ = info
    return model


def _plain_attr(value: Any) -> Any:
    """A netCDF attribute as a plain Python value (arrays become lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value


def model_params(ds: xr.Dataset) -> dict[str, Any]:
    """The hyperparameters stored in a coefficients dataset."""
    return dict(json.loads(str(ds.attrs["params"])))
