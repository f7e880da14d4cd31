"""Pairwise interaction types and keystoneness."""

from __future__ import annotations

import numpy as np
import xarray as xr

from lvdyn.analysis._equilibria import find_equilibria
from lvdyn.analysis._models import component_labels, family, linear_params, lv_params, restrict
from lvdyn.analysis._survivors import predict_survivors
from lvdyn.core._types import ArrayLike, FittedODEModel
from lvdyn.traces._history import add_history
from lvdyn.traces._schema import COMPONENT

__all__ = ["RELATIONS", "interaction_table", "keystoneness", "relation"]

PAIR = "pair"
REMOVED = "removed"

RELATIONS = {
    (-1, -1): "competition",
    (1, 1): "mutualism",
    (1, -1): "exploitation",
    (-1, 1): "exploitation",
    (1, 0): "commensalism",
    (0, 1): "commensalism",
    (-1, 0): "amensalism",
    (0, -1): "amensalism",
    (0, 0): "none",
}


def relation(sign_ij: int, sign_ji: int) -> str:
    """The ecological name of a pair from the signs of the two effects.

    Examples
    --------
    >>> relation(-1, -1), relation(1, -1), relation(0, 1)
    ('competition', 'exploitation', 'commensalism')
    """
    return RELATIONS[(int(sign_ij), int(sign_ji))]


def _effects(model: FittedODEModel, x: ArrayLike | None) -> np.ndarray:
    kind = family(model)
    if kind == "lotka_volterra":
        return lv_params(model)[1]
    if kind == "linear":
        return linear_params(model)[0]
    if x is None:
        raise ValueError(
            "`x` is required for a model that is neither linear nor Lotka-Volterra: the "
            "effects are read from its Jacobian at `x` (for example a stable equilibrium)."
        )
    return np.asarray(model.jacobian(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _bounds(intervals: xr.Dataset, n: int) -> tuple[np.ndarray, np.ndarray]:
    for low, high in (
        ("lower", "upper"),
        ("interaction_matrix_lower", "interaction_matrix_upper"),
        ("A_lower", "A_upper"),
    ):
        if low in intervals and high in intervals:
            lower, upper = intervals[low].values, intervals[high].values
            if lower.shape != (n, n) or upper.shape != (n, n):
                raise ValueError(
                    f"`intervals` bounds must be {n} x {n} (component, component_j); "
                    f"got {lower.shape} and {upper.shape}."
                )
            return np.asarray(lower, float), np.asarray(upper, float)
    raise ValueError(
        "`intervals` must hold variables 'lower' and 'upper' (component, component_j) with "
        f"bootstrap bounds of the interaction matrix; got {sorted(map(str, intervals))}."
    )


def interaction_table(
    model: FittedODEModel,
    *,
    intervals: xr.Dataset | None = None,
    x: ArrayLike | None = None,
    atol: float = 0.0,
    labels: ArrayLike | None = None,
) -> xr.Dataset:
    """Classify each pair of components by the signs of their effects on each other.

    The effect of ``j`` on ``i`` is ``A_ij`` (Lotka-Volterra interaction matrix, linear
    ``A``, or for other models the Jacobian entry at ``x``). Its sign is +1 above ``atol``,
    -1 below ``-atol``, else 0; with bootstrap ``intervals`` it is +1 when the interval lies
    above 0, -1 when below, else 0 (not distinguishable from none). The pair is then:
    (-, -) competition, (+, +) mutualism, (+, -) exploitation (predation, parasitism),
    (+, 0) commensalism, (-, 0) amensalism, (0, 0) none.

    Parameters
    ----------
    model : fitted lvdyn model
    intervals : xarray.Dataset, optional
        Bootstrap bounds of the interaction matrix: variables ``lower`` and ``upper``
        (component, component_j).
    x : array_like, optional
        State whose Jacobian gives the effects of a generic (SINDy) model.
    atol : float
        Effects at most this large in magnitude count as zero.
    labels : array_like, optional
        Component labels.

    Returns
    -------
    xarray.Dataset
        Over ``pair`` (each unordered pair once, ``i < j``): coordinates ``first`` and
        ``second``; ``effect_on_first`` (``A_ij``), ``effect_on_second`` (``A_ji``),
        ``relation`` (str), ``magnitude`` (``(|A_ij| + |A_ji|) / 2``); with intervals also
        ``*_lower`` and ``*_upper`` bounds. Over ``component``: ``self_effect`` (``A_ii``).

    Examples
    --------
    >>> import lvdyn
    >>> model = lvdyn.LotkaVolterra.from_params([1, 1, 1], [[-1, -0.5, 0.3],
    ...                                                     [-0.2, -1, 0.0],
    ...                                                     [-0.4, 0.0, -1]])
    >>> lvdyn.interaction_table(model).relation.values.tolist()
    ['competition', 'exploitation', 'none']
    """
    effects = _effects(model, x)
    n = effects.shape[0]
    names = component_labels(model, labels)
    first, second = np.triu_indices(n, k=1)
    if intervals is not None:
        lower, upper = _bounds(intervals, n)
        sign = np.where(lower > atol, 1, np.where(upper < -atol, -1, 0))
    else:
        sign = np.where(effects > atol, 1, np.where(effects < -atol, -1, 0))
    relations = [relation(sign[i, j], sign[j, i]) for i, j in zip(first, second, strict=True)]
    e_ij, e_ji = effects[first, second], effects[second, first]
    ds = xr.Dataset(
        {
            "effect_on_first": (PAIR, e_ij, {"long_name": "effect of second on first (A_ij)"}),
            "effect_on_second": (PAIR, e_ji, {"long_name": "effect of first on second (A_ji)"}),
            "relation": (PAIR, np.array(relations, dtype=str)),
            "magnitude": (PAIR, 0.5 * (np.abs(e_ij) + np.abs(e_ji))),
            "self_effect": (COMPONENT, np.diag(effects).copy(), {"long_name": "A_ii"}),
        },
        coords={
            "first": (PAIR, names[first]),
            "second": (PAIR, names[second]),
            PAIR: np.arange(first.size),
            COMPONENT: names,
        },
    )
    if intervals is not None:
        ds["effect_on_first_lower"] = (PAIR, lower[first, second])
        ds["effect_on_first_upper"] = (PAIR, upper[first, second])
        ds["effect_on_second_lower"] = (PAIR, lower[second, first])
        ds["effect_on_second_upper"] = (PAIR, upper[second, first])
    ds.attrs.update(model=type(model).__name__, atol=atol, intervals=int(intervals is not None))
    return add_history(ds, f"interaction_table({type(model).__name__}, K={n})")


def _outcome(model: FittedODEModel) -> tuple[np.ndarray, np.ndarray]:
    """The long-run state and survivors of a linear or Lotka-Volterra model (no warnings)."""
    if family(model) == "lotka_volterra":
        state = find_equilibria(model, max_enumerate=0).saturated_state.values
        return state, state > 0
    state = find_equilibria(model).state.values[0]
    return state, predict_survivors(model)


def keystoneness(model: FittedODEModel, *, labels: ArrayLike | None = None) -> xr.Dataset:
    """What happens to the others when each component is removed.

    For each component ``k``: drop it from the model (its row and column), recompute the
    saturated equilibrium (Lotka-Volterra) or the equilibrium and survivors (linear,
    `predict_survivors` rule), and compare with the full system on the other components.

    Returns
    -------
    xarray.Dataset
        Over ``removed``: ``n_lost`` (survivors that die), ``n_gained`` (components that
        newly survive), ``abundance_change`` (relative change of the total abundance of the
        others, ``sum x_new / sum x_old - 1``), ``keystone_index`` (relative change of the
        others' equilibrium, ``|x_new - x_old| / |x_old|``), ``was_survivor``. Over
        (``removed``, ``component``): ``survives_after`` and ``state_after`` (NaN for the
        removed component itself).

    Examples
    --------
    >>> import lvdyn
    >>> # 0 feeds 1; without 0, 1 (which cannot grow alone) dies
    >>> model = lvdyn.LotkaVolterra.from_params([1.0, -0.1], [[-1.0, -0.5], [0.5, -1.0]])
    >>> lvdyn.keystoneness(model).n_lost.values.tolist()
    [1, 0]
    """
    kind = family(model)
    if kind == "generic":
        raise ValueError(
            "`model` must be linear or Lotka-Volterra to remove components; got "
            f"{type(model).__name__}. Fit a LotkaVolterra to the traces first."
        )
    names = component_labels(model, labels)
    n = names.size
    state, alive = _outcome(model)
    survives_after = np.zeros((n, n), dtype=bool)
    state_after = np.full((n, n), np.nan)
    n_lost, n_gained = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    change, index = np.zeros(n), np.zeros(n)
    for k in range(n):
        keep = np.arange(n) != k
        if keep.sum() == 0:
            continue
        new_state, new_alive = _outcome(restrict(model, keep))
        survives_after[k, keep], state_after[k, keep] = new_alive, new_state
        n_lost[k] = int((alive[keep] & ~new_alive).sum())
        n_gained[k] = int((~alive[keep] & new_alive).sum())
        old = state[keep]
        change[k] = new_state.sum() / old.sum() - 1 if old.sum() != 0 else np.nan
        norm = np.linalg.norm(old)
        index[k] = np.linalg.norm(new_state - old) / norm if norm > 0 else np.nan
    ds = xr.Dataset(
        {
            "n_lost": (REMOVED, n_lost, {"long_name": "survivors lost when removed"}),
            "n_gained": (REMOVED, n_gained, {"long_name": "components that newly survive"}),
            "abundance_change": (REMOVED, change, {"long_name": "relative change of total"}),
            "keystone_index": (REMOVED, index, {"long_name": "relative equilibrium change"}),
            "was_survivor": (REMOVED, alive),
            "survives_after": ((REMOVED, COMPONENT), survives_after),
            "state_after": ((REMOVED, COMPONENT), state_after),
        },
        coords={REMOVED: names, COMPONENT: names},
    )
    ds.attrs["model"] = type(model).__name__
    return add_history(ds, f"keystoneness({type(model).__name__}, K={n})")
