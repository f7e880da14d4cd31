"""``lvdyn import``: a long table (CSV or parquet) from any task becomes a traces file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lvdyn.cli._app import Command, app
from lvdyn.core._atomic import check_writable


@app.command(name="import", cls=Command)
def import_table(
    table: Annotated[
        Path,
        typer.Argument(help="Long table: one row per (run, step, component); .csv or .parquet."),
    ],
    out: Annotated[Path, typer.Option("--out", help="netCDF traces file to write.")],
    run: Annotated[
        str, typer.Option("--run", help="Run column; a table without it is one run.")
    ] = "run",
    step: Annotated[str, typer.Option("--step", help="Training-step column.")] = "step",
    component: Annotated[str, typer.Option("--component", help="Component column.")] = "component",
    value: Annotated[str, typer.Option("--value", help="Strength column.")] = "strength",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Import traces from a long table written by another framework.

    Every other column becomes a variable: per run (constant within a run), per (run, step),
    or per (run, step, component). Example: lvdyn import traces.csv --out traces.nc
    """
    import numpy as np
    from rich.console import Console

    from lvdyn.traces._io import save_traces
    from lvdyn.traces._tables import read_traces_table

    check_writable(out, argument="--out")  # fail before the work, not after it
    ds = read_traces_table(table, run=run, step=step, component=component, value=value)
    path = save_traces(ds, out, argument="--out")
    sizes = ", ".join(f"{k}={v}" for k, v in ds.strength.sizes.items())
    values = ds.strength.values
    missing = int(np.isnan(values).sum())
    share = f" ({100 * missing / values.size:.1f}%)" if missing else ""
    console = Console(quiet=quiet, soft_wrap=True)
    console.print(f"[bold]lvdyn import[/bold]: wrote {path} ({sizes})", highlight=False)
    console.print(
        f"  missing values: {missing} of {values.size} strengths{share}"
        + (
            " (empty or NA cells, and (run, step, component) rows the table lacks); "
            "fits drop the samples with a missing component"
            if missing
            else ""
        ),
        highlight=False,
    )
