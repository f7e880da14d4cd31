"""``lvdyn train race``: gated parallel pathways racing for one mode (Saxe et al. 2022)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from lvdyn.cli._app import Command
from lvdyn.cli._train import (
    JsonOption,
    OutOption,
    QuietOption,
    SeedsOption,
    parse_float_list,
    parse_int_list,
    train_app,
    write_trained,
)
from lvdyn.core._atomic import check_writable


class RaceCase(str, Enum):
    """The canonical races of `lvdyn.producers.race.CASES`."""

    interior = "interior"
    degenerate = "degenerate"
    exclusion = "exclusion"


class RaceInit(str, Enum):
    """Initialisations of ``lvdyn train race``."""

    aligned = "aligned"
    random = "random"


def parse_matrix(text: str, *, option: str) -> list[list[float]]:
    """Parse rows separated by ``;`` of numbers separated by ``,``.

    Examples
    --------
    >>> parse_matrix("1,1,0; 0,1,1", option="--gates")
    [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
    """
    rows = [parse_float_list(row, option=option) for row in text.split(";") if row.strip()]
    if not rows or len({len(row) for row in rows}) != 1:
        raise ValueError(
            f"`{option}` must be rows of equal length separated by ';', e.g. '1,1,0;1,0,1'; "
            f"got {text!r}."
        )
    return rows


@train_app.command("race", cls=Command)
def train_race(
    out: OutOption,
    case: Annotated[RaceCase, typer.Option(help="A canonical race (gates, strengths, scales).")] = (
        RaceCase.interior
    ),
    gates: Annotated[
        str | None, typer.Option(help="Gate per pathway (rows) and context: '1,1,0;1,0,1;0,1,1'.")
    ] = None,
    strengths: Annotated[
        str | None, typer.Option(help="Target strength per context: 3,3,2.")
    ] = None,
    context_probs: Annotated[
        str | None, typer.Option(help="Probability per context (default uniform).")
    ] = None,
    init_scale: Annotated[
        str | None, typer.Option(help="Initial per-layer scale, one or one per pathway.")
    ] = None,
    init: Annotated[RaceInit, typer.Option(help="aligned (exact LV) or random.")] = (
        RaceInit.aligned
    ),
    steps: Annotated[int, typer.Option(help="Gradient-descent steps.")] = 3000,
    lr: Annotated[float, typer.Option(help="Step size.")] = 0.01,
    width: Annotated[int, typer.Option(help="Hidden width of each pathway.")] = 16,
    seeds: SeedsOption = "0",
    log_every: Annotated[int, typer.Option(help="Log every N steps.")] = 1,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Train gated pathways by gradient descent; trace each pathway's strength.

    Ground truth: true_r = 2 lr b, true_A = -2 lr G (G: gate co-activation) of the law the
    aligned strengths follow while positive, its equilibrium lv_equilibrium (the NNLS point),
    and true_equilibrium, the network's minimum with signs allowed (where it ends).
    --gates, --strengths, --context-probs and --init-scale replace the case's values. Examples:

        lvdyn train race --case exclusion --steps 4000 --out race.nc

        lvdyn train race --gates '1,1;1,0;0,1' --strengths 2,2 --out r.nc
    """
    from lvdyn.producers import race

    check_writable(out, argument="--out")
    settings = race.canonical_case(case.value)
    if gates is not None:
        settings["gates"] = parse_matrix(gates, option="--gates")
        if strengths is None:
            raise ValueError("`--strengths` must be given with `--gates` (one per context).")
        if init_scale is None:  # the case's scales are per pathway of the case's gates
            settings["init_scale"] = 1e-3
    if strengths is not None:
        settings["strengths"] = parse_float_list(strengths, option="--strengths")
    if context_probs is not None:
        settings["context_probs"] = parse_float_list(context_probs, option="--context-probs")
    if init_scale is not None:
        scales = parse_float_list(init_scale, option="--init-scale")
        settings["init_scale"] = scales[0] if len(scales) == 1 else scales
    ds = race.train(
        **settings,
        width=width,
        lr=lr,
        steps=steps,
        init=init.value,
        seeds=parse_int_list(seeds, option="--seeds"),
        log_every=log_every,
    )
    write_trained(ds, out, quiet=quiet, as_json=as_json)
