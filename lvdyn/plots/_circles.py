"""Circle projections of an embedding: tokens on the plane of (Re F_k, Im F_k)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["circle_coordinates", "plot_circles"]


def circle_coordinates(embedding: Any, k: int) -> np.ndarray:
    """Project the ``p x d`` embedding on the unit vectors along Re F_k and Im F_k.

    ``F_k = sum_t E_t exp(-2 pi i k t / p)``; returns an array of shape (p, 2).

    Examples
    --------
    >>> import numpy as np
    >>> p = 7; t = np.arange(p)
    >>> E = np.stack([np.cos(2 * np.pi * 2 * t / p), np.sin(2 * np.pi * 2 * t / p)], axis=1)
    >>> xy = circle_coordinates(E, 2)
    >>> np.allclose(np.hypot(xy[:, 0], xy[:, 1]), 1.0)
    True
    """
    E = np.asarray(embedding, dtype=float)
    if E.ndim != 2:
        raise ValueError(f"`embedding` must be a (p, d) matrix; got shape {E.shape}.")
    p = E.shape[0]
    if not 0 < k < p:
        raise ValueError(f"`k` must be a frequency between 1 and {p - 1}; got {k}.")
    F = np.exp(-2j * np.pi * k * np.arange(p) / p) @ E
    axes = []
    for part in (F.real, F.imag):
        norm = np.linalg.norm(part)
        axes.append(part / norm if norm > 0 else part)
    return np.stack([E @ axes[0], E @ axes[1]], axis=1)


def plot_circles(
    embedding: Any, frequencies: Any, *, title: str | None = None, label_tokens: bool = True
) -> Figure:
    """One panel per frequency k: the tokens projected on (Re F_k, Im F_k), coloured by token.

    A living circle shows the tokens on a ring, neighbours differing by Δ with kΔ ≡ ±1 (mod p).
    """
    ks = [int(k) for k in np.atleast_1d(frequencies)]
    n = len(ks)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(3.0 * cols, 3.0 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    E = np.asarray(embedding, dtype=float)
    p = E.shape[0]
    for ax, k in zip(axes.flat, ks, strict=False):
        xy = circle_coordinates(E, k)
        ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(p), cmap="twilight", s=22, zorder=3)
        if label_tokens:
            for t in range(p):
                ax.annotate(
                    str(t),
                    xy[t],
                    fontsize=5,
                    ha="center",
                    va="center",
                    xytext=(0, 6),
                    textcoords="offset points",
                    color="#555555",
                )
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"k = {k}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title or "Embedding projected on Fourier planes (colour = token)", fontsize=11)
    return fig
