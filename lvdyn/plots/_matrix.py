"""Interaction matrix heat map with signs and, optionally, confidence intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from lvdyn.plots._figure import finish, new_axes

__all__ = ["plot_interactions"]


def plot_interactions(
    A: Any,
    *,
    labels: Any = None,
    lower: Any = None,
    upper: Any = None,
    ax: Axes | None = None,
    title: str = "Interaction matrix A",
    annotate: bool | None = None,
) -> Figure:
    """Heat map of ``A`` (row i: effect of every j on component i), red for negative.

    With ``lower``/``upper`` (confidence bounds of the same shape), entries whose interval
    contains zero are hatched: their sign is not resolved by the data.

    Examples
    --------
    >>> import numpy as np
    >>> from lvdyn.plots import plot_interactions
    >>> fig = plot_interactions(np.array([[-1.0, 0.3], [-0.5, -1.0]]), labels=["a", "b"])
    >>> fig.axes[0].get_title()
    'Interaction matrix A'
    """
    matrix = np.asarray(A, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"`A` must be a square matrix; got shape {matrix.shape}.")
    n = matrix.shape[0]
    names = [str(v) for v in (range(n) if labels is None else labels)]
    ax = new_axes(ax, figsize=(max(5.0, min(2 + 0.42 * n, 12)), max(4.0, min(1.6 + 0.38 * n, 11))))
    # Scale colours by the off-diagonal entries when the self-interactions are much larger (as
    # they usually are): they would wash out the interactions between components. The diagonal
    # then saturates, which the colour bar's label says.
    magnitude = np.abs(matrix[np.isfinite(matrix)])
    whole = float(magnitude.max()) if magnitude.size else 0.0
    off = np.abs(matrix[~np.eye(n, dtype=bool)])
    off = off[np.isfinite(off)]
    bound = float(off.max()) if off.size else 0.0
    saturates = 0 < bound < whole / 3
    bound = (bound if saturates else whole) or 1.0
    image = ax.imshow(matrix, cmap="RdBu", norm=TwoSlopeNorm(0.0, -bound, bound))
    ax.figure.colorbar(
        image,
        ax=ax,
        shrink=0.8,
        label="A_ij (the diagonal saturates)" if saturates else "A_ij",
        extend="both" if saturates else "neither",
    )
    # Upright column labels only while they fit side by side: about 40 characters across the
    # axes at 8 pt (three labels like "frequency_12" do; ten of them overlap).
    upright = n <= 12 and n * max(map(len, names), default=0) <= 40
    ax.set_xticks(range(n), names, fontsize=8, rotation=0 if upright else 90)
    ax.set_yticks(range(n), names, fontsize=8)
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, float), np.asarray(upper, float)
        unresolved = (lo <= 0) & (hi >= 0)
        for i, j in zip(*np.nonzero(unresolved), strict=True):
            ax.add_patch(_hatch(i, j))
    if annotate is None:
        annotate = n <= 8  # beyond, the numbers overflow their cells
    if annotate:
        for i in range(n):
            for j in range(n):
                value = matrix[i, j]
                colour = "white" if abs(value) > 0.6 * bound else "black"
                ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7, color=colour)
    return finish(ax, xlabel="component j (acts on i)", ylabel="component i", title=title)


def _hatch(i: int, j: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", lw=0, color="#555555")
