"""``lvdyn fit``: fit a model to a traces file and save it as netCDF."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lvdyn.cli._app import Command, app
from lvdyn.core._atomic import check_writable

if TYPE_CHECKING:
    from lvdyn.models import AbstractODEModel


class ModelName(str, Enum):
    """Model choices of ``lvdyn fit``."""

    linear = "linear"
    lv = "lv"
    sindy = "sindy"


def _window(text: str | None) -> tuple[int | None, int | None] | None:
    if text is None:
        return None
    first, sep, last = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return (int(first) if first else None, int(last) if last else None)
    except ValueError:
        raise ValueError(
            f"`--window` must be FIRST:LAST steps (either may be empty), e.g. 0:999; got {text!r}."
        ) from None


def _model(
    name: ModelName, penalty: str | None, alpha: float, threshold: float, diagonal: str | None
) -> AbstractODEModel:
    from lvdyn.models import LinearODE, LotkaVolterra, SINDy

    if name is ModelName.linear:
        return LinearODE(penalty=penalty, alpha=alpha, diagonal=diagonal)
    if name is ModelName.lv:
        return LotkaVolterra(penalty=penalty, alpha=alpha, diagonal=diagonal)
    if diagonal is not None:
        raise ValueError("`--diagonal` constrains linear and lv fits; SINDy has no diagonal.")
    return SINDy(threshold=threshold)


@app.command(cls=Command)
def fit(
    traces: Annotated[Path, typer.Argument(help="Traces file (netCDF).")],
    model: Annotated[ModelName, typer.Option("--model", help="Model to fit.")] = ModelName.lv,
    out: Annotated[Path, typer.Option("--out", help="Where to write the fitted model.")] = Path(
        "model.nc"
    ),
    derivative: Annotated[
        str, typer.Option(help="Derivative method: auto, forward, central, central4, savgol, ...")
    ] = "auto",
    time: Annotated[str, typer.Option(help="'step' or a time coordinate such as 'time'.")] = "step",
    window: Annotated[str | None, typer.Option(help="Steps FIRST:LAST to fit.")] = None,
    penalty: Annotated[
        str | None, typer.Option(help="linear/lv: ridge, lasso or elasticnet.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Regularisation strength.")] = 1.0,
    diagonal: Annotated[
        str | None,
        typer.Option(help="linear/lv: sign of A's diagonal, nonpositive (self-limiting)."),
    ] = None,
    threshold: Annotated[float, typer.Option(help="sindy: STLSQ threshold.")] = 0.1,
    recipe: Annotated[
        str | None, typer.Option(help="Published recipe (ding2024; with --model linear).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Fit a linear, Lotka-Volterra or SINDy model to traces and save it.

    The model file records what the fit was made from (steps, time axis, derivative,
    penalty, source file and checksum); plot and report reuse it. Examples:

        lvdyn fit traces.nc --model lv --window 150: --out model.nc

        lvdyn fit traces.nc --model lv --penalty ridge --alpha 1e-6 --diagonal nonpositive

    Traces with a time coordinate (lvdyn.producers.synthetic writes `time`): --time time.
    """
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from lvdyn.fitting._coefficients import save_model
    from lvdyn.fitting._fitting import fit_traces
    from lvdyn.fitting._scores import score_traces
    from lvdyn.models import LinearODE
    from lvdyn.traces._io import open_traces

    check_writable(out, argument="--out")  # fail before the work, not after it
    ds = open_traces(traces)
    estimator = (
        LinearODE.paper_recipe()
        if recipe is not None and model is ModelName.linear
        else _model(model, penalty, alpha, threshold, diagonal)
    )
    fitted = fit_traces(
        estimator, ds, window=_window(window), derivative=derivative, time=time, recipe=recipe
    )
    scores = score_traces(
        fitted,
        ds,
        window=_window(window) if recipe is None else None,
        derivative=derivative if recipe is None else "forward",
        time=time,
        simulate=False,
    )
    path = save_model(fitted, out, argument="--out")  # last: an error above writes nothing
    per_component = {
        str(c): float(v)
        for c, v in zip(ds.component.values, scores.r2_derivative.values, strict=True)
    }
    summary: dict[str, Any] = {
        "model": type(fitted).__name__,
        "out": str(path),
        "n_samples": int(scores.n_samples),
        "n_parameters": int(scores.n_parameters),
        "r2_derivative": float(scores.r2_derivative_pooled),
        "aic": float(scores.aic),
        "bic": float(scores.bic),
        "r2_derivative_per_component": per_component,
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console(quiet=quiet, soft_wrap=True)
    console.print(f"lvdyn fit: {summary['model']} -> {path}", markup=False, highlight=False)
    table = Table()
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key in ("n_samples", "n_parameters", "r2_derivative", "aic", "bic"):
        value = summary[key]
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)
    per = Table(title="R^2 of the derivatives per component")
    per.add_column("component")
    per.add_column("R^2", justify="right")
    for label, value in per_component.items():
        per.add_row(label, "nan" if np.isnan(value) else f"{value:.4f}")
    console.print(per)
