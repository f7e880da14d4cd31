"""Where one step of the modular-addition trainer goes: wall time per part, then per operator.

Times `lvdyn.producers.modadd.train` itself (p = 59, d = 128, width 100, float32, the
circle strengths and fitness signals logged every step, the test set every 100 steps) by
wrapping the functions each part calls, then lists the heaviest torch operators of a
forward and backward pass from `torch.profiler`. One thread by default.

Run: ``PYTHONPATH=. python benchmarks/profile_modadd.py [--runs 32] [--steps 30] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.profiler import profile

from lvdyn.producers import _modadd_trainer, modadd
from lvdyn.producers._modadd_model import Architecture
from lvdyn.producers._optim import BatchedOptimizer

SETTINGS = {"p": 59, "d_embed": 128, "width": 100, "eval_every": 100, "progress": False}
PARTS = ("forward", "loss", "backward", "accuracy", "test evaluation", "logged spectra", "update")


def timed(totals: dict[str, float], fn: Callable[..., Any], part: Callable[[], str]) -> Any:
    """``fn`` with its wall time added to ``totals[part()]`` at each call."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[part()] += time.perf_counter() - start

    return wrapper


def parts(runs: int, steps: int, threads: int) -> None:
    """Print the wall time per step of each part of `modadd.train` (summed over workers)."""
    totals: dict[str, float] = collections.defaultdict(float)

    def evaluating() -> bool:
        return not torch.is_grad_enabled()

    patches = [
        (Architecture, "forward", lambda: "test evaluation" if evaluating() else "forward"),
        (F, "cross_entropy", lambda: "test evaluation" if evaluating() else "loss"),
        (torch.Tensor, "backward", lambda: "backward"),
        (torch.Tensor, "max", lambda: "test evaluation" if evaluating() else "accuracy"),
        (_modadd_trainer, "spectra", lambda: "logged spectra"),
        (BatchedOptimizer, "update", lambda: "update"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    seeds = list(range(runs))
    modadd.train(**SETTINGS, seeds=seeds, steps=2, threads=threads)  # warm up
    for (owner, name, part), (_, _, original) in zip(patches, originals, strict=True):
        setattr(owner, name, timed(totals, original, part))
    try:
        start = time.perf_counter()
        modadd.train(**SETTINGS, seeds=seeds, steps=steps, threads=threads)
        wall = time.perf_counter() - start
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    per_step = 1000 / steps
    print(f"S = {runs}, threads = {threads}: {wall * per_step:.1f} ms a step, "
          f"{runs * steps / wall:.1f} model-steps/s (set-up and traces included)")  # fmt: skip
    print(f"{'part':18s} {'ms a step':>10s} {'share':>7s}  (summed over the workers)")
    for name in PARTS:
        print(f"{name:18s} {totals[name] * per_step:10.2f} {100 * totals[name] / wall:6.1f}%")
    rest = wall * threads - sum(totals.values())
    print(f"{'everything else':18s} {rest * per_step:10.2f} {100 * rest / wall:6.1f}%")


def operators(repeats: int = 20, top: int = 16) -> None:
    """Print the heaviest torch operators of one run's forward and backward pass."""
    config = modadd._config(
        **{k: v for k, v in SETTINGS.items() if k != "progress"}, depth=2, activation="silu",
        combine="concat", optimizer="adamw", lr=0.01, weight_decay=0.5, betas=(0.9, 0.999),
        eps=1e-8, train_fraction=0.8, dtype="float32", device="cpu", steps=1, seeds=[0],
        design="vary_all", init_seed=0, log_every=1, snapshot_steps=(), checkpoint_every=1,
        fitness_signals=True, given_embedding=False, freeze_embedding=False, freeze_mlp=False,
    )  # fmt: skip
    trainer = modadd._new_trainer(config, 1)
    names = tuple(trainer.params)
    for _ in range(3):
        trainer._metrics(trainer.train_split, 0, 1, names)
    with profile(record_shapes=True) as prof:
        for _ in range(repeats):
            trainer._metrics(trainer.train_split, 0, 1, names)
    events = prof.key_averages(group_by_input_shape=True)
    total = sum(e.self_cpu_time_total for e in events)
    print(f"\none run's forward + backward: {total / repeats / 1000:.2f} ms (profiled)")
    print(f"{'operator':28s} {'input shapes':60s} {'us':>7s} {'share':>6s}")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]:
        share = 100 * e.self_cpu_time_total / total
        print(f"{e.key[:28]:28s} {str(e.input_shapes)[:60]:60s} "
              f"{e.self_cpu_time_total / repeats:7.0f} {share:5.1f}%")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    parts(args.runs, args.steps, args.threads)
    operators()


if __name__ == "__main__":
    main()
