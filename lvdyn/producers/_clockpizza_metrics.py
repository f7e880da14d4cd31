"""Metrics of the Clock-and-Pizza producer: per-frequency Fourier energy, gradient
symmetricity and distance irrelevance (Zhong, Liu, Tegmark, Andreas 2023).

Definitions follow the reference notebook (see docs/producers_other.md):

* Fourier energy of frequency ``k`` of a ``(p, d)`` table ``E`` along its token axis:
  ``|F_k|^2 + |F_{p-k}|^2`` summed over the ``d`` columns, ``F = DFT(E)``; ``k = 1..(p-1)/2``,
  with the ``k = 0`` (DC) energy ``|F_0|^2`` returned separately.
* Gradient symmetricity: the mean, over 100 triples ``(a, b, c)`` drawn uniformly from
  ``[p]^3``, of the cosine between ``dQ_abc/dE_a`` and ``dQ_abc/dE_b``, where ``Q_abc`` is the
  logit of class ``c`` (any class) and ``E_a``, ``E_b`` the token embeddings.
* Distance irrelevance: with ``L[i, j]`` the correct logit of the pair with ``a + b = i`` and
  ``a - b = j`` (mod p), ``mean_j std_i L[i, j] / std(L)``. The released sweep tables of the
  paper computed it on the largest *incorrect* logit instead; that variant is available under
  its own name.

Both metrics take any object following the `TokenModel` protocol: lvdyn's own networks,
the paper's released models (`lvdyn.producers.clockpizza.load_checkpoint`), or a user's.
"""

from __future__ import annotations

import random
from typing import Protocol, runtime_checkable

import numpy as np
import torch

__all__ = [
    "TokenModel",
    "distance_irrelevance",
    "fourier_energy",
    "gradient_symmetricity",
    "symmetricity_triples",
]


@runtime_checkable
class TokenModel(Protocol):
    """What the metrics need of a network on ``(a + b) mod p``.

    ``tokens(pairs)`` maps integer pairs ``(batch, 2)`` (``a, b`` in ``0..p-1``) to their token
    embeddings ``(batch, 2, d)``: ``E_a`` and ``E_b``, before any positional embedding.
    ``logits_from_embeddings(emb)`` maps such embeddings to logits ``(batch, n_classes)``,
    ``n_classes >= p``, differentiably (anything else the network adds, such as positions or
    an '=' token, happens inside it).
    """

    def tokens(self, pairs: torch.Tensor) -> torch.Tensor: ...

    def logits_from_embeddings(self, emb: torch.Tensor) -> torch.Tensor: ...


def _check_model(model: object) -> None:
    if not isinstance(model, TokenModel):
        raise TypeError(
            f"`model` must have tokens(pairs) and logits_from_embeddings(emb) methods (the "
            f"TokenModel protocol); got {type(model).__name__}. Wrap your network in a small "
            "class with these two methods, or load a paper checkpoint with load_checkpoint."
        )


def fourier_energy(table: np.ndarray, axis: int = 0) -> tuple[np.ndarray, float]:
    """Energy per frequency ``k = 1..(p-1)/2`` along ``axis``, and the DC energy.

    Examples
    --------
    >>> p = 7
    >>> table = np.cos(2 * np.pi * 2 * np.arange(p) / p)[:, None]
    >>> energy, dc = fourier_energy(table)
    >>> np.round(energy, 6).tolist(), round(dc, 6)
    ([0.0, 24.5, 0.0], 0.0)
    """
    spectrum = np.abs(np.fft.fft(np.moveaxis(table, axis, 0), axis=0)) ** 2
    power = spectrum.reshape(spectrum.shape[0], -1).sum(axis=1)
    p = power.shape[0]
    half = (p - 1) // 2
    ks = np.arange(1, half + 1)
    return power[ks] + power[p - ks], float(power[0])


def symmetricity_triples(p: int, n: int = 100, seed: int = 42) -> np.ndarray:
    """The ``n`` triples ``(a, b, c)`` of the reference notebook: a seeded shuffle of ``[p]^3``.

    Examples
    --------
    >>> symmetricity_triples(5, n=3).shape
    (3, 3)
    """
    triples = [(a, b, c) for a in range(p) for b in range(p) for c in range(p)]
    random.Random(seed).shuffle(triples)
    return np.asarray(triples[:n], dtype=np.int64)


def gradient_symmetricity(model: TokenModel, triples: np.ndarray) -> float:
    """Mean cosine between the gradients of ``Q_abc`` with respect to ``E_a`` and ``E_b``.

    ``triples`` is ``(n, 3)`` of ``(a, b, c)``, for example `symmetricity_triples`.
    """
    _check_model(model)
    idx = torch.as_tensor(np.asarray(triples, dtype=np.int64))
    emb = model.tokens(idx[:, :2]).detach().requires_grad_(True)
    logits = model.logits_from_embeddings(emb)
    chosen = logits.gather(1, idx[:, 2:3]).sum()
    (grad,) = torch.autograd.grad(chosen, emb)
    cos = torch.nn.functional.cosine_similarity(grad[:, 0], grad[:, 1], dim=-1, eps=1e-30)
    return float(cos.mean())


def distance_irrelevance(model: TokenModel, p: int, *, incorrect_logit: bool = False) -> float:
    """Distance irrelevance on the correct logit, or on the largest incorrect logit.

    The incorrect-logit variant takes the maximum over all other classes the model outputs
    (the paper's code included its extra vocabulary classes).
    """
    _check_model(model)
    i, j = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")  # i = a + b, j = a - b
    inverse_two = pow(2, -1, p)
    a = ((i + j) * inverse_two) % p
    b = ((i - j) * inverse_two) % p
    pairs = torch.as_tensor(np.stack([a.ravel(), b.ravel()], axis=1))
    with torch.no_grad():
        logits = model.logits_from_embeddings(model.tokens(pairs)).double()
    answer = torch.as_tensor(i.ravel())
    if incorrect_logit:
        masked = logits.scatter(1, answer[:, None], -torch.inf)
        values = masked.max(dim=1).values
    else:
        values = logits.gather(1, answer[:, None])[:, 0]
    table = values.reshape(p, p).numpy()
    total = table.std()
    return float(table.std(axis=0).mean() / total) if total > 0 else float("nan")
