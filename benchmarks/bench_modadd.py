"""Throughput of the modular-addition trainer against the reference recipe (one process).

Model-steps per second at p = 59, d = 128, width 100, full batch (2784 training pairs):

- reference: one ``nn.Module`` at a time, float64, concatenated inputs through a plain
  ``Linear(2d, 100)``, ``torch.optim.AdamW`` (the paper's code, without its per-step
  embedding dumps and test evaluation);
- plain float32: the same loop in float32;
- lvdyn: `lvdyn.producers.modadd.train` with S = 1, 8, 32 runs batched, float32, logging
  every circle strength every step and the test set every 100 steps.

Also: FLOP rates against this machine's float32 matmul rate, and stored bytes per run.
Run: ``PYTHONPATH=. python benchmarks/bench_modadd.py [--quick]``. One thread throughout.
The machine is shared, so each rate is the best of ``--repeats`` timings (default 3).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

import lvdyn
from lvdyn.producers import modadd
from lvdyn.producers._modadd_model import pair_tokens, split_pairs
from lvdyn.producers._modadd_reference import ReferenceMLP

P, D, WIDTH = 59, 128, 100
N_TRAIN = int(P * P * 0.8)


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    """Measured float32 GEMM rate (GFLOP/s) on one thread."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def plain_loop(dtype: torch.dtype, steps: int, repeats: int) -> float:
    """Model-steps/s of the reference training loop in ``dtype``."""
    model = ReferenceMLP(P, D, WIDTH, 2, seed=0).to(dtype)
    a, b, y = (torch.as_tensor(v) for v in pair_tokens(split_pairs(P, 0.8, 0)[0], P))
    opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.5, foreach=False)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(a, b), y).backward()
        opt.step()

    step()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = max(best, steps / (time.perf_counter() - start))
    return best


def lvdyn_rate(n_runs: int, steps: int, repeats: int) -> float:
    """Model-steps/s of lvdyn's batched trainer with ``n_runs`` runs (set-up included)."""
    kwargs = {"p": P, "d_embed": D, "width": WIDTH, "seeds": list(range(n_runs))}
    modadd.train(**kwargs, steps=2, progress=False)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        modadd.train(**kwargs, steps=steps, eval_every=100, progress=False)
        best = max(best, n_runs * steps / (time.perf_counter() - start))
    return best


def flops_per_step(first_layer_trick: bool) -> float:
    """Forward + backward FLOPs of one model-step (2 per multiply-add, backward = 2x)."""
    rest = N_TRAIN * (WIDTH * WIDTH + WIDTH * P)
    first = 2 * P * D * WIDTH if first_layer_trick else N_TRAIN * 2 * D * WIDTH
    return 3 * 2 * (first + rest)


def stored_bytes_per_run(steps: int) -> float:
    """Bytes per run per logged step of an lvdyn traces file (netCDF, compressed)."""
    ds = modadd.train(p=P, d_embed=D, width=WIDTH, seeds=[0, 1], steps=steps, progress=False)
    with tempfile.TemporaryDirectory() as folder:
        size = lvdyn.save_traces(ds, Path(folder) / "t.nc").stat().st_size
    return size / 2 / (steps + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per method (best)")
    args = parser.parse_args()
    reps = 1 if args.quick else args.repeats
    torch.set_num_threads(1)
    scale = 0.2 if args.quick else 1.0

    def n(steps: int) -> int:
        return max(2, int(steps * scale))

    gemm = matmul_gflops()
    rows = [
        ("reference (float64, nn.Module loop)", plain_loop(torch.float64, n(10), reps), False),
        ("plain float32 loop", plain_loop(torch.float32, n(40), reps), False),
        ("lvdyn S=1", lvdyn_rate(1, n(100), reps), True),
        ("lvdyn S=8", lvdyn_rate(8, n(30), reps), True),
        ("lvdyn S=32", lvdyn_rate(32, n(12), reps), True),
    ]
    ref, plain = rows[0][1], rows[1][1]
    print(f"float32 matmul (1024^2, 1 thread): {gemm:.1f} GFLOP/s")
    print(f"{'method':38s} {'model-steps/s':>13s} {'x ref':>7s} {'x f32':>7s} {'GFLOP/s':>8s}")
    for name, rate, trick in rows:
        gf = rate * flops_per_step(trick) / 1e9
        print(f"{name:38s} {rate:13.1f} {rate / ref:7.1f} {rate / plain:7.1f} {gf:8.1f}")
    per_step = stored_bytes_per_run(n(200))
    dumps = (30001 + 1) * P * D * 8 + (1000 + 1) * P * D * 8
    print(
        f"stored per run, 30001 steps: reference embedding dumps {dumps / 1e9:.2f} GB; "
        f"lvdyn traces {per_step * 30002 / 1e6:.1f} MB ({dumps / (per_step * 30002):.0f}x less)"
    )


if __name__ == "__main__":
    main()
