"""``lvdyn train clockpizza``: the attention-rate transformer of Clock and Pizza (2023)."""

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
    ThreadsOption,
    parse_int_list,
    train_app,
    write_trained,
)
from lvdyn.core._atomic import check_writable


class Architecture(str, Enum):
    """Networks of ``lvdyn train clockpizza``."""

    transformer = "transformer"
    mlp_sum = "mlp_sum"
    mlp_concat = "mlp_concat"
    mlp_shared_layer = "mlp_shared_layer"
    mlp_two_embeddings = "mlp_two_embeddings"


class Activation(str, Enum):
    """MLP activations of ``lvdyn train clockpizza``."""

    relu = "ReLU"
    gelu = "GeLU"


@train_app.command("clockpizza", cls=Command)
def train_clockpizza(
    out: OutOption,
    alpha: Annotated[
        float, typer.Option(help="Attention rate: 1 standard (Clock), 0 constant (Pizza).")
    ] = 1.0,
    p: Annotated[int, typer.Option("--p", help="Modulus (an odd prime).")] = 59,
    d_model: Annotated[
        int | None,
        typer.Option(help="Embedding width (default 128; 256 for the MLP-only models but D)."),
    ] = None,
    n_heads: Annotated[int, typer.Option(help="Attention heads.")] = 4,
    architecture: Annotated[
        Architecture,
        typer.Option(
            metavar="NAME",
            help="transformer, or the paper's MLP-only models: mlp_sum (A; B with --n-layers "
            "2), mlp_shared_layer (C), mlp_concat (D), mlp_two_embeddings (X).",
        ),
    ] = Architecture.transformer,
    n_layers: Annotated[
        int | None,
        typer.Option(
            help="Transformer blocks (1-4), or mlp_sum hidden layers (1-2); default 1 (2 for "
            "mlp_shared_layer)."
        ),
    ] = None,
    activation: Annotated[Activation, typer.Option(help="MLP activation.")] = Activation.relu,
    diff_vocab: Annotated[
        bool,
        typer.Option("--diff-vocab", help="Transformer: separate tokens for the second operand."),
    ] = False,
    eqn_sign: Annotated[
        bool, typer.Option("--eqn-sign", help="Transformer: append an '=' token.")
    ] = False,
    faithful: Annotated[
        bool,
        typer.Option(help="The paper's init, warm-up and pair count (--no-faithful: lvdyn 0.1)."),
    ] = True,
    steps: Annotated[int, typer.Option(help="Full-batch AdamW steps (the paper: 20000).")] = 20000,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option(help="Decoupled weight decay.")] = 2.0,
    warmup: Annotated[
        int | None,
        typer.Option(help="Linear warm-up steps (default 10; 0 for the MLP-only models)."),
    ] = None,
    train_fraction: Annotated[float, typer.Option(help="Fraction of pairs trained on.")] = 0.8,
    seeds: SeedsOption = "0",
    log_every: Annotated[int, typer.Option(help="Log the strengths every N steps.")] = 10,
    metrics_every: Annotated[
        int | None, typer.Option(help="Gradient symmetricity and distance irrelevance every N.")
    ] = None,
    incorrect_logit_di: Annotated[
        bool,
        typer.Option("--incorrect-logit-di", help="Also the released tables' incorrect-logit DI."),
    ] = False,
    dtype: Annotated[str, typer.Option(help="float32 or float64.")] = "float32",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Train the paper's transformer (or MLP) on (a + b) mod p; trace Fourier strengths, metrics.

    The defaults are the paper's size (about an hour per run on a CPU). Examples:

        lvdyn train clockpizza --alpha 0 --out pizza.nc

        lvdyn train clockpizza --p 31 --d-model 64 --steps 3000 --lr 2e-3 --out c.nc
    """
    from lvdyn.producers import clockpizza

    check_writable(out, argument="--out")
    ds = clockpizza.train(
        p=p,
        alpha=alpha,
        architecture=architecture.value,
        d_model=d_model,
        n_heads=n_heads,
        n_layers=n_layers,
        activation=activation.value,
        diff_vocab=diff_vocab,
        eqn_sign=eqn_sign,
        faithful=faithful,
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        warmup=warmup,
        train_fraction=train_fraction,
        seeds=parse_int_list(seeds, option="--seeds"),
        log_every=log_every,
        metrics_every=metrics_every,
        incorrect_logit_di=incorrect_logit_di,
        dtype=dtype,
        progress=False if quiet or as_json else None,
        threads=threads,
    )
    write_trained(ds, out, quiet=quiet, as_json=as_json)
