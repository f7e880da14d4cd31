"""Strength traces over training, and fitted against observed trajectories."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lvdyn.plots._figure import DEAD_COLOUR, SURVIVOR_COLOURS, finish, new_axes

__all__ = ["plot_fit", "plot_traces"]


def _run_slice(ds: xr.Dataset, run: Any) -> xr.Dataset:
    if run is None:
        return ds.isel(run=0)
    if run not in ds.run.values:
        raise ValueError(f"`run` must be one of {ds.run.values.tolist()[:10]}; got {run!r}.")
    return ds.sel(run=run)


def _survivor_mask(ds_run: xr.Dataset, survivors: Any) -> np.ndarray:
    n = ds_run.sizes["component"]
    if survivors is None:
        return np.zeros(n, dtype=bool)
    mask = np.asarray(survivors.values if isinstance(survivors, xr.DataArray) else survivors)
    if mask.shape != (n,):
        raise ValueError(
            f"`survivors` must be {n} booleans, one per component; got shape {mask.shape}."
        )
    return mask.astype(bool)


def plot_traces(
    ds: xr.Dataset,
    *,
    run: Any = None,
    survivors: Any = None,
    log_step: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    legend_title: str = "survivors",
) -> Figure:
    """Strength of every component over training; survivors in colour, the rest in grey.

    Parameters
    ----------
    ds : xarray.Dataset
        Traces.
    run : label, optional
        Which run (default: the first).
    survivors : array_like of bool, optional
        One flag per component (for example ``lvdyn.survivors(ds).sel(run=...)``).
    log_step : bool
        Log-scale step axis (step 0 is drawn at step 1/2 of the first positive step).
    legend_title : str
        Title of the legend of the coloured components.

    Examples
    --------
    >>> import numpy as np, lvdyn
    >>> from lvdyn.plots import plot_traces
    >>> ds = lvdyn.make_traces(np.random.default_rng(0).uniform(1, 2, (50, 4)),
    ...                        step=np.arange(50))
    >>> fig = plot_traces(ds, survivors=[True, False, False, True])
    >>> len(fig.axes[0].lines)
    4
    """
    one = _run_slice(ds, run)
    if one.sizes["step"] < 2:
        raise ValueError(
            f"`ds` has {one.sizes['step']} logged step (step {one.step.values.tolist()}); a "
            "traces figure needs at least 2. Log more steps, or import the whole run."
        )
    mask = _survivor_mask(one, survivors)
    ax = new_axes(ax)
    steps = one.step.values.astype(float)
    xlabel = "training step"
    if log_step and steps.size > 1 and steps[0] <= 0:
        positive = steps[steps > 0]
        steps = steps.copy()
        steps[steps <= 0] = positive[0] / 2 if positive.size else 1.0
        xlabel = f"training step (log axis; step 0 drawn at {steps[0]:g})"
    order = np.argsort(mask)  # grey first, so survivors are drawn on top
    colour_index = 0
    for k in order:
        label = one.component.values[k]
        values = one.strength.values[:, k]
        if mask[k]:
            colour = SURVIVOR_COLOURS[colour_index % len(SURVIVOR_COLOURS)]
            colour_index += 1
            ax.plot(steps, values, color=colour, lw=1.8, label=f"{label}", zorder=3)
        else:
            ax.plot(steps, values, color=DEAD_COLOUR, lw=0.8, zorder=1)
    if log_step:
        ax.set_xscale("log")
    if mask.any():
        ax.legend(title=legend_title, fontsize=8, title_fontsize=8, ncols=2, loc="best")
    run_label = one.run.values.item()
    return finish(
        ax,
        xlabel=xlabel,
        ylabel="strength",
        title=title or f"Component strengths, run {run_label}",
    )


def plot_fit(
    observed: xr.Dataset,
    simulated: xr.Dataset,
    *,
    run: Any = None,
    components: Any = None,
    max_panels: int = 12,
    title: str | None = None,
) -> Figure:
    """Observed (points) against simulated (lines) trajectories, one small panel per component.

    ``simulated`` is a traces dataset on the same components, e.g. from
    ``lvdyn.simulate_traces(model, observed)``. Each panel's vertical range is set by the
    observations, so a simulation that runs away leaves the panel instead of flattening it.
    """
    obs = _run_slice(observed, run)
    sim = _run_slice(simulated, run)
    labels = list(obs.component.values) if components is None else list(components)
    labels = labels[:max_panels]
    n = len(labels)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(2.6 * cols, 2.0 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for i, label in enumerate(labels):
        ax = axes.flat[i]
        ax.plot(
            obs.step.values,
            obs.strength.sel(component=label).values,
            "o",
            ms=3,
            markevery=max(1, obs.sizes["step"] // 60),  # a dense series would hide the line
            mfc="none",
            mew=0.8,
            color="#444444",
            label="observed",
        )
        ax.plot(
            sim.step.values,
            sim.strength.sel(component=label).values,
            "-",
            lw=1.5,
            color="#d62728",
            label="fitted model",
        )
        ax.set_title(f"component {label}", fontsize=9)
        ax.tick_params(labelsize=7)
        _keep_in_view(ax, obs.strength.sel(component=label).values)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.supxlabel("training step", fontsize=9)
    fig.supylabel("strength", fontsize=9)
    fig.suptitle(title or "Fitted against observed trajectories", fontsize=11)
    return fig


def _keep_in_view(ax: Axes, observed: np.ndarray) -> None:
    """Limit the y axis to the observed range plus a margin of a quarter of it."""
    finite = observed[np.isfinite(observed)]
    if finite.size == 0:
        return
    low, high = float(finite.min()), float(finite.max())
    margin = 0.25 * (high - low) or 0.25 * max(abs(high), 1e-12)
    bottom, top = ax.get_ylim()
    ax.set_ylim(max(bottom, low - margin), min(top, high + margin))
