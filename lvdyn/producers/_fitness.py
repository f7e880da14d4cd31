"""Per-frequency fitness signals of an embedding table: the radial push on each circle.

For an embedding ``E`` of shape ``(p, d)`` (token ``t`` in row ``t``) with DFT rows ``F_k``
along the token axis and circle strength ``S_k = ||F_k||`` (`lvdyn.producers._fourier`), a
small change ``E -> E + eps D`` changes ``S_k`` by ``eps Re<F_k, D_k> / S_k`` to first order
(``D_k`` the DFT rows of ``D``). The *radial push* of a direction ``D`` on circle ``k`` is
that rate, ``Re<F_k, D_k> / S_k``. The producers log it for

- the loss gradient ``G = dL/dE``: ``loss_push_k = -Re<F_k, G_k> / S_k``, the growth of
  ``S_k`` per unit learning rate under plain gradient descent on the loss (positive where
  the loss favours circle ``k``), and ``grad_strength_k = ||G_k||``;
- an optimiser's own step (Clock and Pizza's AdamW): ``update_push_k = -Re<F_k, U_k> / S_k``
  with ``-lr U`` the step without its weight decay.

A frequency with ``S_k = 0`` has push 0.
"""

from __future__ import annotations

import torch

__all__ = ["fitness_signals", "radial_push"]


def radial_push(embedding: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """``Re<F_k, D_k> / S_k`` for ``k = 0..p-1`` of ``(..., p, d)`` tensors; shape ``(..., p)``.

    Examples
    --------
    >>> E = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> S = torch.linalg.vector_norm(torch.fft.fft(E, dim=0), dim=1)
    >>> torch.allclose(radial_push(E, 2 * E), 2 * S)  # scaling E by 1 + 2 eps grows S so
    True
    """
    return _push(torch.fft.fft(embedding, dim=-2), torch.fft.fft(direction, dim=-2))


def _push(spectrum: torch.Tensor, direction_spectrum: torch.Tensor) -> torch.Tensor:
    """`radial_push` from the DFT rows of the embedding and of the direction."""
    strength = torch.linalg.vector_norm(spectrum, dim=-1)
    inner = (spectrum.conj() * direction_spectrum).real.sum(dim=-1)
    return torch.where(strength > 0, inner / strength.clamp_min(1e-300), 0.0)


def fitness_signals(embedding: torch.Tensor, gradient: torch.Tensor) -> torch.Tensor:
    """Per-frequency ``loss_push`` and ``grad_strength`` of ``(..., p, d)`` tensors.

    Returns a tensor of shape ``(..., 2, p)``: row 0 is ``-Re<F_k, G_k> / S_k``, row 1 is
    ``||G_k||`` (module docstring), for ``k = 0..p-1``.

    Examples
    --------
    >>> E = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    >>> push, size = fitness_signals(E, -0.5 * E)  # descent along -G scales E up
    >>> torch.allclose(push, 0.5 * torch.linalg.vector_norm(torch.fft.fft(E, dim=0), dim=1))
    True
    """
    grad_spectrum = torch.fft.fft(gradient, dim=-2)  # once, for both signals
    push = _push(torch.fft.fft(embedding, dim=-2), -grad_spectrum)
    size = torch.linalg.vector_norm(grad_spectrum, dim=-1)
    return torch.stack([push, size], dim=-2)
