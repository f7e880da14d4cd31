"""The models that predict an intervention's outcome before the perturbed runs are read.

Used by `lvdyn.producers.modadd_interventions` (its docstring says what each predicts):
`Predictors` (the per-run competition model and a Lotka-Volterra model fitted on one
control), `Ecology` (`lvdyn.MeanFieldLV` with the control's growth rates and prefix state)
and `shared_ecology` (the shared mean-field parameters of a study).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from lvdyn.analysis._survivors import predict_survivors
from lvdyn.core._errors import DivergenceWarning, FitError
from lvdyn.fitting._fitting import fit_traces
from lvdyn.models import LotkaVolterra, MeanFieldLV
from lvdyn.prediction._mean_field import (
    MeanFieldRangeWarning,
    fit_mean_field,
    prefix_growth_model,
    shipped_mean_field,
)
from lvdyn.producers._mean_field import MeanField
from lvdyn.producers._mean_field import fit_mean_field as fit_run_mean_field

__all__ = ["Ecology", "Predictors", "shared_ecology", "two_x_mean_rule"]


def two_x_mean_rule(final: np.ndarray, dc: float, p: int) -> np.ndarray:
    """The 2x-mean rule on a state of the circles k = 1..p//2 (p odd), DC row given."""
    return np.asarray(final > 2 * (dc + 2 * final.sum()) / p)


@dataclass
class Predictors:
    """The models fitted on one control run (None where a fit failed)."""

    mean_field: MeanField | None
    lv: LotkaVolterra | None
    dc: float
    p: int

    @classmethod
    def fit(cls, control: xr.Dataset, early: int, window: int) -> Predictors:
        p = int(control.p.values[0])
        dc = float(control.dc_strength.isel(step=-1).values[0])
        strength = control.strength.values[0]
        try:
            mean_field: MeanField | None = fit_run_mean_field(
                strength, p=p, dc=dc, early=early, window=window
            )
        except ValueError:
            mean_field = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lv: LotkaVolterra | None = fit_traces(
                    LotkaVolterra(), control, window=(0, window), derivative="forward"
                )
        except (FitError, ValueError):
            lv = None
        return cls(mean_field, lv, dc, p)

    def simulated(self, s0: np.ndarray, steps: int) -> dict[str, np.ndarray | None]:
        """Survivors each model predicts at ``steps`` from ``s0``."""
        out: dict[str, np.ndarray | None] = {"mean_field": None, "lv": None}
        if self.mean_field is not None:
            out["mean_field"] = self.mean_field.survivors(s0, steps)
        if self.lv is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    final = self.lv.simulate(s0, int(steps), on_divergence="nan")[-1]
                except (FitError, ValueError, DivergenceWarning):
                    final = np.full(s0.shape, np.nan)
            finite = bool(np.all(np.isfinite(final)))
            out["lv"] = two_x_mean_rule(final, self.dc, self.p) if finite else None
        return out

    def invasion_entrants(self, removed: int) -> np.ndarray | None:
        """Components in the LV saturated equilibrium without ``removed`` but not with it
        (the circles whose invasion rate turns positive when ``removed`` is gone)."""
        if self.lv is None:
            return None
        r, A = self.lv.growth_rates_, self.lv.interaction_matrix_
        keep = np.arange(r.size) != removed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                full = predict_survivors(self.lv)
                sub = predict_survivors(LotkaVolterra.from_params(r[keep], A[np.ix_(keep, keep)]))
        except (FitError, ValueError):
            return None
        entrants = np.zeros(r.size, dtype=bool)
        entrants[keep] = sub & ~full[keep]
        return entrants


@dataclass
class Ecology:
    """`lvdyn.MeanFieldLV` for one control: its growth rates and its state at the prefix."""

    model: MeanFieldLV
    state: np.ndarray  # the control's strengths at the prefix
    start: np.ndarray  # the control's strengths at step 0
    dc: float
    p: int

    @classmethod
    def fit(cls, shared: MeanFieldLV, control: xr.Dataset, last: int) -> Ecology:
        strength = control.strength.values[0]
        return cls(prefix_growth_model(shared, control, last), strength[last], strength[0],
                   float(control.dc_strength.isel(step=-1).values[0]),
                   int(control.p.values[0]))  # fmt: skip

    def survivors(self, s0: np.ndarray) -> np.ndarray:
        """Survivors from the perturbed start ``s0``: each circle's change at step 0 carried
        to the prefix as the same factor."""
        factor = np.divide(s0, self.start, out=np.ones_like(s0), where=self.start > 0)
        final = self.model.equilibrium(self.state * factor)
        return two_x_mean_rule(final, self.dc, self.p)


def shared_ecology(controls: xr.Dataset) -> MeanFieldLV:
    """Shared mean-field parameters for a study: shipped when its settings match them,
    otherwise fitted on the controls (thinned to at most ~600 logged steps)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MeanFieldRangeWarning)
        shipped = shipped_mean_field(controls)
    if not any(issubclass(w.category, MeanFieldRangeWarning) for w in caught):
        return shipped
    stride = max(1, controls.sizes["step"] // 600)
    return fit_mean_field(controls.isel(step=slice(None, None, stride)))
