"""No silent degenerate fit: warnings `fit_traces` gives after a fit that says nothing.

Three checks, each a warning with the number and the fix:

- the fitted model is all zero (a penalty or SINDy's threshold removed every term), so it
  reads ``dx/dt = 0`` (`DegenerateFitWarning`);
- the model, simulated from the first state of a training run over that run's own steps,
  blows up (`DegenerateFitWarning`);
- many of the selected values are missing (`MissingValuesWarning`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._errors import DegenerateFitWarning, MissingValuesWarning
from lvdyn.fitting._design import Design, trace_times
from lvdyn.models import LinearODE, LotkaVolterra, SINDy
from lvdyn.traces._schema import COMPONENT, RUN, STEP

__all__ = ["MISSING_SHARE", "check_fit"]

#: Warn when more than this share of the selected strengths is missing.
MISSING_SHARE = 0.1
#: Training runs simulated by the divergence check (the first ones).
CHECKED_RUNS = 3
#: A simulation whose norm passes this many times the largest observed strength diverged.
BLOW_UP = 1e3


def _fitted_values(model: Any) -> tuple[np.ndarray, str]:
    if isinstance(model, LotkaVolterra):
        return np.concatenate([model.growth_rates_, model.interaction_matrix_.ravel()]), "r and A"
    if isinstance(model, LinearODE):
        return np.concatenate([model.A_.ravel(), model.b_]), "A and b"
    if isinstance(model, SINDy):
        return np.asarray(model.coef_).ravel(), "terms"
    return np.ones(1), ""


def _zero_fix(model: Any, design: Design) -> str:
    params = model.get_params()
    scale = float(np.nanmax(np.abs(design.y))) if design.y.size else 0.0
    if isinstance(model, SINDy):
        return (
            f"`threshold` {params['threshold']:g} cut every term; the derivatives in these "
            f"traces are at most {scale:.3g} in size, so use a threshold well below that "
            f"(for example threshold={scale / 100:.2g}), or normalize_columns=True"
        )
    if params.get("penalty") in ("lasso", "elasticnet", "ridge"):
        return (
            f"the {params['penalty']} penalty (`alpha` {params['alpha']:g}) removed every "
            "coefficient; use a smaller alpha (lvdyn.regularization_path shows the range)"
        )
    return "the traces may be constant over the window; widen `window`"


def _missing(sub: xr.Dataset, name: str) -> None:
    values = sub["strength"].values
    missing = int(np.isnan(values).sum())
    if values.size and missing / values.size > MISSING_SHARE:
        warnings.warn(
            f"{name}: {missing} of the {values.size} selected strengths "
            f"({100 * missing / values.size:.0f}%) are missing (NaN); every sample with a "
            "missing component was dropped and each gap split a run into separate stretches. "
            "Check the import (lvdyn import reports missing values), or narrow `window` to "
            "the steps that were logged.",
            MissingValuesWarning,
            stacklevel=3,
        )


def _diverging_runs(model: Any, sub: xr.Dataset, time: str) -> list[tuple[Any, float]]:
    strength = sub["strength"].transpose(RUN, STEP, COMPONENT).values
    times = trace_times(sub, time)
    out = []
    for i in range(min(CHECKED_RUNS, strength.shape[0])):
        finite = np.flatnonzero(np.isfinite(strength[i]).all(axis=1))
        if finite.size < 2:
            continue
        scale = float(np.max(np.abs(strength[i, finite]))) or 1.0
        run = model.integrate(
            strength[i, finite[0]],
            times[i, finite[0] : finite[-1] + 1],
            max_norm=BLOW_UP * scale,
            max_evaluations=20_000,
        )
        if run.status == "diverged":
            out.append((sub[RUN].values[i].item(), run.stop_time))
    return out


def check_fit(model: Any, sub: xr.Dataset, design: Design, time: str) -> None:
    """Warn (`DegenerateFitWarning`, `MissingValuesWarning`) about a fit that says nothing."""
    name = type(model).__name__
    _missing(sub, name)
    values, what = _fitted_values(model)
    if what and not np.any(values):
        warnings.warn(
            f"{name}: the fitted model has 0 nonzero {what} of {values.size}, so it reads "
            f"dx/dt = 0 and predicts nothing: {_zero_fix(model, design)}.",
            DegenerateFitWarning,
            stacklevel=3,
        )
        return
    matrix = getattr(model, "interaction_matrix_", getattr(model, "A_", None))
    penalty = model.get_params().get("penalty")
    if matrix is not None and penalty not in (None, "ols") and not np.any(matrix):
        warnings.warn(
            f"{name}: the {penalty} penalty (`alpha` {model.get_params()['alpha']:g}) set all "
            f"{matrix.size} entries of A to zero, so the fit keeps only the constant rates: "
            "use a smaller alpha (lvdyn.regularization_path shows the range).",
            DegenerateFitWarning,
            stacklevel=3,
        )
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        diverged = _diverging_runs(model, sub, time)
    if diverged:
        run, when = diverged[0]
        warnings.warn(
            f"{name}: the fitted model diverges on its own training data: simulated from "
            f"the first state of run {run!r} it blows up at {time} {when:.4g} (and in "
            f"{len(diverged)} of the first {min(CHECKED_RUNS, sub.sizes[RUN])} runs). Its "
            "equations describe the derivatives but not the trajectories; try "
            "diagonal='nonpositive' (self-limitation), a penalty, or another `window`.",
            DegenerateFitWarning,
            stacklevel=3,
        )
