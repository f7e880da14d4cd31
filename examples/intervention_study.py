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
# circles entered when a survivor was removed, and how well three predictors made from the
# control alone named each outcome: the mean-field model
# dS_k/dt = S_k (r_k - a S_k - c sum_j S_j), a Lotka-Volterra fit, and the observational
# rule "survives iff its initial signal beats the control's weakest survivor".
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
    args = parser.parse_args()
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

    results = {}
    summaries = []
    for name, study in (("boost", up), ("shrink", down)):
        if study is None or study.table.empty:
            continue
        table = study.table
        summary = mi.summarise(table)
        summaries.append(summary)
        table.to_csv(out / f"{name}_runs.csv", index=False)
        lvdyn.save_traces(study.traces, out / f"{name}_traces.nc")
        summary.to_csv(out / f"{name}_summary.csv", index=False)
        print(f"\n{name}: per run\n{table.to_string(index=False)}")
        print(f"\n{name}: per factor\n{summary.round(3).to_string(index=False)}")
        accuracy = {
            col[5:]: float(np.mean([
                p is not None and bool(p) == bool(o)
                for p, o in zip(table[col], table.target_survived, strict=True)
            ]))
            for col in table.columns if col.startswith("pred_")
        }  # fmt: skip
        baseline = float(np.mean(table.target_survived == table.target_survived_control))
        results[name] = {
            "summary": summary.to_dict("records"),
            "accuracy": accuracy,
            "accuracy_no_change": baseline,
            "entered_after_removal": table[table.factor == 0][
                ["seed", "target", "entered"]
            ].to_dict("records"),
        }
        print(f"{name}: prediction accuracy {accuracy}; 'nothing changes' {baseline:.3f}")
    plot(summaries[0] if summaries else None, summaries[1] if len(summaries) > 1 else None,
         out / "dose_response.png")  # fmt: skip
    results["settings"] = {**settings, "steps": steps, "seeds": seeds, "boost": boost,
                           "shrink": shrink, "seconds": time.perf_counter() - start}  # fmt: skip
    with atomic_path(out / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=1, default=str))
    print(f"wrote {out}/ (results.json, *_runs.csv, *_summary.csv, *_traces.nc, dose_response.png)")


if __name__ == "__main__":
    main()
