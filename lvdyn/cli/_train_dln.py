"""``lvdyn train dln``: deep linear network modes under gradient descent (Saxe et al. 2014)."""

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


class DlnInit(str, Enum):
    """Initialisations of ``lvdyn train dln``."""

    decoupled = "decoupled"
    random = "random"


@train_app.command("dln", cls=Command)
def train_dln(
    out: OutOption,
    singular_values: Annotated[
        str, typer.Option(help="Target singular values s, one mode each: 5,3,1.5,0.5.")
    ] = "5,3,1.5,0.5",
    steps: Annotated[int, typer.Option(help="Gradient-descent steps.")] = 3000,
    lr: Annotated[float, typer.Option(help="Step size; keep lr * max(s) <= 0.05.")] = 0.01,
    depth: Annotated[int, typer.Option(help="Number of weight matrices (LV only for 2).")] = 2,
    hidden: Annotated[int, typer.Option(help="Hidden width.")] = 16,
    n_in: Annotated[int, typer.Option(help="Input dimension.")] = 8,
    n_out: Annotated[int, typer.Option(help="Output dimension.")] = 8,
    init: Annotated[DlnInit, typer.Option(help="decoupled (exact LV) or random.")] = (
        DlnInit.decoupled
    ),
    init_scale: Annotated[float, typer.Option(help="Per-layer initial scale.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option(help="L2 penalty; modes with s < it die.")] = 0.0,
    seeds: SeedsOption = "0",
    log_every: Annotated[int, typer.Option(help="Log every N steps.")] = 1,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Train a deep linear network on a target of known singular values; trace each mode.

    Ground truth (depth 2): true_r = 2 lr (s - weight_decay), true_A = -2 lr I.
    Examples:

        lvdyn train dln --out dln.nc

        lvdyn train dln --singular-values 4,2,0.5 --weight-decay 1 --out ext.nc
    """
    from lvdyn.producers import dln

    check_writable(out, argument="--out")
    ds = dln.train(
        singular_values=parse_float_list(singular_values, option="--singular-values"),
        n_in=n_in,
        n_out=n_out,
        hidden=hidden,
        depth=depth,
        lr=lr,
        steps=steps,
        init=init.value,
        init_scale=init_scale,
        weight_decay=weight_decay,
        seeds=parse_int_list(seeds, option="--seeds"),
        log_every=log_every,
    )
    write_trained(ds, out, quiet=quiet, as_json=as_json)
