"""``lvdyn demo``: the main job, from nothing to an analysed competition and a report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lvdyn.cli._app import Command, app
from lvdyn.cli._train import ThreadsOption

if TYPE_CHECKING:
    from rich.console import Console

    from lvdyn.app._demo import DemoResult


def _finite(value: object) -> object:
    """NaN and inf become null, so the output is strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
        return value if math.isfinite(number) else None
    return value


@app.command(cls=Command)
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's files.")] = Path(
        "lvdyn-demo"
    ),
    quick: Annotated[
        bool,
        typer.Option("--quick", help="A small version (p=23, d=32): seconds, not minutes."),
    ] = False,
    seeds: Annotated[
        int | None,
        typer.Option(
            help="Number of runs, seeds 1000..1000+N-1 (default 8; none was used to fit the "
            "shipped mean-field coefficients). A count, where `lvdyn train --seeds` takes a "
            "list such as 0-7."
        ),
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps (default 1500).")] = None,
    threads: ThreadsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Train modular-addition runs, forecast each held-out run from 20 % of training with the
    mean-field competition model, compare it with linear, Lotka-Volterra and SINDy fits,
    score survival predictors, and write figures and an HTML report.

    Examples:

        lvdyn demo                      # the paper's model, 8 seeds, ~3-5 minutes on 2 cores

        lvdyn demo --quick --out /tmp/d # a small version in seconds
    """
    from dataclasses import replace

    from rich.console import Console
    from rich.table import Table

    from lvdyn.app._demo import DemoSettings, run_demo, score_cell

    settings = DemoSettings.quick() if quick else DemoSettings()
    if seeds is not None:
        if seeds < 2:
            raise ValueError(
                f"`--seeds` must be at least 2 (predictions are cross-validated "
                f"over runs); got {seeds}."
            )
        settings = replace(settings, seeds=seeds)
    if steps is not None:
        if steps < 50:
            raise ValueError(f"`--steps` must be at least 50; got {steps}.")
        settings = replace(settings, steps=steps, fit_window=min(settings.fit_window, steps))
    console = Console(quiet=quiet or as_json)
    console.print(
        f"[bold]lvdyn demo[/bold]: training {settings.seeds} run{'s' * (settings.seeds != 1)} "
        f"(p={settings.p}, d={settings.d_embed}, {settings.steps} steps)"
    )
    result = run_demo(
        out, settings, progress=None if not (quiet or as_json) else False, threads=threads
    )
    if as_json:
        from lvdyn.app._forecast import forecast_record

        summary = {
            "traces": str(result.traces_path),
            "report": str(result.report_path),
            "models": result.model_scores,
            "mean_field": forecast_record(result.forecast),
            "survivors": {
                str(r): result.survivors.component.values[
                    result.survivors.sel(run=r).values
                ].tolist()
                for r in result.survivors.run.values
            },
            "prediction_f1": {
                str(m): result.prediction.f1_mean.sel(predictor=m).values.tolist()
                for m in result.prediction.predictor.values
            },
            "prefixes": result.prediction.prefix.values.tolist(),
        }
        print(json.dumps(_finite(summary), allow_nan=False))
        return
    _print_forecast(console, result)
    forecast = result.forecast
    console.print(
        f"[bold]Models compared[/bold]: trajectory R2 simulated from step 0 over the fit window "
        f"(in-sample), R2 from prefix simulated from step {forecast.step} to the end",
        soft_wrap=True,
    )
    table = Table()
    for column in result.model_scores[0]:
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in result.model_scores:
        table.add_row(*[score_cell(v) for v in row.values()])
    console.print(table)
    console.print(f"F1 by method and prefix:\n{result.prediction.f1_mean.to_pandas().round(2)}")
    console.print(
        f"Traces: {result.traces_path}\nModels: {result.traces_path.parent / 'models'}\n"
        f"Report: {result.report_path}"
    )


def _print_forecast(console: Console, result: DemoResult) -> None:
    """The mean-field model: its readout, interaction structure and held-out forecast."""
    from rich.table import Table

    from lvdyn.app import _forecast_text as text

    forecast = result.forecast

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)

    console.print("[bold]The model that holds: mean-field competition[/bold] (lvdyn.MeanFieldLV)")
    say(forecast.description)
    say(f"  {text.GENERAL_FORM}")
    for line in text.parameter_lines(forecast):
        say(f"  {line}")
    say(text.survivors_heading(forecast))
    for line in text.survivor_equations(forecast):
        say(f"  {line}")
    console.print("[bold]Its interaction structure[/bold]")
    for line in text.interaction_lines(forecast):
        say(line)
    header, rows = text.forecast_table(forecast)
    say(
        f"Survivors of each held-out run predicted from step {forecast.step} "
        f"({forecast.fraction:.0%} of the median settle step) against the actual ones, "
        f"mean F1 {forecast.f1_mean:.2f}; R² (run) of the simulation from there to the end:"
    )
    table = Table()
    for column in header:
        table.add_column(column, justify="right" if column in ("F1", "R² (run)") else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)
