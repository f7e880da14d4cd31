"""The diagonal linear network ``beta = u * u``: an exact Lotka-Volterra race whose
equilibrium is the non-negative least-squares solution. Public as `lvdyn.producers.race.diagonal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.core._checks import check_int
from lvdyn.producers._ground_truth import (
    Schedule,
    finish_traces,
    init_scales,
    nnls_equilibrium,
)

__all__ = ["diagonal"]


def diagonal(
    *,
    X: Any = None,
    y: Any = None,
    n_samples: int = 200,
    n_features: int = 5,
    weights: Sequence[float] = (1.5, 1.0, 0.5, -0.5, 0.25),
    correlation: float = 0.3,
    lr: float = 0.01,
    steps: int = 4000,
    init_scale: float | Sequence[float] = 0.1,
    seeds: int | Sequence[int] = (0,),
    log_every: int = 1,
) -> xr.Dataset:
    """Train the diagonal linear network ``beta = u * u`` and trace ``beta`` per feature.

    Parameters
    ----------
    X, y : array_like, optional
        A regression problem ``(n_samples, n_features)`` and ``(n_samples,)``, shared by all
        runs. By default one is drawn per seed: equicorrelated Gaussian features
        (``correlation``) and ``y = X weights`` without noise.
    n_samples, n_features : int
        Size of the drawn problem (ignored when ``X`` is given).
    weights : sequence of float
        True regression weights of the drawn problem; negative ones go extinct.
    lr : float
        Gradient-descent step size; keep ``4 lr max(b)`` small (default 0.01).
    steps, log_every : int
        Number of steps and logging period.
    init_scale : float or sequence of float
        Initial ``u`` (so ``beta`` starts at ``init_scale ** 2``); one value or one per
        feature.
    seeds : int or sequence of int
        One run per seed.

    Returns
    -------
    xarray.Dataset
        Traces of ``beta`` with ``true_r = 4 lr b``, ``true_A = -4 lr G``,
        ``true_equilibrium`` = NNLS solution (computed per problem; when ``X`` is drawn per
        seed the ground truth of the first seed is stored and ``true_*`` of every run is in
        ``run_true_r`` / ``run_true_A`` / ``run_true_equilibrium``).

    Examples
    --------
    >>> import numpy as np
    >>> from lvdyn.producers import race
    >>> ds = race.diagonal(steps=6000)
    >>> bool(np.allclose(ds.strength.isel(run=0, step=-1), ds.true_equilibrium, atol=1e-4))
    True
    >>> float(ds.true_equilibrium[3])  # the negative weight goes extinct
    0.0
    """
    schedule = Schedule.check(lr=lr, steps=steps, log_every=log_every, seeds=seeds)
    lr = schedule.lr
    problems = [
        _regression_problem(X, y, n_samples, n_features, weights, correlation, seed)
        for seed in schedule.seeds
    ]
    n_feat = problems[0][0].shape[1]
    u0 = init_scales(init_scale, n_feat)
    strength, loss = schedule.empty(n_feat), schedule.empty()
    truths = []
    for run, (Xr, yr) in enumerate(problems):
        n = Xr.shape[0]
        b, G = Xr.T @ yr / n, Xr.T @ Xr / n
        truths.append((4 * lr * b, -4 * lr * G, nnls_equilibrium(Xr / np.sqrt(n), yr / np.sqrt(n))))
        u = u0.copy()
        row = 0
        for step in range(schedule.steps + 1):
            beta = u * u
            if step % schedule.log_every == 0:
                strength[run, row] = beta
                loss[run, row] = 0.5 * float(np.mean((yr - Xr @ beta) ** 2))
                row += 1
            u = u * (1.0 + 2.0 * lr * (b - G @ beta))
    ds = finish_traces(
        strength,
        schedule=schedule,
        component=list(range(n_feat)),
        producer="race.diagonal",
        settings=dict(
            given_problem=X is not None,
            n_samples=int(problems[0][0].shape[0]),
            n_features=n_feat,
            weights=[float(w) for w in weights] if X is None else None,
            correlation=float(correlation),
            init_scale=u0.tolist(),
        ),
        truth={"true_r": truths[0][0], "true_A": truths[0][1], "true_equilibrium": truths[0][2]},
        long_name="diagonal-network weight beta = u * u",
        history=f"race.diagonal(features={n_feat}, steps={schedule.steps}, "
        f"runs={len(schedule.seeds)})",
        loss=loss,
    )
    if X is None and len(schedule.seeds) > 1:
        ds["run_true_r"] = (("run", "component"), np.stack([t[0] for t in truths]))
        ds["run_true_A"] = (("run", "component", "component_j"), np.stack([t[1] for t in truths]))
        ds["run_true_equilibrium"] = (("run", "component"), np.stack([t[2] for t in truths]))
    return ds


def _regression_problem(
    X: Any,
    y: Any,
    n_samples: int,
    n_features: int,
    weights: Sequence[float],
    correlation: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    if X is not None:
        Xa = np.asarray(X, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        if Xa.ndim != 2 or ya.shape != (Xa.shape[0],) or not np.all(np.isfinite(Xa)):
            raise ValueError(
                "`X` and `y` must be a finite (n_samples, n_features) matrix and an "
                f"(n_samples,) vector; got shapes {Xa.shape} and {ya.shape}."
            )
        return Xa, ya
    w = np.asarray(weights, dtype=np.float64)
    n_samples = check_int("n_samples", n_samples)
    if w.shape != (check_int("n_features", n_features),):
        raise ValueError(f"`weights` must hold n_features={n_features} numbers; got {len(w)}.")
    if not 0 <= correlation < 1:
        raise ValueError(f"`correlation` must be in [0, 1); got {correlation!r}.")
    rng = np.random.default_rng(seed)
    cov = (1 - correlation) * np.eye(n_features) + correlation
    Xd = rng.multivariate_normal(np.zeros(n_features), cov, size=n_samples)
    return Xd, Xd @ w
