# %% [markdown]
# # Survival of the fittest circles: reproducing Ding et al. (2024) with lvdyn
#
# Trains the paper's modular-addition MLP (p = 59, AdamW lr 0.01, weight decay 0.5,
# float32) for several embedding dimensions and seeds, all seeds of one dimension in one
# batched ensemble, then measures:
#
# 1. how many circles survive (final S_k > 2 x mean of all p DFT rows);
# 2. how the count changes with d;
# 3. whether survivors start with a larger signal S_k(0) and early gradient
#    (S_k(4) - S_k(3)) / S_k(0) (ROC AUC within each run, averaged);
# 4. the paper's linear ODE dS/dt = A S + b fitted by Lasso (alpha = 0.01) and by least
#    squares on one-step differences of the first 1000 steps (R^2 of the differences).
#
# Run: ``python examples/modadd_reproduction.py`` (about 5 minutes on one core) or
# ``--quick`` (seconds; tiny settings, numbers not meaningful).

# %%
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
import xarray as xr
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LinearRegression
from sklearn.metrics import roc_auc_score

import lvdyn
from lvdyn.producers import modadd


def survivors(ds: xr.Dataset) -> xr.DataArray:
    """The paper's rule: final S_k above twice the mean over all p DFT rows."""
    final = ds.isel(step=-1)
    return final.strength > 2 * final.strength_mean_all


def mean_auc(feature: xr.DataArray, alive: xr.DataArray) -> float:
    """ROC AUC of ``feature`` for survival within each run, averaged over runs."""
    scores = [
        roc_auc_score(alive.sel(run=r).values, feature.sel(run=r).values)
        for r in alive.run.values
        if 0 < int(alive.sel(run=r).sum()) < alive.sizes["component"]
    ]
    return float(np.mean(scores)) if scores else float("nan")


def ode_r2(ds: xr.Dataset, run: str, window: int) -> dict[str, float]:
    """R^2 of one-step differences for Lasso(alpha=0.01) and least squares (with intercept)."""
    x = ds.strength.sel(run=run).isel(step=slice(0, window + 1)).values
    states, diffs = x[:-1], np.diff(x, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lasso = Lasso(alpha=0.01, max_iter=100_000).fit(states, diffs)
    ols = LinearRegression().fit(states, diffs)
    return {
        "lasso": float(lasso.score(states, diffs)),
        "lasso_nonzero": float(np.mean(lasso.coef_ != 0)),
        "ols": float(ols.score(states, diffs)),
    }


# %%
def main() -> None:
    parser = argparse.ArgumentParser(description="Reproduce the circle-survival results.")
    parser.add_argument("--quick", action="store_true", help="tiny settings (seconds)")
    parser.add_argument("--out", default=None, help="also save all traces to this .nc file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        p, dims, seeds, steps, width = 23, (8, 16), [0, 1], 200, 32
    else:
        p, dims, seeds, steps, width = 59, (16, 32, 64, 128), [0, 1, 2], 1000, 100
    window = min(steps, 1000)

    runs = []
    for d in dims:
        start = time.perf_counter()
        ds = modadd.train(
            p=p, d_embed=d, width=width, steps=steps, seeds=seeds, eval_every=100,
            snapshot_steps=[0, steps],
        )  # fmt: skip
        seconds = time.perf_counter() - start
        print(f"d={d:4d}: {len(seeds)} runs x {steps} steps in {seconds:.0f} s")
        runs.append(ds.drop_vars(["embedding", "snapshot_step", "token", "embed_dim"]))
    ds = lvdyn.combine_traces(runs)
    alive = survivors(ds)

    print("\nSurvivors per run (k), final test accuracy")
    for run in ds.run.values:
        ks = ds.component.values[alive.sel(run=run).values].tolist()
        acc = float(ds.test_acc.sel(run=run).dropna("step").isel(step=-1))
        print(f"  {run:14s} {len(ks)} circles {ks}  test acc {acc:.3f}")

    print("\nNumber of circles against d (mean, sd over seeds)")
    counts = alive.sum("component")
    for d in dims:
        c = counts.where(ds.d_embed == d, drop=True).values
        print(
            f"  d={d:4d}: {c.mean():.2f} +- {c.std(ddof=1) if c.size > 1 else 0:.2f}  {c.tolist()}"
        )

    s0 = ds.strength.isel(step=0)
    print("\nFitness of survivors: ROC AUC within runs, averaged")
    print(f"  initial signal S_k(0):           {mean_auc(s0, alive):.3f}")
    print(f"  early gradient (S4 - S3) / S0:   {mean_auc(ds.early_gradient, alive):.3f}")

    print(f"\nLinear ODE on the first {window} steps (R^2 of one-step differences)")
    fits = {run: ode_r2(ds, run, window) for run in ds.run.values}
    for run, fit in fits.items():
        print(
            f"  {run:14s} Lasso(0.01) {fit['lasso']:.3f} "
            f"(nonzero {fit['lasso_nonzero']:.0%})  OLS {fit['ols']:.4f}"
        )
    lasso = [f["lasso"] for f in fits.values()]
    ols = [f["ols"] for f in fits.values()]
    print(f"  mean: Lasso {np.mean(lasso):.3f} +- {np.std(lasso):.3f}, OLS {np.mean(ols):.4f}")
    if args.out:
        lvdyn.save_traces(ds, args.out)


if __name__ == "__main__":
    main()
