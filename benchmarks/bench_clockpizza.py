"""Clock-and-Pizza at the paper's size: seconds per model-step, before and after issue 21.

p = 59, d = 128, 4 heads, MLP width 512, 2785 training pairs, full-batch AdamW, float32.

- before: the previous trainer's step, one run at a time (the whole two-position block,
  ``x[:, -1]`` read out at the end), on its best torch thread count (1 or all cores);
- lvdyn: `lvdyn.producers.clockpizza.train` with ``threads=1`` and one run, and with
  ``threads=<all cores>`` and one run per core (runs side by side on worker threads; the
  first block's q/k/v projections computed once per token and position and gathered,
  attention over the two positions as broadcast sums, only the read-out position computed
  after attention). Its times include the set-up and the traces at the first and last step.

Run: ``PYTHONPATH=. python benchmarks/bench_clockpizza.py [--steps N]``.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from lvdyn.producers import clockpizza
from lvdyn.producers._clockpizza_model import PaperTransformer
from lvdyn.producers._threads import available_cores

P, D = 59, 128


def before(steps: int, threads: int) -> float:
    """Seconds per step of the previous trainer's loop on ``threads`` torch threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = PaperTransformer(P, D, alpha=1.0, n_heads=4)
    pairs = torch.cartesian_prod(torch.arange(P), torch.arange(P))[: int(0.8 * P * P)]
    labels = pairs.sum(1) % P
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=2.0)

    def step() -> None:
        optimiser.zero_grad()
        x = model.tokens(pairs) + model.pos_embed.W_pos
        for block in model.blocks:
            x = block(x)  # every position, as before
        logits = (x[:, -1] @ model.unembed.W_U).double()
        torch.nn.functional.cross_entropy(logits, labels).backward()
        optimiser.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    torch.set_num_threads(1)
    return (time.perf_counter() - start) / steps


def lvdyn_seconds(steps: int, runs: int, threads: int) -> float:
    """Seconds per model-step of `clockpizza.train` (set-up and two logged steps included)."""
    start = time.perf_counter()
    clockpizza.train(
        p=P, d_model=D, steps=steps, seeds=list(range(runs)), log_every=steps, threads=threads
    )
    return (time.perf_counter() - start) / (steps * runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="steps per timing")
    args = parser.parse_args()
    cores = available_cores()
    clockpizza.train(p=7, d_model=8, n_heads=2, steps=2, threads=1)  # first-call costs
    old = {t: before(args.steps, t) for t in sorted({1, cores})}
    best_threads = min(old, key=lambda t: old[t])
    one = lvdyn_seconds(args.steps, 1, 1)
    side = lvdyn_seconds(args.steps, cores, cores)
    print(f"cores available: {cores}; load average {os.getloadavg()[0]:.1f} at the end")
    for t, seconds in old.items():
        print(f"before, {t} torch thread(s): {1000 * seconds:.0f} ms per model-step")
    print(f"lvdyn, 1 run, threads=1: {1000 * one:.0f} ms per model-step")
    print(f"lvdyn, {cores} runs, threads={cores}: {1000 * side:.0f} ms per model-step")
    print(
        f"speed-up per model-step on {cores} cores: {old[best_threads] / side:.2f}x "
        f"(against the best before, {best_threads} thread(s); goal >= 2)"
    )


if __name__ == "__main__":
    main()
