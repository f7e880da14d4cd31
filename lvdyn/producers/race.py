"""The neural race: gated parallel pathways, and the diagonal linear network.

**Gated pathways** (after Saxe, Sodhani, Lewallen 2022). ``P`` two-layer linear pathways
share input and output but no layer (each has private weights: the reduction's parallel
case; pathways that share layers are `lvdyn.producers.routing`); in context ``c``
(probability ``P(c)``) pathway ``p`` is gated by ``g[p, c]``, and the output is
``sum_p g[p, c] W2_p W1_p``. Plain full-batch gradient descent on
``1/2 sum_c P(c) ||s_c u v^T - output_c||_F^2`` (whitened inputs) makes the pathway
strengths ``x_p = u^T W2_p W1_p v`` race to explain the same mode. From aligned, balanced
initialisation they follow the exact map ``sqrt(x[k+1]/x[k]) - 1 = lr (b - G x[k])``, a
Lotka-Volterra system with

* ``true_r = 2 lr b``, ``b_p = sum_c P(c) g[p, c] s_c`` (gate frequency times target),
* ``true_A = -2 lr G``, ``G_pq = sum_c P(c) g[p, c] g[q, c]`` (gate co-activation),
* ``lv_equilibrium`` = the stable equilibrium of that law, the non-negative least-squares
  solution (when it is unique).

The law holds only while every strength stays positive. A strength ``u^T W2 W1 v`` is not a
square: it can change sign, and where the least-squares point has a negative entry the
non-negative point is a saddle of the network, not its end. Rounding (aligned start) or the
random initial weights grow a component that carries the losing pathway through zero to the
network's minimum, the unconstrained least-squares point, stored as ``true_equilibrium``
(unique when ``G`` is invertible). In the ``"exclusion"`` race the traces sit near
``(5/3, 5/3, 0)`` and then go to ``(2, 2, -1)``, with zero loss: from aligned initialisation
pathway 2 turns negative between steps 4500 and 4510, from random initialisation
(``init_scale=3e-3``, 4 seeds) it is there by steps 2690-2790 (within 1e-3). Only the
diagonal network, whose weights are squares, really goes extinct at the non-negative point.

**Diagonal linear network** (`diagonal`): regression ``y ~ X beta`` with ``beta = u * u``,
trained by gradient descent on ``1/(2n) ||y - X beta||^2``. Then
``sqrt(beta[k+1]/beta[k]) - 1 = 2 lr (b - G beta[k])`` with ``b = X^T y / n`` and
``G = X^T X / n``: ``true_r = 4 lr b``, ``true_A = -4 lr G`` and the equilibrium is the NNLS
solution, so features with a negative optimal weight go extinct.

Examples
--------
>>> import numpy as np
>>> from lvdyn.producers import race
>>> ds = race.train(**race.canonical_case("interior"), steps=4000)
>>> np.round(ds.strength.isel(run=0, step=-1).values, 4).tolist()
[2.0, 1.0, 1.0]
>>> ds.true_equilibrium.values.round(6).tolist()
[2.0, 1.0, 1.0]
>>> ex = race.train(**race.canonical_case("exclusion"), steps=10)
>>> ex.true_equilibrium.values.round(6).tolist(), ex.lv_equilibrium.values.round(6).tolist()
([2.0, 2.0, -1.0], [1.666667, 1.666667, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from lvdyn.core._checks import check_int
from lvdyn.producers._diagonal import diagonal
from lvdyn.producers._ground_truth import (
    EXACT_MAP,
    Schedule,
    finish_traces,
    init_scales,
    nnls_equilibrium,
)

__all__ = ["CASES", "canonical_case", "diagonal", "network_minimum", "train"]

Init = Literal["aligned", "random"]

#: The three canonical races: gates (pathway x context), context strengths, initial scales.
CASES: dict[str, dict[str, Any]] = {
    # p0: c0,c1; p1: c0,c2; p2: c1,c2. Equilibrium (2, 1, 1), stable interior.
    "interior": dict(
        gates=[[1, 1, 0], [1, 0, 1], [0, 1, 1]],
        strengths=[3.0, 3.0, 2.0],
        init_scale=[1e-3, 2e-3, 3e-3],
    ),
    # p0 shared by both contexts, p1 and p2 private. G has rank 2: a line of equilibria;
    # the shared pathway wins the race from equal small starts.
    "degenerate": dict(
        gates=[[1, 1], [1, 0], [0, 1]],
        strengths=[2.0, 2.0],
        init_scale=[1e-2, 1e-2, 1e-2],
    ),
    # The interior gates with a weak third context: pathway 2's NNLS share is 0, its
    # invasion rate at the boundary equilibrium (5/3, 5/3, 0) is -4/9 lr; the network goes
    # on through it, pathway 2 changing sign, to its zero-loss minimum (2, 2, -1).
    "exclusion": dict(
        gates=[[1, 1, 0], [1, 0, 1], [0, 1, 1]],
        strengths=[4.0, 1.0, 1.0],
        init_scale=[1e-3, 2e-3, 3e-3],
    ),
}


def canonical_case(name: str) -> dict[str, Any]:
    """Keyword arguments of `train` for one of the canonical races.

    ``"interior"`` (stable interior equilibrium (2, 1, 1)), ``"degenerate"`` (a shared and two
    private pathways; a line of equilibria, the shared pathway wins) or ``"exclusion"`` (the
    Lotka-Volterra law drives one pathway to zero, a saddle; the network carries it on to a
    negative strength).

    Examples
    --------
    >>> canonical_case("degenerate")["gates"]
    [[1, 1], [1, 0], [0, 1]]
    """
    if name not in CASES:
        raise ValueError(f"`name` must be one of {sorted(CASES)}; got {name!r}.")
    return {k: list(v) for k, v in CASES[name].items()}


def _race_system(
    gates: Any, strengths: Any, context_probs: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = np.asarray(gates, dtype=np.float64)
    if g.ndim != 2 or g.size == 0 or not np.all(np.isfinite(g)) or np.any(g < 0):
        raise ValueError(
            "`gates` must be a non-empty (pathway, context) matrix of non-negative numbers; "
            f"got {np.asarray(gates).tolist()!r}."
        )
    n_ctx = g.shape[1]
    s = np.asarray(strengths, dtype=np.float64)
    if s.shape != (n_ctx,) or not np.all(np.isfinite(s)):
        raise ValueError(
            f"`strengths` must hold one finite number per context ({n_ctx}); got {s.tolist()}."
        )
    if context_probs is None:
        prob = np.full(n_ctx, 1.0 / n_ctx)
    else:
        prob = np.asarray(context_probs, dtype=np.float64)
        if prob.shape != (n_ctx,) or np.any(prob < 0) or not np.isclose(prob.sum(), 1.0):
            raise ValueError(
                f"`context_probs` must be {n_ctx} non-negative numbers summing to 1; "
                f"got {prob.tolist()}."
            )
    return g, s, prob


def train(
    *,
    gates: Any,
    strengths: Any,
    context_probs: Any = None,
    width: int = 16,
    n_in: int = 4,
    n_out: int = 4,
    lr: float = 0.01,
    steps: int = 3000,
    init: Init = "aligned",
    init_scale: float | Sequence[float] = 1e-3,
    seeds: int | Sequence[int] = (0,),
    log_every: int = 1,
) -> xr.Dataset:
    """Train gated parallel pathways by gradient descent and trace their strengths.

    Parameters
    ----------
    gates : array_like, shape (pathway, context)
        Gate of each pathway in each context (usually 0 or 1).
    strengths : array_like, shape (context,)
        Target strength ``s_c`` of the shared mode in each context.
    context_probs : array_like, shape (context,), optional
        Probability of each context; uniform by default.
    width : int
        Hidden width of each pathway.
    n_in, n_out : int
        Input and output dimensions (the target mode is ``u v^T``, random unit vectors).
    lr : float
        Gradient-descent step size.
    steps, log_every : int
        Number of steps, and the logging period (step 0 included).
    init : {"aligned", "random"}
        ``"aligned"``: each pathway balanced and aligned with the mode, starting at strength
        ``init_scale_p ** 2`` (give different scales per pathway: identical starts make
        symmetric pathways unidentifiable). ``"random"``: i.i.d. ``N(0, init_scale^2)``
        entries; follow the LV law after a short alignment phase.
    init_scale : float or sequence of float
        Per-layer initial scale, one value or one per pathway.
    seeds : int or sequence of int
        One run per seed (mode vectors and random weights).

    Returns
    -------
    xarray.Dataset
        Traces with ``strength`` (run, step, component = pathway), ``train_loss``,
        ``true_r``, ``true_A``, ``true_equilibrium`` (the network's minimum, signs allowed) and
        ``lv_equilibrium`` (the non-negative point the positive Lotka-Volterra law settles
        at); each NaN where it is not unique, as in the degenerate race, whose equilibria
        form a line.
    """
    g, s, prob = _race_system(gates, strengths, context_probs)
    n_path = g.shape[0]
    width, n_in, n_out = (
        check_int(n, v) for n, v in (("width", width), ("n_in", n_in), ("n_out", n_out))
    )
    schedule = Schedule.check(lr=lr, steps=steps, log_every=log_every, seeds=seeds)
    lr = schedule.lr
    if init not in ("aligned", "random"):
        raise ValueError(f"`init` must be 'aligned' or 'random'; got {init!r}.")
    scales = init_scales(init_scale, n_path)
    b = g @ (prob * s)
    G = (g * prob) @ g.T
    factor = np.sqrt(prob)[:, np.newaxis] * g.T  # G = F^T F, b = F^T t
    target = np.sqrt(prob) * s
    strength, loss = schedule.empty(n_path), schedule.empty()
    for run, seed in enumerate(schedule.seeds):
        rng = np.random.default_rng(seed)
        u = rng.standard_normal(n_out)
        u /= np.linalg.norm(u)
        v = rng.standard_normal(n_in)
        v /= np.linalg.norm(v)
        if init == "aligned":
            q = rng.standard_normal((n_path, width))
            q /= np.linalg.norm(q, axis=1, keepdims=True)
            W1 = scales[:, None, None] * q[:, :, None] * v[None, None, :]
            W2 = scales[:, None, None] * u[None, :, None] * q[:, None, :]
        else:
            W1 = scales[:, None, None] * rng.standard_normal((n_path, width, n_in))
            W2 = scales[:, None, None] * rng.standard_normal((n_path, n_out, width))
        mode = np.outer(u, v)
        row = 0
        for step in range(schedule.steps + 1):
            paths = W2 @ W1  # (pathway, out, in)
            errors = s[:, None, None] * mode - np.einsum("pc,pij->cij", g, paths)
            if step % schedule.log_every == 0:
                strength[run, row] = np.einsum("i,pij,j->p", u, paths, v)
                loss[run, row] = 0.5 * float(np.sum(prob * np.sum(errors**2, axis=(1, 2))))
                row += 1
            # dL/d(path p) = -sum_c P(c) g[p, c] E_c
            grad_path = -np.einsum("c,pc,cij->pij", prob, g, errors)
            W1, W2 = (
                W1 - lr * np.swapaxes(W2, 1, 2) @ grad_path,
                W2 - lr * grad_path @ np.swapaxes(W1, 1, 2),
            )
    lv_point = _equilibrium_if_unique(factor, nnls_equilibrium(factor, target))
    network_point = network_minimum(factor, target)
    return finish_traces(
        strength,
        schedule=schedule,
        component=list(range(n_path)),
        producer="race",
        settings=dict(
            gates=g.tolist(),
            strengths=s.tolist(),
            context_probs=prob.tolist(),
            width=width,
            n_in=n_in,
            n_out=n_out,
            init=init,
            init_scale=scales.tolist(),
        ),
        truth={
            "true_r": 2.0 * lr * b,
            "true_A": -2.0 * lr * G,
            "true_equilibrium": network_point,
            "lv_equilibrium": (("component",), lv_point),
        },
        long_name="pathway strength u^T W2_p W1_p v",
        history=f"race.train(pathways={n_path}, contexts={g.shape[1]}, init={init!r}, "
        f"steps={schedule.steps})",
        loss=loss,
        exact_map=EXACT_MAP if init == "aligned" else None,
    )


def network_minimum(factor: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where gradient descent on the pathways ends: ``argmin_x ||F x - t||`` over all real
    ``x`` (a pathway's strength can take either sign), NaN unless ``F`` has full column rank.

    Examples
    --------
    >>> F = np.array([[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]) / np.sqrt(3)
    >>> network_minimum(F, np.array([4.0, 1.0, 1.0]) / np.sqrt(3)).round(6).tolist()
    [2.0, 2.0, -1.0]
    """
    solution, _, rank, _ = np.linalg.lstsq(factor, target, rcond=None)
    if rank < factor.shape[1]:
        return np.full(factor.shape[1], np.nan)
    return np.asarray(solution, dtype=np.float64)


def _equilibrium_if_unique(factor: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """``candidate`` if it is the only NNLS minimiser, else NaN (a set of equilibria).

    Every minimiser has the same ``F x``, so another one is ``candidate + d`` with ``F d = 0``
    and ``candidate + d >= 0``: a null direction that is non-zero on the support of
    ``candidate`` gives one (a small step keeps it non-negative).
    """
    _, sing, vt = np.linalg.svd(factor)
    rank = int(np.sum(sing > 1e-10 * max(sing.max(), 1.0)))
    null = vt[rank:]
    support = candidate > 1e-12
    if null.size == 0 or not np.any(np.abs(null[:, support]) > 1e-10):
        return candidate
    return np.full(candidate.shape, np.nan)
