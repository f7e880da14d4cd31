"""``lvdyn train <producer>``: train a producer and write its traces.

Each producer has its own subcommand, registered on `train_app` by the module named in
`PRODUCER_COMMANDS`. To add a producer, write ``lvdyn/cli/_train_<name>.py`` with a
function decorated by ``@train_app.command("<name>")`` and add one line to the registry.
"""

from __future__ import annotations

import importlib

import typer

from lvdyn.cli._app import app

train_app = typer.Typer(
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
}


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


for _module in PRODUCER_COMMANDS.values():
    importlib.import_module(_module)
