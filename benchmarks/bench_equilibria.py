"""Benchmark: saturated equilibria and survivors by LCP against simulating to steady state.

For random Lotka-Volterra systems with K components of which K/3 survive
(``lvdyn.producers.synthetic.exclusion_lotka_volterra``), times

* ``find_equilibria(model)`` (Lemke's LCP; support enumeration as well for K <= 15),
* ``predict_survivors(model)``,
* the LCP alone, by block principal pivoting (the default here) and by Lemke's algorithm,
* the naive alternative: ``scipy.integrate.solve_ivp`` (LSODA, analytic Jacobian) from a
  positive start to t = 2000 (the invasion rates are <= -0.2, so extinct components fall
  below 1e-100), survivors read as components above 1e-6 of the largest,

and prints each time, the ratio naive / lvdyn, and whether the survivor sets agree.

Run from the repository root::

    PYTHONPATH=$PWD python benchmarks/bench_equilibria.py [--quick]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

import lvdyn
from lvdyn.producers import synthetic


def best_of(repeats: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def naive_survivors(model: lvdyn.LotkaVolterra, x0: np.ndarray, horizon: float) -> np.ndarray:
    sol = solve_ivp(
        lambda _t, x: model.rhs(x),
        (0.0, horizon),
        x0,
        method="LSODA",
        jac=lambda _t, x: model.jacobian(x),
        rtol=1e-8,
        atol=1e-12,
    )
    end = sol.y[:, -1]
    return end > 1e-6 * end.max()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 10 and 100 only, one repeat")
    args = parser.parse_args()
    sizes = [10, 100] if args.quick else [10, 100, 500, 1000]
    repeats = 1 if args.quick else 3
    warm = lvdyn.LotkaVolterra.from_params([1.0], [[-1.0]])
    lvdyn.find_equilibria(warm), lvdyn.predict_survivors(warm)  # first-call import costs
    print(
        f"{'K':>5} {'find_eq s':>10} {'predict s':>10} {'bpp s':>8} {'lemke s':>8} "
        f"{'naive s':>8} {'naive/find':>10} {'naive/predict':>13} agree"
    )
    for k in sizes:
        system = synthetic.exclusion_lotka_volterra(k, k // 3, seed=k)
        model = lvdyn.LotkaVolterra.from_params(system.r, system.A)
        x0 = np.random.default_rng(k).uniform(0.1, 2.0, k)
        t_find, _ = best_of(repeats, lambda m=model: lvdyn.find_equilibria(m))
        t_pred, pred = best_of(repeats, lambda m=model: lvdyn.predict_survivors(m))
        q, M = -system.r, -system.A
        t_bpp, _ = best_of(repeats, lambda q=q, M=M: lvdyn.solve_lcp(q, M, "principal_pivoting"))
        t_lemke, _ = best_of(1, lambda q=q, M=M: lvdyn.solve_lcp(q, M, "lemke"))
        t_naive, naive = best_of(1, lambda m=model, x=x0: naive_survivors(m, x, 2000.0))
        agree = bool(np.array_equal(pred, naive)) and bool(np.array_equal(pred, system.survivors))
        print(
            f"{k:>5} {t_find:>10.4f} {t_pred:>10.4f} {t_bpp:>8.4f} {t_lemke:>8.3f} {t_naive:>8.3f} "
            f"{t_naive / t_find:>10.1f} {t_naive / t_pred:>13.1f} {agree}"
        )


if __name__ == "__main__":
    main()
