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
pooled over all held-out runs), the survivor F1 (mean over runs), the number of runs whose
predicted survivor set is exact and the pooled R^2 over those runs alone (how well the
trajectories are reproduced when the survivors are right), and the fitted parameters.
The classifier's F1 is printed beside, as the baseline run in the same process.

``--producer clockpizza``: the same study on Clock-and-Pizza transformers (p = 59, one
block, d_model 64, 700 steps, log every 5; `CLOCKPIZZA`), shared parameters fitted on 12
training runs (seeds 0-11) and scored on 12 held-out ones (seeds 1000-1011). Its strength
is the Fourier *energy* ``2 S_k^2``, which AdamW's decoupled decay pulls down at
``2 lr wd``, not ``lr wd``: the families are fitted with that decay, and ``feedback-nodecay``
with none, to show what the decay does.

Usage::

    python benchmarks/bench_mean_field.py --data DIR            # trains what DIR lacks
    python benchmarks/bench_mean_field.py --data DIR --ship     # also rewrites the shipped
                                                                # coefficients from seeds 0-15
    python benchmarks/bench_mean_field.py --data DIR --producer clockpizza [--push update_push]
Training all traces takes about 1.5 h of one core (p = 59, 3000 steps, 16 runs per d); the
Clock-and-Pizza traces about 10 min of one core per 12 runs.
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
# a, c, floor, decay (+ K)
SHARED_PARAMETERS = {"feedback": 5, "plain": 4, "feedback-nodecay": 5, "feedback-norm": 5,
                     "plain-norm": 4}  # fmt: skip
#: The Clock-and-Pizza runs of the study (`lvdyn.producers.clockpizza.train` keywords).
CLOCKPIZZA = dict(p=59, n_layers=1, steps=700, log_every=5, metrics_every=700, threads=1)
CLOCKPIZZA_TRAIN_SEEDS = tuple(range(12))
CLOCKPIZZA_EVAL_SEEDS = tuple(range(1000, 1012))
#: Clock and Pizza: family -> (route, decay as a multiple of lr * weight_decay, state): the
#: state the model sees is the stored energy, or the circle's norm S_k = sqrt(energy / 2)
#: (modular addition's strength, which the decay pulls at lr wd and loss_push is the rate of).
CLOCKPIZZA_FAMILIES = {
    "feedback": ("shooting", 2.0, "energy"), "plain": ("derivative", 2.0, "energy"),
    "feedback-nodecay": ("shooting", 0.0, "energy"),
    "feedback-norm": ("shooting", 1.0, "norm"), "plain-norm": ("derivative", 1.0, "norm"),
}  # fmt: skip
#: A state view: (stored strength -> model state, model state -> stored strength).
VIEWS = {"energy": (lambda x: x, lambda z: z),
         "norm": (lambda x: np.sqrt(np.maximum(x, 0.0) / 2), lambda z: 2 * z**2)}  # fmt: skip


def viewed(ds, view: str):
    """``ds`` with its strength in ``view`` (`VIEWS`)."""
    if view == "energy":
        return ds
    return ds.assign(strength=ds["strength"].copy(data=VIEWS[view][0](ds["strength"].values)))


def traces(folder: Path, d: int, seeds: tuple[int, ...], tag: str):
    path = folder / f"modadd_d{d}_{tag}.nc"
    if not path.exists():
        from lvdyn.producers import modadd

        ds = modadd.train(p=59, d_embed=d, steps=3000, seeds=list(seeds), log_every=5)
        lvdyn.save_traces(ds, path)
    return lvdyn.open_traces(path).load()


def clockpizza_traces(folder: Path, d: int, seeds: tuple[int, ...], tag: str):
    path = folder / f"cp_d{d}_{tag}.nc"
    if not path.exists():
        from lvdyn.producers import clockpizza

        ds = clockpizza.train(d_model=d, seeds=list(seeds), progress=False, **CLOCKPIZZA)
        lvdyn.save_traces(ds, path)
    return lvdyn.open_traces(path).load()


def _config(ds) -> dict:
    return dict(json.loads(ds.attrs["producer_config"]))


def width(ds) -> int:
    """The embedding width: ``d_embed`` (modular addition) or ``d_model`` (Clock and Pizza)."""
    return int(ds["d_embed"].values[0]) if "d_embed" in ds.coords else int(_config(ds)["d_model"])


def clockpizza_models(train):
    """Per Clock-and-Pizza family: (shared model, fit seconds) for every fold."""
    config = _config(train)
    out = {}
    for family, (route, multiple, view) in CLOCKPIZZA_FAMILIES.items():
        start = time.perf_counter()
        decay = multiple * config["lr"] * config["weight_decay"]
        model = mf.fit_mean_field(viewed(train, view), route=route, decay=decay)
        out[family] = [(model, time.perf_counter() - start)] * 4
    return out


def f1(predicted: np.ndarray, actual: np.ndarray) -> float:
    both = predicted.sum() + actual.sum()
    return float(2 * (predicted & actual).sum() / both) if both else float("nan")


def pooled_r2(residuals: list[float], observed: list[np.ndarray]) -> float:
    """R^2 of several runs at once: their summed squared residuals against the spread of
    all their samples around one mean (NaN for no runs)."""
    if not observed:
        return float("nan")
    stacked = np.stack(observed)
    return 1.0 - float(np.sum(residuals)) / float(((stacked - stacked.mean()) ** 2).sum())


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


def study(ds, train=None, models=None, views=None, fractions=FRACTIONS) -> list[dict]:
    """Rows of the held-out table; ``train``: fit there (d = 128) instead of across folds;
    ``models``: per family, the shared models of every fold (fitted elsewhere); ``views``:
    per family, the state its model sees (`VIEWS`; R^2 and survivors are read on the stored
    strength)."""
    truth = lvdyn.survivors(ds).transpose("run", "component").values
    S = ds["strength"].transpose("run", "step", "component").values
    steps = ds.step.values
    n = ds.sizes["run"]
    folds = np.arange(n) % 4
    rule = lvdyn.traces._rules.survival_rule(ds)
    models = shared_models(ds, train, folds) if models is None else models
    rows = []
    for fraction, last in zip(fractions, prefix_positions(ds, fractions), strict=True):
        others = lvdyn.evaluate_survival_prediction(
            ds, [int(steps[last])], ["classifier", "last-value"], n_folds=4
        )
        baseline = {name: float(others.f1_mean.sel(predictor=name).values[0])
                    for name in ("classifier", "last-value")}  # fmt: skip
        for family, fitted in models.items():
            view = (views or {}).get(family, "energy")
            forward, back = VIEWS[view]
            seen = viewed(ds, view)
            r2, scores, sse, sst, exact = [], [], [], [], []
            for r in range(n):
                shared, _ = fitted[folds[r]]
                model = mf.prefix_growth_model(shared, seen.isel(run=[r]), last)
                observed = S[r, last:]
                simulated = back(model.simulate(forward(observed[0]), steps[last:] - steps[last],
                                                on_divergence="nan"))  # fmt: skip
                residual = float(((simulated - observed) ** 2).sum())
                r2.append(1.0 - residual / float(((observed - observed.mean()) ** 2).sum()))
                sse.append(residual)
                sst.append(observed)
                state = back(model.equilibrium(forward(S[r, last])))
                predicted = rule.apply(state, rule.baseline_at(ds.isel(run=r), last, state))
                scores.append(f1(predicted, truth[r]))
                exact.append(bool(np.array_equal(predicted, truth[r])))
            right = np.flatnonzero(exact)
            shared = fitted[0][0]
            rows.append({
                "d": width(ds), "prefix_fraction": fraction,
                "prefix": int(steps[last]), "family": family,
                "shared_parameters": SHARED_PARAMETERS[family],
                "fit_seconds": float(np.mean([t for _, t in fitted])),
                "r2_median": float(np.median(r2)), "r2_min": float(np.min(r2)),
                "r2_pooled": pooled_r2(sse, sst),
                "exact_runs": int(right.size),
                "r2_pooled_exact": pooled_r2([sse[i] for i in right], [sst[i] for i in right]),
                "f1": float(np.nanmean(scores)), **{f"f1_{k}": v for k, v in baseline.items()},
                "a": shared.self_limitation_, "c": shared.competition_,
                "floor": shared.floor_, "K": shared.saturation_, "decay": shared.decay_,
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
    parser.add_argument("--dims", type=int, nargs="*", help="default 128 64 32 16 (modadd), 64")
    parser.add_argument("--producer", choices=["modadd", "clockpizza"], default="modadd")
    parser.add_argument("--push", choices=["loss_push", "update_push"], default="loss_push",
                        help="clockpizza: the signal growth is calibrated on")  # fmt: skip
    parser.add_argument("--fractions", type=float, nargs="*", default=list(FRACTIONS),
                        help="prefixes, as fractions of the median settle step")  # fmt: skip
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
    print("d    prefix  frac  family            params  fit s  R2 med  R2 min  R2 pooled  F1     "
          "exact  R2 exact  F1 classifier  F1 last-value  a         c         floor  K      "
          "decay")  # fmt: skip
    rows = []
    clock = args.producer == "clockpizza"
    for d in args.dims or ([64] if clock else list(DIMENSIONS)):
        if clock:
            ds = clockpizza_traces(args.data, d, CLOCKPIZZA_EVAL_SEEDS, "eval")
            train = clockpizza_traces(args.data, d, CLOCKPIZZA_TRAIN_SEEDS, "train")
            if args.push == "update_push":  # AdamW's own step instead of the gradient's
                ds, train = (x.assign(loss_push=x["update_push"]) for x in (ds, train))
            models = clockpizza_models(train)
            views = {family: spec[2] for family, spec in CLOCKPIZZA_FAMILIES.items()}
            fitted = study(ds, models=models, views=views, fractions=tuple(args.fractions))
        else:
            ds = traces(args.data, d, EVAL_SEEDS, "eval")
            train = traces(args.data, 128, SHIP_SEEDS, "train") if d == 128 else None
            fitted = study(ds, train, fractions=tuple(args.fractions))
        for row in fitted:
            rows.append(row)
            print(
                f"{d:<4} {row['prefix']:>6}  {row['prefix_fraction']:.2f}  {row['family']:<16}"
                f"  {row['shared_parameters']:>6}  {row['fit_seconds']:5.1f}"
                f"  {row['r2_median']:6.3f}  {row['r2_min']:6.2f}  {row['r2_pooled']:9.3f}"
                f"  {row['f1']:.3f}  {row['exact_runs']:5d}  {row['r2_pooled_exact']:8.3f}"
                f"  {row['f1_classifier']:13.3f}  {row['f1_last-value']:13.3f}"
                f"  {row['a']:.2e}  {row['c']:.2e}  {row['floor']:5.2f}  {row['K']:5.1f}"
                f"  {row['decay']:.4f}",
                flush=True,
            )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
