"""Held-out study of the mean-field Lotka-Volterra model on modular-addition traces.

For each embedding dimension d, 16 fresh runs (seeds 1000-1015, never used for fitting
the shipped coefficients) are predicted from their state at 10, 20 and 30 % of the median
settle step:

- ``mean-field``: `lvdyn.MeanFieldLV`; shared parameters (a, c, floor) from other runs
  (at d = 128 the coefficients shipped with lvdyn, fitted on seeds 0-15; at other d
  cross-validated over four folds of the 16 runs), each run's growth rates from its own
  prefix, then simulated to the end of training;
- ``classifier`` and ``last-value``: lvdyn's other predictors, cross-validated alike.

It prints, per (d, prefix): the pooled trajectory R^2 per run after the prefix (median
and minimum over runs), survivor F1 (mean over runs) of each predictor, and the time per
fit. Ratios are against the classifier run in the same process.

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

DIMENSIONS = (128, 64, 32, 16)
FRACTIONS = (0.1, 0.2, 0.3)
EVAL_SEEDS = tuple(range(1000, 1016))
SHIP_SEEDS = tuple(range(16))


def traces(folder: Path, d: int, seeds: tuple[int, ...], tag: str):
    path = folder / f"modadd_d{d}_{tag}.nc"
    if not path.exists():
        from lvdyn.producers import modadd

        ds = modadd.train(p=59, d_embed=d, steps=3000, seeds=list(seeds), log_every=5)
        lvdyn.save_traces(ds, path)
    return lvdyn.open_traces(path)


def trajectory_r2(model, ds, run: int, last: int) -> float:
    """Pooled R^2 over components and steps after the prefix of one run."""
    steps = ds.step.values.astype(float)
    observed = ds.strength.values[run, last:]
    simulated = model.simulate(observed[0], steps[last:] - steps[last], on_divergence="nan")
    if not np.all(np.isfinite(simulated)):
        return float("-inf")
    residual = ((simulated - observed) ** 2).sum()
    return float(1.0 - residual / ((observed - observed.mean()) ** 2).sum())


def f1(predicted: np.ndarray, actual: np.ndarray) -> float:
    both = predicted.sum() + actual.sum()
    return float(2 * (predicted & actual).sum() / both) if both else float("nan")


def study(ds, shipped: bool) -> list[dict]:
    truth = lvdyn.survivors(ds).transpose("run", "component").values
    settle = float(np.median(lvdyn.settle_step(ds).values))
    steps = ds.step.values
    n = ds.sizes["run"]
    folds = np.arange(n) % 4
    rule = lvdyn.traces._rules.survival_rule(ds)
    rows = []
    for fraction in FRACTIONS:
        last = int(np.searchsorted(steps, fraction * settle, side="right") - 1)
        r2, f1_mf, fit_time = [], [], []
        for fold in range(4):
            test = np.flatnonzero(folds == fold)
            start = time.perf_counter()
            shared = (
                mf.shipped_mean_field(ds)
                if shipped
                else mf.fit_mean_field(ds.isel(run=folds != fold))
            )
            fit_time.append(time.perf_counter() - start)
            for r in test:
                model = mf.prefix_growth_model(shared, ds.isel(run=[r]), last)
                r2.append(trajectory_r2(model, ds, r, last))
                state = model.equilibrium()
                predicted = rule.apply(state, rule.baseline_at(ds.isel(run=r), last, state))
                f1_mf.append(f1(predicted, truth[r]))
        start = time.perf_counter()
        others = lvdyn.evaluate_survival_prediction(
            ds, [int(steps[last])], ["classifier", "last-value"], n_folds=4
        )
        classifier_time = (time.perf_counter() - start) / 4
        rows.append(
            {
                "prefix_fraction": fraction,
                "prefix": int(steps[last]),
                "r2_median": float(np.median(r2)),
                "r2_min": float(np.min(r2)),
                "f1_mean_field": float(np.nanmean(f1_mf)),
                "f1_classifier": float(others.f1_mean.sel(predictor="classifier").values[0]),
                "f1_last_value": float(others.f1_mean.sel(predictor="last-value").values[0]),
                "fit_seconds": float(np.mean(fit_time)),
                "classifier_seconds": classifier_time,
                "a": shared.self_limitation_,
                "c": shared.competition_,
                "floor": shared.floor_,
            }
        )
    return rows


def headline_figure(ds, path: Path, run: int = 0, fraction: float = 0.2) -> None:
    """Observed circles of one held-out run and the model's prediction from ``fraction``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = ds.step.values
    settle = float(np.median(lvdyn.settle_step(ds).values))
    last = int(np.searchsorted(steps, fraction * settle, side="right") - 1)
    model = mf.prefix_growth_model(mf.shipped_mean_field(ds), ds.isel(run=[run]), last)
    observed = ds.strength.values[run]
    simulated = model.simulate(observed[last], steps[last:] - steps[last])
    alive = lvdyn.survivors(ds).values[run]
    state = model.equilibrium()
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
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    if args.ship:
        train = traces(args.data, 128, SHIP_SEEDS, "train")
        model = mf.fit_mean_field(train)
        print(json.dumps({"a": model.self_limitation_, "c": model.competition_,
                          "floor": model.floor_, "decay": model.decay_}))  # fmt: skip
    if args.figure is not None:
        headline_figure(traces(args.data, 128, EVAL_SEEDS, "eval"), args.figure)
    print("d    prefix  frac  R2 med  R2 min  F1 mean-field  F1 classifier  F1 last-value"
          "  fit s  a         c         floor")  # fmt: skip
    for d in args.dims:
        ds = traces(args.data, d, EVAL_SEEDS, "eval")
        for row in study(ds, shipped=d == 128):
            print(
                f"{d:<4} {row['prefix']:>6}  {row['prefix_fraction']:.1f}"
                f"  {row['r2_median']:6.3f}  {row['r2_min']:6.2f}"
                f"  {row['f1_mean_field']:13.3f}  {row['f1_classifier']:13.3f}"
                f"  {row['f1_last_value']:13.3f}  {row['fit_seconds']:5.2f}  {row['a']:.2e}"
                f"  {row['c']:.2e}  {row['floor']:5.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
