"""Circle strengths: the norm of each DFT row of an embedding along its token axis.

For an embedding ``E`` of shape ``(p, d)`` (token ``t`` in row ``t``),

    F_k = sum_t E_t exp(-2 pi i k t / p),   S_k = ||F_k||_2,   k = 0..p-1.

For real ``E``, ``S_{p-k} = S_k``, so frequencies ``k = 1..p//2`` are the distinct
circles; ``S_0`` is the norm of the summed (DC) embedding. The survival rule of Ding et
al. (2024) compares ``S_k`` with twice the mean of all ``p`` rows, mirrors and DC
included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["circle_frequencies", "circle_strengths", "circle_strengths_torch"]


def circle_frequencies(p: int) -> np.ndarray:
    """Return the distinct circle frequencies ``k = 1..p//2`` of modulus ``p``.

    Examples
    --------
    >>> circle_frequencies(7).tolist()
    [1, 2, 3]
    """
    return np.arange(1, p // 2 + 1, dtype=np.int64)


def circle_strengths(embedding: np.ndarray) -> np.ndarray:
    """Return ``S_k`` for ``k = 0..p-1`` of a ``(..., p, d)`` embedding (numpy).

    Parameters
    ----------
    embedding : array_like, shape (..., p, d)
        Token embeddings, token along the second-to-last axis.

    Returns
    -------
    numpy.ndarray, shape (..., p)
        The unnormalised DFT row norms; ``sum_k S_k**2 == p * ||E||_F**2`` (Parseval).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(7)
    >>> E = np.stack([np.cos(2 * np.pi * 2 * t / 7), np.sin(2 * np.pi * 2 * t / 7)], axis=1)
    >>> np.round(circle_strengths(E), 6).tolist()
    [0.0, 0.0, 4.949747, 0.0, 0.0, 4.949747, 0.0]
    """
    values = np.asarray(embedding, dtype=np.float64)
    if values.ndim < 2:
        raise ValueError(
            f"`embedding` must have shape (..., p, d); got shape {values.shape}. "
            "Pass the token embedding matrix with tokens along the second-to-last axis."
        )
    return np.linalg.norm(np.fft.fft(values, axis=-2), axis=-1)


def circle_strengths_torch(embedding: torch.Tensor) -> torch.Tensor:
    """Return ``S_k`` for ``k = 0..p-1`` of a ``(..., p, d)`` tensor, on its device."""
    import torch

    spectrum = torch.fft.fft(embedding, dim=-2)
    return torch.linalg.vector_norm(spectrum, dim=-1)
