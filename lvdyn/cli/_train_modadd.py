"""``lvdyn train modadd``: the modular-addition trainer of Ding et al. (2024)."""

from __future__ import annotations

import sys
from pathlib import Path
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


@train_app.command("modadd", cls=Command)
def train_modadd(
    out: OutOption,
    steps: Annotated[int, typer.Option(help="Optimiser steps (full batch).")] = 2000,
    seeds: SeedsOption = "0",
    p: Annotated[int, typer.Option("--p", help="Modulus.")] = 59,
    d_embed: Annotated[int, typer.Option(help="Embedding dimension d.")] = 128,
    width: Annotated[int, typer.Option(help="Hidden width of the MLP.")] = 100,
    depth: Annotated[int, typer.Option(help="Number of hidden layers.")] = 2,
    activation: Annotated[str, typer.Option(help="silu, relu, gelu or tanh.")] = "silu",
    combine: Annotated[str, typer.Option(help="concat (paper) or sum.")] = "concat",
    optimizer: Annotated[str, typer.Option(help="adamw or sgd.")] = "adamw",
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.01,
    weight_decay: Annotated[float, typer.Option(help="Decoupled weight decay.")] = 0.5,
    train_fraction: Annotated[float, typer.Option(help="Fraction of pairs trained on.")] = 0.8,
    dtype: Annotated[str, typer.Option(help="float32 or float64 (the paper).")] = "float32",
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    design: Annotated[
        str, typer.Option(help="vary_all, fix_embedding, fix_mlp or fix_split.")
    ] = "vary_all",
    init_seed: Annotated[int, typer.Option(help="Seed of the parts a design fixes.")] = 0,
    log_every: Annotated[int, typer.Option(help="Log every N steps.")] = 1,
    eval_every: Annotated[
        int | None, typer.Option(help="Evaluate the test set every N steps.")
    ] = None,
    snapshot_steps: Annotated[
        str, typer.Option(help="Steps at which to store the whole embedding: 0,1000,2000.")
    ] = "",
    checkpoint: Annotated[
        Path | None, typer.Option(help="Checkpoint file; an existing one is resumed.")
    ] = None,
    checkpoint_every: Annotated[int, typer.Option(help="Steps between checkpoints.")] = 1000,
    resume: Annotated[bool, typer.Option(help="Resume from --checkpoint if it exists.")] = True,
    initial_embedding: Annotated[
        Path | None,
        typer.Option(help="Starting embedding(s): a .npy of shape (p, d) or (run, p, d)."),
    ] = None,
    freeze_embedding: Annotated[
        bool,
        typer.Option("--freeze-embedding", help="Keep the embedding fixed; train the MLP only."),
    ] = False,
    freeze_mlp: Annotated[
        bool, typer.Option("--freeze-mlp", help="Keep the MLP fixed; train E only.")
    ] = False,
    threads: ThreadsOption = None,
    progress: Annotated[
        bool | None, typer.Option(help="Progress bar (default: only on a terminal).")
    ] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Train modular-addition MLPs (one run per seed, batched) and write circle strengths.

    Example: lvdyn train modadd --steps 2000 --seeds 0-7 --d-embed 128 --out runs.nc
    """
    import numpy as np

    from lvdyn.producers import modadd
    from lvdyn.traces._io import save_traces

    check_writable(out, argument="--out")
    given = None
    if initial_embedding is not None:
        try:  # allow_pickle=False: a .npy file never runs code
            given = np.load(initial_embedding, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"`--initial-embedding`: {str(initial_embedding)!r} is not a readable .npy "
                f"array ({exc}). Save it with numpy.save."
            ) from exc
    try:
        ds = modadd.train(
            p=p, d_embed=d_embed, width=width, depth=depth, activation=activation,
            combine=combine, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
            train_fraction=train_fraction, dtype=dtype, device=device, steps=steps,
            seeds=parse_int_list(seeds, option="--seeds"), design=design,
            init_seed=init_seed, log_every=log_every, eval_every=eval_every,
            snapshot_steps=parse_int_list(snapshot_steps, option="--snapshot-steps"),
            checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
            initial_embedding=given, freeze_embedding=freeze_embedding, freeze_mlp=freeze_mlp,
            progress=False if quiet or as_json else progress, threads=threads,
        )  # fmt: skip
    except modadd.TrainingInterrupted as stopped:
        if stopped.traces is not None:
            save_traces(stopped.traces, out)
            print(f"lvdyn: {stopped}; traces so far written to {out}", file=sys.stderr)
        else:
            print(f"lvdyn: {stopped}; no step was logged, {out} not written", file=sys.stderr)
        raise typer.Exit(130) from None
    write_trained(ds, out, quiet=quiet, as_json=as_json)
