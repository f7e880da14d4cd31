"""Throughput of the modular-addition trainer on 1 and on all cores, and the demo under load.

Model-steps per second at p = 59, d = 128, width 100, full batch (2784 training pairs):

- reference: one ``nn.Module`` at a time, float64, concatenated inputs through a plain
  ``Linear(2d, 100)``, ``torch.optim.AdamW`` (the paper's code, without its per-step
  embedding dumps and test evaluation), on its best torch thread count (1 or all cores);
- plain float32: the same loop in float32, also on its best thread count;
- lvdyn: `lvdyn.producers.modadd.train` with S = 1, 8, 32 runs, float32, logging every
  circle strength every step and the test set every 100 steps, with ``threads=1`` and
  ``threads=<all cores>`` (worker threads with one torch thread each).

Also: achieved GFLOP/s against the measured matmul rate of one core and of all cores (the
roofline), stored bytes per run, and the wall time of ``lvdyn demo`` idle and beside one
competing CPU-bound process (a busy loop the benchmark starts, bounds and stops).

Run: ``PYTHONPATH=. python benchmarks/bench_modadd.py [--quick] [--no-demo]``. The demo
runs without ``OMP_NUM_THREADS`` in its environment, as a new user would start it. Each
rate is the best of ``--repeats`` timings (default 3), since machines are often shared.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

import lvdyn
from lvdyn.producers import modadd
from lvdyn.producers._modadd_model import pair_tokens, split_pairs
from lvdyn.producers._modadd_reference import ReferenceMLP
from lvdyn.producers._threads import available_cores

P, D, WIDTH = 59, 128, 100
N_TRAIN = int(P * P * 0.8)


def matmul_gflops(threads: int, n: int = 1024, repeats: int = 10) -> float:
    """Float32 GEMM rate (GFLOP/s) on ``threads`` cores: the better of ``threads`` torch
    threads on one product and ``threads`` Python threads on one product each."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    flops = 2 * n**3 * repeats

    def products() -> None:
        for _ in range(repeats):
            a @ b

    torch.set_num_threads(threads)
    products()
    start = time.perf_counter()
    products()
    intra = flops / (time.perf_counter() - start) / 1e9
    torch.set_num_threads(1)
    # each thread pins itself: OpenMP keeps the count per thread, and a new thread starts at
    # the environment's default (every core without OMP_NUM_THREADS)
    with ThreadPoolExecutor(threads, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        list(pool.map(lambda _: products(), range(threads)))
        start = time.perf_counter()
        list(pool.map(lambda _: products(), range(threads)))
        side_by_side = threads * flops / (time.perf_counter() - start) / 1e9
    return max(intra, side_by_side)


def plain_loop(dtype: torch.dtype, steps: int, repeats: int, threads: int) -> float:
    """Model-steps/s of the reference training loop in ``dtype`` on ``threads`` torch threads."""
    torch.set_num_threads(threads)
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
    torch.set_num_threads(1)
    return best


def best_plain(dtype: torch.dtype, steps: int, repeats: int, cores: int) -> tuple[float, int]:
    """The plain loop's best rate over 1 and ``cores`` torch threads, and that thread count."""
    rates = {t: plain_loop(dtype, steps, repeats, t) for t in sorted({1, cores})}
    best = max(rates, key=lambda t: rates[t])
    return rates[best], best


def lvdyn_rate(n_runs: int, steps: int, repeats: int, threads: int) -> float:
    """Model-steps/s of lvdyn's trainer with ``n_runs`` runs on ``threads`` (set-up included)."""
    kwargs = {"p": P, "d_embed": D, "width": WIDTH, "seeds": list(range(n_runs))}
    modadd.train(**kwargs, steps=2, progress=False, threads=threads)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        modadd.train(**kwargs, steps=steps, eval_every=100, progress=False, threads=threads)
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


def demo_seconds(quick: bool, competitor_seconds: float | None) -> float:
    """Wall time of ``lvdyn demo`` in a fresh process; optionally beside one busy process.

    The competitor is a single-threaded busy loop that stops by itself after
    ``competitor_seconds`` and is terminated as soon as the demo ends.
    """
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["MPLBACKEND"] = "Agg"
    busy = None
    if competitor_seconds is not None:
        end = f"time.time() + {competitor_seconds:.0f}"
        loop = f"import time\nend = {end}\nwhile time.time() < end: pass"
        busy = subprocess.Popen([sys.executable, "-c", loop])
    try:
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, "-m", "lvdyn", "demo", "--quiet", "--out", folder]
            start = time.perf_counter()
            subprocess.run([*command, *(["--quick"] if quick else [])], env=env, check=True)
            return time.perf_counter() - start
    finally:
        if busy is not None:
            busy.terminate()
            busy.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per method (best)")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo timings")
    args = parser.parse_args()
    # a SIGTERM (a timeout) unwinds normally, so the busy process is stopped too
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    reps = 1 if args.quick else args.repeats
    cores = available_cores()
    torch.set_num_threads(1)
    scale = 0.2 if args.quick else 1.0

    def n(steps: int) -> int:
        return max(2, int(steps * scale))

    gemm = {t: matmul_gflops(t) for t in sorted({1, cores})}
    ref, ref_threads = best_plain(torch.float64, n(10), reps, cores)
    plain, plain_threads = best_plain(torch.float32, n(40), reps, cores)
    rows = [
        (f"reference (float64, nn.Module loop; {ref_threads} thr)", ref, False, ref_threads),
        (f"plain float32 loop ({plain_threads} thr)", plain, False, plain_threads),
    ]
    rates: dict[tuple[int, int], float] = {}
    for threads in sorted({1, cores}):
        for n_runs, steps in ((1, 100), (8, 30), (32, 12)):
            rate = lvdyn_rate(n_runs, n(steps * max(1, threads // 2)), reps, threads)
            rates[n_runs, threads] = rate
            rows.append((f"lvdyn S={n_runs}, threads={threads}", rate, True, threads))
    print(f"cores available: {cores}; load average {os.getloadavg()[0]:.1f} at the end")
    for t, rate in gemm.items():
        print(f"float32 matmul (1024^2) on {t} core(s): {rate:.1f} GFLOP/s")
    header = f"{'method':44s} {'model-steps/s':>13s} {'x ref':>7s} {'x f32':>7s} {'GFLOP/s':>8s}"
    print(f"{header} {'% roofline':>10s}")
    for name, rate, trick, threads in rows:
        gf = rate * flops_per_step(trick) / 1e9
        roof = 100 * gf / gemm[threads]
        print(
            f"{name:44s} {rate:13.1f} {rate / ref:7.1f} {rate / plain:7.1f} {gf:8.1f} {roof:9.0f}%"
        )
    if cores > 1:
        s32 = rates[32, cores]
        roofline = gemm[cores] * 1e9 / flops_per_step(True)
        print(
            f"S=32 on {cores} cores: {s32 / rates[32, 1]:.2f}x the 1-core rate (goal >= 1.8), "
            f"{100 * s32 / roofline:.0f}% of the {roofline:.0f} model-steps/s roofline "
            f"(goal >= 50), {s32 / plain:.1f}x the plain float32 loop (goal >= 7)"
        )
    per_step = stored_bytes_per_run(n(200))
    dumps = (30001 + 1) * P * D * 8 + (1000 + 1) * P * D * 8
    print(
        f"stored per run, 30001 steps: reference embedding dumps {dumps / 1e9:.2f} GB; "
        f"lvdyn traces {per_step * 30002 / 1e6:.1f} MB ({dumps / (per_step * 30002):.0f}x less)"
    )
    if not args.no_demo:
        idle = demo_seconds(args.quick, None)
        loaded = demo_seconds(args.quick, competitor_seconds=3 * idle + 60)
        kind = "lvdyn demo --quick" if args.quick else "lvdyn demo"
        print(
            f"{kind}: {idle:.1f} s idle, {loaded:.1f} s beside one busy process "
            f"({loaded / idle:.2f}x; goal <= 1.5x)"
        )


if __name__ == "__main__":
    main()
