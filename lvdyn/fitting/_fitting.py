"""`fit_traces`: fit an ODE estimator to a traces dataset."""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

import numpy as np
import xarray as xr
from sklearn.exceptions import ConvergenceWarning

from lvdyn.fitting._conditioning import check_conditioning
from lvdyn.fitting._degenerate import check_fit
from lvdyn.fitting._derivatives import DerivativeMethod
from lvdyn.fitting._design import Design, Window, select_traces, traces_design
from lvdyn.fitting._provenance import fit_record
from lvdyn.models import AbstractODEModel, LinearODE, LotkaVolterra
from lvdyn.models._matrix import MatrixODEModel
from lvdyn.traces._schema import COMPONENT, STEP

__all__ = ["RECIPES", "fit_traces", "model_design", "uses_log_rates"]

ModelT = TypeVar("ModelT", bound=AbstractODEModel)

#: Named published recipes: the derivative method, the window length in steps, the estimator.
RECIPES: dict[str, dict[str, Any]] = {
    # Ding, Guo, Michaud, Liu, Tegmark 2024 (circle-survival analysis/odes/ode_fit.py): Lasso
    # (alpha 0.01, intercept) on raw one-step forward differences of the first 1000 steps.
    "ding2024": {
        "derivative": "forward",
        "n_steps": 1000,
        "params": {"penalty": "lasso", "alpha": 0.01},
    },
}


def uses_log_rates(model: AbstractODEModel) -> bool:
    """Whether `fit_traces` differentiates ``log x`` for this model (Lotka-Volterra)."""
    return isinstance(model, LotkaVolterra)


def model_design(model: AbstractODEModel, ds: xr.Dataset, **selection: Any) -> Design:
    """`traces_design` with the route ``model`` needs (``log x`` for Lotka-Volterra).

    ``selection`` holds the keywords of `traces_design` (``window``, ``runs``,
    ``derivative``, ``time``, ``sample_weight``); `fit_traces`, `score_traces`,
    `bootstrap_traces` and `regularization_path` all turn traces into samples here.
    """
    return traces_design(ds, log=uses_log_rates(model), **selection)


def _recipe_window(ds: xr.Dataset, name: str, window: Window, model: Any) -> tuple[Window, str]:
    if name not in RECIPES:
        raise ValueError(f"`recipe` must be None or one of {sorted(RECIPES)}; got {name!r}.")
    recipe = RECIPES[name]
    if not isinstance(model, LinearODE):
        raise ValueError(
            f"`recipe={name!r}` fits a LinearODE; got a {type(model).__name__}. "
            "Pass lvdyn.LinearODE.paper_recipe()."
        )
    params = model.get_params()
    wrong = {k: params[k] for k, v in recipe["params"].items() if params.get(k) != v}
    if wrong:
        raise ValueError(
            f"`recipe={name!r}` needs a LinearODE with {recipe['params']}; the model has "
            f"{wrong}. Pass lvdyn.LinearODE.paper_recipe()."
        )
    if window is not None:
        raise ValueError(f"`recipe={name!r}` fixes the window; do not pass `window` with it.")
    first = int(ds[STEP].values[0])
    return (first, first + recipe["n_steps"] - 1), recipe["derivative"]


def fit_traces(
    model: ModelT,
    ds: xr.Dataset,
    *,
    window: Window = None,
    runs: Any = None,
    derivative: str | DerivativeMethod = "auto",
    time: str = "step",
    sample_weight: Any = None,
    recipe: str | None = None,
) -> ModelT:
    """Estimate derivatives per run, pool the chosen runs and steps, and fit ``model``.

    Parameters
    ----------
    model : LinearODE, LotkaVolterra or SINDy
        An estimator; it is fitted in place and returned (the scikit-learn convention).
    ds : xarray.Dataset
        Traces (schema version 1).
    window : (first_step, last_step) or slice, optional
        Steps to use, by step value, both ends included (as ``ds.sel(step=slice(...))``).
    runs : label or list of labels, optional
        Runs to pool; all by default.
    derivative : str or method object
        ``"auto"`` (second-order central differences), ``"forward"``, ``"forward2"``,
        ``"forward4"``, ``"central"``, ``"central4"``, ``"savgol"``, ``"spline"``,
        ``"sqrt_ratio"``, or an object such as ``lvdyn.SavitzkyGolay(window_length=11)``.
        For `LotkaVolterra` the method is applied to ``log x`` (per-capita rates).
    time : str
        ``"step"`` (rates per step) or the name of a time coordinate on ``step`` (rates per
        unit of that coordinate), such as the ``time`` that synthetic producers write.
    sample_weight : array_like, DataArray or str, optional
        Weights over (run, step), or the name of such a variable in ``ds``.
    recipe : {"ding2024"}, optional
        A published recipe by name: ``"ding2024"`` fits `LinearODE.paper_recipe()` on
        one-step forward differences of the first 1000 steps.

    Returns
    -------
    The fitted ``model``; ``model.component_labels_`` holds the traces' component labels and
    ``model.fit_info_`` what the fit was made from (steps, runs, time axis and units,
    derivative, penalty and constraints, source traces and checksums, lvdyn version), which
    `save_model` writes into the model file.

    Warns
    -----
    IllConditionedWarning
        When the pooled states cannot identify every parameter: constant (saturated)
        components, components with identical trajectories, or a nearly singular design.
    DegenerateFitWarning
        When the fitted model is all zero (a penalty or SINDy's threshold removed every
        term) or blows up when simulated from the first state of a training run.
    MissingValuesWarning
        When more than 10% of the selected strengths are missing.
    sklearn.exceptions.ConvergenceWarning
        When coordinate descent (the L1 penalties) stops at ``max_iter`` before meeting
        ``tol``, naming the components whose equations did not converge.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> from lvdyn.producers import synthetic
    >>> ds = synthetic.linear(A=[[-0.5, 0.1], [0.0, -0.3]], b=[0.2, 0.1],
    ...                       x0=[[0.0, 0.0], [1.0, 2.0]], steps=200, dt=0.1)
    >>> model = lvdyn.fit_traces(lvdyn.LinearODE(), ds, time="time", derivative="central4")
    >>> np.round(model.A_, 3).tolist()
    [[-0.5, 0.1], [-0.0, -0.3]]
    """
    if not isinstance(model, AbstractODEModel):
        raise ValueError(
            "`model` must be an lvdyn estimator (LinearODE, LotkaVolterra or SINDy); "
            f"got {type(model).__name__}."
        )
    if recipe is not None:
        window, derivative = _recipe_window(select_traces(ds, runs=runs), recipe, window, model)
    design = model_design(
        model,
        ds,
        window=window,
        runs=runs,
        derivative=derivative,
        time=time,
        sample_weight=sample_weight,
    )
    check_conditioning(design.X, list(ds[COMPONENT].values.tolist()))
    weight = None if sample_weight is None else design.weight
    labels = np.asarray(ds[COMPONENT].values)
    with warnings.catch_warnings():
        # The estimator names equations by position; warn below with the component labels.
        if isinstance(model, MatrixODEModel):
            warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(design.X, design.y, sample_weight=weight)
    model.component_labels_ = labels
    sub = select_traces(ds, runs=runs, window=window)
    model.fit_info_ = fit_record(
        model, ds, sub, derivative=derivative, time=time, n_samples=design.X.shape[0]
    )
    check_fit(model, sub, design, time)
    converged = getattr(model, "converged_", None)
    if converged is not None and not np.all(converged):
        warnings.warn(
            f"{type(model).__name__}: coordinate descent did not converge in "
            f"{model.get_params()['max_iter']} sweeps for the equations of components "
            f"{labels[~np.asarray(converged)].tolist()}; their coefficients are not optimal. "
            "Increase `max_iter` or `tol`, or use a larger `alpha`.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return model
