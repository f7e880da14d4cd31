"""The main job behind ``lvdyn demo``: train, save, fit, analyse, predict, plot, report.

Everything here calls lvdyn's public functions; the CLI only prints what this returns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from lvdyn.app._report import ReportSection, write_report
from lvdyn.app._report_sections import prediction_section, save_figures, traces_section
from lvdyn.core._atomic import ensure_folder

if TYPE_CHECKING:
    from lvdyn.app._forecast import MeanFieldForecast
    from lvdyn.models import AbstractODEModel
from lvdyn.fitting._scores import score_traces
from lvdyn.traces._io import save_traces

__all__ = ["DemoResult", "DemoSettings", "run_demo"]


@dataclass(frozen=True)
class DemoSettings:
    """Size of the demo. The defaults are the paper's model (p = 59, d = 128) with 8 seeds.

    The seeds are ``first_seed, first_seed + 1, ...``: from 1000, none is among the seeds
    (0-15) of the runs the shipped mean-field coefficients were fitted on, so the demo's
    runs are held out from them.
    """

    p: int = 59
    d_embed: int = 128
    seeds: int = 8
    first_seed: int = 1000
    steps: int = 1500
    log_every: int = 5
    fit_window: int = 1000

    @classmethod
    def quick(cls) -> DemoSettings:
        """A small version for tests and a first look (seconds, not minutes)."""
        return cls(p=23, d_embed=32, seeds=6, steps=1200, log_every=4, fit_window=600)


@dataclass
class DemoResult:
    """What the demo computed; the CLI prints it and the report shows it."""

    traces_path: Path
    report_path: Path
    model_scores: list[dict[str, Any]]
    forecast: MeanFieldForecast
    survivors: xr.DataArray
    prediction: xr.Dataset
    figures: dict[str, Path] = field(default_factory=dict)


def _scores(
    name: str, model: AbstractODEModel, window: xr.Dataset, ds: xr.Dataset, position: int
) -> dict[str, Any]:
    """One row of the demo's model table: `score_traces` on the fitted window (simulated
    from each run's first state), and the pooled R^2 simulated from the prefix at step
    position ``position`` of ``ds`` to the end."""
    from lvdyn.app._forecast import prefix_r2

    scores = score_traces(model, window)
    return {
        "model": name,
        "parameters": int(scores.n_parameters),
        "derivative R2": float(scores.r2_derivative_pooled),
        "trajectory R2": float(scores.r2_trajectory_pooled),  # -inf where a run blew up
        "R2 from prefix": prefix_r2(model, ds, position),
        "AIC": float(scores.aic),
    }


def score_cell(value: Any) -> str:
    """A score for a table: 4 significant digits; a diverged simulation's -inf R^2 says so.

    Examples
    --------
    >>> score_cell(0.123456), score_cell(float("-inf")), score_cell(float("nan")), score_cell(3)
    ('0.1235', 'diverged', 'n/a', '3')
    """
    if not isinstance(value, float):
        return str(value)
    if value == float("-inf"):
        return "diverged"
    return f"{value:.4g}" if np.isfinite(value) else "n/a"


def run_demo(
    out: str | Path,
    settings: DemoSettings | None = None,
    progress: bool | None = None,
    threads: int | None = None,
) -> DemoResult:
    """Run the whole demo and write ``traces.nc``, figures and ``report.html`` into ``out``.

    ``threads`` is passed to `lvdyn.producers.modadd.train` (default: every available core).
    """
    from lvdyn.app._forecast import forecast_mean_field, write_forecast
    from lvdyn.app._forecast_text import forecast_row
    from lvdyn.fitting import fit_traces, save_model
    from lvdyn.models import LinearODE, LotkaVolterra, SINDy
    from lvdyn.prediction import evaluate_survival_prediction
    from lvdyn.producers import modadd
    from lvdyn.traces import survivors

    settings = settings or DemoSettings()
    folder = ensure_folder(out, argument="--out")
    ds = modadd.train(
        p=settings.p,
        d_embed=settings.d_embed,
        steps=settings.steps,
        seeds=list(range(settings.first_seed, settings.first_seed + settings.seeds)),
        log_every=settings.log_every,
        snapshot_steps=[0, settings.steps],
        progress=progress,
        threads=threads,
    )
    traces_path = save_traces(ds, folder / "traces.nc")
    actual = survivors(ds)

    window = ds.sel(step=slice(0, settings.fit_window))
    linear = fit_traces(LinearODE(), window)
    # dissipative (A + A^T negative definite): bounded simulations, one stable equilibrium
    lv = fit_traces(
        LotkaVolterra(penalty="ridge", alpha=1e-6, diagonal="nonpositive", stability="dissipative"),
        window,
    )
    sindy = fit_traces(
        SINDy(library="lotka_volterra", threshold=1e-5, alpha=1e-4, normalize_columns=True),
        window,
    )
    models_folder = ensure_folder(folder / "models", argument="--out")
    for name, fitted in (("linear", linear), ("lv", lv), ("sindy", sindy)):
        save_model(fitted, models_folder / f"{name}.nc")
    forecast = forecast_mean_field(ds, actual=actual)
    write_forecast(forecast, models_folder / "mean_field.json")
    scores = [
        forecast_row(forecast),
        _scores("linear  dx/dt = A x + b", linear, window, ds, forecast.position),
        _scores("Lotka-Volterra (dissipative)", lv, window, ds, forecast.position),
        _scores("SINDy (LV library)", sindy, window, ds, forecast.position),
    ]

    run0 = ds.run.values[0]
    keep = np.flatnonzero(actual.sel(run=run0).values)
    if keep.size < 2:  # too few survivors to show on circles: take the 3 strongest
        keep = np.sort(np.argsort(-ds.strength.sel(run=run0).isel(step=-1).values)[:3])

    prefixes = sorted(
        {max(settings.log_every * 3, int(f * settings.steps)) for f in (0.05, 0.1, 0.2, 0.4)}
    )
    methods = [
        "last-value",
        "signal",
        "gradient",
        "growth",
        "classifier",
        "lv-equilibrium",
        "mean-field",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prediction = evaluate_survival_prediction(
            ds, prefixes, methods, n_folds=min(4, settings.seeds)
        )

    from lvdyn.app import _figures

    draw = {
        "traces": lambda: _figures.traces_figure(
            ds,
            run=run0,
            survivors=actual,
            title=f"Circle strengths S_k, run {run0} (p={settings.p}); survivors in colour",
        ),
        "fit": lambda: _figures.forecast_figure(ds, forecast),
        "interactions": lambda: _figures.interactions_figure(
            lv,
            labels=list(ds.component.values),
            title="Lotka-Volterra interaction matrix (all runs pooled)",
        ),
        "spectrum": lambda: _figures.spectrum_figure(linear),
    }
    if "embedding" in ds:
        draw["circles"] = lambda: _figures.circles_figure(
            ds,
            run=run0,
            frequencies=ds.component.values[keep][:4],
            title=f"Final embedding of run {run0} on its surviving frequencies",
        )
    draw["prediction"] = lambda: _figures.prediction_figure(prediction)
    figures = save_figures(folder, draw)

    report = write_report(
        folder / "report.html",
        title="lvdyn demo: competing circles",
        sections=_sections(ds, actual, scores, forecast, prediction, figures, settings),
    )
    return DemoResult(traces_path, report, scores, forecast, actual, prediction, figures)


def _sections(
    ds: xr.Dataset,
    actual: xr.DataArray,
    scores: list[dict[str, Any]],
    forecast: MeanFieldForecast,
    prediction: xr.Dataset,
    figures: dict[str, Path],
    settings: DemoSettings,
) -> list[ReportSection]:
    from lvdyn.app._forecast_text import forecast_sections

    return [
        traces_section(
            ds,
            figures,
            title="Training",
            survivors=actual,
            intro=[
                (
                    f"{ds.sizes['run']} modular-addition runs, p = {settings.p}, "
                    f"d = {settings.d_embed}, {settings.steps} full-batch AdamW steps "
                    "(the paper's MLP and optimiser). The strength of frequency k is "
                    "S_k = ||Σ_t E_t exp(-2πikt/p)||."
                )
            ],
        ),
        *forecast_sections(forecast, figures["fit"]),
        ReportSection(
            "Models compared",
            paragraphs=[
                (
                    f"The first row is the mean-field model above: 5 shared parameters and "
                    f"{ds.sizes['component']} growth rates per run, read from the run's own "
                    f"first {forecast.step} steps, on runs it was not fitted on. The other rows "
                    f"are fitted to steps 0-{settings.fit_window} of all runs pooled, one "
                    "coefficient per label. Trajectory R²: simulated from each run's first "
                    f"state over steps 0-{settings.fit_window} (in-sample). R² from prefix: "
                    f"simulated from each run's state at step {forecast.step} to the end of "
                    f"training (step {int(ds.step.values[-1])}), the mean-field model's task. "
                    "Both as in lvdyn.score_traces: pooled over runs, each circle centred on "
                    "its own mean; 'diverged' where a simulation blows up."
                ),
                (
                    "The pooled fits are saved beside this page as models/linear.nc, "
                    "models/lv.nc and models/sindy.nc (lvdyn analyze reads them; the "
                    "Lotka-Volterra fit is lvdyn fit --model lv --penalty ridge --alpha 1e-6 "
                    "--diagonal nonpositive --stability dissipative), and the mean-field "
                    "parameters and each run's growth rates as models/mean_field.json."
                ),
            ],
            tables=[
                (
                    list(scores[0]),
                    [[score_cell(v) for v in row.values()] for row in scores],
                )
            ],
            figures=[
                (
                    figures["interactions"],
                    (
                        "Interaction matrix A of the pooled Lotka-Volterra fit (one row per label, "
                        "although labels carry no identity across runs)"
                    ),
                ),
                (figures["spectrum"], "Spectrum of the linear model"),
            ],
        ),
        prediction_section(prediction, figures["prediction"]),
    ]
