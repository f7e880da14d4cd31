"""Reading the files given to ``lvdyn plot`` and ``lvdyn report``: traces or fitted models.

A model file (written by `lvdyn fit` / `lvdyn.save_model`) carries the attribute ``model``;
any other netCDF file must be a valid traces file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import xarray as xr

#: Options shared by the commands that draw traces against fitted models.
RunOption = Annotated[str | None, typer.Option(help="Run to draw (default: the first).")]
TimeOption = Annotated[
    str | None,
    typer.Option(help="'step' or a time coordinate (default: the one stored with the fit)."),
]
WindowOption = Annotated[
    str | None,
    typer.Option(help="Steps FIRST:LAST (default: those stored with the fit; ':' for all)."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
RuleOption = Annotated[
    str | None,
    typer.Option(
        "--rule",
        metavar="NAME[:VALUE]",
        help="Survival rule: 2x-mean, threshold:LEVEL, fraction-of-max:F or top-k:K "
        "(default: the rule stored in the traces, else fraction-of-max:0.1).",
    ),
]


def parse_rule(text: str | None) -> tuple[str | None, float | None]:
    """``"top-k:2"`` -> ``("top-k", 2.0)``; ``None`` -> ``(None, None)`` (the traces' rule).

    Examples
    --------
    >>> parse_rule("fraction-of-max:0.2"), parse_rule("2x-mean"), parse_rule(None)
    (('fraction-of-max', 0.2), ('2x-mean', None), (None, None))
    """
    from lvdyn.traces._rules import RULES

    if text is None:
        return None, None
    name, _, value = text.strip().partition(":")
    if name not in RULES:
        raise ValueError(
            f"`--rule` must be one of {', '.join(RULES)}, optionally with :VALUE "
            f"(fraction-of-max:0.2, top-k:2); got {text!r}."
        )
    if not value:
        return name, None
    try:
        return name, float(value)
    except ValueError:
        raise ValueError(
            f"`--rule` takes a number after the colon ({name}:0.2); got {text!r}."
        ) from None


@dataclass
class Inputs:
    """The traces files and the model files among the inputs, in the order given."""

    traces: list[tuple[Path, xr.Dataset]] = field(default_factory=list)
    models: list[tuple[Path, Any]] = field(default_factory=list)

    def describe(self) -> str:
        """``"2 traces files and 1 model file"``, for error messages."""
        t, m = len(self.traces), len(self.models)
        return f"{t} traces file{'s' * (t != 1)} and {m} model file{'s' * (m != 1)}"


def read_inputs(paths: list[Path]) -> Inputs:
    """Sort ``paths`` into traces and models, reading each once."""
    from lvdyn.fitting._coefficients import load_model
    from lvdyn.traces._io import open_netcdf
    from lvdyn.traces._schema import validate_traces

    inputs = Inputs()
    for path in paths:
        ds = open_netcdf(path, argument="INPUT")
        if "model" in ds.attrs:
            inputs.models.append((path, load_model(path)))
        else:
            inputs.traces.append((path, validate_traces(ds)))
    return inputs
