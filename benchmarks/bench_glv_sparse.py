"""lvdyn against ecology's gradient-matching ridge-CV baseline on short, sparse gLV studies.

Each study is `synthetic.glv_study`: one random gLV system, ``n_series`` series of
``n_samples`` samples over a fixed horizon (sampling even, random or in sequential blocks),
multiplicative noise, extinct species written as 0. Methods:

- ``default``: ``lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time")``;
- ``recipe``: the documented recipe for this regime (docs/fitting.md): more integral-matching
  iterations and the penalty always chosen by run-grouped CV,
  ``fit_traces(LotkaVolterra(), ds, time="time", derivative=Midpoint(bridge=8), cv=True)``;
- ``baseline``: written here with scikit-learn, as published by gLV benchmarks: per species,
  RidgeCV (leave-one-out over a grid of alphas) on ``(log x[k+1] - log x[k]) / dt`` between
  consecutive samples where the species is present at both ends, regressors at the
  interval's geometric mean.

Prints the median sign score per (species, noise, sampling) and method, the median seconds
per study, and the per-(species, noise) medians the goals are stated in.

Run: ``PYTHONPATH=. python benchmarks/bench_glv_sparse.py [--quick] [--seed-offset N]``.
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np
from sklearn.linear_model import RidgeCV

import lvdyn
from lvdyn.producers import synthetic

ALPHAS = np.logspace(-6, 2, 17)


def baseline(ds) -> np.ndarray:
    """Gradient matching, RidgeCV per species; returns the estimated A."""
    x = ds.strength.transpose("run", "step", "component").values
    t = ds.time.transpose("run", "step").values
    a, b = x[:, :-1], x[:, 1:]
    dt = (t[:, 1:] - t[:, :-1])[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        target = (np.log(b) - np.log(a)) / dt
        regressors = np.sqrt(a * b)
    X = regressors.reshape(-1, x.shape[2])
    Y = target.reshape(-1, x.shape[2])
    present = ((a > 0) & (b > 0)).reshape(-1, x.shape[2])
    finite = np.isfinite(X).all(axis=1)
    A = np.zeros((x.shape[2], x.shape[2]))
    for i in range(x.shape[2]):
        rows = present[:, i] & finite
        if rows.sum() < 3:
            continue
        A[i] = RidgeCV(alphas=ALPHAS).fit(X[rows], Y[rows, i]).coef_
    return A


def run_method(name: str, ds) -> np.ndarray:
    if name == "baseline":
        return baseline(ds)
    options = {"derivative": lvdyn.Midpoint(bridge=8), "cv": True} if name == "recipe" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lvdyn.IllConditionedWarning)
        fitted = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time", **options)
    return fitted.interaction_matrix_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer studies, no 100 species")
    parser.add_argument("--species", type=int, nargs="*", default=None)
    parser.add_argument("--repeats", type=int, default=None, help="studies per cell")
    parser.add_argument("--methods", nargs="*", default=["default", "recipe", "baseline"])
    parser.add_argument("--samplings", nargs="*", default=list(synthetic.SAMPLINGS))
    parser.add_argument("--samples", type=int, nargs="*", default=[5, 15])
    parser.add_argument(
        "--seed-offset",
        type=int,
        default=0,
        help="added to every study's seed: fresh studies, to check a result is not the seeds'",
    )
    args = parser.parse_args()
    species = args.species or ([3, 10] if args.quick else [3, 10, 100])
    repeats = args.repeats or (2 if args.quick else 4)
    methods = args.methods
    designs = list(itertools.product(args.samples, [10, 25, 50]))
    results: list[dict] = []
    for k, noise, sampling in itertools.product(species, [0.01, 0.1], args.samplings):
        for (n_samples, n_series), rep in itertools.product(designs, range(repeats)):
            if k == 100 and (n_series != 50 or rep >= max(1, repeats // 2)):
                continue  # 100 species: the 50-series studies only (time)
            seed = args.seed_offset + 1000 * k + 100 * rep + 10 * n_samples + n_series
            ds = synthetic.glv_study(
                k,
                n_series=n_series,
                n_samples=n_samples,
                sampling=sampling,
                noise=noise,
                seed=seed,
            )
            truth = ds.true_A.values
            for method in methods:
                start = time.process_time()
                A = run_method(method, ds)
                seconds = time.process_time() - start
                results.append(
                    dict(
                        k=k,
                        noise=noise,
                        sampling=sampling,
                        n_samples=n_samples,
                        n_series=n_series,
                        method=method,
                        seconds=seconds,
                        score=lvdyn.interaction_sign_score(A, truth),
                    )
                )

    def median(rows: list[dict], key: str) -> float:
        return float(np.median([r[key] for r in rows])) if rows else float("nan")

    print("median sign score (median CPU seconds per study) per cell")
    print(f"{'K':>4} {'noise':>5} {'sampling':>10} | " + " | ".join(f"{m:>16}" for m in methods))
    for k, noise, sampling in itertools.product(species, [0.01, 0.1], args.samplings):
        cells = []
        for m in methods:
            rows = [
                r
                for r in results
                if (r["k"], r["noise"], r["sampling"], r["method"]) == (k, noise, sampling, m)
            ]
            cells.append(f"{median(rows, 'score'):.3f} ({median(rows, 'seconds'):6.3f}s)")
        print(f"{k:>4} {noise:>5} {sampling:>10} | " + " | ".join(f"{c:>16}" for c in cells))
    print("\nper (species, noise), all samplings and designs; and K=10, 1% noise, >= 25 series")
    for k, noise in itertools.product(species, [0.01, 0.1]):
        line = []
        for m in methods:
            rows = [r for r in results if (r["k"], r["noise"], r["method"]) == (k, noise, m)]
            line.append(f"{m} {median(rows, 'score'):.3f}")
        print(f"K={k:<3} noise={noise:<4}: " + ", ".join(line))
    for m in methods:
        rows = [
            r
            for r in results
            if r["k"] == 10 and r["noise"] == 0.01 and r["n_series"] >= 25 and r["method"] == m
        ]
        worst = max((r["seconds"] for r in results if r["k"] == 10 and r["method"] == m), default=0)
        print(
            f"K=10, 1%, >=25 series, {m}: median {median(rows, 'score'):.3f}, "
            f"slowest 10-species study {worst:.2f}s"
        )
    for m in methods:
        rows = [r for r in results if r["k"] == 100 and r["method"] == m]
        if rows:
            print(f"K=100, 50 series, {m}: slowest study {max(r['seconds'] for r in rows):.1f}s")


if __name__ == "__main__":
    main()
