"""The logged spectra of the modular-addition trainer: one matmul per logged step.

The trainer logs, at every logged step, the circle strengths ``S_k = ||F_k||`` of each run's
embedding ``E`` (``F_k`` is the k-th DFT row along the token axis) and, with the fitness
signals on, ``-Re<F_k, G_k> / S_k`` and ``||G_k||`` of the loss gradient ``G = dL/dE``.
An FFT along the (prime, strided) token axis costs more than the whole set of signals
computed as one product with the real half-DFT matrix: rows ``cos(2 pi k t / p)`` and
``sin(2 pi k t / p)`` for ``k = 0..p//2``. For real inputs the rows ``p - k`` mirror the
rows ``k``, so they are copied rather than computed. The products run in the matrix's
precision, the model's in the trainer (float64 logs of float32 models would also be 1.7x
larger on disk: the compressor gains little on full float64 mantissas).

Examples
--------
>>> import torch
>>> E = torch.randn(2, 7, 3, dtype=torch.float64)
>>> strengths, _ = spectra(half_dft_matrix(7), E)
>>> torch.allclose(strengths, torch.linalg.vector_norm(torch.fft.fft(E, dim=-2), dim=-1))
True
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["half_dft_matrix", "spectra"]


def half_dft_matrix(
    p: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """The cosine rows then the sine rows of the DFT for ``k = 0..p//2``: ``(2 (p//2 + 1), p)``.

    ``k t`` is reduced modulo ``p`` before the angle is formed, so every entry is exact to
    float64 rounding before it is cast to ``dtype``.

    Examples
    --------
    >>> half_dft_matrix(5).shape
    torch.Size([6, 5])
    """
    k = np.arange(p // 2 + 1)[:, None]
    angle = 2 * np.pi * ((k * np.arange(p)[None, :]) % p) / p
    rows = np.concatenate([np.cos(angle), np.sin(angle)])
    return torch.as_tensor(rows, dtype=torch.float64).to(device=device, dtype=dtype)


def _mirror(half: torch.Tensor, p: int) -> torch.Tensor:
    """Rows ``0..p//2`` extended to ``0..p-1`` with row ``p - k`` equal to row ``k``."""
    return torch.cat([half, half[..., 1 : p - half.shape[-1] + 1].flip(-1)], dim=-1)


def spectra(
    matrix: torch.Tensor, embedding: torch.Tensor, gradient: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``S_k`` of ``(..., p, d)`` embeddings and, given ``gradient``, the fitness signals.

    Parameters
    ----------
    matrix : torch.Tensor
        `half_dft_matrix` of ``p``, on the embedding's device.
    embedding, gradient : torch.Tensor, shape (..., p, d)
        Embeddings ``E`` and, optionally, the loss gradients ``G = dL/dE``.

    Returns
    -------
    strengths : torch.Tensor, shape (..., p), in the matrix's dtype
        ``S_k`` for ``k = 0..p-1``.
    signals : torch.Tensor, shape (..., 2, p), in the matrix's dtype, or None
        Row 0 ``-Re<F_k, G_k> / S_k`` (0 where ``S_k = 0``), row 1 ``||G_k||``.
    """
    p = embedding.shape[-2]
    rows_e = _dft_rows(matrix, embedding)
    power = (rows_e * rows_e).sum(dim=-1).sum(dim=-2)  # real and imaginary parts
    strengths = power.sqrt()
    if gradient is None:
        return _mirror(strengths, p), None
    rows_g = _dft_rows(matrix, gradient)
    inner = (rows_e * rows_g).sum(dim=-1).sum(dim=-2)
    push = torch.where(strengths > 0, -inner / strengths.clamp_min(1e-300), 0.0)
    size = (rows_g * rows_g).sum(dim=-1).sum(dim=-2).sqrt()
    mirrored = _mirror(torch.stack([strengths, push, size], dim=-2), p)
    return mirrored[..., 0, :], mirrored[..., 1:, :]


def _dft_rows(matrix: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``matrix @ values`` as ``(..., 2, p // 2 + 1, d)``: the real and imaginary parts.

    On CPU one product per run: a GEMM's values can depend on how many columns it has, and
    each run's values must not depend on the runs beside it (or on the other signals).
    """
    p, d = values.shape[-2:]
    values = values.to(matrix.dtype)
    if values.device.type == "cpu":
        rows = torch.stack([matrix @ run for run in values.reshape(-1, p, d)])
    else:
        rows = torch.matmul(matrix, values)
    return rows.view(*values.shape[:-2], 2, p // 2 + 1, d)
