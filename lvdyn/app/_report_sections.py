"""The sections of an HTML report, shared by `lvdyn demo` and `lvdyn report`.

`save_figures` draws figures into the report's folder (PNG, embedded in the page, and SVG,
linked beside it); the ``*_section`` functions turn traces, fitted models and prediction
scores into `ReportSection` objects for `lvdyn.app._report.write_report`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from lvdyn.app._report import ReportSection

if TYPE_CHECKING:
    from lvdyn.models import AbstractODEModel

__all__ = [
    "model_section",
    "prediction_section",
    "save_figures",
    "traces_section",
]


def save_figures(
    folder: str | os.PathLike[str], draw: Mapping[str, Callable[[], Any]]
) -> dict[str, Path]:
    """Call each drawing function and save its figure as ``folder/<name>.png`` and ``.svg``.

    Returns the PNG path of each name, in the order of ``draw``.
    """
    from lvdyn.plots import save_figure

    return {name: save_figure(make(), Path(folder) / name)[0] for name, make in draw.items()}


def _format(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "nan" if not np.isfinite(value) else f"{float(value):.4g}"
    return str(value)


def traces_section(
    ds: xr.Dataset,
    figures: Mapping[str, Path],
    *,
    title: str = "Traces",
    survivors: xr.DataArray | None = None,
    intro: Sequence[str] = (),
) -> ReportSection:
    """What the traces hold, the survivors of each run, and the ``traces`` and ``circles``
    figures when ``figures`` has them."""
    from lvdyn.traces._survival import survivors as read_survivors

    actual = read_survivors(ds) if survivors is None else survivors
    steps = ds.step.values
    summary = (
        f"{ds.sizes['run']} runs, {ds.sizes['step']} logged steps ({steps[0]} to {steps[-1]}), "
        f"{ds.sizes['component']} components; source: {ds.attrs.get('source', 'unknown')}."
    )
    header = ["run", f"surviving components ({actual.attrs.get('criterion', 'given')})"]
    rows = [
        [str(r), ", ".join(str(k) for k in ds.component.values[actual.sel(run=r).values]) or "none"]
        for r in ds.run.values
    ]
    if ds.sizes["component"] <= 10:  # few components: show the final strengths themselves
        header.append("final strength per component")
        final = ds.strength.isel(step=-1).values
        for row, values in zip(rows, final, strict=True):
            row.append(
                ", ".join(f"{k}: {v:.3g}" for k, v in zip(ds.component.values, values, strict=True))
            )
    captions = {
        "traces": "Strength of every component over training",
        "circles": "Tokens on the planes of the surviving frequencies",
    }
    return ReportSection(
        title,
        paragraphs=[*intro, summary],
        tables=[(header, rows)],
        figures=[(figures[name], caption) for name, caption in captions.items() if name in figures],
    )


def model_section(
    name: str,
    model: AbstractODEModel,
    ds: xr.Dataset | None,
    figures: Mapping[str, Path],
    *,
    time: str = "step",
    window: tuple[int | None, int | None] | None = None,
    precision: int = 3,
) -> ReportSection:
    """A fitted model: its equations, where it settles, how well it fits ``ds`` (if given;
    on the steps of ``window``), and the ``fit``, ``interactions`` and ``spectrum`` figures
    that ``figures`` has."""
    from lvdyn.app._model_summary import summarize_model

    summary = summarize_model(model, precision=precision)
    rows: list[list[str]] = [
        ["model", summary.model],
        ["where it settles", summary.equilibria_status],
        ["stability there", str(summary.stability)],
        ["largest real part of the Jacobian's eigenvalues", _format(summary.max_real_eigenvalue)],
        ["predicted survivors", str(summary.survivors)],
    ]
    if ds is not None:
        from lvdyn.core._errors import FitError
        from lvdyn.fitting._scores import score_traces

        try:
            scores = score_traces(model, ds, time=time, window=window, simulate=False)
        except (FitError, ValueError) as exc:  # e.g. LV on states <= 0 outside the fit window
            rows.append(["fit to the traces", f"not scored: {exc}"])
            scores = None
    if ds is not None and scores is not None:
        rows += [
            ["parameters", _format(int(scores.n_parameters))],
            [
                "R² of the derivatives (all runs pooled)",
                _format(float(scores.r2_derivative_pooled)),
            ],
            ["AIC", _format(float(scores.aic))],
        ]
    captions = {
        "fit": "The model simulated from the first state of the run (lines) against the traces",
        "interactions": "Interaction matrix",
        "spectrum": "Eigenvalues of the Jacobian",
    }
    return ReportSection(
        name,
        tables=[(["quantity", "value"], rows)],
        preformatted=["\n".join(summary.equations)],
        figures=[(figures[key], caption) for key, caption in captions.items() if key in figures],
    )


def prediction_section(prediction: xr.Dataset, figure: Path | None) -> ReportSection:
    """F1 per survival predictor and prefix (from `lvdyn.evaluate_survival_prediction`)."""
    f1 = prediction.f1_mean.to_pandas()
    return ReportSection(
        "Predicting the survivors from early training",
        paragraphs=[
            (
                "F1 per method and prefix (mean over runs; trained methods are "
                "cross-validated over runs; n/a where no run has a survivor, predicted or "
                f"actual). Survival rule: {prediction.attrs.get('rule', '?')}."
            )
        ],
        tables=[
            (
                ["method", *[str(c) for c in f1.columns]],
                [
                    [i, *[f"{v:.2f}" if np.isfinite(v) else "n/a" for v in row]]
                    for i, row in f1.iterrows()
                ],
            )
        ],
        figures=[(figure, "F1 against prefix length")] if figure is not None else [],
    )


def traces_report(
    folder: str | os.PathLike[str],
    ds: xr.Dataset,
    models: Mapping[str, Any] | None = None,
    *,
    title: str = "lvdyn report",
    run: Any = None,
    time: str | None = None,
    window: tuple[int | None, int | None] | None = None,
    prefixes: Sequence[int] = (),
    methods: Sequence[str] | None = None,
    rule: str | None = None,
    value: float | None = None,
    status: Callable[[str], None] = lambda _: None,
) -> Path:
    """Write ``folder/report.html`` about ``ds`` and the fitted ``models`` (name -> model).

    The figures are written beside the page (PNG embedded in it, SVG linked). The models
    are scored and simulated on the steps of ``window`` (first, last) and the ``time`` axis,
    by default those stored with each fit (`lvdyn.FitSettingsWarning` when told others). With
    ``prefixes``, a section scores survival predictors (``methods``, default all) at those
    prefix lengths. ``rule`` and ``value`` choose the survival rule (default: the traces'
    own, see `lvdyn.survivors`). ``status`` is told what is being done (for a progress
    display).
    """
    from lvdyn.analysis._models import family
    from lvdyn.app import _figures
    from lvdyn.app._report import write_report
    from lvdyn.core._atomic import ensure_folder
    from lvdyn.fitting._provenance import fit_settings
    from lvdyn.traces._survival import survivors as read_survivors

    target = ensure_folder(folder, argument="--out")
    status("drawing the traces")
    actual = read_survivors(ds, rule, value=value)
    draw: dict[str, Callable[[], Any]] = {
        "traces": lambda: _figures.traces_figure(ds, run=run, rule=rule, value=value)
    }
    if "embedding" in ds:
        draw["circles"] = lambda: _figures.circles_figure(ds, run=run, rule=rule, value=value)
    sections = [traces_section(ds, save_figures(target, draw), survivors=actual)]
    for name, model in (models or {}).items():
        status(f"analysing {name}")
        fitted_window, fitted_time = fit_settings(
            model, window=window, time=time, what=f"the report of {name}"
        )
        draw = {
            "fit": partial(
                _figures.fit_figure, ds, model, run=run, time=fitted_time, window=fitted_window
            )
        }
        if family(model) != "generic":
            draw["interactions"] = partial(_figures.interactions_figure, model)
        draw["spectrum"] = partial(_figures.spectrum_figure, model)
        figures: dict[str, Path] = {}
        for key, make in draw.items():
            try:
                figures.update(save_figures(target, {f"{name}-{key}": make}))
            except ValueError:
                if key == "fit":  # the model does not belong to these traces
                    raise
                continue  # e.g. no finite equilibrium: no spectrum figure
        sections.append(
            model_section(
                f"Model {name}",
                model,
                ds,
                {key: figures[f"{name}-{key}"] for key in draw if f"{name}-{key}" in figures},
                time=fitted_time,
                window=fitted_window,
            )
        )
    if prefixes:
        import warnings

        from lvdyn.prediction._prediction import evaluate_survival_prediction

        status("scoring survival predictions")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small folds warn; the scores say enough
            prediction = evaluate_survival_prediction(
                ds,
                list(prefixes),
                methods,
                n_folds=min(5, ds.sizes["run"]),
                rule=rule,
                value=value,
            )
        figure = save_figures(
            target, {"prediction": lambda: _figures.prediction_figure(prediction)}
        )
        sections.append(prediction_section(prediction, figure["prediction"]))
    status("writing the page")
    return write_report(target / "report.html", title=title, sections=sections)
