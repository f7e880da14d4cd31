"""``lvdyn import-checkpoints``: a folder of training checkpoints becomes a traces file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lvdyn.cli._app import Command, app
from lvdyn.core._atomic import check_writable


def _token_rows(text: str | None) -> slice | None:
    if text is None:
        return None
    start, sep, stop = text.partition(":")
    try:
        return slice(int(start or 0), int(stop)) if sep else slice(0, int(start))
    except ValueError:
        raise ValueError(
            f"`--tokens` must be N (the first N rows) or START:STOP; got {text!r}."
        ) from None


@app.command(name="import-checkpoints", cls=Command)
def import_checkpoints(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder of checkpoints (.pt/.pth/.safetensors/.npz/.npy), or of run folders."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="netCDF traces file to write.")],
    embedding: Annotated[
        str | None,
        typer.Option(
            "--embedding", help="Entry holding the embedding, e.g. embed.W_E (not for .npy)."
        ),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option("--step", help="Regex whose first group, in the file name, is the step."),
    ] = None,
    step_key: Annotated[
        str | None, typer.Option("--step-key", help="Checkpoint entry holding the step.")
    ] = None,
    run: Annotated[
        str | None,
        typer.Option("--run", help="Regex whose first group, in the file name, is the run label."),
    ] = None,
    transpose: Annotated[
        bool,
        typer.Option("--transpose", help="The embedding is (dims x tokens), like embed.W_E."),
    ] = False,
    tokens: Annotated[
        str | None,
        typer.Option("--tokens", help="Token rows to keep: N (the first N) or START:STOP."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Trace the Fourier strengths of the embedding saved in each checkpoint.

    Files are read one at a time, tensors only (nothing is unpickled). Example:
    lvdyn import-checkpoints runs/ --embedding embed.W_E --transpose --tokens 59 --out t.nc
    """
    from rich.console import Console

    from lvdyn.producers.checkpoints import traces_from_checkpoints
    from lvdyn.traces._io import save_traces

    check_writable(out, argument="--out")  # fail before the work, not after it
    ds = traces_from_checkpoints(
        folder,
        embedding=embedding,
        step=step,
        step_key=step_key,
        run=run,
        token_axis=1 if transpose else 0,
        tokens=_token_rows(tokens),
    )
    path = save_traces(ds, out, argument="--out")
    sizes = ", ".join(f"{k}={v}" for k, v in ds.strength.sizes.items())
    Console(quiet=quiet).print(f"[bold]lvdyn import-checkpoints[/bold]: wrote {path} ({sizes})")
