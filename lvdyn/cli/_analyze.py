"""``lvdyn analyze MODEL.nc`` and ``lvdyn predict TRACES.nc --prefix STEPS``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lvdyn.cli._app import Command, app
from lvdyn.cli._inputs import RuleOption, parse_rule


@app.command(cls=Command)
def analyze(
    model_path: Annotated[
        Path, typer.Argument(metavar="MODEL", help="A model file written by `lvdyn fit`.")
    ],
    precision: Annotated[int, typer.Option(help="Significant digits in the equations.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Equations, where the fitted system settles, its stability and its survivors.

    Example: lvdyn fit traces.nc --model lv --out model.nc && lvdyn analyze model.nc
    """
    from rich.console import Console
    from rich.table import Table

    from lvdyn.app._model_summary import summarize_model
    from lvdyn.fitting._coefficients import load_model

    summary = summarize_model(load_model(model_path), precision=precision).as_dict()
    if as_json:
        print(json.dumps(summary))
        return
    console = Console(quiet=quiet, soft_wrap=True)
    console.print(f"[bold]{summary['model']}[/bold] from {model_path}", highlight=False)
    for line in summary["equations"]:
        console.print(f"  {line}", markup=False, highlight=False)
    if summary["symbols"]:
        console.print(f"  symbols: {summary['symbols']}", markup=False, highlight=False)
    info = summary["fit"]
    if info:
        first, last = info["fit_window"]
        console.print(
            f"  fitted on steps {first}..{last} of {info['source_traces']}, rates per "
            f"{info['fit_time']}, derivative {info['fit_derivative']}, penalty "
            f"{info['fit_penalty']}, constraints {info['fit_constraints']}",
            markup=False,
            highlight=False,
        )
    table = Table(title="Where it settles")
    table.add_column("quantity")
    table.add_column("value")
    state = summary["settled_state"]
    pairs = zip(summary["labels"], state or [], strict=False)
    settled = "none" if state is None else ", ".join(f"{k}: {v:.4g}" for k, v in pairs)
    eigenvalue = summary["max_real_eigenvalue"]
    rows = {
        "equilibria status": str(summary["equilibria_status"]),
        "settled state": settled,
        "stability": str(summary["stability"]),
        "max real eigenvalue": "none" if eigenvalue is None else f"{eigenvalue:.4g}",
        "survivors": str(summary["survivors"]),
    }
    for key, value in rows.items():
        table.add_row(key, value)
    console.print(table)


@app.command(cls=Command)
def predict(
    traces_path: Annotated[Path, typer.Argument(metavar="TRACES", help="A traces file (netCDF).")],
    prefix: Annotated[int, typer.Option(help="Last training step that may be used.")],
    method: Annotated[str, typer.Option(help="Prediction method (see the docs).")] = "mean-field",
    rule: RuleOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Predict each run's surviving components from the steps up to PREFIX.

    The default, mean-field, and the methods that learn from other runs (classifier,
    signal, gradient, growth) are trained on all runs except the one predicted (leave one
    run out). A file with a single modular-addition run at the paper's settings is
    predicted by mean-field with the coefficients that ship with lvdyn. Example:

        lvdyn predict traces.nc --prefix 200 --method lv-equilibrium

    The survivors (actual, and those a predicted state leads to) are read by the rule
    stored in the traces, else fraction-of-max:0.1; `--rule` chooses another.
    """
    from rich.console import Console
    from rich.table import Table

    from lvdyn.prediction._prediction import (
        OPTIONAL_TRAINING,
        PREDICTION_METHODS,
        predict_leave_one_run_out,
    )
    from lvdyn.traces._io import open_traces
    from lvdyn.traces._survival import survivors

    if method not in PREDICTION_METHODS:
        raise ValueError(f"`--method` must be one of {sorted(PREDICTION_METHODS)}; got {method!r}.")
    ds = open_traces(traces_path)
    if PREDICTION_METHODS[method][1] and method not in OPTIONAL_TRAINING and ds.sizes["run"] < 2:
        raise ValueError(f"`--method {method}` learns from other runs; the file has only one run.")
    name, value = parse_rule(rule)
    predicted = predict_leave_one_run_out(ds, prefix, method, rule=name, value=value)
    actual = survivors(ds, name, value=value)
    labels = ds.component.values
    rows = []
    for run in ds.run.values:
        p_set = [_plain(v) for v in labels[predicted.sel(run=run).values]]
        a_set = [_plain(v) for v in labels[actual.sel(run=run).values]]
        rows.append({"run": _plain(run), "predicted": p_set, "actual_final": a_set})
    if as_json:
        summary = {"prefix": prefix, "method": method, "rule": predicted.attrs["rule"]}
        print(json.dumps({**summary, "runs": rows}))
        return
    table = Table(
        title=f"Survivors predicted at step {prefix} by {method} "
        f"(survival: {actual.attrs['criterion']})"
    )
    for column in ("run", "predicted", "actual (final step)"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["run"]), str(row["predicted"]), str(row["actual_final"]))
    Console().print(table)


def _plain(value: object) -> object:
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value
