"""``lvdyn report``: a self-contained HTML report of a traces file and fitted models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
from lvdyn.cli._train import parse_int_list


@app.command(cls=Command)
def report(
    inputs: Annotated[
        list[Path], typer.Argument(help="One traces file, then any model files (lvdyn fit).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html and its figures.")],
    title: Annotated[str, typer.Option(help="Title of the page.")] = "lvdyn report",
    run: RunOption = None,
    time: TimeOption = None,
    window: WindowOption = None,
    prefixes: Annotated[
        str, typer.Option(help="Also score survival predictions at these prefixes: 50,100,200.")
    ] = "",
    methods: Annotated[
        str, typer.Option(help="Prediction methods, comma separated (default: all).")
    ] = "",
    rule: RuleOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write OUT/report.html: the traces and their survivors, then per model its equations,
    where it settles, its fit and figures. Figures are embedded (PNG) and saved beside the
    page (PNG and SVG, linked).

    Examples:

        lvdyn report traces.nc --out report/

        lvdyn report traces.nc lv.nc linear.nc --prefixes 100,200,400 --out report/
    """
    from rich.console import Console

    from lvdyn.app._report_sections import traces_report

    given = read_inputs(inputs)
    if len(given.traces) != 1:
        raise ValueError(
            f"`INPUTS` must hold exactly one traces file (and any model files); got "
            f"{given.describe()}."
        )
    (traces_path, ds), names = given.traces[0], [path.stem for path, _ in given.models]
    rule_name, rule_value = parse_rule(rule)
    if len(set(names)) != len(names):
        raise ValueError(f"`INPUTS` must be model files with distinct names; got {names}.")
    console = Console(stderr=True, quiet=quiet)
    with console.status("lvdyn report") as status:
        page = traces_report(
            out,
            ds,
            {path.stem: model for path, model in given.models},
            title=title,
            run=run,
            time=time,
            window=parse_window(window),
            prefixes=parse_int_list(prefixes, option="--prefixes"),
            methods=[m.strip() for m in methods.split(",") if m.strip()] or None,
            rule=rule_name,
            value=rule_value,
            status=lambda text: status.update(f"lvdyn report: {text}"),
        )
    console.print(
        f"wrote {page} ({traces_path.name}, {len(names)} model{'s' * (len(names) != 1)})",
        markup=False,
        soft_wrap=True,
    )
