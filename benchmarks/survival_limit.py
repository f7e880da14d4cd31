"""How much of the outcome is decided at a prefix: nudge each network there and retrain.

For the 16 held-out modular-addition runs of `bench_mean_field.py` (p = 59, d = 128, seeds
1000-1015, 3000 steps), each network is trained to a prefix step (10, 20, 30 % of the
median settle step), its embedding nudged by Gaussian noise of relative size ``eps`` (each
entry gets ``eps`` times the RMS of its run's embedding; nothing else changes: MLP, AdamW
state and data split are as they were), or with ``--part mlp`` every weight and bias of
its MLP instead (each tensor by ``eps`` times its own RMS), or with ``--part directions``
each circle's direction in the embedding turned by ``eps`` towards a random one at exactly
its strength (``eps = 1``: the per-circle strengths are all that is kept of the
circles), and training continues to step 3000. Training is
deterministic, so without the nudge the run ends exactly as in the traces.

Printed per (prefix, eps): the mean F1 of the nudged runs' survivors against the original
runs' and how many of the 16 sets changed. Where a nudge far below anything a predictor
reads changes the set, the survivors are not a function of the state at the prefix: any
predictor that reads the prefix gives both runs the same answer and is wrong on at least
one of them.

Usage::

    python benchmarks/survival_limit.py --data DIR   # DIR as for bench_mean_field.py

About 3.5 minutes of 2 cores per (prefix, eps).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

import lvdyn
from lvdyn.prediction._prediction import _scores
from lvdyn.prediction._prefix_shooting import prefix_positions
from lvdyn.producers import modadd
from lvdyn.producers._checkpoint import load_checkpoint, save_checkpoint

SEEDS = list(range(1000, 1016))
SETTINGS = dict(p=59, d_embed=128, seeds=SEEDS, log_every=5, progress=False)


def turn_circles(embedding: torch.Tensor, eps: float, generator: torch.Generator) -> torch.Tensor:
    """``embedding`` (run, p, d) with each circle's DFT row ``F_k`` turned towards a random
    direction: ``u' ~ sqrt(1 - eps^2) u + eps g`` (``u = F_k / S_k``, ``g`` a random unit
    vector, ``eps = 1``: a random direction), rescaled to the same ``S_k``; the mean row and
    every strength are kept exactly, and the embedding stays real."""
    F = torch.fft.fft(embedding.double(), dim=1)  # (run, p, d)
    p = F.shape[1]
    for k in range(1, (p + 1) // 2):
        row = F[:, k]
        strength = row.abs().pow(2).sum(-1, keepdim=True).sqrt()
        g = torch.complex(*(torch.randn(row.shape, generator=generator, dtype=torch.float64)
                            for _ in range(2)))  # fmt: skip
        g = g / g.abs().pow(2).sum(-1, keepdim=True).sqrt()
        turned = (1 - eps**2) ** 0.5 * row / strength + eps * g
        F[:, k] = strength * turned / turned.abs().pow(2).sum(-1, keepdim=True).sqrt()
        F[:, p - k] = F[:, k].conj()
    return torch.fft.ifft(F, dim=1).real.to(embedding.dtype)


def nudge(path: Path, eps: float, seed: int, part: str = "embedding") -> None:
    """Add ``eps``-relative Gaussian noise to every run's embedding (``part="embedding"``)
    or to every weight and bias of its MLP (``part="mlp"``) in checkpoint ``path``; or
    turn each circle's direction by ``eps`` at its strength (``part="directions"``)."""
    tensors, config = load_checkpoint(path)
    generator = torch.Generator().manual_seed(seed)
    if part == "directions":
        tensors["param.embedding"] = turn_circles(tensors["param.embedding"], eps, generator)
    else:
        names = [n for n in tensors if n.startswith("param.")]
        for name in [n for n in names if (n == "param.embedding") == (part == "embedding")]:
            value = tensors[name]  # (run, ...)
            rms = value.pow(2).flatten(1).mean(dim=1).sqrt().view(-1, *[1] * (value.dim() - 1))
            noise = torch.randn(value.shape, generator=generator).to(value.dtype)
            tensors[name] = value + eps * rms * noise
    save_checkpoint(path, tensors, config)


def agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Mean F1 of the sets ``b`` against ``a`` (run, component), and how many differ."""
    scores = _scores(b, a)
    return float(np.nanmean(scores["f1"])), int((scores["exact"] == 0).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--fractions", type=float, nargs="*", default=[0.1, 0.2, 0.3])
    parser.add_argument("--eps", type=float, nargs="*", default=[1e-3, 1e-6])
    parser.add_argument("--seed", type=int, default=0, help="noise seed of the first eps")
    parser.add_argument("--part", choices=["embedding", "mlp", "directions"], default="embedding",
                        help="what the nudge moves")  # fmt: skip
    args = parser.parse_args()
    ds = lvdyn.open_traces(args.data / "modadd_d128_eval.nc").load()
    truth = lvdyn.survivors(ds).transpose("run", "component").values
    steps = int(ds.step.values[-1])
    fractions = tuple(args.fractions)
    print(f"| prefix | eps ({args.part}) | F1 against the original survivors | sets changed |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for fraction, last in zip(fractions, prefix_positions(ds, fractions), strict=True):
            step = int(ds.step.values[last])
            for k, eps in enumerate(args.eps):
                path = Path(folder) / f"prefix_{step}_{k}.pt"
                modadd.train(steps=step, checkpoint=path, **SETTINGS)
                nudge(path, eps, seed=args.seed + k, part=args.part)
                nudged = modadd.train(steps=steps, checkpoint=path, resume=True, **SETTINGS)
                after = lvdyn.survivors(nudged).transpose("run", "component").values
                f1, changed = agreement(truth, after)
                print(f"| {fraction:.0%} (step {step}) | {eps:g} | {f1:.2f} | {changed} / "
                      f"{len(SEEDS)} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
