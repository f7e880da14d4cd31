"""Held-out study of the mean-field Lotka-Volterra model on modular-addition traces.

For each embedding dimension d, 16 fresh runs (seeds 1000-1015, never used for fitting
the shipped coefficients) are predicted from their state at 10, 20 and 30 % of the median
settle step. Model families (`lvdyn.MeanFieldLV`, each run's growth rates from its own
prefix, calibrated on the logged ``loss_push``):

- ``feedback``: positive feedback with saturation K, shared a, c, floor, K fitted by
  shooting from prefixes of training runs (`fit_mean_field`, the default route); at
  d = 128 the coefficients shipped with lvdyn (fitted on seeds 0-15), at other d
  cross-validated over four folds of the 16 runs;
- ``plain``: the same without feedback (K = 0), a, c, floor by derivative matching
  (``route="derivative"``), fitted on the same runs;
- ``classifier`` and ``last-value``: lvdyn's other predictors, cross-validated alike.

It prints, per (d, prefix, family): the number of shared parameters, the fit time, the
trajectory R^2 from the prefix to the end of training (per run: median and minimum; and
pooled over all held-out runs), the survivor F1 (mean over runs) and the fitted parameters.
The classifier's F1 is printed beside, as the baseline run in the same process.

Usage::

    python benchmarks/bench_mean_field.py --data DIR            # trains what DIR lacks
    python benchmarks/bench_mean_field.py --data DIR --ship     # also rewrites the shipped
                                                                # coefficients from seeds 0-15
Training all traces takes about 1.5 h of one core (p = 59, 3000 steps, 16 runs per d).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import lvdyn
from lvdyn.prediction import _mean_field as mf
from lvdyn.prediction._prefix_shooting import prefix_positions

DIMENSIONS = (128, 64, 32, 16)
FRACTIONS = (0.1, 0.2, 0.3)
EVAL_SEEDS = tuple(range(1000, 1016))
SHIP_SEEDS = tuple(range(16))
FAMILIES = {"feedback": "shooting", "plain": "derivative"}
SHARED_PARAMETERS = {"feedback": 5, "plain": 4}  # a, c, floor, decay (+ K)


def traces(folder: Path, d: int, seeds: tuple[int, ...], tag: str):
    path = folder / f"modadd_d{d}_{tag}.nc"
    if not path.exists():
        from lvdyn.producers import modadd

        ds = modadd.train(p=59, d_embed=d, steps=3000, seeds=list(seeds), log_every=5)
        lvdyn.save_traces(ds, path)
    return lvdyn.open_traces(path).load()


def f1(predicted: np.ndarray, actual: np.ndarray) -> float:
    both = predicted.sum() + actual.sum()
    return float(2 * (predicted & actual).sum() / both) if both else float("nan")


def shared_models(ds, train, folds):
    """Per family, per fold: (shared model, fit seconds)."""
    out = {}
    for family, route in FAMILIES.items():
        fitted = []
        for fold in range(4):
            start = time.perf_counter()
            if train is not None and route == "shooting":
                model = mf.shipped_mean_field(ds)
            elif train is not None:
                model = mf.fit_mean_field(train, route=route)
            else:
                model = mf.fit_mean_field(ds.isel(run=folds != fold), route=route)
            fitted.append((model, time.perf_counter() - start))
            if train is not None:
                fitted *= 4  # one model for every fold
                break
        out[family] = fitted
    return out


def study(ds, train=None) -> list[dict]:
    """Rows of the held-out table; ``train``: fit there (d = 128) instead of across folds."""
    truth = lvdyn.survivors(ds).transpose("run", "component").values
    S = ds["strength"].transpose("run", "step", "component").values
    steps = ds.step.values
    n = ds.sizes["run"]
    folds = np.arange(n) % 4
    rule = lvdyn.traces._rules.survival_rule(ds)
    models = shared_models(ds, train, folds)
    rows = []
    for fraction, last in zip(FRACTIONS, prefix_positions(ds, FRACTIONS), strict=True):
        others = lvdyn.evaluate_survival_prediction(
            ds, [int(steps[last])], ["classifier", "last-value"], n_folds=4
        )
        baseline = {name: float(others.f1_mean.sel(predictor=name).values[0])
                    for name in ("classifier", "last-value")}  # fmt: skip
        for family, fitted in models.items():
            r2, scores, sse, sst = [], [], 0.0, []
            for r in range(n):
                shared, _ = fitted[folds[r]]
                model = mf.prefix_growth_model(shared, ds.isel(run=[r]), last)
                observed = S[r, last:]
                simulated = model.simulate(observed[0], steps[last:] - steps[last],
                                           on_divergence="nan")  # fmt: skip
                residual = float(((simulated - observed) ** 2).sum())
                r2.append(1.0 - residual / float(((observed - observed.mean()) ** 2).sum()))
                sse += residual
                sst.append(observed)
                state = model.equilibrium(S[r, last])
                predicted = rule.apply(state, rule.baseline_at(ds.isel(run=r), last, state))
                scores.append(f1(predicted, truth[r]))
            pooled = np.stack(sst)
            shared = fitted[0][0]
            rows.append({
                "d": int(ds["d_embed"].values[0]), "prefix_fraction": fraction,
                "prefix": int(steps[last]), "family": family,
                "shared_parameters": SHARED_PARAMETERS[family],
                "fit_seconds": float(np.mean([t for _, t in fitted])),
                "r2_median": float(np.median(r2)), "r2_min": float(np.min(r2)),
                "r2_pooled": 1.0 - sse / float(((pooled - pooled.mean()) ** 2).sum()),
                "f1": float(np.nanmean(scores)), **{f"f1_{k}": v for k, v in baseline.items()},
                "a": shared.self_limitation_, "c": shared.competition_,
                "floor": shared.floor_, "K": shared.saturation_,
            })  # fmt: skip
    return rows


def headline_figure(ds, path: Path, run: int = 0, fraction: float = 0.2) -> None:
    """Observed circles of one held-out run and the model's prediction from ``fraction``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = ds.step.values
    last = prefix_positions(ds, (fraction,))[0]
    model = mf.prefix_growth_model(mf.shipped_mean_field(ds), ds.isel(run=[run]), last)
    observed = ds.strength.values[run]
    simulated = model.simulate(observed[last], steps[last:] - steps[last])
    alive = lvdyn.survivors(ds).values[run]
    state = model.equilibrium(observed[last])
    rule = lvdyn.traces._rules.survival_rule(ds)
    predicted = rule.apply(state, rule.baseline_at(ds.isel(run=run), last, state))
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    colours = iter(plt.cm.tab10.colors)
    for k, label in enumerate(ds.component.values):
        colour = next(colours) if alive[k] else "0.75"
        ax.plot(steps, observed[:, k], color=colour, lw=1.6 if alive[k] else 0.8,
                label=f"k = {label} survives" if alive[k] else None)  # fmt: skip
        ax.plot(steps[last:], simulated[:, k], color=colour, ls="--", lw=1.2)
    ax.axvline(steps[last], color="k", lw=0.8)
    ax.text(steps[last], ax.get_ylim()[1] * 0.97, f"  prediction from step {steps[last]}",
            va="top", fontsize=9)  # fmt: skip
    hits = int((predicted & alive).sum())
    ax.set(
        xscale="symlog", xlim=(0, steps[-1]), xlabel="training step (linear to 1, then log)",
        ylabel="circle strength $S_k$",
        title=f"Held-out run {ds.run.values[run]}: observed (solid), mean-field model (dashed)\n"
        f"predicted {int(predicted.sum())} survivors, {hits} of the {int(alive.sum())} "
        "actual ones",
    )  # fmt: skip
    ax.legend(fontsize=8, loc="center left")
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of cached traces")
    parser.add_argument("--dims", type=int, nargs="*", default=list(DIMENSIONS))
    parser.add_argument("--ship", action="store_true", help="refit the shipped coefficients")
    parser.add_argument("--figure", type=Path, help="also draw the headline figure (PNG)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    if args.ship:
        train = traces(args.data, 128, SHIP_SEEDS, "train")
        model = mf.fit_mean_field(train)
        print(json.dumps({"a": model.self_limitation_, "c": model.competition_,
                          "floor": model.floor_, "saturation": model.saturation_,
                          "decay": model.decay_}))  # fmt: skip
    if args.figure is not None:
        headline_figure(traces(args.data, 128, EVAL_SEEDS, "eval"), args.figure)
    print("d    prefix  frac  family    params  fit s  R2 med  R2 min  R2 pooled  F1     "
          "F1 classifier  F1 last-value  a         c         floor  K")  # fmt: skip
    rows = []
    for d in args.dims:
        ds = traces(args.data, d, EVAL_SEEDS, "eval")
        train = traces(args.data, 128, SHIP_SEEDS, "train") if d == 128 else None
        for row in study(ds, train):
            rows.append(row)
            print(
                f"{d:<4} {row['prefix']:>6}  {row['prefix_fraction']:.1f}  {row['family']:<8}"
                f"  {row['shared_parameters']:>6}  {row['fit_seconds']:5.1f}"
                f"  {row['r2_median']:6.3f}  {row['r2_min']:6.2f}  {row['r2_pooled']:9.3f}"
                f"  {row['f1']:.3f}  {row['f1_classifier']:13.3f}  {row['f1_last-value']:13.3f}"
                f"  {row['a']:.2e}  {row['c']:.2e}  {row['floor']:5.2f}  {row['K']:5.1f}",
                flush=True,
            )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
