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
  class axis (how much the logits use frequency k);
- ``ablation``: what the network loses without the circle: the cross-entropy over all p^2
  pairs with frequency k (and -k) removed from the embedding, less the intact network's;
- ``circuit``: the clock circuit through the circle, sum over first-layer neurons n of
  Re(alpha_1n alpha_2n conj(omega_n)), alpha_in = F_k . W_in[i][:, n] (how neuron n reads
  the circle from operand i, as a complex amplitude), omega_n the frequency-k DFT of the
  neuron's readout (the second layer linearised at its biases, then the output layer): the
  part of the first nonlinearity's quadratic term that writes cos(k(a + b)) into the
  logits, with its phase (a circuit read with the wrong phase scores negative);
- ``adam_step``: AdamW's own radial step on the circle, -Re<F_k, U_k> / S_k with U the
  bias-corrected m / (sqrt(v) + eps) of the embedding (what moves S_k, where loss_push is
  the raw gradient's pull).

Each signal ranks the circles within the run and the top n are called survivors, with n
the TRUE number of survivors of that run: this is an upper bound on what any rule that
ranks by that signal can reach (it is told the count). Beside it, the F1 the `MeanFieldLV`
predictor reaches with its own count (shipped coefficients), and its ranking given the
true count.

Usage::

    python benchmarks/survival_signals.py --data DIR    # DIR as for bench_mean_field.py

About 6 minutes on one core.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np

import lvdyn
from lvdyn.prediction import _mean_field as mf
from lvdyn.prediction._prefix_shooting import prefix_positions

FRACTIONS = (0.1, 0.2, 0.3)
SEEDS = list(range(1000, 1016))
SIGNALS = ("strength", "loss_push", "usage", "readout", "ablation", "circuit", "adam_step")


def network_signals(path: Path, ds, components: np.ndarray) -> dict[str, np.ndarray]:
    """Every signal but ``loss_push``, (run, component), from a modadd checkpoint."""
    from lvdyn.producers._checkpoint import load_checkpoint

    tensors, _ = load_checkpoint(path)
    params = {name[6:]: t.double() for name, t in tensors.items() if name.startswith("param.")}
    E, W_in, W_out = (params[name].numpy() for name in ("embedding", "w_in", "w_out"))
    p = E.shape[1]
    dft = np.exp(-2j * np.pi * np.outer(components, np.arange(p)) / p)  # (K, p)
    F = np.einsum("kp,spd->skd", dft, E)  # (run, K, d)
    strength = np.linalg.norm(F, axis=-1)
    unit = F / strength[..., None]
    usage = np.sqrt(sum(
        np.linalg.norm(np.einsum("skd,sdh->skh", part(unit), W_in[:, block]), axis=-1) ** 2
        for block in range(W_in.shape[1]) for part in (np.real, np.imag)
    ))  # fmt: skip
    readout = np.linalg.norm(np.einsum("kp,shp->skh", dft, W_out), axis=-1)
    config = json.loads(ds.attrs["producer_config"])
    return {"strength": strength, "usage": usage, "readout": readout,
            "ablation": _ablation(params, config, F, dft),
            "circuit": _circuit(params, config["depth"], F, dft),
            "adam_step": _adam_step(tensors, config, components)}  # fmt: skip


def _ablation(params, config: dict, F: np.ndarray, dft: np.ndarray) -> np.ndarray:
    """Loss over all p^2 pairs without each circle, less the intact network's."""
    import torch
    import torch.nn.functional as functional

    from lvdyn.producers._modadd_model import Architecture

    shape = ("p", "d_embed", "width", "depth", "activation", "combine")
    arch = Architecture(**{key: config[key] for key in shape})
    E = params["embedding"].numpy()
    n_runs, p = E.shape[:2]
    a, b = (grid.ravel() for grid in np.meshgrid(np.arange(p), np.arange(p), indexing="ij"))
    first, second = (torch.as_tensor(np.tile(x, (n_runs, 1))) for x in (a, b))
    target = torch.as_tensor((a + b) % p).repeat(n_runs)

    def loss(embedding: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = arch.forward({**params, "embedding": torch.as_tensor(embedding)}, first,
                                  second)  # fmt: skip
        out = functional.cross_entropy(logits.reshape(-1, p), target, reduction="none")
        return out.view(n_runs, -1).mean(1).numpy()

    # frequency k and -k of the embedding: (2 / p) Re(F_k e^{2 pi i k x / p})
    parts = (2 / p) * np.real(np.einsum("skd,kp->skpd", F, np.conj(dft)))
    intact = loss(E)
    return np.stack([loss(E - parts[:, k]) - intact for k in range(dft.shape[0])], axis=1)


def _circuit(params, depth: int, F: np.ndarray, dft: np.ndarray) -> np.ndarray:
    """The phase-aligned clock circuit through each circle (module docstring; SiLU)."""
    W_in = params["w_in"].numpy()
    readout = params["w_out"].numpy()
    for i in reversed(range(1, depth)):
        z = params[f"b_{i}"].numpy()[:, 0]
        sigmoid = 1 / (1 + np.exp(-z))
        slope = sigmoid * (1 + z * (1 - sigmoid))  # SiLU'(z)
        readout = np.einsum("sij,sj,sjp->sip", params[f"w_{i}"].numpy(), slope, readout)
    # one block per operand (concat), or one shared by both (sum)
    alpha = [np.einsum("skd,sdh->skh", F, W_in[:, block]) for block in range(W_in.shape[1])]
    omega = np.einsum("kp,shp->skh", dft, readout)
    return np.real(alpha[0] * alpha[-1] * np.conj(omega)).sum(-1)


def _adam_step(tensors, config: dict, components: np.ndarray) -> np.ndarray:
    """AdamW's radial step on each circle (its decay excluded), by the producers' rule."""
    from lvdyn.producers._fitness import radial_push

    n = int(tensors["optim.n_updates"])
    (beta1, beta2), eps = config["betas"], config["eps"]
    m, v = (tensors[f"optim.{name}.embedding"].double() for name in ("exp_avg", "exp_avg_sq"))
    step = (m / (1 - beta1**n)) / ((v / (1 - beta2**n)).sqrt() + eps)
    return -radial_push(tensors["param.embedding"].double(), step).numpy()[..., components]


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

    print("| prefix | " + " | ".join([*SIGNALS, "model's ranking", "model (own count)"]) + " |")
    print("|" + " --- |" * (len(SIGNALS) + 3))
    with tempfile.TemporaryDirectory() as folder:
        for fraction, last in zip(FRACTIONS, prefix_positions(ds, FRACTIONS), strict=True):
            step = int(ds.step.values[last])
            path = Path(folder) / f"prefix_{step}.pt"
            modadd.train(p=59, d_embed=128, steps=step, seeds=SEEDS, log_every=5,
                         checkpoint=path, progress=False, threads=1)  # fmt: skip
            signals = network_signals(path, ds, ds.component.values)
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
            cells = [top_n_f1(signals[name], truth) for name in SIGNALS]
            cells += [top_n_f1(np.array(ranking), truth), float(np.mean(own))]
            row = " | ".join(f"{v:.2f}" for v in cells)
            print(f"| {fraction:.0%} (step {step}) | {row} |", flush=True)


if __name__ == "__main__":
    main()
