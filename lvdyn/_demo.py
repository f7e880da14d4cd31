"""The main job behind ``lvdyn demo``: train, save, fit, analyse, predict, plot, report.

Everything here calls lvdyn's public functions; the CLI only prints what this returns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lvdyn._atomic import ensure_folder
from lvdyn._io import save_traces
from lvdyn._prediction import predict_leave_one_run_out
from lvdyn._report import ReportSection, write_report
from lvdyn._scores import score_traces

__all__ = ["DemoResult", "DemoSettings", "run_demo"]


@dataclass(frozen=True)
class DemoSettings:
    """Size of the demo. The defaults are the paper's model (p = 59, d = 128) with 8 seeds."""

    p: int = 59
    d_embed: int = 128
    seeds: int = 8
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
    lv_equations: list[str]
    survivors: xr.DataArray
    prediction: xr.Dataset
    predicted_at_prefix: xr.DataArray
    prefix: int
    figures: dict[str, Path] = field(default_factory=dict)


def _scores(name: str, model: Any, ds: xr.Dataset) -> dict[str, Any]:
    """One row of the demo's model table, from `score_traces` on the fitted window."""
    scores = score_traces(model, ds)
    return {
        "model": name,
        "parameters": int(scores.n_parameters),
        "derivative R2": float(scores.r2_derivative_pooled),
        "trajectory R2": float(scores.r2_trajectory_pooled),  # -inf where a run blew up
        "AIC": float(scores.aic),
    }


def run_demo(
    out: str | Path, settings: DemoSettings | None = None, progress: bool | None = None
) -> DemoResult:
    """Run the whole demo and write ``traces.nc``, figures and ``report.html`` into ``out``."""
    import lvdyn
    from lvdyn import plots
    from lvdyn.producers import modadd

    settings = settings or DemoSettings()
    folder = ensure_folder(out, argument="--out")
    ds = modadd.train(
        p=settings.p,
        d_embed=settings.d_embed,
        steps=settings.steps,
        seeds=list(range(settings.seeds)),
        log_every=settings.log_every,
        snapshot_steps=[0, settings.steps],
        progress=progress,
    )
    traces_path = save_traces(ds, folder / "traces.nc")
    actual = lvdyn.survivors(ds)

    window = ds.sel(step=slice(0, settings.fit_window))
    linear = lvdyn.fit_traces(lvdyn.LinearODE(), window)
    lv = lvdyn.fit_traces(
        lvdyn.LotkaVolterra(penalty="ridge", alpha=1e-6, diagonal="nonpositive"), window
    )
    sindy = lvdyn.fit_traces(
        lvdyn.SINDy(library="lotka_volterra", threshold=1e-5, alpha=1e-4, normalize_columns=True),
        window,
    )
    scores = [
        _scores("linear  dx/dt = A x + b", linear, window),
        _scores("Lotka-Volterra", lv, window),
        _scores("SINDy (LV library)", sindy, window),
    ]

    run0 = ds.run.values[0]
    keep = np.flatnonzero(actual.sel(run=run0).values)
    if keep.size < 2:  # too few survivors to show an interaction: take the 3 strongest
        keep = np.sort(np.argsort(-ds.strength.sel(run=run0).isel(step=-1).values)[:3])
    reduced = window.sel(run=[run0]).isel(component=keep)
    small_lv = lvdyn.fit_traces(lvdyn.LotkaVolterra(diagonal="nonpositive"), reduced)
    labels = [f"S{k}" for k in reduced.component.values]
    from lvdyn.symbolic import equations

    lv_equations = equations(small_lv, precision=3, labels=labels)

    prefixes = sorted(
        {max(settings.log_every * 3, int(f * settings.steps)) for f in (0.05, 0.1, 0.2, 0.4)}
    )
    methods = ["last-value", "signal", "gradient", "growth", "classifier", "lv-equilibrium"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prediction = lvdyn.evaluate_survival_prediction(
            ds, prefixes, methods, n_folds=min(4, settings.seeds)
        )
        chosen = prefixes[1] if len(prefixes) > 1 else prefixes[0]
        best = str(prediction.f1_mean.sel(prefix=chosen).idxmax("predictor").values)
        predicted = predict_leave_one_run_out(ds, chosen, best)

    figures: dict[str, Path] = {}

    def save(name: str, fig: Any) -> None:
        figures[name] = plots.save_figure(fig, folder / name)[0]

    save(
        "traces",
        plots.plot_traces(
            ds,
            run=run0,
            survivors=actual.sel(run=run0).values,
            title=f"Circle strengths S_k, run {run0} (p={settings.p})",
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        simulated = lvdyn.simulate_traces(linear, window)
    top = list(ds.component.values[np.argsort(-ds.strength.isel(run=0, step=-1).values)[:8]])
    save(
        "fit",
        plots.plot_fit(
            window,
            simulated,
            run=run0,
            components=top,
            title="Linear ODE fit (lines) against the traces (points)",
        ),
    )
    save(
        "interactions",
        plots.plot_interactions(
            lv.interaction_matrix_,
            labels=list(ds.component.values),
            title="Lotka-Volterra interaction matrix (all runs pooled)",
        ),
    )
    save(
        "spectrum",
        plots.plot_spectrum(
            np.linalg.eigvals(linear.A_), title="Eigenvalues of the linear model's A"
        ),
    )
    if "embedding" in ds:
        final = ds.embedding.sel(run=run0).isel(snapshot_step=-1).values
        save(
            "circles",
            plots.plot_circles(
                final,
                ds.component.values[keep][:4],
                title=f"Final embedding of run {run0} on its surviving frequencies",
            ),
        )
    save("prediction", plots.plot_prediction_scores(prediction))

    report = write_report(
        folder / "report.html",
        title="lvdyn demo: competing circles",
        sections=_sections(ds, actual, scores, lv_equations, prediction, figures, settings),
    )
    return DemoResult(
        traces_path, report, scores, lv_equations, actual, prediction, predicted, chosen, figures
    )


def _sections(
    ds: xr.Dataset,
    actual: xr.DataArray,
    scores: list[dict[str, Any]],
    lv_equations: list[str],
    prediction: xr.Dataset,
    figures: dict[str, Path],
    settings: DemoSettings,
) -> list[ReportSection]:
    runs = [
        [str(r), ", ".join(str(k) for k in ds.component.values[actual.sel(run=r).values])]
        for r in ds.run.values
    ]
    f1 = prediction.f1_mean.to_pandas()
    return [
        ReportSection(
            "Training",
            paragraphs=[
                (
                    f"{ds.sizes['run']} modular-addition runs, p = {settings.p}, "
                    f"d = {settings.d_embed}, {settings.steps} full-batch AdamW steps "
                    "(the paper's MLP and optimiser). The strength of frequency k is "
                    "S_k = ||Σ_t E_t exp(-2πikt/p)||."
                )
            ],
            tables=[(["run", "surviving frequencies (S_k > 2 × mean)"], runs)],
            figures=[(figures["traces"], "Strength of every circle; survivors in colour")]
            + (
                [(figures["circles"], "Tokens on the planes of the surviving frequencies")]
                if "circles" in figures
                else []
            ),
        ),
        ReportSection(
            f"Fitted models (steps 0-{settings.fit_window}, runs pooled)",
            tables=[
                (
                    list(scores[0]),
                    [
                        [f"{v:.4g}" if isinstance(v, float) else v for v in row.values()]
                        for row in scores
                    ],
                )
            ],
            figures=[
                (figures["fit"], "Linear model simulated from each run's first state"),
                (figures["interactions"], "Interaction matrix A of the Lotka-Volterra fit"),
                (figures["spectrum"], "Spectrum of the linear model"),
            ],
        ),
        ReportSection(
            "Lotka-Volterra among the surviving circles of the first run",
            preformatted=["\n".join(lv_equations)],
        ),
        ReportSection(
            "Predicting the survivors from early training",
            paragraphs=[
                (
                    "F1 per method and prefix (mean over runs; trained methods are "
                    "cross-validated over runs)."
                )
            ],
            tables=[
                (
                    ["method", *[str(c) for c in f1.columns]],
                    [[i, *[f"{v:.2f}" for v in row]] for i, row in f1.iterrows()],
                )
            ],
            figures=[(figures["prediction"], "F1 against prefix length")],
        ),
    ]
