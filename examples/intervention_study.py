# %% [markdown]
# # Does the fittest circle survive because it is fittest? A dose-response study
#
# For each seed, train the modular-addition MLP unperturbed (the control), then again from
# the same initial state with one circle's initial strength S_k(0) multiplied by a factor:
#
# 1. **boost**: k drawn at random among the control's non-survivors, factors 0.5 to 2;
# 2. **shrink / remove**: k drawn among the control's survivors, factors 0 (removal) to <1.
#
# Reports the target's survival probability per factor with 95% Wilson intervals, which
# circles entered when a survivor was removed, and how well four predictors made from the
# controls alone named each outcome: `lvdyn.MeanFieldLV` with positive feedback (shared
# parameters shipped with lvdyn, growth rates from the control's prefix), the older
# per-run mean-field model dS_k/dt = S_k (r_k - a S_k - c sum_j S_j), a Lotka-Volterra fit,
# and the observational rule "survives iff its initial signal beats the control's weakest
# survivor".
#
# Run: ``python examples/intervention_study.py --out DIR`` (full size: p = 59, d = 128,
# 3000 steps, 8 seeds, 7 boost and 4 shrink factors: 96 runs, about 50 min on one free
# core) or ``--quick`` (seconds; tiny settings, numbers not meaningful).

# %%
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import lvdyn
from lvdyn.core import atomic_path
from lvdyn.producers import modadd_interventions as mi


def parse_floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def plot(boost, shrink, path: Path) -> None:
    """Both dose-response panels side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, summary, title in zip(
        axes,
        (boost, shrink),
        ("boost a non-survivor", "shrink a survivor (0 = remove)"),
        strict=True,
    ):
        if summary is None or summary.empty:
            ax.set_visible(False)
        else:
            mi.plot_dose_response(summary, ax=ax, title=title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


# %%
def main() -> None:
    parser = argparse.ArgumentParser(description="Dose-response study of circle interventions.")
    parser.add_argument("--quick", action="store_true", help="tiny settings (seconds)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=8, help="seeds 0..N-1")
    parser.add_argument("--boost", default="0.5,0.75,1,1.25,1.5,1.75,2")
    parser.add_argument("--shrink", default="0,0.25,0.5,0.75")
    parser.add_argument("--p", type=int, default=59, help="modulus")
    parser.add_argument("--d-embed", type=int, default=128, help="embedding dimension")
    parser.add_argument("--out", default="intervention_study", help="output folder")
    parser.add_argument("--reanalyse", default=None, help="folder of a previous run's traces")
    args = parser.parse_args()
    if args.reanalyse:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        reanalyse(Path(args.reanalyse), Path(args.out))
        return
    torch.set_num_threads(1)
    settings = {"p": args.p, "d_embed": args.d_embed, "width": 100, "dtype": "float32"}
    settings["progress"] = False
    steps, seeds = args.steps, list(range(args.seeds))
    if args.quick:
        settings.update(p=23, d_embed=16, width=32)
        steps, seeds = 200, [0, 1]
    boost, shrink = parse_floats(args.boost), parse_floats(args.shrink)
    if args.quick:
        boost, shrink = [0.5, 2.0], [0.0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    window = min(1000, steps)

    start = time.perf_counter()
    up = mi.dose_response(seeds=seeds, factors=boost, target="non_survivor", steps=steps,
                          window=window, **settings)  # fmt: skip
    print(f"boost study: {len(up.table)} perturbed runs, {time.perf_counter() - start:.0f} s")
    down = None
    if shrink:
        down = mi.dose_response(seeds=seeds, factors=shrink, target="survivor", steps=steps,
                                window=window, controls=up.traces, **settings)  # fmt: skip
        print(f"shrink study: {len(down.table)} runs, {time.perf_counter() - start:.0f} s total")

    studies = {"boost": up, "shrink": down}
    tables = {n: (st.traces, st.table) for n, st in studies.items() if st is not None}
    extra = {"steps": steps, "seeds": seeds, "boost": boost, "shrink": shrink}
    report(tables, out, {**settings, **extra, "seconds": time.perf_counter() - start})


SURVIVAL_PREDICTORS = ("pred_ecology", "pred_mean_field", "pred_lv", "pred_signal")
ENTRANT_PREDICTORS = (
    "pred_entered_ecology",
    "pred_entered_mean_field",
    "pred_entered_lv",
    "pred_entered_invasion",
)


def same_set(predicted, observed) -> bool:
    """Whether a predicted set of entrants (space-separated string) is the observed one."""
    if predicted is None or (isinstance(predicted, float) and np.isnan(predicted)):
        return False
    return set(str(predicted).split()) == set(str(observed or "").split())


def report(tables, out: Path, settings: dict) -> None:
    """Tables, accuracies, figure and results.json for the studies in ``tables``."""
    results: dict = {"settings": settings}
    summaries = {}
    for name, (traces, table) in tables.items():
        if table.empty:
            continue
        summary = mi.summarise(table[[c for c in table.columns if "entered_" not in c]])
        summaries[name] = summary
        table.to_csv(out / f"{name}_runs.csv", index=False)
        summary.to_csv(out / f"{name}_summary.csv", index=False)
        lvdyn.save_traces(traces, out / f"{name}_traces.nc")
        print(f"\n{name}: per run\n{table.to_string(index=False)}")
        print(f"\n{name}: per factor\n{summary.round(3).to_string(index=False)}")
        accuracy = {
            col[5:]: float(np.mean([
                p is not None and not pd.isna(p) and bool(p) == bool(o)
                for p, o in zip(table[col], table.target_survived, strict=True)
            ]))
            for col in SURVIVAL_PREDICTORS
        }  # fmt: skip
        accuracy["no_change"] = float(
            np.mean(table.target_survived == table.target_survived_control)
        )
        removed = table[table.factor == 0]
        entrants = {}
        if len(removed):
            for col in ENTRANT_PREDICTORS:
                pairs = zip(removed[col], removed.entered, strict=True)
                entrants[col[5:]] = float(np.mean([same_set(p, o) for p, o in pairs]))
            entrants["entered_none"] = float(np.mean([same_set("", o) for o in removed.entered]))
        results[name] = {"summary": summary.to_dict("records"), "accuracy": accuracy,
                         "entrant_accuracy": entrants, "n_runs": len(table)}  # fmt: skip
        print(f"{name}: accuracy on target survival {accuracy}")
        if entrants:
            print(f"{name}: accuracy on the set of entrants after removal {entrants}")
    plot(summaries.get("boost"), summaries.get("shrink"), out / "dose_response.png")
    with atomic_path(out / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=1, default=str))
    print(f"wrote {out}/ (results.json, *_runs.csv, *_summary.csv, *_traces.nc, dose_response.png)")


def reanalyse(folder: Path, out: Path) -> None:
    """Recompute the outcomes and predictions from the traces a previous run saved."""
    tables = {}
    for name in ("boost", "shrink"):
        path = folder / f"{name}_traces.nc"
        if path.exists():
            traces = lvdyn.open_traces(path).load()
            tables[name] = (traces, mi.outcomes(traces, window=min(1000, int(traces.step[-1]))))
    report(tables, out, {"reanalysed": str(folder)})


if __name__ == "__main__":
    main()
