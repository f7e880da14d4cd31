"""Bootstrap confidence intervals over runs or over blocks of steps."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import xarray as xr
from sklearn.base import clone

from lvdyn.fitting._coefficients import coefficients
from lvdyn.fitting._derivatives import DerivativeMethod
from lvdyn.fitting._design import Design, Window
from lvdyn.fitting._fitting import fit_design, model_design
from lvdyn.models import AbstractODEModel, SINDy
from lvdyn.traces._history import add_history

__all__ = ["bootstrap_traces"]


def _blocks(design: Design, by: str, block_size: int) -> list[np.ndarray]:
    """Groups of sample rows that are resampled together."""
    if by == "run":
        return [np.flatnonzero(design.run == r) for r in np.unique(design.run)]
    groups: list[np.ndarray] = []
    for r in np.unique(design.run):
        rows = np.flatnonzero(design.run == r)
        groups.extend(rows[i : i + block_size] for i in range(0, rows.size, block_size))
    return groups


def bootstrap_traces(
    model: AbstractODEModel,
    ds: xr.Dataset,
    *,
    n_boot: int = 200,
    by: Literal["run", "block"] = "run",
    block_size: int = 50,
    level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    window: Window = None,
    runs: Any = None,
    derivative: str | DerivativeMethod = "auto",
    time: str = "step",
) -> xr.Dataset:
    """Percentile bootstrap of every fitted coefficient.

    Derivatives are estimated once per run; each replicate resamples, with replacement, whole
    runs (``by="run"``, needs several runs) or blocks of ``block_size`` consecutive samples
    within runs (``by="block"``, a moving-block bootstrap that keeps short-range correlation).

    Parameters
    ----------
    model : LinearODE, LotkaVolterra or SINDy
        Hyperparameters to use (cloned for every replicate; not modified).
    ds : xarray.Dataset
        Traces.
    n_boot : int
        Number of replicates.
    by : {"run", "block"}
        What to resample.
    block_size : int
        Samples per block for ``by="block"``.
    level : float
        Confidence level of the intervals.
    random_state : int, Generator or None
        Seed of the resampling.
    window, runs, derivative, time
        As in `fit_traces`.

    Returns
    -------
    xarray.Dataset
        For each coefficient ``name`` of `lvdyn.coefficients`: ``name`` (the fit on all data),
        ``name_lower``, ``name_upper`` and ``name_std``, labelled by component. For `SINDy`
        also ``inclusion_probability`` (component, term): the share of replicates in which a
        term is nonzero.

    Examples
    --------
    >>> import lvdyn
    >>> from lvdyn.producers import synthetic
    >>> ds = synthetic.linear(A=[[-0.5]], b=[0.5], x0=[[0.0], [2.0], [1.5], [0.5]],
    ...                       steps=50, dt=0.1, noise=0.01, seed=0)
    >>> ci = bootstrap_traces(lvdyn.LinearODE(), ds, n_boot=50, time="time",
    ...                       derivative="savgol", random_state=0)
    >>> bool(ci.A_lower.item() < -0.5 < ci.A_upper.item())
    True
    """
    if by not in ("run", "block"):
        raise ValueError(f"`by` must be 'run' or 'block'; got {by!r}.")
    if not isinstance(n_boot, int) or n_boot < 2:
        raise ValueError(f"`n_boot` must be an integer >= 2; got {n_boot!r}.")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be in (0, 1); got {level!r}.")
    rng = np.random.default_rng(random_state)
    design = model_design(model, ds, window=window, runs=runs, derivative=derivative, time=time)
    groups = _blocks(design, by, int(block_size))
    if len(groups) < 2:
        raise ValueError(
            f"`by={by!r}` found {len(groups)} group to resample; bootstrap over blocks "
            "(by='block') or pass more runs."
        )
    full = fit_design(clone(model), design)
    full.component_labels_ = ds["component"].values
    reference = coefficients(full, ds)
    names = [str(n) for n in reference.data_vars if n != "powers"]
    draws: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for _ in range(n_boot):
        pick = rng.integers(0, len(groups), len(groups))
        rows = np.concatenate([groups[i] for i in pick])
        fitted = fit_design(clone(model), design, rows)
        fitted.component_labels_ = full.component_labels_
        replicate = coefficients(fitted, ds)
        for n in names:
            draws[n].append(replicate[n].values)
    out = xr.Dataset(coords=reference.coords, attrs={"model": reference.attrs["model"]})
    tail = (1.0 - level) / 2.0
    for n in names:
        stack = np.stack(draws[n])
        dims = reference[n].dims
        out[n] = reference[n]
        out[f"{n}_lower"] = (dims, np.quantile(stack, tail, axis=0))
        out[f"{n}_upper"] = (dims, np.quantile(stack, 1.0 - tail, axis=0))
        out[f"{n}_std"] = (dims, stack.std(axis=0, ddof=1))
    if isinstance(model, SINDy):
        stack = np.stack(draws["coef"])
        out["inclusion_probability"] = (reference["coef"].dims, (stack != 0).mean(axis=0))
    out.attrs.update(level=level, n_boot=n_boot, by=by)
    return add_history(out, f"bootstrap_traces({type(model).__name__}, n_boot={n_boot}, by={by})")
