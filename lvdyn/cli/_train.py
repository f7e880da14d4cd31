"""``lvdyn train <producer>``: train a producer and write its traces.

Each producer has its own subcommand, registered on `train_app` by the module named in
`PRODUCER_COMMANDS`. To add a producer, write ``lvdyn/cli/_train_<name>.py`` with a
function decorated by ``@train_app.command("<name>")`` and add one line to the registry.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lvdyn.cli._app import Group, app

if TYPE_CHECKING:
    import xarray as xr

train_app = typer.Typer(
    cls=Group,
    help="Train a producer (a model whose representations compete) and write its traces.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(train_app, name="train")


@train_app.callback()
def _train_root() -> None:
    """Train a producer and write its traces as netCDF (--out FILE.nc)."""


#: Producer name -> the module that registers its ``lvdyn train <name>`` subcommand.
PRODUCER_COMMANDS: dict[str, str] = {
    "modadd": "lvdyn.cli._train_modadd",
    "dln": "lvdyn.cli._train_dln",
    "race": "lvdyn.cli._train_race",
    "routing": "lvdyn.cli._train_routing",
    "clockpizza": "lvdyn.cli._train_clockpizza",
}

#: The options every ``lvdyn train <producer>`` shares.
OutOption = Annotated[Path, typer.Option("--out", help="Traces file to write (netCDF).")]
SeedsOption = Annotated[str, typer.Option(help="Seeds, one run each: 0,1,2 or 0-7.")]
QuietOption = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress bar and no summary; only errors."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="CPU threads (worker threads with one torch thread each); "
        "default: OMP_NUM_THREADS, else all available cores.",
    ),
]


def parse_int_list(text: str, *, option: str) -> list[int]:
    """Parse ``"0,3,5"``, ``"0-7"`` (inclusive) or a mix such as ``"0-3,9"``.

    Examples
    --------
    >>> parse_int_list("0-3,9", option="--seeds")
    [0, 1, 2, 3, 9]
    """
    values: list[int] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        try:
            if "-" in part[1:]:
                low, high = part.split("-", 1) if part[0] != "-" else ("", part)
                values.extend(range(int(low), int(high) + 1))
            else:
                values.append(int(part))
        except ValueError:
            raise ValueError(
                f"`{option}` must be integers like 0,1,2 or a range like 0-7; got {text!r}."
            ) from None
    return values


def parse_float_list(text: str, *, option: str) -> list[float]:
    """Parse ``"5,3,1.5"`` into floats.

    Examples
    --------
    >>> parse_float_list("5, 3,1.5", option="--singular-values")
    [5.0, 3.0, 1.5]
    """
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"`{option}` must be numbers separated by commas; got {text!r}.") from None
    if not values:
        raise ValueError(f"`{option}` must hold at least one number; got {text!r}.")
    return values


def write_trained(ds: xr.Dataset, out: Path, *, quiet: bool, as_json: bool) -> None:
    """Save ``ds`` to ``out`` atomically and say what was written (stderr, or JSON on stdout)."""
    from lvdyn.traces._io import save_traces

    path = save_traces(ds, out)
    sizes = {str(dim): int(size) for dim, size in ds.sizes.items()}
    if as_json:
        summary = {"out": str(path), "source": str(ds.attrs.get("source", "")), "sizes": sizes}
        print(json.dumps(summary))
    elif not quiet:
        print(
            f"wrote {path}: {sizes['run']} runs x {sizes['step']} logged steps x "
            f"{sizes['component']} components",
            file=sys.stderr,
        )


for _module in PRODUCER_COMMANDS.values():
    importlib.import_module(_module)
