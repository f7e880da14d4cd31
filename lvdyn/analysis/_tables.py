"""Labelled tables of a fitted model: interaction matrix, growth rates, predicted survivors.

Each is an `xarray.DataArray` over the model's component labels (``component_labels_``, set
by `lvdyn.fit_traces` and `lvdyn.load_model`); ``.to_pandas()`` gives a labelled DataFrame
(the matrix, rows ``component`` i, columns ``component_j`` j) or Series.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from lvdyn.analysis._models import component_labels, family, linear_params, lv_params
from lvdyn.analysis._survivors import predict_survivors as _predict_survivors
from lvdyn.traces._schema import COMPONENT, COMPONENT_J

__all__ = ["growth_rates", "interaction_matrix", "predict_survivors"]


def _units(model: Any, name: str) -> dict[str, str]:
    info = getattr(model, "fit_info_", None) or {}
    t = str(info.get("fit_time_units", "step"))
    s = str(info.get("fit_strength_units", "strength"))
    if name == "r":
        return {"units": f"1/{t}"}
    if family(model) == "lotka_volterra":
        return {"units": f"1/({t} * {s})"}
    return {"units": f"1/{t}"}


def interaction_matrix(model: Any, *, labels: Any = None) -> xr.DataArray:
    """The interaction matrix ``A`` (Lotka-Volterra ``A``, linear ``A``) with labels.

    Entry (i, j) is the effect of component j on component i's rate.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -0.2], [-0.1, -1.0]])
    >>> A = lvdyn.interaction_matrix(model, labels=["alpha", "beta"])
    >>> A.sel(component="alpha", component_j="beta").item()
    -0.2
    >>> A.to_pandas().loc["beta", "alpha"]
    np.float64(-0.1)
    """
    kind = family(model)
    if kind == "lotka_volterra":
        matrix = lv_params(model)[1]
    elif kind == "linear":
        matrix = linear_params(model)[0]
    else:
        raise ValueError(
            "`model` must be a Lotka-Volterra or linear model (SINDy has no interaction "
            f"matrix; see lvdyn.coefficients); got {type(model).__name__}."
        )
    names = component_labels(model, labels)
    return xr.DataArray(
        matrix.copy(),
        dims=(COMPONENT, COMPONENT_J),
        coords={COMPONENT: names, COMPONENT_J: names},
        name="A",
        attrs={"long_name": "effect of component_j on component", **_units(model, "A")},
    )


def growth_rates(model: Any, *, labels: Any = None) -> xr.DataArray:
    """The growth rates ``r`` of a Lotka-Volterra model with labels.

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -0.2], [-0.1, -1.0]])
    >>> lvdyn.growth_rates(model).values.tolist()
    [1.0, 0.5]
    """
    if family(model) != "lotka_volterra":
        raise ValueError(
            f"`model` must be a Lotka-Volterra model (growth rates r); got "
            f"{type(model).__name__}. A linear model's constant term is lvdyn.coefficients(m).b."
        )
    names = component_labels(model, labels)
    return xr.DataArray(
        lv_params(model)[0].copy(),
        dims=(COMPONENT,),
        coords={COMPONENT: names},
        name="r",
        attrs={"long_name": "growth rate", **_units(model, "r")},
    )


def predict_survivors(
    model: Any, x0: Any = None, *, as_array: bool | None = None, **options: Any
) -> Any:
    """Which components the model says survive; labelled when the model has labels.

    The survivors are those of `lvdyn.analysis._survivors.predict_survivors` (for
    Lotka-Volterra: the support of the saturated, stable, feasible equilibrium). A model
    with ``component_labels_`` (from `fit_traces` or `load_model`) gets a bool DataArray
    over ``component``; a model without labels (``from_params``, a bare estimator) gets
    the numpy bool array of the estimator interface. ``as_array=True`` always returns
    numpy, ``as_array=False`` always a DataArray (labels 0..K-1 when there are none).

    Parameters
    ----------
    model : fitted lvdyn model
    x0 : array_like, optional
        Initial state for the cross-check (Lotka-Volterra) or the simulation (others).
    as_array : bool, optional
        Force the numpy (True) or the labelled (False) result.
    **options
        ``rule``, ``horizon``, ``max_enumerate`` (as in the estimator-level function).

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, 0.5], [[-1.0, -1.0], [-1.0, -1.0]])
    >>> lvdyn.predict_survivors(model).tolist()
    [True, False]
    >>> model.component_labels_ = np.array(["alpha", "beta"])
    >>> alive = lvdyn.predict_survivors(model)
    >>> alive.component.values[alive.values].tolist()
    ['alpha']
    """
    mask = np.asarray(_predict_survivors(model, x0, **options), dtype=bool)
    labelled = getattr(model, "component_labels_", None) is not None
    if as_array or (as_array is None and not labelled):
        return mask
    return xr.DataArray(
        mask,
        dims=(COMPONENT,),
        coords={COMPONENT: component_labels(model)},
        name="predicted_survivor",
        attrs={"model": type(model).__name__},
    )
