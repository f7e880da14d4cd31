"""Traces from another framework: CSV -> `lvdyn import` -> fit -> analysis -> plot.

The "other framework" here is lvdyn's own deep-linear-network producer, whose output is
written as a plain long CSV (run, step, component, strength) exactly as any training script
could log it. The table is imported with the `lvdyn import` command, a Lotka-Volterra model
is fitted to it, and the fitted system is compared with the known ground truth (logistic
modes: r = 2 lr s, A = -2 lr I, equilibrium s).

Run:  python examples/import_csv.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import lvdyn
from lvdyn.cli import main as lvdyn_cli
from lvdyn.producers import dln


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--out", type=Path, default=Path("import-csv-out"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    steps = 1500 if args.quick else 3000

    # 1. some other framework logs mode strengths as a long CSV
    truth = dln.train(steps=steps, seeds=(0, 1))  # every step: the exact map needs them
    table = truth.strength.to_dataframe().reset_index()[["run", "step", "component", "strength"]]
    csv = args.out / "dln_modes.csv"
    table.to_csv(csv, index=False)
    print(f"wrote {csv}: {len(table)} rows, columns {list(table.columns)}")

    # 2. import it (the same as `lvdyn import dln_modes.csv --out dln_modes.nc`)
    nc = args.out / "dln_modes.nc"
    status = lvdyn_cli(["import", str(csv), "--out", str(nc)])
    if status:
        raise SystemExit(status)
    ds = lvdyn.open_traces(nc)

    # 3. fit Lotka-Volterra on central differences of log x, pooling both runs
    model = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds)
    r, A = model.growth_rates_, model.interaction_matrix_
    true_r, true_A = truth.true_r.values, truth.true_A.values

    # 4. analysis: interior equilibrium and its Jacobian spectrum against the ground truth
    equilibrium = -np.linalg.solve(A, r)
    eigenvalues = np.sort(np.linalg.eigvals(model.jacobian(equilibrium)).real)
    true_eigenvalues = np.sort(-true_r)
    print("component  r (fit)   r (true)  equilibrium (fit)  (true)")
    for k in range(len(r)):
        print(
            f"{k:9d}  {r[k]:.5f}  {true_r[k]:.5f}  {equilibrium[k]:17.5f}  "
            f"{truth.true_equilibrium.values[k]:.1f}"
        )
    off = np.abs(A - np.diag(np.diag(A))).max() / np.abs(np.diag(A)).max()
    print(f"max |r error| / r = {np.max(np.abs(r / true_r - 1)):.2%} (Euler bias ~ lr s / 2)")
    print(f"diag(A) / true = {np.round(np.diag(A) / np.diag(true_A), 3).tolist()}")
    print(f"largest off-diagonal / diagonal = {off:.2%}")
    print(f"Jacobian eigenvalues: fit {np.round(eigenvalues, 4).tolist()}")
    print(f"                      true {np.round(true_eigenvalues, 4).tolist()}")

    # the exact discrete map of gradient descent removes the Euler bias entirely
    exact = lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, derivative="sqrt_ratio")
    print(
        f"exact-map fit: max |r error| / r = {np.max(np.abs(exact.growth_rates_ / true_r - 1)):.1e}"
    )

    # 5. plot: imported traces and the fitted model's trajectories from the same start
    fitted = lvdyn.simulate_traces(model, ds.isel(run=[0]))  # at the dataset's steps
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for k in range(ds.sizes["component"]):
        ax.plot(ds.step, ds.strength.isel(run=0, component=k), lw=3, alpha=0.4, color=f"C{k}")
        ax.plot(
            fitted.step,
            fitted.strength.isel(run=0, component=k),
            "--",
            color=f"C{k}",
            label=f"mode {k} (s = {truth.singular_value.values[k]:g})",
        )
    ax.set(
        xlabel="step", ylabel="mode strength", yscale="log", title="imported (solid), fit (dashed)"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "dln_fit.png", dpi=120)
    print(f"wrote {args.out / 'dln_fit.png'}")


if __name__ == "__main__":
    main()
