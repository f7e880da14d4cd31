"""``lvdyn plot``: one figure of a traces file, a fitted model, or both, as PNG, SVG or PDF."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from lvdyn.cli._app import Command, app
from lvdyn.cli._fit import _window as parse_window
from lvdyn.cli._inputs import (
    QuietOption,
    RuleOption,
    RunOption,
    TimeOption,
    WindowOption,
    parse_rule,
    read_inputs,
)
from lvdyn.core._atomic import check_writable

#: Suffixes `lvdyn plot --out` can write.
FORMATS = (".png", ".svg", ".pdf")


class Kind(str, Enum):
    """Figures of ``lvdyn plot`` (see `lvdyn.app._figures.FIGURE_KINDS`)."""

    traces = "traces"
    circles = "circles"
    fit = "fit"
    interactions = "interactions"
    spectrum = "spectrum"


@app.command(cls=Command)
def plot(
    inputs: Annotated[
        list[Path], typer.Argument(help="A traces file, a model file (lvdyn fit), or one of each.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Figure to write: .png, .svg or .pdf.")],
    kind: Annotated[
        Kind | None,
        typer.Option(
            metavar="KIND",
            help="traces, circles, fit, interactions or spectrum (default: fit for traces + "
            "model, traces for traces, interactions for a model).",
        ),
    ] = None,
    run: RunOption = None,
    time: TimeOption = None,
    window: WindowOption = None,
    title: Annotated[
        str, typer.Option(help="Figure title (default: one that says what it is).")
    ] = "",
    dpi: Annotated[int, typer.Option(min=30, max=600, help="PNG resolution.")] = 130,
    rule: RuleOption = None,
    quiet: QuietOption = False,
) -> None:
    """Draw one figure: traces, circles, fit (traces + model), interactions or spectrum.

    Examples:

        lvdyn plot traces.nc --out traces.png

        lvdyn plot traces.nc --kind circles --out circles.svg

        lvdyn plot traces.nc model.nc --out fit.png    (on the steps stored with the fit)

        lvdyn plot model.nc --kind spectrum --out spectrum.pdf
    """
    from lvdyn.app._figures import FIGURE_KINDS
    from lvdyn.plots import save_figure

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"`--out` must end in {', '.join(FORMATS)}; got {str(out)!r}. "
            "The suffix sets the format."
        )
    check_writable(out, argument="--out")
    given = read_inputs(inputs)
    if len(given.traces) > 1 or len(given.models) > 1:
        raise ValueError(
            f"`INPUTS` must be at most one traces file and one model file; got {given.describe()}."
        )
    if kind is None:
        kind = Kind.fit if given.traces and given.models else Kind.traces
        kind = Kind.interactions if not given.traces else kind
    needs, draw = FIGURE_KINDS[kind.value]
    arguments: dict[str, Any] = {}
    if "traces" in needs:
        if not given.traces:
            raise ValueError(f"`--kind {kind.value}` needs a traces file; got {given.describe()}.")
        arguments["ds"] = given.traces[0][1]
        arguments["run"] = run
    if "model" in needs:
        if not given.models:
            raise ValueError(f"`--kind {kind.value}` needs a model file; got {given.describe()}.")
        arguments["model"] = given.models[0][1]
    rule_name, rule_value = parse_rule(rule)
    if kind in (Kind.traces, Kind.circles):  # the survivors are drawn in colour
        arguments.update(rule=rule_name, value=rule_value)
    elif rule is not None:
        raise ValueError(f"`--rule` applies to `--kind traces` and `circles`; got {kind.value}.")
    if kind is Kind.fit:
        arguments["time"] = time
        arguments["window"] = parse_window(window)
    fig = draw(**arguments, title=title)
    (path,) = save_figure(fig, out, formats=(suffix[1:],), dpi=dpi)
    if not quiet:
        typer.echo(f"wrote {path}", err=True)
