"""Your own checkpoints -> traces -> a Lotka-Volterra fit -> a report.

A plain PyTorch training loop, written as any user would (it knows nothing of lvdyn), trains
a small embedding + MLP network on (a + b) mod p for two seeds and saves its state dict
every few steps into one folder per run. lvdyn then reads the folders with
`lvdyn import-checkpoints` (tensors only, one checkpoint at a time), fits a Lotka-Volterra
model to the Fourier strengths of the embedding with `lvdyn fit`, and writes an HTML report
with `lvdyn report`.

Run:  python examples/checkpoints_to_report.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

import lvdyn
from lvdyn.cli import main as lvdyn_cli


class SumMLP(torch.nn.Module):
    """The user's model: ReLU(W (E_a + E_b)) read out to p classes."""

    def __init__(self, p: int, d: int, width: int) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(p, d)
        self.hidden = torch.nn.Linear(d, width)
        self.readout = torch.nn.Linear(width, p)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        e = self.embed(pairs)
        return self.readout(torch.relu(self.hidden(e[:, 0] + e[:, 1])))


def train_and_save(folder: Path, *, p: int, steps: int, every: int, seed: int) -> None:
    """The user's training loop: full-batch AdamW, a state dict every `every` steps."""
    torch.manual_seed(seed)
    model = SumMLP(p, 32, 64)
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    train = pairs[torch.randperm(len(pairs))[: int(0.5 * len(pairs))]]
    labels = train.sum(1) % p
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1.0)
    folder.mkdir(parents=True, exist_ok=True)
    for step in range(steps + 1):
        if step % every == 0:
            torch.save(model.state_dict(), folder / f"step_{step:05d}.pt")
        if step == steps:
            break
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(train), labels).backward()
        opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    parser.add_argument("--out", type=Path, default=Path("checkpoints-out"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    p, steps, every = (11, 100, 10) if args.quick else (23, 3000, 25)
    runs = args.out / "runs"
    for seed in (0, 1):
        train_and_save(runs / f"seed{seed}", p=p, steps=steps, every=every, seed=seed)
    print(f"saved {2 * (steps // every + 1)} checkpoints under {runs}/seed0, seed1")

    traces, model, report = args.out / "traces.nc", args.out / "lv.nc", args.out / "report"
    for argv in (
        ["import-checkpoints", str(runs), "--embedding", "embed.weight", "--out", str(traces)],
        ["fit", str(traces), "--model", "lv", "--out", str(model)],
        ["report", str(traces), str(model), "--out", str(report)],
    ):
        status = lvdyn_cli([*argv, "--quiet"])
        if status:
            raise SystemExit(status)
    ds = lvdyn.open_traces(traces)
    print(f"traces: {dict(ds.strength.sizes)}")
    for run in ds.run.values:
        first, last = (ds.strength.sel(run=run).isel(step=i) for i in (0, -1))
        top = last.sortby(last, ascending=False)[:3]
        share = (top**2).sum() / (last**2).sum()
        print(
            f"  {run}: strongest frequencies at step {int(last.step)}: "
            f"{top.component.values.tolist()} ({float(share):.0%} of the energy; "
            f"{float((first.sortby(first, ascending=False)[:3] ** 2).sum() / (first**2).sum()):.0%}"
            " for the strongest three at step 0)"
        )
    print(f"wrote {traces}, {model} and {report / 'report.html'}")


if __name__ == "__main__":
    main()
