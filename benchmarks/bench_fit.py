# ruff: noqa: E402
"""Benchmark: lvdyn's structured fits against pysindy 2.1 on the same traces.

For each size (K components, T steps, R runs) one seeded Lotka-Volterra system is simulated
with 1% multiplicative noise. lvdyn fits `LotkaVolterra` (gradient matching on log rates)
and pysindy fits `SINDy(PolynomialLibrary(degree=2), STLSQ)`, the generic route to the same
model; both start from the traces and use the same Savitzky-Golay derivative (window 11,
cubic). A linear system
is fitted the same way with `LinearODE`. Printed: wall times (best of a few repeats), the
speed ratio pysindy / lvdyn, and the relative Frobenius errors of the recovered A (the
quadratic coefficients x_i x_j of SINDy's equation i, or the linear ones for LinearODE).

Runs start log-uniform on [0.01, 3] (Lotka-Volterra: components start small and grow, as
in training) or at 2 N(0, 1) from the equilibrium of `synthetic.oscillatory_linear` (linear:
a system a few runs identify; see docs/fitting.md).

Run: ``python benchmarks/bench_fit.py [--quick]``. The default run takes about 5 minutes
(pysindy needs 3-9 s per 1000-step run at K=29 on one core); ``--quick`` runs R=1 and 10
with pysindy at R=1 only. At K=200 pysindy's degree-2 library has 20301 terms and its STLSQ
takes about 15 s per equation, so a whole fit (about 50 minutes) is not run: pysindy fits
the first ``--k200-equations`` equations on the full library (the equations are independent
regressions in STLSQ) and its time is scaled to all 200; its error is compared with
lvdyn's on those rows of A.
"""

from __future__ import annotations

import os

# One BLAS thread for both libraries: timings on a shared machine, and no oversubscription.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import lvdyn
from lvdyn.producers import synthetic

SAVGOL = lvdyn.SavitzkyGolay(window_length=11, polyorder=3)


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def sindy_fit(ds: Any, dt: float) -> Any:
    import pysindy as ps

    runs = [ds.strength.values[i] for i in range(ds.sizes["run"])]
    model = ps.SINDy(
        optimizer=ps.STLSQ(threshold=0.02),
        feature_library=ps.PolynomialLibrary(degree=2),
        differentiation_method=ps.SmoothedFiniteDifference(
            smoother_kws={"window_length": 11, "polyorder": 3}
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(runs if len(runs) > 1 else runs[0], t=dt)
    return model


def spread_starts(n_runs: int, k: int) -> np.ndarray:
    """Initial strengths log-uniform on [0.01, 3]: components start small, at various scales."""
    return 10.0 ** np.random.default_rng(0).uniform(-2.0, 0.5, size=(n_runs, k))


def sindy_partial(ds: Any, dt: float, n_equations: int) -> tuple[float, float, np.ndarray]:
    """pysindy's fit restricted to the first equations: (library s, STLSQ s, their A rows)."""
    import pysindy as ps

    start = time.perf_counter()
    smoother = ps.SmoothedFiniteDifference(smoother_kws={"window_length": 11, "polyorder": 3})
    library = ps.PolynomialLibrary(degree=2)
    x_dots, smoothed = [], []
    for i in range(ds.sizes["run"]):  # as SINDy.fit: the library sees the smoothed states
        x_dots.append(smoother(ds.strength.values[i], t=dt))
        smoothed.append(np.asarray(smoother.smoothed_x_))
    x_dot = np.concatenate(x_dots)
    library.fit(smoothed[0])
    theta = np.concatenate([np.asarray(library.transform(x)) for x in smoothed])
    t_library = time.perf_counter() - start
    optimizer = ps.STLSQ(threshold=0.02)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer.fit(theta, x_dot[:, :n_equations])
    t_stlsq = time.perf_counter() - start
    rows, _ = quadratic_rows(optimizer.coef_, library.powers_)
    return t_library, t_stlsq, rows


def quadratic_rows(coef: np.ndarray, powers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LV ``A`` rows (the x_i x_j term of equation i) and linear rows of SINDy equations."""
    n_eq, k = coef.shape[0], powers.shape[1]
    lv, lin = np.zeros((n_eq, k)), np.zeros((n_eq, k))
    for m, p in enumerate(powers):
        idx = np.flatnonzero(p)
        if p.sum() == 1:
            lin[:, idx[0]] = coef[:, m]
        elif p.sum() == 2:
            pair = (idx[0], idx[0]) if idx.size == 1 else (idx[0], idx[1])
            for i, j in (pair, pair[::-1]):
                if i < n_eq:
                    lv[i, j] = coef[i, m]
    return lv, lin


def sindy_lv_matrix(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """LV ``A`` and linear ``A`` read out of a fitted degree-2 SINDy model."""
    return quadratic_rows(model.optimizer.coef_, model.feature_library.powers_)


def lv_case(
    k: int,
    steps: int,
    n_runs: int,
    *,
    with_pysindy: bool,
    repeats: int,
    pysindy_equations: int | None = None,
) -> dict:
    dt = 0.01
    system = synthetic.stable_lotka_volterra(k, seed=0)
    x0 = spread_starts(n_runs, k)
    ds = synthetic.lotka_volterra(
        r=system.r, A=system.A, x0=x0, steps=steps - 1, dt=dt, noise=0.01, seed=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lvdyn.IllConditionedWarning)
        t_ours, ours = best_time(
            lambda: lvdyn.fit_traces(lvdyn.LotkaVolterra(), ds, time="time", derivative=SAVGOL),
            repeats,
        )
    row = {
        "K": k,
        "T": steps,
        "R": n_runs,
        "lvdyn_s": t_ours,
        "lvdyn_err_A": rel(ours.interaction_matrix_, system.A),
    }
    if with_pysindy and pysindy_equations is not None:  # the first equations only
        n = pysindy_equations
        t_library, t_stlsq, rows = sindy_partial(ds, dt, n)
        t_theirs = t_library + t_stlsq * k / n
        row.update(
            pysindy_s=t_theirs,
            speedup=t_theirs / t_ours,
            estimated=f"{n} of {k} equations",
            pysindy_err_A=rel(rows, system.A[:n]),
            lvdyn_err_A_rows=rel(ours.interaction_matrix_[:n], system.A[:n]),
        )
        # STLSQ solves ridge regressions (alpha 0.05); lvdyn with the same ridge penalty:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lvdyn.IllConditionedWarning)
            ridge = lvdyn.fit_traces(
                lvdyn.LotkaVolterra(penalty="ridge", alpha=0.05), ds, time="time", derivative=SAVGOL
            )
        row["lvdyn_ridge_err_A_rows"] = rel(ridge.interaction_matrix_[:n], system.A[:n])
    elif with_pysindy:
        t_theirs, theirs = best_time(lambda: sindy_fit(ds, dt), 1)
        lv, _ = sindy_lv_matrix(theirs)
        row.update(pysindy_s=t_theirs, pysindy_err_A=rel(lv, system.A), speedup=t_theirs / t_ours)
    return row


def linear_case(k: int, steps: int, n_runs: int, *, with_pysindy: bool, repeats: int) -> dict:
    dt = 0.01
    system = synthetic.oscillatory_linear(k, seed=0)
    x0 = system.equilibrium + 2.0 * np.random.default_rng(0).standard_normal((n_runs, k))
    ds = synthetic.linear(A=system.A, b=system.b, x0=x0, steps=steps - 1, dt=dt, noise=0.01, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lvdyn.IllConditionedWarning)
        t_ours, ours = best_time(
            lambda: lvdyn.fit_traces(lvdyn.LinearODE(), ds, time="time", derivative=SAVGOL), repeats
        )
    row = {
        "K": k,
        "T": steps,
        "R": n_runs,
        "lvdyn_s": t_ours,
        "lvdyn_err_A": rel(ours.A_, system.A),
    }
    if with_pysindy:
        t_theirs, theirs = best_time(lambda: sindy_fit(ds, dt), 1)
        _, lin = sindy_lv_matrix(theirs)
        row.update(pysindy_s=t_theirs, pysindy_err_A=rel(lin, system.A), speedup=t_theirs / t_ours)
    return row


def show(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(
        f"{'K':>4} {'T':>5} {'R':>3} {'lvdyn s':>9} {'pysindy s':>10} {'speedup':>8} "
        f"{'err A lvdyn':>12} {'err A pysindy':>14}"
    )
    for r in rows:
        ps_s = f"{r['pysindy_s']:.3f}" if "pysindy_s" in r else "skipped"
        speed = f"{r['speedup']:.0f}x" if "speedup" in r else "-"
        ps_e = f"{r['pysindy_err_A']:.3f}" if "pysindy_err_A" in r else "-"
        print(
            f"{r['K']:>4} {r['T']:>5} {r['R']:>3} {r['lvdyn_s']:>9.4f} {ps_s:>10} {speed:>8} "
            f"{r['lvdyn_err_A']:>12.3f} {ps_e:>14}"
        )
        if "estimated" in r:
            print(
                f"     pysindy time scaled from {r['estimated']}; errors on those rows of A: "
                f"lvdyn {r['lvdyn_err_A_rows']:.3f} "
                f"(ridge 0.05: {r['lvdyn_ridge_err_A_rows']:.3f}), "
                f"pysindy {r['pysindy_err_A']:.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="R = 1, 10; pysindy at R = 1")
    parser.add_argument(
        "--part", choices=["all", "lv", "k200", "linear"], default="all", help="run one table"
    )
    parser.add_argument("--runs", type=int, nargs="*", help="run counts R at K = 29")
    parser.add_argument(
        "--k200-equations", type=int, default=2, help="equations pysindy fits at K = 200"
    )
    args = parser.parse_args()
    run_counts = args.runs or ([1, 10] if args.quick else [1, 10, 50])
    pysindy_runs = {1} if args.quick else set(run_counts)
    repeats = 3
    title = "Lotka-Volterra, 1% multiplicative noise: lvdyn LotkaVolterra vs pysindy SINDy(deg 2)"
    if args.part in ("all", "lv"):
        # pysindy at R = 50 takes over 3 minutes: it fits the first 6 of 29 equations.
        rows = [
            lv_case(
                29,
                1000,
                r,
                with_pysindy=r in pysindy_runs,
                repeats=repeats,
                pysindy_equations=6 if r >= 50 else None,
            )
            for r in run_counts
        ]
        show(title, rows)
    if args.part in ("all", "k200"):
        # K = 200: one run for both libraries (pysindy on its first equations); 50 runs for
        # lvdyn alone (pysindy's design would be 50000 x 20301, 8 GB).
        rows = [
            lv_case(
                200, 1000, 1, with_pysindy=True, repeats=1, pysindy_equations=args.k200_equations
            ),
            lv_case(200, 1000, 50, with_pysindy=False, repeats=1),
        ]
        show(title, rows)
    if args.part in ("all", "linear"):
        rows = [
            linear_case(29, 1000, r, with_pysindy=r in pysindy_runs - {50}, repeats=repeats)
            for r in run_counts
        ]
        show("Linear, 1% additive noise: lvdyn LinearODE vs pysindy SINDy(deg 2)", rows)


if __name__ == "__main__":
    main()
