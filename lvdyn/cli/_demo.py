"""``lvdyn demo``: the main job, from nothing to an analysed competition and a report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from lvdyn.cli._app import Command, app
from lvdyn.cli._train import ThreadsOption


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
            help="Number of runs, seeds 0..N-1 (default 8). A count, where `lvdyn train "
            "--seeds` takes a list such as 0-7."
        ),
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps (default 1500).")] = None,
    threads: ThreadsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Train modular-addition runs, fit linear, Lotka-Volterra and SINDy models, predict the
    survivors from early training, and write figures and an HTML report.

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
        summary = {
            "traces": str(result.traces_path),
            "report": str(result.report_path),
            "models": result.model_scores,
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
    table = Table(title="Fitted models")
    for column in result.model_scores[0]:
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in result.model_scores:
        table.add_row(*[score_cell(v) for v in row.values()])
    console.print(table)
    console.print(
        "[bold]Lotka-Volterra among the survivors of the first run[/bold] (a separate fit: "
        "run 0 only, its surviving circles only, A_ii <= 0; the pooled fits are in "
        f"{result.traces_path.parent / 'models'})",
        soft_wrap=True,
    )
    for line in result.lv_equations:
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    pred = result.predicted_at_prefix
    table = Table(
        title=f"Survivors predicted at step {result.prefix} "
        f"({pred.attrs.get('method')}) against the actual ones"
    )
    for column in ("run", "predicted", "actual", "F1"):
        table.add_column(column)
    labels = result.survivors.component.values
    for r in result.survivors.run.values:
        p_set = set(labels[pred.sel(run=r).values].tolist())
        a_set = set(labels[result.survivors.sel(run=r).values].tolist())
        f1 = (
            f"{2 * len(p_set & a_set) / (len(p_set) + len(a_set)):.2f}" if p_set or a_set else "n/a"
        )
        table.add_row(str(r), str(sorted(p_set)), str(sorted(a_set)), f1)
    console.print(table)
    console.print(f"F1 by method and prefix:\n{result.prediction.f1_mean.to_pandas().round(2)}")
    console.print(f"Traces: {result.traces_path}\nReport: {result.report_path}")
