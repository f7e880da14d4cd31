"""``lvdyn train routing``: the routing network of Saxe, Sodhani, Lewallen (2022)."""

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


class RoutingInit(str, Enum):
    """Initialisations of ``lvdyn train routing``."""

    orthogonal = "orthogonal"
    decoupled = "decoupled"


@train_app.command("routing", cls=Command)
def train_routing(
    out: OutOption,
    domains: Annotated[int, typer.Option(help="M, input and output domains.")] = 7,
    trained_per_input: Annotated[int, typer.Option(help="K, outputs trained per input.")] = 4,
    layers: Annotated[
        str, typer.Option(help="Layer chain of input, shared, output: 'input,shared,output'.")
    ] = "input,shared,output",
    hidden: Annotated[int, typer.Option(help="Width of every hidden layer.")] = 64,
    init: Annotated[
        RoutingInit, typer.Option(help="orthogonal (the notebook's) or decoupled (exact).")
    ] = RoutingInit.orthogonal,
    init_scale: Annotated[
        str, typer.Option(help="Gain or mode value, one or one per layer: 0.2 or 0.1,0.3,0.1.")
    ] = "0.2",
    steps: Annotated[int, typer.Option(help="Gradient-descent steps (full-batch epochs).")] = 500,
    lr: Annotated[float, typer.Option(help="Step size.")] = 0.02,
    seeds: SeedsOption = "0",
    log_every: Annotated[int, typer.Option(help="Log every N steps.")] = 1,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Train a routing network (gated deep linear network with shared layers); trace every
    pathway's mode strengths, trained and zero-shot pairs both.

    With --init decoupled the exact neural race reduction is stored too (reduction_strength,
    reduction_half_step, ...). Examples:

        lvdyn train routing --out routing.nc

        lvdyn train routing --init decoupled --init-scale 0.08 --steps 400 --out red.nc

        lvdyn train routing --layers input,output --domains 5 --trained-per-input 3 --out r.nc
    """
    from lvdyn.producers import routing

    check_writable(out, argument="--out")
    scales = parse_float_list(init_scale, option="--init-scale")
    ds = routing.train(
        n_domains=domains,
        trained_per_input=trained_per_input,
        layers=[part.strip() for part in layers.split(",") if part.strip()],
        hidden=hidden,
        init=init.value,
        init_scale=scales[0] if len(scales) == 1 else scales,
        lr=lr,
        steps=steps,
        seeds=parse_int_list(seeds, option="--seeds"),
        log_every=log_every,
    )
    write_trained(ds, out, quiet=quiet, as_json=as_json)
