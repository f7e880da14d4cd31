"""`regularization_path`: coefficients and scores over a grid of penalty strengths."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from sklearn.base import clone

from lvdyn.fitting._coefficients import coefficients
from lvdyn.fitting._derivatives import DerivativeMethod
from lvdyn.fitting._design import Window
from lvdyn.fitting._fitting import fit_design, model_design
from lvdyn.fitting._scores import derivative_scores
from lvdyn.models import AbstractODEModel, SINDy
from lvdyn.traces._history import add_history

__all__ = ["regularization_path"]


def regularization_path(
    model: AbstractODEModel,
    ds: xr.Dataset,
    alphas: Any,
    *,
    window: Window = None,
    runs: Any = None,
    derivative: str | DerivativeMethod = "auto",
    time: str = "step",
) -> xr.Dataset:
    """Fit ``model`` at every penalty strength in ``alphas`` (``threshold`` for `SINDy`).

    Returns
    -------
    xarray.Dataset
        The coefficients of `lvdyn.coefficients` with a leading ``alpha`` dimension, and per
        alpha: ``r2_derivative`` (in-sample, pooled), ``n_parameters`` (nonzero), ``aic`` and
        ``bic`` (as in `lvdyn.score_traces`).

    Examples
    --------
    >>> import lvdyn
    >>> from lvdyn.producers import synthetic
    >>> ds = synthetic.linear(A=[[-0.5, 0.0], [0.1, -0.3]], b=[0.5, 0.2],
    ...                       x0=[[0.0, 2.0], [2.0, 0.0]], steps=60, dt=0.1)
    >>> path = regularization_path(lvdyn.LinearODE(penalty="lasso"), ds, [1e-4, 1.0],
    ...                            time="time")
    >>> path.n_parameters.values.tolist()
    [6, 2]
    """
    grid = np.asarray(alphas, dtype=np.float64).ravel()
    if grid.size == 0 or np.any(~np.isfinite(grid) | (grid < 0)):
        raise ValueError(f"`alphas` must be non-negative finite numbers; got {alphas!r}.")
    key = "threshold" if isinstance(model, SINDy) else "alpha"
    design = model_design(model, ds, window=window, runs=runs, derivative=derivative, time=time)
    fits, scores = [], []
    for value in grid:
        fitted = fit_design(clone(model).set_params(**{key: float(value)}), design)
        fitted.component_labels_ = ds["component"].values
        fits.append(coefficients(fitted, ds))
        fit = derivative_scores(fitted, design)
        scores.append((fit.r2_pooled, fit.n_parameters, fit.aic, fit.bic))
    out = xr.concat(fits, dim="alpha", data_vars="all", coords="minimal", compat="override")
    if "powers" in out:
        out["powers"] = fits[0]["powers"]
    out = out.assign_coords(alpha=grid)
    r2, k_, aic, bic = (np.array(col) for col in zip(*scores, strict=True))
    out["r2_derivative"] = ("alpha", r2)
    out["n_parameters"] = ("alpha", k_)
    out["aic"] = ("alpha", aic)
    out["bic"] = ("alpha", bic)
    out.attrs = {"model": type(model).__name__, "varied": key}
    return add_history(out, f"regularization_path({type(model).__name__}, {grid.size} values)")
