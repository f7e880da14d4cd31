"""Traces from many checkpoints: streaming reader against loading everything first.

Writes N state dicts (default 1000) of a small transformer-like model: a 59 x 128 embedding
``embed.weight`` plus an unembedding and two MLP matrices (``--mlp`` wide), float32, as
``.pt`` (``torch.save``) or ``.safetensors``. Then, each in a fresh process (so the peak
memory is its own):

- lvdyn: ``lvdyn.traces_from_checkpoints(folder, embedding="embed.weight")``, one
  checkpoint at a time (memory-mapped ``torch.load``, or ``safe_open`` reading one tensor);
- load-all: ``torch.load(weights_only=True)`` of every file into a list first, then the same
  Fourier strengths of the stacked embeddings (``np.fft``), then ``make_traces``.

Prints wall and CPU seconds (CPU time is what one core would take; on a shared machine the
wall time is mostly waiting), the peak resident memory above the process's start-up, and
the ratios. Run: ``PYTHONPATH=. python benchmarks/bench_checkpoints.py
[--n 1000] [--format pt|safetensors] [--quick]``. One thread; the 2-core machine is shared
with other jobs, so timings are noisy (best of ``--repeats`` for the time; memory from the
first).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

P, D = 59, 128


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def write_checkpoints(folder: Path, n: int, mlp: int, fmt: str) -> float:
    import torch

    rng = torch.Generator().manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "embed.weight": torch.randn(P, D, generator=rng),
        "unembed.weight": torch.randn(D, P, generator=rng),
        "mlp.W_in": torch.randn(mlp, D, generator=rng),
        "mlp.W_out": torch.randn(D, mlp, generator=rng),
    }
    for step in range(n):
        state["embed.weight"] += 0.01 * torch.randn(P, D, generator=rng)
        name = folder / f"step_{step * 10:06d}"
        if fmt == "pt":
            torch.save(state, name.with_suffix(".pt"))
        else:
            from safetensors.torch import save_file

            save_file(state, str(name.with_suffix(".safetensors")))
    return sum(f.stat().st_size for f in folder.iterdir()) / 1e6


def run_method(method: str, folder: Path) -> dict[str, float]:
    import torch

    torch.set_num_threads(1)
    import lvdyn
    from lvdyn.producers._fourier import circle_frequencies

    base = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    if method == "lvdyn":
        ds = lvdyn.traces_from_checkpoints(folder, embedding="embed.weight")
    else:
        files = sorted(folder.iterdir())
        if files[0].suffix == ".pt":
            states = [torch.load(f, map_location="cpu", weights_only=True) for f in files]
        else:
            from safetensors.torch import load_file

            states = [load_file(str(f)) for f in files]
        embeddings = np.stack([s["embed.weight"].double().numpy() for s in states])
        strengths = np.linalg.norm(np.fft.fft(embeddings, axis=-2), axis=-1)
        ks = circle_frequencies(P)
        steps = [int(f.stem.split("_")[-1]) for f in files]
        ds = lvdyn.make_traces(strengths[None][:, :, ks], step=steps, component=ks)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(seconds=seconds, cpu=cpu, peak_mb=peak - base, steps=float(ds.sizes["step"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of checkpoints")
    parser.add_argument("--mlp", type=int, default=256, help="MLP width of the other tensors")
    parser.add_argument("--format", choices=("pt", "safetensors"), default="pt")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200 checkpoints, one repeat")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:  # child process: one measurement
        print(json.dumps(run_method(args.method, Path(args.folder))))
        return
    if args.quick:
        args.n, args.repeats = 200, 1
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.getcwd())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ckpts"
        start = time.perf_counter()
        size = write_checkpoints(folder, args.n, args.mlp, args.format)
        print(
            f"wrote {args.n} .{args.format} checkpoints ({size:.0f} MB, embedding {P}x{D}, "
            f"{size / args.n:.2f} MB each) in {time.perf_counter() - start:.0f} s"
        )
        results: dict[str, dict[str, float]] = {}
        for method in ("lvdyn", "load-all"):
            runs = []
            for _ in range(args.repeats):
                out = subprocess.run(
                    [sys.executable, __file__, "--method", method, "--folder", str(folder)],
                    capture_output=True, text=True, env=env, check=True,
                )  # fmt: skip
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            results[method] = dict(
                seconds=min(r["seconds"] for r in runs),
                cpu=min(r["cpu"] for r in runs),
                peak_mb=runs[0]["peak_mb"],
            )
    print("\n| method | wall s | CPU s | checkpoints per CPU s | peak memory above start-up (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for method, r in results.items():
        rate = args.n / r["cpu"]
        line = (
            f"| {method} | {r['seconds']:.1f} | {r['cpu']:.1f} | {rate:.0f} | {r['peak_mb']:.0f} |"
        )
        print(line)
    ours, base = results["lvdyn"], results["load-all"]
    print(
        f"\nload-all / lvdyn: CPU time x{base['cpu'] / ours['cpu']:.2f}, wall time "
        f"x{base['seconds'] / ours['seconds']:.2f}, peak memory "
        f"x{base['peak_mb'] / max(ours['peak_mb'], 1e-9):.1f}"
    )


if __name__ == "__main__":
    main()
