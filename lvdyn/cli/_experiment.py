"""``lvdyn experiment modadd``: a dose-response intervention study on modular addition."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lvdyn.cli._app import Command, Group, app
from lvdyn.cli._train import QuietOption, SeedsOption, parse_int_list
from lvdyn.core._atomic import atomic_path, ensure_folder

experiment_app = typer.Typer(
    cls=Group,
    help="Run an intervention experiment: paired runs with and without a perturbation.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(experiment_app, name="experiment")


@experiment_app.callback()
def _experiment_root() -> None:
    """Intervention experiments (paired runs: same seed, with and without a perturbation)."""


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        values = []
    if not values:
        raise ValueError(f"`{option}` must be a comma-separated list of numbers; got {text!r}.")
    return values


@experiment_app.command("modadd", cls=Command)
def experiment_modadd(
    out: Annotated[Path, typer.Option("--out", help="Folder for the results.")],
    target: Annotated[
        str, typer.Option(help="non_survivor (boost one) or survivor (shrink or remove one).")
    ] = "non_survivor",
    factors: Annotated[
        str, typer.Option(help="Factors on the target's initial S_k; 0 removes it.")
    ] = "0.5,0.75,1,1.25,1.5,1.75,2",
    seeds: SeedsOption = "0-7",
    steps: Annotated[int, typer.Option(help="Optimiser steps per run.")] = 3000,
    p: Annotated[int, typer.Option("--p", help="Modulus.")] = 59,
    d_embed: Annotated[int, typer.Option(help="Embedding dimension d.")] = 128,
    width: Annotated[int, typer.Option(help="Hidden width of the MLP.")] = 100,
    dtype: Annotated[str, typer.Option(help="float32 or float64.")] = "float32",
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    rng_seed: Annotated[int, typer.Option(help="Seed of the target draws.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads for torch.")] = 1,
    quiet: QuietOption = False,
) -> None:
    """Scale one circle per seed by each factor and report who survives.

    Writes traces.nc (controls and perturbed runs), runs.csv (one row per perturbed run:
    did the target survive, which circles entered or left, each predictor's answer),
    summary.csv (survival probability per factor with 95% Wilson intervals, predictor
    accuracies), summary.json and dose_response.png.

    Example: lvdyn experiment modadd --factors 0.5,1,1.5,2 --seeds 0-7 --out study
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from lvdyn.producers import modadd_interventions as mi
    from lvdyn.traces._io import save_traces

    folder = ensure_folder(out, argument="--out")
    torch.set_num_threads(threads)
    study = mi.dose_response(
        seeds=parse_int_list(seeds, option="--seeds"), factors=_floats(factors, "--factors"),
        target=target, steps=steps, rng_seed=rng_seed, window=min(1000, steps), p=p,
        d_embed=d_embed, width=width, dtype=dtype, device=device, progress=not quiet,
    )  # fmt: skip
    save_traces(study.traces, folder / "traces.nc")
    if study.table.empty:
        raise ValueError(
            f"no seed had a {target.replace('_', '-')} to perturb (every circle survived "
            "or none did); try more steps or other seeds."
        )
    summary = mi.summarise(study.table)
    for name, frame in (("runs", study.table), ("summary", summary)):
        with atomic_path(folder / f"{name}.csv", argument="--out") as tmp:
            frame.to_csv(tmp, index=False)
    with atomic_path(folder / "summary.json", argument="--out") as tmp:
        tmp.write_text(json.dumps(summary.to_dict("records"), indent=1))
    ax = mi.plot_dose_response(summary, title=f"p={p} d={d_embed}, target: {target}")
    with atomic_path(folder / "dose_response.png", argument="--out") as tmp:
        ax.figure.savefig(tmp, dpi=120, format="png")
    plt.close(ax.figure)
    if not quiet:
        print(summary.round(3).to_string(index=False))
        print(
            f"wrote {folder}/ (traces.nc, runs.csv, summary.csv, summary.json, dose_response.png)"
        )
