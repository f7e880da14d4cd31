"""Shared figure plumbing: a new axes when none is given, and atomic PNG/SVG output.

Figures are built as `matplotlib.figure.Figure` objects, never through pyplot, so no GUI
backend is involved and nothing accumulates in pyplot's global state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lvdyn.core._atomic import atomic_path

__all__ = ["new_axes", "save_figure"]

#: Colours for surviving components (matplotlib's tab10) and the grey for the rest.
SURVIVOR_COLOURS = tuple(f"C{i}" for i in range(10))
DEAD_COLOUR = "#b8b8b8"


def new_axes(ax: Axes | None, *, figsize: tuple[float, float] = (7.0, 4.2)) -> Axes:
    """Return ``ax``, or the axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def save_figure(
    fig: Figure,
    path: str | os.PathLike[str],
    *,
    formats: tuple[str, ...] = ("png", "svg"),
    dpi: int = 130,
) -> list[Path]:
    """Write ``fig`` once per format (``path`` with each suffix), atomically; return the paths.

    Examples
    --------
    >>> import tempfile
    >>> from lvdyn.plots._figure import new_axes
    >>> ax = new_axes(None); _ = ax.plot([0, 1], [1, 0])
    >>> [p.suffix for p in save_figure(ax.figure, tempfile.mkdtemp() + "/line")]
    ['.png', '.svg']
    """
    base = Path(path)
    written = []
    for fmt in formats:
        target = base.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi)
        written.append(target)
    return written


def finish(ax: Axes, **labels: Any) -> Figure:
    """Apply axis labels and title; return the figure."""
    ax.set(**labels)
    fig = ax.get_figure()
    assert isinstance(fig, Figure)  # for the type checker: axes always belong to a figure
    return fig
