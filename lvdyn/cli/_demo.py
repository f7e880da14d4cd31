"""``lvdyn demo``: the main job, from nothing to an analysed competition."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from lvdyn._atomic import ensure_folder
from lvdyn._io import open_traces, save_traces
from lvdyn.cli._app import app
from lvdyn.producers import synthetic


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's files.")] = Path(
        "lvdyn-demo"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Simulate a competitive system, save its traces, reload them and summarise them.

    Example: lvdyn demo --out /tmp/demo
    """
    console = Console(quiet=quiet)
    out = ensure_folder(out, argument="--out")
    system = synthetic.exclusion_lotka_volterra(8, 3, seed=0)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(0.05, 0.2, size=(3, 8))
    ds = synthetic.lotka_volterra(
        r=system.r, A=system.A, x0=x0, steps=400, dt=0.1, noise=0.01, seed=0
    )
    path = save_traces(ds, out / "traces.nc")
    loaded = open_traces(path)
    console.print(f"[bold]lvdyn demo[/bold]: wrote {path} ({path.stat().st_size} bytes)")
    final = loaded.strength.isel(step=-1)
    table = Table(title="Synthetic Lotka-Volterra competition: final strength per run")
    table.add_column("component")
    for run in loaded.run.values:
        table.add_column(f"run {run}", justify="right")
    table.add_column("true survivor")
    for k, label in enumerate(loaded.component.values):
        cells = [f"{float(final.sel(run=run, component=label)):.3f}" for run in loaded.run.values]
        table.add_row(str(label), *cells, "yes" if system.survivors[k] else "no")
    console.print(table)
