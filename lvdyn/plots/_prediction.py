"""Survival-prediction scores against prefix length."""

from __future__ import annotations

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lvdyn.plots._figure import finish, new_axes

__all__ = ["PREFIX_FREE", "plot_prediction_scores"]

#: Baselines that read only the first steps (initial signal, early gradient): the prefix
#: does not change them, so they are drawn dashed and marked in the legend.
PREFIX_FREE = ("signal", "gradient")


def _label(method: object) -> str:
    return f"{method} (ignores prefix)" if method in PREFIX_FREE else str(method)


def _style(method: object) -> str:
    return "--" if method in PREFIX_FREE else "-"


def plot_prediction_scores(
    scores: xr.Dataset, *, metric: str = "f1", ax: Axes | None = None, title: str | None = None
) -> Figure:
    """``metric`` (mean across runs, with the spread as a band) against prefix length per method.

    ``scores`` has dims (predictor, prefix[, run]) and a variable named ``metric``; if it has a
    ``run`` dim, the band is the interquartile range across runs (the legend says so). The
    baselines that read only the first steps (`PREFIX_FREE`) are dashed and marked.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from lvdyn.plots import plot_prediction_scores
    >>> scores = xr.Dataset({"f1": (("predictor", "prefix", "run"),
    ...                             np.random.default_rng(0).uniform(size=(2, 3, 5)))},
    ...                     coords={"predictor": ["lv", "signal"], "prefix": [10, 20, 40]})
    >>> len(plot_prediction_scores(scores).axes[0].lines)
    2
    """
    if metric not in scores:
        raise ValueError(
            f"`metric` must be a variable of `scores` ({list(scores.data_vars)}); got {metric!r}."
        )
    ax = new_axes(ax, figsize=(7.0, 4.0))
    data = scores[metric]
    for index in range(data.sizes["predictor"]):
        one = data.isel(predictor=index)
        method = one["predictor"].values.item()
        prefix = one["prefix"].values
        if "run" in one.dims:
            mean = one.mean("run").values
            lo = one.quantile(0.25, dim="run").values
            hi = one.quantile(0.75, dim="run").values
            (line,) = ax.plot(prefix, mean, marker="o", label=_label(method), ls=_style(method))
            ax.fill_between(prefix, lo, hi, color=line.get_color(), alpha=0.15, lw=0)
        else:
            ax.plot(prefix, one.values, marker="o", label=_label(method), ls=_style(method))
    ax.set_ylim(-0.02, 1.02)
    legend_title = "method" + ("\n(band: middle 50% of runs)" if "run" in data.dims else "")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), title=legend_title)
    return finish(
        ax,
        xlabel="prefix length (steps)",
        ylabel=metric.upper(),
        title=title or f"Survival prediction: {metric.upper()} against prefix",
    )
