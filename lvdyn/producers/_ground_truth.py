"""Shared pieces of the gradient-descent producers with an exact Lotka-Volterra ground truth.

The deep linear network (`dln`), the gated pathways (`race`) and the diagonal network
(`race.diagonal`) all follow, under plain gradient descent from aligned initialisation, the
same exact discrete map ``sqrt(x[k+1] / x[k]) - 1 = (r + A x[k]) / 2``, whose continuous-time
limit is the Lotka-Volterra law ``dx/dt = x (r + A x)`` with rates per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from scipy.optimize import nnls

from lvdyn._version import __version__
from lvdyn.core._checks import check_int, check_number
from lvdyn.producers._common import producer_config
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces
from lvdyn.traces._rules import DEFAULT_FRACTION, DEFAULT_RULE, set_survival_rule

__all__ = [
    "EXACT_MAP",
    "Schedule",
    "check_seeds",
    "finish_traces",
    "init_scales",
    "nnls_equilibrium",
]

#: The exact discrete map of the producers, stored in the ``exact_discrete_map`` attribute.
EXACT_MAP = "sqrt(x[k+1] / x[k]) - 1 = (r + A x[k]) / 2"


def check_seeds(seeds: Any) -> list[int]:
    """Return ``seeds`` as a non-empty list of distinct ints (one run each)."""
    values = [seeds] if isinstance(seeds, int | np.integer) else list(seeds)
    if not values or any(
        isinstance(s, bool) or not isinstance(s, int | np.integer) for s in values
    ):
        raise ValueError(
            f"`seeds` must be an int or a non-empty sequence of ints; got {seeds!r}. "
            "Pass for example seeds=(0, 1, 2)."
        )
    if len(set(values)) != len(values):
        raise ValueError(f"`seeds` must be distinct (one run per seed); got {seeds!r}.")
    return [int(s) for s in values]


def init_scales(init_scale: Any, n: int) -> np.ndarray:
    """``init_scale`` broadcast to one positive value per component."""
    scales = np.broadcast_to(np.asarray(init_scale, dtype=np.float64), (n,)).copy()
    if np.any(~np.isfinite(scales)) or np.any(scales <= 0):
        raise ValueError(
            f"`init_scale` must be a positive number or one per pathway; got {init_scale!r}."
        )
    return scales


def nnls_equilibrium(factor: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The stable equilibrium of ``dx/dt = x (b - G x)`` with ``G = F^T F``, ``b = F^T t``.

    It minimises ``||F x - t||^2`` over ``x >= 0`` (non-negative least squares); it is
    unique when ``F`` has full column rank.

    Examples
    --------
    >>> nnls_equilibrium(np.eye(2), np.array([1.0, -1.0])).tolist()
    [1.0, 0.0]
    """
    solution, _ = nnls(np.asarray(factor, float), np.asarray(target, float))
    return np.asarray(solution, dtype=np.float64)


@dataclass(frozen=True)
class Schedule:
    """The checked settings every gradient-descent producer shares: step size, number of
    steps, logging period and seeds (one run each).

    Examples
    --------
    >>> s = Schedule.check(lr=0.1, steps=4, log_every=2, seeds=(0, 1))
    >>> s.logged.tolist(), s.seeds
    ([0, 2, 4], [0, 1])
    """

    lr: float
    steps: int
    log_every: int
    seeds: list[int]

    @classmethod
    def check(cls, *, lr: Any, steps: Any, log_every: Any, seeds: Any) -> Schedule:
        """Validate the four settings, each error naming its argument."""
        return cls(
            lr=check_number("lr", lr),
            steps=check_int("steps", steps),
            log_every=check_int("log_every", log_every),
            seeds=check_seeds(seeds),
        )

    @property
    def logged(self) -> np.ndarray:
        """The logged steps, 0 included."""
        return np.arange(0, self.steps + 1, self.log_every, dtype=np.int64)

    def empty(self, *shape: int) -> np.ndarray:
        """An uninitialised (run, logged step, *shape) array."""
        return np.empty((len(self.seeds), self.logged.size, *shape))


def finish_traces(
    strength: np.ndarray,
    *,
    schedule: Schedule,
    component: Sequence[Any],
    producer: str,
    settings: dict[str, Any],
    truth: dict[str, Any],
    long_name: str,
    history: str,
    loss: np.ndarray | None = None,
    exact_map: str | None = EXACT_MAP,
    component_coords: dict[str, np.ndarray] | None = None,
) -> xr.Dataset:
    """Build the traces dataset of a ground-truth producer (one run per seed).

    ``settings`` are the producer's own settings; the schedule's are added to the stored
    ``producer_config``. ``long_name`` describes ``strength``; ``history`` is the call.
    """
    extra: dict[str, Any] = dict(truth)
    if loss is not None:
        extra["train_loss"] = loss
    config = dict(
        producer=producer,
        **settings,
        lr=schedule.lr,
        steps=schedule.steps,
        seeds=schedule.seeds,
        log_every=schedule.log_every,
    )
    ds = make_traces(
        strength,
        step=schedule.logged,
        component=list(component),
        run=np.arange(len(schedule.seeds)),
        seed=np.asarray(schedule.seeds, dtype=np.int64),
        source=f"lvdyn.producers.{producer} {__version__}",
        producer_config=producer_config(config),
        attrs={
            "exact_discrete_map": exact_map or "none",
            "time_unit": "one gradient-descent step; true_r and true_A are per step",
        },
        **extra,
    )
    if component_coords:
        ds = ds.assign_coords({k: ("component", v) for k, v in component_coords.items()})
    for name in ("true_r", "true_A"):
        if name in ds:
            ds[name].attrs["comment"] = "per gradient-descent step (tau = 1 / lr)"
    ds["strength"].attrs["long_name"] = long_name
    # a pathway that loses decays towards zero: read survival against the strongest one
    ds = set_survival_rule(ds, DEFAULT_RULE, value=DEFAULT_FRACTION)
    return add_history(ds, history)
