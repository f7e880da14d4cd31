"""How a matrix model's derivative fit went, written to its model file and read back.

`fit_traces` leaves on a fitted `LinearODE` or `LotkaVolterra` the derivative method it used
and why, the integral-matching iterations, the penalty used and why, the CV curve, the
samples each equation used or lost and the standard errors of the matrix. `save_model`
writes them next to the parameters (`diagnostics_dataset`): the scalars as netCDF
attributes (``fit_derivative_used``, ``fit_derivative_reason``, ``fit_bridge_iterations``,
``fit_bridge_change``, ``fit_penalty_used``, ``fit_alpha_used``, ``fit_penalty_reason``),
the arrays as variables (``n_samples``, ``zeros_dropped``, ``missing_dropped`` over
``component``, ``interaction_stderr`` over the matrix, ``cv_score`` over ``cv_alpha``).
`load_model` puts them back under the attribute names of the fitted model
(`restore_diagnostics`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from lvdyn.models import LotkaVolterra
from lvdyn.models._matrix import MatrixODEModel
from lvdyn.traces._schema import COMPONENT, COMPONENT_J

__all__ = ["DIAGNOSTIC_KEYS", "diagnostics_dataset", "restore_diagnostics"]

#: File attribute -> fitted-model attribute, for the scalar diagnostics.
DIAGNOSTIC_KEYS = {
    "fit_derivative_used": "derivative_",
    "fit_derivative_reason": "derivative_reason_",
    "fit_bridge_iterations": "bridge_iterations_",
    "fit_bridge_change": "bridge_change_",
    "fit_penalty_used": "penalty_",
    "fit_alpha_used": "alpha_",
    "fit_penalty_reason": "penalty_reason_",
}
#: File variable (over ``component``) -> fitted-model attribute.
PER_EQUATION = {
    "n_samples": "n_samples_",
    "zeros_dropped": "zeros_dropped_",
    "missing_dropped": "missing_dropped_",
}
CV_ALPHA = "cv_alpha"


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def diagnostics_dataset(model: Any) -> xr.Dataset:
    """The fit diagnostics of ``model`` as variables and attributes (empty when it has none).

    Only a `LinearODE` or `LotkaVolterra` fitted by `fit_traces` has them.

    Examples
    --------
    >>> import lvdyn
    >>> from lvdyn.producers import synthetic
    >>> ds = synthetic.glv_study(3, n_series=6, n_samples=6, sampling="random", seed=0)
    >>> model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time")
    >>> extra = diagnostics_dataset(model)
    >>> extra.attrs["fit_derivative_used"], sorted(extra.data_vars)[:2]
    ('integral', ['cv_score', 'interaction_stderr'])
    """
    if not isinstance(model, MatrixODEModel) or not hasattr(model, "derivative_reason_"):
        return xr.Dataset()
    attrs = {
        key: _scalar(getattr(model, name))
        for key, name in DIAGNOSTIC_KEYS.items()
        if getattr(model, name, None) is not None
    }
    data: dict[str, Any] = {
        key: (COMPONENT, np.asarray(getattr(model, name), dtype=np.int64))
        for key, name in PER_EQUATION.items()
    }
    data["interaction_stderr"] = (
        (COMPONENT, COMPONENT_J),
        np.asarray(model.interaction_stderr_, dtype=np.float64),
        {"long_name": "approximate standard error of each matrix entry (inf: undetermined)"},
    )
    coords: dict[str, Any] = {}
    if getattr(model, "cv_alphas_", None) is not None:
        coords[CV_ALPHA] = np.asarray(model.cv_alphas_, dtype=np.float64)
        data["cv_score"] = (
            CV_ALPHA,
            np.asarray(model.cv_scores_, dtype=np.float64),
            {"long_name": "held-out mean squared error of the targets (run-grouped CV)"},
        )
    return xr.Dataset(data, coords=coords, attrs=attrs)


def restore_diagnostics(model: MatrixODEModel, ds: xr.Dataset) -> None:
    """Set the diagnostics that ``ds`` (a model file) holds on the loaded ``model``."""
    if "fit_derivative_reason" not in ds.attrs:
        return
    for key, name in DIAGNOSTIC_KEYS.items():
        setattr(model, name, _scalar(ds.attrs[key]) if key in ds.attrs else None)
    for key, name in PER_EQUATION.items():
        if key in ds:
            setattr(model, name, ds[key].values.astype(np.int64))
    if "interaction_stderr" in ds:
        stderr = ds["interaction_stderr"].values.astype(np.float64)
        matrix = model.interaction_matrix_ if isinstance(model, LotkaVolterra) else model.A_
        model.interaction_stderr_ = stderr
        model.signs_determined_ = np.abs(matrix) > 2.0 * stderr
    has_cv = "cv_score" in ds
    model.cv_alphas_ = ds[CV_ALPHA].values.astype(np.float64) if has_cv else None
    model.cv_scores_ = ds["cv_score"].values.astype(np.float64) if has_cv else None
