"""`fit_traces`: fit an ODE estimator to a traces dataset."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, TypeVar

import numpy as np
import xarray as xr
from sklearn.exceptions import ConvergenceWarning

from lvdyn.core._errors import IllConditionedWarning
from lvdyn.fitting._bridge import refit_bridged
from lvdyn.fitting._conditioning import check_conditioning
from lvdyn.fitting._degenerate import check_fit
from lvdyn.fitting._derivatives import DerivativeMethod, Midpoint
from lvdyn.fitting._design import Design, Window, select_traces, traces_design
from lvdyn.fitting._penalty import choose_penalty, coefficient_stderr, ill_posed
from lvdyn.fitting._provenance import fit_record
from lvdyn.fitting._refine import refine_trajectories
from lvdyn.models import AbstractODEModel, LinearODE, LotkaVolterra
from lvdyn.models._matrix import MatrixODEModel
from lvdyn.traces._schema import COMPONENT, STEP

__all__ = ["RECIPES", "fit_design", "fit_traces", "model_design", "uses_log_rates"]

ModelT = TypeVar("ModelT", bound=AbstractODEModel)

#: Above this ratio of the median standard error of the matrix entries to their RMS size,
#: `fit_traces` warns that the data do not identify the matrix.
MAX_RELATIVE_STDERR = 0.5

#: Named published recipes: the derivative method, the window length in steps, the estimator.
RECIPES: dict[str, dict[str, Any]] = {
    # Ding, Guo, Michaud, Liu, Tegmark 2024 (circle-survival analysis/odes/ode_fit.py): Lasso
    # (alpha 0.01, intercept) on raw one-step forward differences at steps 0..999 (1000
    # samples; the last difference uses step 1000).
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


def fit_design(model: ModelT, design: Design, rows: Any = slice(None)) -> ModelT:
    """Fit ``model`` (unweighted) to some rows of ``design``, each equation on its own rows.

    Matrix models take per-equation weights; `SINDy` gets the rows every equation can use.
    """
    if isinstance(model, MatrixODEModel):
        return model.fit(
            design.X[rows], design.y[rows], sample_weight=design.fit_weight(rows, given=False)
        )
    keep = design.mask[rows].all(axis=1)
    return model.fit(design.X[rows][keep], design.y[rows][keep])


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
    # states at steps first..first + n_steps - 1, each with its forward difference, which
    # needs the step after: ode_fit.py regresses S[1:n+1] - S[:n] on S[:n], n = 1000
    return (first, first + recipe["n_steps"]), recipe["derivative"]


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
    zeros: str = "extinct",
    cv: bool | str = "auto",
    method: str = "derivative",
    trajectory: dict[str, Any] | None = None,
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
        ``"auto"``, ``"midpoint"``, ``"integral"``, ``"forward"``, ``"forward2"``, ``"forward4"``,
        ``"central"``, ``"central4"``, ``"savgol"``, ``"spline"``, ``"sqrt_ratio"``, or an
        object such as ``lvdyn.SavitzkyGolay(window_length=11)``. For `LotkaVolterra` the
        method is applied to ``log x`` (per-capita rates). ``"midpoint"`` is gradient
        matching between consecutive samples; ``"integral"`` refines it by integral matching
        (`Midpoint`). ``"auto"`` takes ``"integral"`` when the series are short (median
        under 20 samples per run) or unevenly spaced, and second-order central differences
        otherwise; ``derivative_reason_`` on the fitted model says why.
    time : str
        ``"step"`` (rates per step) or the name of a time coordinate on ``step`` (rates per
        unit of that coordinate), such as the ``time`` that synthetic producers write.
    sample_weight : array_like, DataArray or str, optional
        Weights over (run, step), or the name of such a variable in ``ds``.
    recipe : {"ding2024"}, optional
        A published recipe by name: ``"ding2024"`` fits `LinearODE.paper_recipe()` on
        one-step forward differences of the first 1000 steps.
    zeros : {"extinct", "raise"}
        For `LotkaVolterra`, exact zeros: ``"extinct"`` (default) reads them as
        extinctions, and each equation drops only the samples (intervals) that need its own
        component's logarithm there (a zero is still a valid regressor); ``"raise"`` refuses
        them with a `FitError`. Negative values are always an error.
    cv : "auto", True or False
        Choose the penalty strength by cross-validation grouped by run (`GroupKFold`, at
        least 3 runs). ``"auto"``: only for a `LinearODE` or `LotkaVolterra` whose
        ``penalty`` is None (left to the data) and when the problem is ill-posed (under 50
        samples per unknown in some equation, or a standardised condition number above
        1e8); the family is then ridge. True: always, for the model's penalty (ridge if
        None). False: never. With integral matching the penalty is chosen again on the
        bridged regressors (`Midpoint`). An explicit ``penalty`` (``"ols"`` included) is always kept
        under ``"auto"``.
    method : {"derivative", "trajectory"}
        ``"derivative"``: derivative (gradient) matching, the regression above.
        ``"trajectory"`` (`LinearODE`, `LotkaVolterra`): start there, then fit the simulated
        trajectories of all the chosen runs at once by multiple shooting
        (`refine_trajectories`, pooled over runs, in ``log x`` for Lotka-Volterra); a
        ``stability`` constraint is kept throughout. The runs need no NaN in the window.
    trajectory : dict, optional
        Keywords for `refine_trajectories` with ``method="trajectory"`` (``shooting``,
        ``n_segments``, ``substeps``, ``continuity_weight``, ``max_nfev``).

    Returns
    -------
    The fitted ``model``; ``model.component_labels_`` holds the traces' component labels.
    `LinearODE` and `LotkaVolterra` also get: ``derivative_`` and ``derivative_reason_``
    (the method used and why), ``n_samples_``, ``zeros_dropped_`` and ``missing_dropped_``
    (per equation: samples used, and samples or intervals lost to zeros, that is
    extinctions, and to missing values), ``penalty_`` and ``alpha_`` (the penalty used),
    ``penalty_reason_``, and ``cv_alphas_`` / ``cv_scores_`` (the CV curve: held-out mean
    squared error per alpha; None without CV), ``interaction_stderr_`` (approximate
    standard errors of the fitted matrix, `coefficient_stderr`) and ``signs_determined_``
    (entries more than two standard errors from zero); these describe the derivative fit.
    Every model gets ``method_`` (``"derivative"`` or ``"trajectory"``); with
    ``"trajectory"`` also ``refine_cost_`` and ``refine_converged_``.
    ``model.fit_info_`` holds what the fit was made from (steps, runs, time axis and units,
    derivative, method, penalty and constraints, source traces and checksums, lvdyn
    version), which `save_model` writes into the model file.

    Warns
    -----
    IllConditionedWarning
        When the pooled states cannot identify every parameter: constant (saturated)
        components, components with identical trajectories, or a nearly singular design;
        equations without samples; or, with ``"midpoint"``/``"integral"`` derivatives (short
        series), a median standard error of the matrix entries above half their RMS size
        (the data do not identify the matrix).
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
    if method not in ("derivative", "trajectory"):
        raise ValueError(f"`method` must be 'derivative' or 'trajectory'; got {method!r}.")
    if method == "trajectory" and not isinstance(model, LinearODE | LotkaVolterra):
        raise ValueError(
            "`method='trajectory'` fits a LinearODE or LotkaVolterra; got a "
            f"{type(model).__name__}. Use method='derivative'."
        )
    if trajectory is not None and method != "trajectory":
        raise ValueError("`trajectory` options need `method='trajectory'`.")
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
        zeros=zeros,
    )
    labels = np.asarray(ds[COMPONENT].values)
    check_conditioning(design.X, list(labels.tolist()))
    if isinstance(model, MatrixODEModel):
        _fit_matrix_model(model, design, labels, given=sample_weight is not None, cv=cv)
    else:
        keep = design.mask.all(axis=1)  # SINDy takes one set of rows for every equation
        weight = None if sample_weight is None else design.weight[keep]
        if getattr(model, "pooled_by_run", False):
            # exchangeable components: shared parameters, one set of growth rates per run
            pooled: Any = model
            pooled.fit(design.X[keep], design.y[keep], sample_weight=weight,
                       groups=design.run[keep])  # fmt: skip
            model.run_labels_ = select_traces(ds, runs=runs)["run"].values[model.groups_]
        else:
            model.fit(design.X[keep], design.y[keep], sample_weight=weight)
    model.component_labels_ = labels
    model.method_ = method
    if method == "trajectory":
        _refine_in_place(model, ds, window=window, runs=runs, time=time, options=trajectory)
    sub = select_traces(ds, runs=runs, window=window)
    model.fit_info_ = fit_record(
        model, ds, sub, derivative=derivative, time=time, n_samples=design.X.shape[0]
    )
    check_fit(model, sub, design, time)
    converged = getattr(model, "converged_", None)
    if converged is not None and not np.all(converged):
        warnings.warn(
            f"{type(model).__name__}: the solver (coordinate descent, or the constrained "
            f"solve of `stability`) did not converge in {model.get_params()['max_iter']} "
            f"iterations for the equations of components "
            f"{labels[~np.asarray(converged)].tolist()}; their coefficients are not optimal. "
            "Increase `max_iter` or `tol`, or use a larger `alpha`.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return model


def _fit_matrix_model(
    model: MatrixODEModel, design: Design, labels: np.ndarray, *, given: bool, cv: bool | str
) -> None:
    """Fit with per-equation rows, the penalty chosen by CV when asked; record the metadata."""
    if cv not in ("auto", True, False):
        raise ValueError(f"`cv` must be 'auto', True or False; got {cv!r}.")
    used = design.mask.sum(axis=0)
    if np.any(used == 0):
        warnings.warn(
            f"ill-conditioned fit: the equations of components {labels[used == 0].tolist()} "
            "have no samples (their component is zero or missing wherever a derivative could "
            "be taken); their growth rate and interactions are set to 0, not estimated.",
            IllConditionedWarning,
            stacklevel=3,
        )
    choice, reason = None, "the model's own penalty"
    if cv is True or (cv == "auto" and model.penalty is None):
        why = "cv=True" if cv is True else ill_posed(design)
        if why is None:
            reason = "well-posed (enough samples per unknown): no penalty"
        else:
            choice = choose_penalty(model, design)
            reason = f"{why}; chosen by run-grouped CV" if choice else f"{why}; under 3 runs, no CV"
    params = model.get_params()
    if choice is not None:
        model.set_params(penalty=choice.penalty, alpha=choice.alpha)
    bridged = None
    try:
        with warnings.catch_warnings():
            # The estimator names equations by position; fit_traces warns with the labels.
            warnings.simplefilter("ignore", ConvergenceWarning)
            weight = design.fit_weight(given=given)
            model.fit(design.X, design.y, sample_weight=weight)
            if isinstance(design.method, Midpoint) and design.method.bridge:
                spec = design.method
                bridged = refit_bridged(model, design, spec.bridge, weight, tol=spec.tol)
                design = bridged.design
                if choice is not None:
                    # The CV chose the penalty for the midpoint regressors; choose it again
                    # for the bridged ones, the regression actually solved, and settle again
                    # (from a model already near its fixed point: half the iterations).
                    choice = choose_penalty(model, design) or choice
                    model.set_params(alpha=choice.alpha)
                    again = refit_bridged(model, design, max(1, spec.bridge // 2), weight,
                                          tol=spec.tol)  # fmt: skip
                    total = bridged.iterations + again.iterations
                    bridged, design = dataclasses.replace(again, iterations=total), again.design
                    reason += " (again on the integral-matching regressors)"
    finally:
        model.set_params(penalty=params["penalty"], alpha=params["alpha"])
    name = choice.penalty if choice else ("ols" if params["penalty"] is None else params["penalty"])
    model.derivative_ = design.derivative
    model.derivative_reason_ = design.derivative_reason
    model.bridge_iterations_ = 0 if bridged is None else bridged.iterations
    model.bridge_change_ = None if bridged is None else bridged.change
    model.n_samples_ = used
    model.zeros_dropped_ = design.dropped_zero
    model.missing_dropped_ = design.dropped_missing
    model.penalty_ = name
    model.alpha_ = choice.alpha if choice else (0.0 if name == "ols" else float(params["alpha"]))
    model.penalty_reason_ = reason
    model.cv_alphas_ = None if choice is None else choice.alphas
    model.cv_scores_ = None if choice is None else choice.scores
    raw = coefficient_stderr(model, design)
    stderr = np.where(np.isnan(raw), np.inf, raw)  # NaN: too few samples, undetermined
    matrix = model.interaction_matrix_ if isinstance(model, LotkaVolterra) else model.A_
    model.interaction_stderr_ = stderr
    model.signs_determined_ = np.abs(matrix) > 2.0 * stderr
    size = float(np.sqrt(np.mean(matrix**2)))
    spread = float(np.median(stderr)) / size if size > 0 else np.inf
    # Long traces have their own conditioning checks (check_conditioning); on short series
    # the standard errors are what tells an identified matrix from a penalty's guess.
    if isinstance(design.method, Midpoint) and spread > MAX_RELATIVE_STDERR:
        determined = 100 * float(model.signs_determined_.mean())
        warnings.warn(
            "ill-conditioned fit: the data do not identify the interaction matrix: the median "
            f"standard error of its entries is {spread:.2g} times their RMS size, and only "
            f"{determined:.1f}% of them are more than two standard errors from zero "
            "(`signs_determined_`); the other signs are not determined by the data. Pool "
            "more runs or samples per run, or constrain the model (`support`, `sign`).",
            IllConditionedWarning,
            stacklevel=3,
        )


def _refine_in_place(
    model: AbstractODEModel,
    ds: xr.Dataset,
    *,
    window: Window,
    runs: Any,
    time: str,
    options: dict[str, Any] | None,
) -> None:
    """Replace the derivative fit's parameters by the pooled multiple-shooting fit."""
    options = {} if options is None else dict(options)
    if "runs" in options or "window" in options or "time" in options:
        raise ValueError("`trajectory` must not repeat `runs`, `window` or `time`; pass them once.")
    refined = refine_trajectories(model, ds, runs=runs, window=window, time=time, **options)
    if isinstance(model, LotkaVolterra):
        model.growth_rates_ = refined.growth_rates_
        model.interaction_matrix_ = refined.interaction_matrix_
    else:
        model.A_, model.b_ = refined.A_, refined.b_
    model.refine_cost_ = refined.refine_cost_
    model.refine_converged_ = refined.refine_converged_
