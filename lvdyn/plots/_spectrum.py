"""Jacobian spectrum in the complex plane."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lvdyn.plots._figure import finish, new_axes

__all__ = ["plot_spectrum"]


def plot_spectrum(
    eigenvalues: Any,
    *,
    ax: Axes | None = None,
    title: str = "Jacobian spectrum",
    label: str | None = None,
) -> Figure:
    """Eigenvalues as points in the complex plane, with the stability boundary Re = 0.

    Examples
    --------
    >>> from lvdyn.plots import plot_spectrum
    >>> fig = plot_spectrum([-1.0, -0.5 + 0.2j, -0.5 - 0.2j])
    >>> fig.axes[0].get_xlabel()
    'Re λ'
    """
    values = np.asarray(eigenvalues, dtype=complex).ravel()
    ax = new_axes(ax, figsize=(6.0, 4.2))
    stable = values.real < 0
    ax.axvline(0.0, color="#444444", lw=1, ls="--", zorder=1)
    ax.axhline(0.0, color="#cccccc", lw=0.8, zorder=0)
    ax.scatter(
        values.real[stable],
        values.imag[stable],
        s=28,
        color="#1f77b4",
        label=label or "Re λ < 0 (decaying)",
        zorder=3,
    )
    if (~stable).any():
        ax.scatter(
            values.real[~stable],
            values.imag[~stable],
            s=36,
            marker="^",
            color="#d62728",
            label="Re λ ≥ 0 (growing)",
            zorder=3,
        )
    # small eigenvalues (per step, ~1e-3) in scientific notation, so tick labels stay apart;
    # the legend sits under the axes, where it cannot hide a point
    ax.ticklabel_format(axis="both", style="sci", scilimits=(-2, 3), useMathText=True)
    ax.margins(0.08)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2)
    return finish(ax, xlabel="Re λ", ylabel="Im λ", title=title)
