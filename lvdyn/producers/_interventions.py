"""Interventions on the circles of an embedding: boost, remove or add a Fourier frequency.

With ``F = DFT(E)`` along the token axis (``F_k = sum_t E_t exp(-2 pi i k t / p)``), a real
embedding has ``F_{p-k} = conj(F_k)``, so frequency ``k`` and its mirror ``p - k`` form one
circle of strength ``S_k = ||F_k||``. An intervention edits those two rows and transforms
back; every other row is untouched, so the other strengths change only by rounding
(about 1e-13 relative in float64).

- ``boost={k: f}`` multiplies ``F_k`` and ``F_{p-k}`` by ``f``: ``S_k -> f S_k``, same plane.
- ``remove=[k]`` zeroes them: ``S_k -> 0``.
- ``add={k: s}`` replaces them by a genuine circle of strength ``s``: token ``t`` moves by
  ``c (u cos(2 pi k t / p) + v sin(2 pi k t / p))`` with ``u, v`` orthonormal random
  directions and ``c = s sqrt(2) / p``, so ``F_k = (s / sqrt 2)(u - i v)``. (Ding et al.'s
  ``manual_construction.py`` puts a real ``F_k``, whose tokens lie on a line segment.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["construct_embedding", "intervene"]


def _frequency(name: str, k: Any, p: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= int(k) <= p // 2:
        raise ValueError(
            f"`{name}` frequencies must be integers in 1..{p // 2} (p = {p}); got {k!r}. "
            "Name each circle by its lower frequency k (its mirror p - k moves with it)."
        )
    if 2 * int(k) == p:
        raise ValueError(
            f"`{name}`: frequency {k} is p/2, a real-only row (no circle); pick another."
        )
    return int(k)


def _factor(name: str, k: int, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"`{name}[{k}]` must be a finite number >= 0; got {value!r}.")
    return number


def intervene(
    embedding: Any,
    *,
    boost: Mapping[int, float] | None = None,
    remove: Iterable[int] = (),
    add: Mapping[int, float] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """A new embedding with chosen circles boosted, removed or added; the rest unchanged.

    Parameters
    ----------
    embedding : array_like, shape (..., p, d)
        Real token embeddings (tokens along the second-to-last axis); not modified.
    boost : dict of int to float, optional
        ``{k: factor}``: scale circle ``k`` (rows ``k`` and ``p - k`` of the DFT) by ``factor``.
    remove : iterable of int
        Circles to zero.
    add : dict of int to float, optional
        ``{k: strength}``: replace circle ``k`` by a genuine circle (cosine and sine parts
        along two orthonormal random directions) with ``S_k = strength``.
    seed : int
        Seed of the directions of added circles.

    Returns
    -------
    numpy.ndarray, float64, same shape as ``embedding``

    Examples
    --------
    >>> import numpy as np
    >>> from lvdyn.producers._fourier import circle_strengths
    >>> E = np.random.default_rng(0).normal(size=(7, 4))
    >>> new = intervene(E, boost={1: 2.0}, remove=[2], add={3: 5.0})
    >>> np.round(circle_strengths(new)[1:4] / [circle_strengths(E)[1], 1, 1], 6).tolist()
    [2.0, 0.0, 5.0]
    """
    values = np.array(embedding, dtype=np.float64)
    if values.ndim < 2 or values.shape[-2] < 3 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"`embedding` must be a finite array (..., p, d) with p >= 3; got shape "
            f"{values.shape}. Pass the token embedding, tokens along the second-to-last axis."
        )
    p, d = values.shape[-2], values.shape[-1]
    boosts = {_frequency("boost", k, p): _factor("boost", k, f) for k, f in (boost or {}).items()}
    removed = [_frequency("remove", k, p) for k in remove]
    added = {_frequency("add", k, p): _factor("add", k, s) for k, s in (add or {}).items()}
    named = [*boosts, *removed, *added]
    if len(set(named)) != len(named):
        raise ValueError(
            f"a frequency is named twice among boost, remove and add ({sorted(named)}); "
            "give each circle one intervention."
        )
    if added and d < 2:
        raise ValueError(f"`add` needs an embedding dimension d >= 2 for a circle; got d = {d}.")
    spectrum = np.fft.fft(values, axis=-2)
    for k, factor in boosts.items():
        spectrum[..., [k, p - k], :] *= factor
    for k in removed:
        spectrum[..., [k, p - k], :] = 0.0
    rng = np.random.default_rng(seed)
    for k, strength in added.items():
        directions = rng.normal(size=(*values.shape[:-2], d, 2))
        q, _ = np.linalg.qr(directions)
        u, v = q[..., 0], q[..., 1]
        row = strength / np.sqrt(2.0) * (u - 1j * v)
        spectrum[..., k, :] = row
        spectrum[..., p - k, :] = np.conj(row)
    return np.fft.ifft(spectrum, axis=-2).real


def construct_embedding(
    p: int, d_embed: int, circles: Mapping[int, float], *, noise: float = 0.0, seed: int = 0
) -> np.ndarray:
    """An embedding made of chosen circles plus Gaussian noise (the paper's construction).

    ``noise`` is the standard deviation of an i.i.d. ``N(0, noise^2)`` background (each
    circle of the background then has ``S_k`` about ``noise * sqrt(p d)``); the named
    circles replace the background at their frequencies (see `intervene`, ``add``).

    Examples
    --------
    >>> from lvdyn.producers._fourier import circle_strengths
    >>> E = construct_embedding(11, 8, {1: 80.0, 3: 20.0})
    >>> np.round(circle_strengths(E)[:6], 6).tolist()
    [0.0, 80.0, 0.0, 20.0, 0.0, 0.0]
    """
    if not float(noise) >= 0:
        raise ValueError(f"`noise` must be a number >= 0; got {noise!r}.")
    rng = np.random.default_rng(seed)
    background = float(noise) * rng.normal(size=(int(p), int(d_embed)))
    return intervene(background, add=circles, seed=int(rng.integers(2**31)))
