"""Routing networks: gated deep linear networks whose pathways share layers (Saxe et al. 2022).

``M`` input domains and ``M`` output domains share one dataset (items ``x = I``, whitened; the
target ``Y`` has singular values ``s``). A network is a chain of layers, each either an
``"input"`` layer (one copy per input domain), ``"shared"`` (one copy for all) or ``"output"``
(one copy per output domain); the pathway ``i -> j`` is the product of its copies. A gate
pattern says which ``(i, j)`` pairs are trained (``K`` per input); the others are zero-shot
pairs, never seen in training. Plain full-batch gradient descent on the notebook's loss

    L = sum over trained (i, j) of mean((Y - W_j ... W_i x)^2)    (mean over items x outputs)

Traces: the strength ``u_a^T W_{i->j} v_a`` of every pathway and mode (trained and zero-shot
pairs both), the losses, and the singular values of each layer. From decoupled initialisation
the exact reduction (`ModeReduction`) is stored with them: every mode follows one
closed ODE in which a layer's rate is ``n_l / M^2`` (``K / M^2`` for a domain's own layer,
``K / M`` for the shared one), ``b_l^2 / n_l`` differences are conserved and the learning time
is a quadrature. ``tau = n_items n_out / (2 lr M^2)`` steps.

Defaults are those of ``Gated_DLN_solution_verification_figure.ipynb`` (facebookresearch/
gated-dln): ``M = 7``, ``K = 4`` (gate ``4_plus_minus_mod``: input ``i`` trains outputs
``i - 1 .. i + 2`` mod ``M``), layers input -> shared -> output of width 64, the 7 x 4 target
with singular values 13.60, 6.40, 3, 3, SGD at lr 0.02 for 500 epochs, orthogonal
initialisation with gain 0.2.

Examples
--------
>>> import numpy as np
>>> from lvdyn.producers import routing
>>> ds = routing.train(init="decoupled", init_scale=0.08, steps=400, log_every=2)
>>> ds.reduction_half_step.round(1).values.tolist()  # epochs, M = 7, K = 4
[75.3, 158.5, 334.2, 334.2]
>>> bool(np.allclose(ds.strength.isel(run=0, step=-1), ds.true_equilibrium, rtol=1e-3))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from lvdyn.core._checks import check_int
from lvdyn.producers._ground_truth import Schedule, finish_traces
from lvdyn.producers._reduction import ModeReduction

__all__ = ["NOTEBOOK_TARGET", "ModeReduction", "gate_pattern", "train"]

Init = Literal["orthogonal", "decoupled"]
LAYER_KINDS = ("input", "shared", "output")

#: The notebook's target, outputs x items: 6 on every item, 4 on items {0, 1} or {2, 3},
#: and 3 on one item-specific feature each. Singular values 13.60, 6.40, 3, 3.
NOTEBOOK_TARGET = np.vstack(
    [6.0 * np.ones((1, 4)), [[4.0, 4.0, 0.0, 0.0]], [[0.0, 0.0, 4.0, 4.0]], 3.0 * np.eye(4)]
)


def gate_pattern(n_domains: int, trained_per_input: int) -> np.ndarray:
    """The notebook's ``K_plus_minus_mod`` gates: input ``i`` trains outputs ``i + d mod M``
    for ``d = -((K - 1) // 2) .. K // 2``.

    Examples
    --------
    >>> gate_pattern(4, 2).astype(int).tolist()
    [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]]
    """
    M = check_int("n_domains", n_domains)
    K = check_int("trained_per_input", trained_per_input)
    if K > M:
        raise ValueError(f"`trained_per_input` must be at most n_domains={M}; got {K}.")
    gates = np.zeros((M, M))
    for i in range(M):
        for d in range(-((K - 1) // 2), K // 2 + 1):
            gates[i, (i + d) % M] = 1.0
    return gates


def _orthogonal(rows: int, cols: int, gain: float, rng: np.random.Generator) -> np.ndarray:
    """A ``gain``-scaled matrix with orthonormal columns (rows >= cols) or rows."""
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return gain * (q if rows >= cols else q.T)


def _check_layers(layers: Sequence[str]) -> tuple[str, ...]:
    kinds = tuple(layers)
    if len(kinds) < 2 or any(k not in LAYER_KINDS for k in kinds):
        raise ValueError(
            f"`layers` must be two or more of {LAYER_KINDS}, first layer first (for example "
            f"('input', 'shared', 'output')); got {list(layers)!r}."
        )
    return kinds


def _check_gates(gates: Any, M: int) -> np.ndarray:
    g = np.asarray(gates, dtype=np.float64)
    if g.shape != (M, M) or not np.all(np.isin(g, (0.0, 1.0))) or g.sum() == 0:
        raise ValueError(
            f"`gates` must be an (n_domains, n_domains) = ({M}, {M}) matrix of 0 and 1 with at "
            f"least one trained pair; got shape {g.shape}."
        )
    return g


def _counts(kinds: tuple[str, ...], gates: np.ndarray) -> np.ndarray | None:
    """Trained pathways per copy of each layer, or None when copies of a layer differ."""
    rows, cols = gates.sum(axis=1), gates.sum(axis=0)
    if np.ptp(rows) > 0 or np.ptp(cols) > 0:
        return None
    per_kind = {"input": rows[0], "output": cols[0], "shared": gates.sum()}
    return np.array([per_kind[k] for k in kinds])


def _initial_weights(
    kinds: tuple[str, ...],
    dims: list[tuple[int, int]],
    *,
    init: Init,
    scales: np.ndarray,
    M: int,
    U: np.ndarray,
    V: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Each layer's copies (copy, out, in), and the (left, right) mode bases of decoupled init."""
    copies = [1 if k == "shared" else M for k in kinds]
    if init == "orthogonal":
        weights = [
            np.stack([_orthogonal(*dim, scale, rng) for _ in range(n)])
            for dim, scale, n in zip(dims, scales, copies, strict=True)
        ]
        return weights, []
    rank = U.shape[1]
    hidden_bases = [_orthogonal(dim[0], dim[0], 1.0, rng)[:, :rank] for dim in dims[:-1]]
    lefts = [*hidden_bases, U]
    rights = [V, *hidden_bases]
    weights = [
        np.repeat((scale * left @ right.T)[np.newaxis], n, axis=0)
        for left, right, scale, n in zip(lefts, rights, scales, copies, strict=True)
    ]
    return weights, list(zip(lefts, rights, strict=True))


def _copy_index(kinds: tuple[str, ...], M: int) -> np.ndarray:
    """(layer, pathway) -> copy used; pathways ordered i * M + j."""
    i, j = np.divmod(np.arange(M * M), M)
    return np.stack([i if k == "input" else j if k == "output" else 0 * i for k in kinds])


def train(
    *,
    n_domains: int = 7,
    trained_per_input: int = 4,
    gates: Any = None,
    layers: Sequence[str] = ("input", "shared", "output"),
    hidden: int = 64,
    target: Any = None,
    lr: float = 0.02,
    steps: int = 500,
    init: Init = "orthogonal",
    init_scale: float | Sequence[float] = 0.2,
    seeds: int | Sequence[int] = (0,),
    log_every: int = 1,
) -> xr.Dataset:
    """Train a routing network by gradient descent; trace every pathway's mode strengths.

    Parameters
    ----------
    n_domains : int
        ``M``, the number of input and of output domains.
    trained_per_input : int
        ``K``; the gates are `gate_pattern` ``(M, K)`` unless ``gates`` is given.
    gates : array_like, shape (M, M), optional
        1 where the pair (input ``i``, output ``j``) is trained, 0 for a zero-shot pair.
    layers : sequence of {"input", "shared", "output"}
        The chain, first layer first; depth = its length (2 or more).
    hidden : int
        Width of every hidden layer.
    target : array_like, shape (n_out, n_items), optional
        The map every trained pair must learn (items are one-hot); `NOTEBOOK_TARGET` by default.
    lr : float
        Gradient-descent step size (one step = one epoch, full batch).
    steps, log_every : int
        Number of steps and logging period (step 0 included).
    init : {"orthogonal", "decoupled"}
        ``"orthogonal"``: every copy an independent orthogonal matrix times its gain (the
        notebook's default). ``"decoupled"``: every layer aligned with the target's singular
        vectors, each mode's value equal to the layer's scale, all copies equal; the reduction
        is exact then and is stored.
    init_scale : float or sequence of float
        Gain or mode value, one for all layers or one per layer (an unbalanced start).
    seeds : int or sequence of int
        One run per seed (random weights and hidden bases).

    Returns
    -------
    xarray.Dataset
        Traces with ``strength`` (component ``"i->j:a"``: pathway from input ``i`` to output
        ``j``, mode ``a``; coordinates ``input_domain``, ``output_domain``, ``mode``, ``trained``
        and ``singular_value``), ``train_loss`` (the notebook's loss), ``trained_error`` and
        ``zero_shot_error`` (mean squared error per trained and per zero-shot pair),
        ``layer_singular_value`` (run, step, layer, mode: copy 0 of each layer) and
        ``true_equilibrium`` (``s_a`` for trained pathways, where every run goes; for zero-shot
        pathways ``s_a`` from decoupled initialisation and NaN otherwise, as the answer depends
        on the initial weights). Decoupled runs add ``layer_mode_value`` and the reduction:
        ``reduction_strength`` and ``reduction_layer_value`` at every logged step,
        ``reduction_half_step`` and ``reduction_conserved``.
    """
    M = check_int("n_domains", n_domains)
    kinds = _check_layers(layers)
    g = gate_pattern(M, trained_per_input) if gates is None else _check_gates(gates, M)
    hidden = check_int("hidden", hidden)
    schedule = Schedule.check(lr=lr, steps=steps, log_every=log_every, seeds=seeds)
    if init not in ("orthogonal", "decoupled"):
        raise ValueError(f"`init` must be 'orthogonal' or 'decoupled'; got {init!r}.")
    Y = NOTEBOOK_TARGET if target is None else np.asarray(target, dtype=np.float64)
    if Y.ndim != 2 or not np.all(np.isfinite(Y)):
        raise ValueError(f"`target` must be a finite (n_out, n_items) matrix; got {Y.shape}.")
    U_full, sing, Vt = np.linalg.svd(Y, full_matrices=False)
    rank = int(np.sum(sing > 1e-10 * sing[0]))
    U, s, V = U_full[:, :rank], sing[:rank], Vt[:rank].T
    if hidden < rank:
        raise ValueError(f"`hidden` must be at least the target's rank {rank}; got {hidden}.")
    scales = np.asarray(init_scale, dtype=np.float64).reshape(-1)
    if scales.size == 1:
        scales = np.repeat(scales, len(kinds))
    if scales.size != len(kinds) or np.any(~np.isfinite(scales)) or np.any(scales <= 0):
        raise ValueError(
            f"`init_scale` must be a positive number or one per layer ({len(kinds)}); "
            f"got {init_scale!r}."
        )
    n_out, n_items = Y.shape
    dims = [(hidden, n_items)] + [(hidden, hidden)] * (len(kinds) - 2) + [(n_out, hidden)]
    copy = _copy_index(kinds, M)
    trained = g.reshape(-1).astype(bool)
    weight = 1.0 / (n_items * n_out)  # the notebook's MSE mean over one pair's entries
    one_hot = [  # (trained pathway, copy): which copy of each layer a pathway uses
        np.eye(1 if k == "shared" else M)[c[trained]] for k, c in zip(kinds, copy, strict=True)
    ]

    n_comp, depth = M * M * rank, len(kinds)
    strength = schedule.empty(n_comp)
    loss, trained_err, zero_err = schedule.empty(), schedule.empty(), schedule.empty()
    layer_sv = schedule.empty(depth, rank)
    mode_value = schedule.empty(depth, rank) if init == "decoupled" else None
    for run, seed in enumerate(schedule.seeds):
        rng = np.random.default_rng(seed)
        weights, bases = _initial_weights(
            kinds, dims, init=init, scales=scales, M=M, U=U, V=V, rng=rng
        )
        row = 0
        for step in range(schedule.steps + 1):
            below = [weights[0][copy[0]]]  # items are one-hot: the first product is W_1
            for W, c in zip(weights[1:], copy[1:], strict=True):
                below.append(W[c] @ below[-1])
            error = below[-1] - Y  # (pathway, out, item)
            if step % schedule.log_every == 0:
                pair_mse = weight * np.sum(error**2, axis=(1, 2))
                strength[run, row] = np.einsum("ia,pij,ja->pa", U, below[-1], V).reshape(-1)
                loss[run, row] = float(pair_mse[trained].sum())
                trained_err[run, row] = float(pair_mse[trained].mean())
                zero_err[run, row] = pair_mse[~trained].mean() if (~trained).any() else np.nan
                for layer, W in enumerate(weights):
                    layer_sv[run, row, layer] = np.linalg.svd(W[0], compute_uv=False)[:rank]
                if mode_value is not None:
                    for layer, (W, (left, right)) in enumerate(zip(weights, bases, strict=True)):
                        mode_value[run, row, layer] = np.einsum("ia,ij,ja->a", left, W[0], right)
                row += 1
            delta = 2.0 * weight * error[trained]  # dL/d(pathway map), trained pathways only
            above: np.ndarray | None = None  # product of the layers after the current one
            new = []
            for layer in range(depth - 1, -1, -1):
                W, c = weights[layer], copy[layer][trained]
                back = delta if above is None else np.swapaxes(above, 1, 2) @ delta
                if layer > 0:
                    back = back @ np.swapaxes(below[layer - 1][trained], 1, 2)
                new.append(W - schedule.lr * np.einsum("pc,pij->cij", one_hot[layer], back))
                above = W[c] if above is None else above @ W[c]
            weights = new[::-1]
    return _finish(
        strength, loss, trained_err, zero_err, layer_sv, mode_value,
        schedule=schedule, kinds=kinds, g=g, s=s, rank=rank, scales=scales, init=init,
        M=M, hidden=hidden, Y=Y, trained=trained,
    )  # fmt: skip


def _finish(
    strength: np.ndarray,
    loss: np.ndarray,
    trained_err: np.ndarray,
    zero_err: np.ndarray,
    layer_sv: np.ndarray,
    mode_value: np.ndarray | None,
    *,
    schedule: Schedule,
    kinds: tuple[str, ...],
    g: np.ndarray,
    s: np.ndarray,
    rank: int,
    scales: np.ndarray,
    init: Init,
    M: int,
    hidden: int,
    Y: np.ndarray,
    trained: np.ndarray,
) -> xr.Dataset:
    i, j, a = (v.reshape(-1) for v in np.meshgrid(range(M), range(M), range(rank), indexing="ij"))
    comp_trained = np.repeat(trained, rank)
    equilibrium = np.where(comp_trained | (init == "decoupled"), s[a], np.nan)
    counts = _counts(kinds, g)
    n_out, n_items = Y.shape
    tau = n_items * n_out / (2.0 * schedule.lr * M**2)
    extra: dict[str, Any] = {
        "true_equilibrium": equilibrium,
        "trained_error": (("run", "step"), trained_err),
        "zero_shot_error": (("run", "step"), zero_err),
        "layer_singular_value": (("run", "step", "layer", "mode"), layer_sv),
    }
    if mode_value is not None:
        extra["layer_mode_value"] = (("run", "step", "layer", "mode"), mode_value)
    if init == "decoupled" and counts is not None:
        reds = [ModeReduction(sa, counts=counts, initial=scales, n_domains=M, tau=tau) for sa in s]
        us = np.stack([red.trajectory(schedule.logged) for red in reds], axis=1)  # (step, mode)
        extra["reduction_strength"] = (
            ("step", "mode"), np.stack([r.strength(us[:, k]) for k, r in enumerate(reds)], 1)
        )  # fmt: skip
        extra["reduction_layer_value"] = (
            ("step", "layer", "mode"),
            np.stack([r.layers(us[:, k]) for k, r in enumerate(reds)], axis=2),
        )
        extra["reduction_half_step"] = (("mode",), np.array([r.half_time() for r in reds]))
        conserved = np.stack([r.conserved() for r in reds], axis=1)
        extra["reduction_conserved"] = (("layer", "mode"), conserved)
    ds = finish_traces(
        strength,
        schedule=schedule,
        component=[f"{ii}->{jj}:{aa}" for ii, jj, aa in zip(i, j, a, strict=True)],
        producer="routing",
        settings=dict(
            n_domains=M,
            gates=g.astype(int).tolist(),
            layers=list(kinds),
            hidden=hidden,
            target=Y.tolist(),
            init=init,
            init_scale=scales.tolist(),
        ),
        truth=extra,
        long_name="pathway mode strength u_a^T W_{i->j} v_a",
        history=f"routing.train(M={M}, layers={'-'.join(kinds)}, init={init!r}, "
        f"steps={schedule.steps}, runs={len(schedule.seeds)})",
        loss=loss,
        exact_map=None,
        component_coords={
            "input_domain": i,
            "output_domain": j,
            "component_mode": a,
            "trained": comp_trained,
            "singular_value": s[a],
        },
    )
    ds = ds.assign_coords(
        layer=np.arange(len(kinds)),
        layer_kind=("layer", list(kinds)),
        mode_singular_value=("mode", s),
    )
    if counts is not None:
        ds = ds.assign_coords(layer_pathways=("layer", counts.astype(np.int64)))
    ds.attrs["tau_steps"] = tau
    ds.attrs["time_unit"] = "one gradient-descent step (one full-batch epoch)"
    return ds
