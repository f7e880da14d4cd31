# %% [markdown]
# # A synthetic competition, end to end
#
# Simulate a Lotka-Volterra system in which 3 of 10 components survive, from several
# initial states, save the traces as netCDF, read them back and look at the winners.
# Run with `--quick` for a smaller version (the test suite does).

# %%
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import lvdyn
from lvdyn.producers import synthetic


def main(quick: bool = False, out: Path | None = None) -> dict[str, object]:
    n_components, n_runs, steps = (6, 2, 100) if quick else (10, 5, 600)
    system = synthetic.exclusion_lotka_volterra(n_components, 3, seed=0)
    x0 = np.random.default_rng(0).uniform(0.05, 0.3, size=(n_runs, n_components))
    ds = synthetic.lotka_volterra(
        r=system.r, A=system.A, x0=x0, steps=steps, dt=0.2, noise=0.01, seed=1
    )
    folder = out or Path(tempfile.mkdtemp())
    path = lvdyn.save_traces(ds, folder / "synthetic.nc")
    back = lvdyn.open_traces(path)
    final = back.strength.isel(step=-1)
    winners = final > 2 * final.mean("component")
    print(f"wrote {path}")
    print("true survivors:      ", np.flatnonzero(system.survivors).tolist())
    for run in back.run.values:
        print(f"run {run}: final winners", np.flatnonzero(winners.sel(run=run)).tolist())
    return {"path": path, "winners": winners, "truth": system.survivors}


# %%
if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small, fast version")
    parser.add_argument("--out", type=Path, default=None, help="folder for the traces file")
    args = parser.parse_args()
    main(quick=args.quick, out=args.out)
