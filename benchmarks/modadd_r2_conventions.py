"""The paper's R² and lvdyn's pooled R² of the linear ODE, side by side, on modadd traces.

Ding et al. (2024; ``analysis/odes/ode_fit.py`` in carlguo866/circle-survival) fit
``Lasso(alpha=0.01)`` with an intercept to ``Delta S(t) = S(t+1) - S(t)`` on ``S(t)``,
``t = 0..999`` (1000 samples, 29 outputs), and report ``reg.score``: scikit-learn's R²,
the plain mean of the 29 per-output R². lvdyn's ``r2_derivative_pooled`` is one R² over
all residuals, ``1 - sum RSS / sum TSS``, which weights each output by its variance.

Usage: ``python benchmarks/modadd_r2_conventions.py TRACES.nc [--runs-with-step 1000]``
(traces logged at every step from 0 to at least 1000, e.g. from
``lvdyn train modadd --steps 1000 --seeds 0-7 --out runs.nc``).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

import lvdyn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("traces")
    parser.add_argument("--control-only", action="store_true", help="intervention == control")
    args = parser.parse_args()
    ds = lvdyn.open_traces(args.traces)
    if args.control_only and "intervention" in ds.coords:
        ds = ds.isel(run=ds.intervention.values == "control")
    print("run  paper R² (sklearn score, mean of 29)  lvdyn mean of per-component  lvdyn pooled")
    rows = []
    for run in ds.run.values:
        one = ds.sel(run=[run])
        x = one.strength.values[0, :1001]
        states, diffs = x[:-1], np.diff(x, axis=0)  # t = 0..999: 1000 samples
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            paper = Lasso(alpha=0.01).fit(states, diffs).score(states, diffs)
            model = lvdyn.fit_traces(lvdyn.LinearODE.paper_recipe(), one, recipe="ding2024")
            scores = lvdyn.score_traces(
                model, one, window=(0, 1000), derivative="forward", simulate=False
            )
        mean_comp = float(scores.r2_derivative.mean())
        pooled = float(scores.r2_derivative_pooled)
        rows.append((paper, mean_comp, pooled, int(scores.n_samples)))
        print(f"{run}  {paper:.4f}  {mean_comp:.4f}  {pooled:.4f}  (n = {int(scores.n_samples)})")
    table = np.array([r[:3] for r in rows])
    mean, sd = table.mean(axis=0), table.std(axis=0, ddof=1) if len(rows) > 1 else 0 * table[0]
    print(f"mean ± sd over {len(rows)} runs: paper {mean[0]:.3f} ± {sd[0]:.3f}, lvdyn mean "
          f"{mean[1]:.3f} ± {sd[1]:.3f}, lvdyn pooled {mean[2]:.3f} ± {sd[2]:.3f}; "
          f"largest |paper - pooled| {np.abs(table[:, 0] - table[:, 2]).max():.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
