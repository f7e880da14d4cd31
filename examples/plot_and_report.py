"""Train a race, fit Lotka-Volterra, draw figures and write an HTML report: the command line
(`lvdyn train`, `lvdyn fit`, `lvdyn plot`, `lvdyn report`) and the same in Python.

Run:  python examples/plot_and_report.py [--quick] [--out DIR]
(--quick: 3 seeds, 1500 steps, about 20 seconds; default: 5 seeds, 3000 steps.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import lvdyn
from lvdyn.cli import main as lvdyn_main


def lvdyn_cli(*args: str) -> None:
    """Run one `lvdyn` command in this process (the same as typing it in a shell)."""
    print("$ lvdyn", " ".join(args), flush=True)
    status = lvdyn_main(list(args))
    if status != 0:
        sys.exit(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller version")
    parser.add_argument("--out", type=Path, default=Path("plot-report-out"))
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    seeds, steps = ("0-2", "1500") if args.quick else ("0-4", "3000")

    # 1. The command line: train, fit after the alignment phase, plot, report.
    traces, model = str(out / "race.nc"), str(out / "race-lv.nc")
    lvdyn_cli("train", "race", "--case", "interior", "--init", "random", "--init-scale", "0.003",
              "--seeds", seeds, "--steps", steps, "--quiet", "--out", traces)  # fmt: skip
    lvdyn_cli("fit", traces, "--model", "lv", "--window", "150:", "--json", "--out", model)
    lvdyn_cli("plot", traces, "--out", str(out / "traces.png"))
    lvdyn_cli("plot", traces, model, "--window", "150:", "--out", str(out / "fit.png"))
    lvdyn_cli("plot", model, "--kind", "spectrum", "--out", str(out / "spectrum.svg"))
    lvdyn_cli("report", traces, model, "--window", "150:", "--out", str(out / "report"))

    # 2. The same analysis in Python, checked against the producer's ground truth.
    ds = lvdyn.open_traces(traces)
    fitted = lvdyn.load_model(model)
    r_error = np.abs(fitted.growth_rates_ / ds.true_r.values - 1).max()
    settled = lvdyn.find_equilibria(fitted).saturated_state.values
    print(f"growth rates within {r_error:.1%} of the truth 2 lr b")
    print(
        f"settles at {np.round(settled, 3).tolist()} (truth {ds.true_equilibrium.values.tolist()})"
    )

    from lvdyn.app import _figures
    from lvdyn.plots import save_figure

    fig = _figures.fit_figure(ds, fitted, run=ds.run.values[-1], window=(150, None))
    print("wrote", *save_figure(fig, out / "fit-last-run"))
    print("open", out / "report" / "report.html")


if __name__ == "__main__":
    main()
