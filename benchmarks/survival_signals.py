"""How much the state at a prefix says about who survives: per-circle signals, ranked.

For the 16 held-out modular-addition runs of `bench_mean_field.py` (p = 59, d = 128,
seeds 1000-1015, 3000 steps), the networks are retrained to the prefix steps at 10, 20 and
30 % of the median settle step (checkpoints in a temporary folder; training is
deterministic, so these are the same networks as in the traces), and each circle k is
scored by a signal read at the prefix:

- ``strength``: S_k, the embedding's Fourier norm at frequency k;
- ``loss_push``: the loss gradient's radial push on the circle (logged in the traces);
- ``usage``: how strongly the MLP's first layer reads the circle's plane,
  sqrt(sum over both operands and both axes u of ||W_in^T u||^2), u the unit vectors
  Re F_k / S_k and Im F_k / S_k (independent of the circle's own size);
- ``readout``: the Fourier norm of the output layer's weights at frequency k along the
  class axis (how much the logits use frequency k).

Each signal ranks the circles within the run and the top n are called survivors, with n
the TRUE number of survivors of that run: this is an upper bound on what any rule that
ranks by that signal can reach (it is told the count). Beside it, the F1 the `MeanFieldLV`
predictor reaches with its own count (shipped coefficients), and its ranking given the
true count.

Usage::

    python benchmarks/survival_signals.py --data DIR    # DIR as for bench_mean_field.py

About 5 minutes on one core.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np

import lvdyn
from lvdyn.prediction import _mean_field as mf
from lvdyn.prediction._prefix_shooting import prefix_positions

FRACTIONS = (0.1, 0.2, 0.3)
SEEDS = list(range(1000, 1016))


def network_signals(path: Path, p: int, components: np.ndarray) -> dict[str, np.ndarray]:
    """``strength``, ``usage`` and ``readout`` (run, component) of a modadd checkpoint."""
    from lvdyn.producers._checkpoint import load_checkpoint

    tensors, _ = load_checkpoint(path)
    E, W_in, W_out = (tensors[f"param.{name}"].double().numpy()
                      for name in ("embedding", "w_in", "w_out"))  # fmt: skip
    dft = np.exp(-2j * np.pi * np.outer(components, np.arange(p)) / p)  # (K, p)
    F = np.einsum("kp,spd->skd", dft, E)  # (run, K, d)
    strength = np.linalg.norm(F, axis=-1)
    unit = F / strength[..., None]
    usage = np.sqrt(sum(
        np.linalg.norm(np.einsum("skd,sdh->skh", part(unit), W_in[:, block]), axis=-1) ** 2
        for block in range(W_in.shape[1]) for part in (np.real, np.imag)
    ))  # fmt: skip
    readout = np.linalg.norm(np.einsum("kp,shp->skh", dft, W_out), axis=-1)
    return {"strength": strength, "usage": usage, "readout": readout}


def top_n_f1(score: np.ndarray, truth: np.ndarray) -> float:
    """Mean F1 over runs when the ``truth.sum()`` highest scores of each run are called."""
    out = []
    for s, t in zip(score, truth, strict=True):
        called = np.zeros(t.size, bool)
        called[np.argsort(-s)[: t.sum()]] = True
        out.append(2 * (called & t).sum() / (called.sum() + t.sum()))
    return float(np.mean(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    warnings.simplefilter("ignore", lvdyn.MeanFieldRangeWarning)
    ds = lvdyn.open_traces(args.data / "modadd_d128_eval.nc").load()
    truth = lvdyn.survivors(ds).transpose("run", "component").values
    rule = lvdyn.traces._rules.survival_rule(ds)
    shipped = mf.shipped_mean_field(ds)
    S = ds.strength.transpose("run", "step", "component").values
    from lvdyn.producers import modadd

    print("| prefix | " + " | ".join(["strength", "loss_push", "usage", "readout",
                                       "model's ranking", "model (own count)"]) + " |")  # fmt: skip
    print("|" + " --- |" * 7)
    with tempfile.TemporaryDirectory() as folder:
        for fraction, last in zip(FRACTIONS, prefix_positions(ds, FRACTIONS), strict=True):
            step = int(ds.step.values[last])
            path = Path(folder) / f"prefix_{step}.pt"
            modadd.train(p=59, d_embed=128, steps=step, seeds=SEEDS, log_every=5,
                         checkpoint=path, progress=False, threads=1)  # fmt: skip
            signals = network_signals(path, 59, ds.component.values)
            gap = np.abs(signals["strength"] - S[:, last]).max() / S[:, last].max()
            assert gap < 1e-5, f"retrained networks differ from the traces ({gap:.1e})"
            signals["loss_push"] = ds.loss_push.transpose("run", "step", "component").values[
                :, last
            ]
            ranking, own = [], []
            for r in range(ds.sizes["run"]):
                model = mf.prefix_growth_model(shipped, ds.isel(run=[r]), last)
                state = model.equilibrium(S[r, last])
                called = rule.apply(state, rule.baseline_at(ds.isel(run=r), last, state))
                own.append(2 * (called & truth[r]).sum() / (called.sum() + truth[r].sum()))
                ranking.append(state + 1e-9 * model.growth_rates_)  # rate breaks floor ties
            cells = [top_n_f1(signals[name], truth)
                     for name in ("strength", "loss_push", "usage", "readout")]  # fmt: skip
            cells += [top_n_f1(np.array(ranking), truth), float(np.mean(own))]
            row = " | ".join(f"{v:.2f}" for v in cells)
            print(f"| {fraction:.0%} (step {step}) | {row} |", flush=True)


if __name__ == "__main__":
    main()
