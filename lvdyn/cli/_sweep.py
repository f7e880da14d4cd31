"""``lvdyn sweep``: run a TOML-configured sweep on a dask cluster and combine its parts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lvdyn.cli._app import Command, app, one_line


@app.command(cls=Command)
def sweep(
    config: Annotated[Path, typer.Argument(help="The sweep's TOML file.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder, shared by all workers.")],
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Address of a running dask scheduler (default: a local cluster)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes of the local cluster."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Run every chunk of seeds of a sweep as one task, then combine the parts.

    Parts already in OUT/parts are skipped, so an interrupted sweep resumes where it
    stopped. Example: lvdyn sweep examples/sweep_synthetic.toml --out /tmp/sweep
    """
    from rich.console import Console

    from lvdyn.sweeps import SweepError, run_sweep

    console = Console(quiet=quiet, stderr=False)
    try:
        ds = run_sweep(config, out, scheduler=scheduler, n_workers=workers, progress=not quiet)
    except SweepError as exc:
        Console(stderr=True).print(f"lvdyn: error: {one_line(exc)}", markup=False)
        raise typer.Exit(1) from exc
    with ds:
        sizes = ", ".join(f"{dim}={size}" for dim, size in ds.sizes.items())
    console.print(f"[bold]lvdyn sweep[/bold]: combined {sizes} -> {out}")
