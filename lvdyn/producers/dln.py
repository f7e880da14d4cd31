"""Deep linear network modes under plain gradient descent (Saxe, McClelland, Ganguli 2014).

The network ``W = W_D ... W_1`` is trained by full-batch gradient descent on the population
loss ``L = 1/2 ||S - W||_F^2 + lambda/2 sum_l ||W_l||_F^2`` with whitened inputs and a target
``S = U diag(s) V^T`` of chosen singular values ``s``. The traces are the mode strengths
``x_a = u_a^T W v_a``.

For depth 2 and decoupled (aligned, balanced) initialisation each mode follows the exact map
``x[k+1] = x[k] (1 + lr (s - lambda - x[k]))^2``, i.e. ``sqrt(x[k+1]/x[k]) - 1 = (r + A x)/2``
with the ground truth stored in the dataset:

* ``true_r = 2 lr (s - lambda)`` (per step),
* ``true_A = -2 lr I`` (no cross-mode terms),
* ``true_equilibrium = max(s - lambda, 0)`` (modes weaker than the decay die out).

In continuous time this is the logistic law ``dx/dt = 2 lr x (s - lambda - x)``. Random small
initialisation follows it after an alignment phase of about ``2 / (lr s_max)`` steps. For
depth ``D > 2`` the mode law is ``dx/dt = lr D x^(2 - 2/D) (s - x)`` (no weight decay), which is
not Lotka-Volterra; only ``true_equilibrium`` is stored then.

Examples
--------
>>> import numpy as np
>>> from lvdyn.producers import dln
>>> ds = dln.train(singular_values=(2.0, 1.0), n_in=4, n_out=4, hidden=4, lr=0.02, steps=1500)
>>> np.round(ds.strength.isel(run=0, step=-1).values, 6).tolist()
[2.0, 1.0]
>>> ds.true_r.values.tolist(), ds.attrs["exact_discrete_map"]
([0.08, 0.04], 'sqrt(x[k+1] / x[k]) - 1 = (r + A x[k]) / 2')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import xarray as xr
from scipy.stats import ortho_group

from lvdyn.core._checks import check_int, check_number
from lvdyn.producers._ground_truth import (
    EXACT_MAP,
    Schedule,
    finish_traces,
)

__all__ = ["train"]

Init = Literal["decoupled", "random"]


def _orthonormal(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` random orthonormal columns in ``R^n``."""
    if n == 1:
        return np.ones((1, 1))[:, :k]
    return ortho_group.rvs(n, random_state=rng)[:, :k]


def _initial_weights(
    shapes: list[tuple[int, int]],
    *,
    init: Init,
    scale: float,
    U: np.ndarray,
    V: np.ndarray,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Layer matrices, first layer first; decoupled ones give every mode strength ``scale^D``."""
    if init == "random":
        return [scale * rng.standard_normal(shape) for shape in shapes]
    hidden = shapes[0][0]
    Q = _orthonormal(hidden, U.shape[1], rng)  # hidden-layer directions of the modes
    depth = len(shapes)
    weights = [scale * Q @ V.T]
    weights += [scale * Q @ Q.T for _ in range(depth - 2)]
    weights.append(scale * U @ Q.T)
    return weights


def _product(weights: list[np.ndarray]) -> np.ndarray:
    out = weights[0]
    for W in weights[1:]:
        out = W @ out
    return out


def _gradient_step(
    weights: list[np.ndarray], target: np.ndarray, lr: float, weight_decay: float
) -> tuple[list[np.ndarray], float]:
    """One full-batch GD step on ``1/2 ||target - W||^2 + wd/2 sum ||W_l||^2``."""
    depth = len(weights)
    below = [np.eye(weights[0].shape[1])]  # below[l] = W_{l-1} ... W_1
    for W in weights[:-1]:
        below.append(W @ below[-1])
    total = weights[-1] @ below[-1]
    residual = total - target
    loss = 0.5 * float(np.sum(residual**2)) + 0.5 * weight_decay * sum(
        float(np.sum(W**2)) for W in weights
    )
    new = []
    above = np.eye(weights[-1].shape[0])  # W_D ... W_{l+1}
    for layer in range(depth - 1, -1, -1):
        W = weights[layer]
        grad = above.T @ residual @ below[layer].T + weight_decay * W
        new.append(W - lr * grad)
        above = above @ W
    return new[::-1], loss


def _check_config(s: np.ndarray, n_in: int, n_out: int, hidden: int, depth: int, init: str) -> None:
    if s.ndim != 1 or s.size == 0 or np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(
            f"`singular_values` must be a non-empty sequence of positive numbers; got {s.tolist()}."
        )
    if s.size > min(n_in, n_out, hidden):
        raise ValueError(
            f"`singular_values` has {s.size} modes but min(n_in, n_out, hidden) = "
            f"{min(n_in, n_out, hidden)}; widen the network or drop modes."
        )
    if depth < 2:
        raise ValueError(f"`depth` must be at least 2; got {depth}.")
    if init not in ("decoupled", "random"):
        raise ValueError(f"`init` must be 'decoupled' or 'random'; got {init!r}.")


def train(
    *,
    singular_values: Sequence[float] = (5.0, 3.0, 1.5, 0.5),
    n_in: int = 8,
    n_out: int = 8,
    hidden: int = 16,
    depth: int = 2,
    lr: float = 0.01,
    steps: int = 3000,
    init: Init = "decoupled",
    init_scale: float = 1e-3,
    weight_decay: float = 0.0,
    seeds: int | Sequence[int] = (0,),
    log_every: int = 1,
) -> xr.Dataset:
    """Train a deep linear network by gradient descent and trace its mode strengths.

    Parameters
    ----------
    singular_values : sequence of float
        Target singular values ``s`` (one component per mode), positive.
    n_in, n_out, hidden : int
        Input, output and hidden widths; each at least ``len(singular_values)``.
    depth : int
        Number of weight matrices ``D`` (at least 2).
    lr : float
        Gradient-descent step size ``eta``; keep ``lr * max(s) <= 0.05`` so that the
        continuous-time law is accurate to a few percent.
    steps : int
        Number of gradient steps; the traces hold ``steps // log_every + 1`` samples.
    init : {"decoupled", "random"}
        ``"decoupled"``: every layer aligned with the modes and balanced, each layer's mode
        value ``init_scale`` (so every mode starts at ``init_scale ** depth``).
        ``"random"``: i.i.d. ``N(0, init_scale^2)`` entries.
    init_scale : float
        Per-layer scale of the initial weights.
    weight_decay : float
        ``lambda`` of the penalty ``lambda/2 sum_l ||W_l||^2``.
    seeds : int or sequence of int
        One run per seed; the seed draws the singular vectors and the initial weights.
    log_every : int
        Record every ``log_every`` steps (step 0 included).

    Returns
    -------
    xarray.Dataset
        Traces with ``strength`` (run, step, component = mode index), ``train_loss``,
        ``singular_value`` on ``component``, ``true_equilibrium`` and, for depth 2,
        ``true_r`` and ``true_A``; the attribute ``exact_discrete_map`` names the exact map
        (``"none"`` when there is none: depth > 2 or random initialisation).
    """
    s = np.asarray(singular_values, dtype=np.float64)
    n_in, n_out, hidden = (
        check_int(n, v) for n, v in (("n_in", n_in), ("n_out", n_out), ("hidden", hidden))
    )
    depth = check_int("depth", depth)
    schedule = Schedule.check(lr=lr, steps=steps, log_every=log_every, seeds=seeds)
    lr = schedule.lr
    _check_config(s, n_in, n_out, hidden, depth, init)
    init_scale = check_number("init_scale", init_scale)
    weight_decay = check_number("weight_decay", weight_decay, strict=False)
    shapes = [(hidden, n_in)] + [(hidden, hidden)] * (depth - 2) + [(n_out, hidden)]
    strength, loss = schedule.empty(s.size), schedule.empty()
    for run, seed in enumerate(schedule.seeds):
        rng = np.random.default_rng(seed)
        U, V = _orthonormal(n_out, s.size, rng), _orthonormal(n_in, s.size, rng)
        target = U @ np.diag(s) @ V.T
        weights = _initial_weights(shapes, init=init, scale=init_scale, U=U, V=V, rng=rng)
        row = 0
        for step in range(schedule.steps + 1):
            logged = step % schedule.log_every == 0
            if logged:
                strength[run, row] = np.einsum("ia,ij,ja->a", U, _product(weights), V)
            new, value = _gradient_step(weights, target, lr, weight_decay)
            if logged:
                loss[run, row] = value
                row += 1
            weights = new
    if depth == 2:
        equilibrium = np.clip(s - weight_decay, 0.0, None)
    else:  # balanced deep network with decay: a^(D-2) (s - a^D) = lambda, no closed form
        equilibrium = s.copy() if weight_decay == 0 else np.full(s.size, np.nan)
    truth: dict[str, np.ndarray] = {"true_equilibrium": equilibrium}
    if depth == 2:
        truth["true_r"] = 2.0 * lr * (s - weight_decay)
        truth["true_A"] = -2.0 * lr * np.eye(s.size)
    exact = EXACT_MAP if depth == 2 and init == "decoupled" else None
    return finish_traces(
        strength,
        schedule=schedule,
        component=list(range(s.size)),
        producer="dln",
        settings=dict(
            singular_values=s.tolist(),
            n_in=n_in,
            n_out=n_out,
            hidden=hidden,
            depth=depth,
            init=init,
            init_scale=init_scale,
            weight_decay=weight_decay,
        ),
        truth=truth,
        long_name="mode strength u_a^T W v_a",
        history=f"dln.train(modes={s.size}, depth={depth}, init={init!r}, "
        f"steps={schedule.steps}, runs={len(schedule.seeds)})",
        loss=loss,
        exact_map=exact,
        component_coords={"singular_value": s},
    )
