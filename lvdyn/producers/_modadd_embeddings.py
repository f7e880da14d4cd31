"""Given initial embeddings for the modular-addition trainer: resolve, hash, and draw.

`modadd.train(initial_embedding=...)` starts every run from an embedding the caller chose
(an intervention, a construction, another run's embedding) instead of the seed's draw. The
MLP and the split still come from the seeds. Each run's starting embedding is identified
by a short SHA-256 of its float64 bytes; the hashes enter the configuration, so a checkpoint
resumes only with the same embeddings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lvdyn.producers._modadd_model import Architecture, fresh_embedding, init_parameters

__all__ = ["embedding_hash", "resolve_initial_embedding", "seed_embedding"]

#: Hex digits of the SHA-256 kept per run (64 bits: collisions are not a practical concern).
HASH_DIGITS = 16


def embedding_hash(embedding: np.ndarray) -> str:
    """Short SHA-256 of a ``(p, d)`` embedding's float64 bytes (C order).

    Examples
    --------
    >>> embedding_hash(np.zeros((3, 2)))
    '17b0761f87b081d5'
    """
    values = np.ascontiguousarray(np.asarray(embedding, dtype=np.float64))
    return hashlib.sha256(values.tobytes()).hexdigest()[:HASH_DIGITS]


def seed_embedding(
    seed: int,
    *,
    p: int = 59,
    d_embed: int = 128,
    width: int = 100,
    depth: int = 2,
    combine: str = "concat",
    design: str = "vary_all",
    init_seed: int = 0,
) -> np.ndarray:
    """The float64 ``(p, d)`` embedding that ``modadd.train`` draws for the run of ``seed``.

    The draw follows the reference code: after the MLP in the seed's stream (the
    ``fix_mlp`` design draws it first). The settings must be those of the training call.

    Examples
    --------
    >>> E = seed_embedding(0, p=11, d_embed=8, width=16)
    >>> E.shape, E.dtype.name
    ((11, 8), 'float64')
    """
    arch = Architecture(
        p=int(p), d_embed=int(d_embed), width=int(width), depth=int(depth),
        activation="silu", combine=combine,
    )  # fmt: skip
    if design == "fix_mlp":
        return fresh_embedding(arch, int(seed)).numpy()
    source = int(init_seed) if design == "fix_embedding" else int(seed)
    return init_parameters(arch, source)["embedding"].numpy()


def resolve_initial_embedding(
    value: Any, seeds: Sequence[int], p: int, d_embed: int
) -> np.ndarray | None:
    """The ``(run, p, d)`` float64 array of starting embeddings, or ``None`` (seed draws).

    ``value`` is ``None``, an array ``(p, d)`` (every run) or ``(run, p, d)`` (one per seed,
    in order), or a callable ``f(seed) -> (p, d)`` called once per run.
    """
    if value is None:
        return None
    expected = f"an array (p, d) = ({p}, {d_embed}) or (run, p, d) = ({len(seeds)}, {p}, {d_embed})"
    if callable(value):
        builder: Callable[[int], Any] = value
        arrays = []
        for seed in seeds:
            out = np.asarray(builder(seed), dtype=np.float64)
            if out.shape != (p, d_embed):
                raise ValueError(
                    f"`initial_embedding` called with seed {seed} returned shape {out.shape}; "
                    f"expected ({p}, {d_embed}). Return the run's (p, d_embed) embedding."
                )
            arrays.append(out)
        values = np.stack(arrays)
    else:
        try:
            values = np.array(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"`initial_embedding` must be {expected}, or a callable of the seed; "
                f"got {type(value).__name__}."
            ) from exc
        if values.shape == (p, d_embed):
            values = np.broadcast_to(values, (len(seeds), p, d_embed)).copy()
        elif values.shape != (len(seeds), p, d_embed):
            raise ValueError(
                f"`initial_embedding` must be {expected}; got shape {values.shape}. "
                "Give one (p, d_embed) embedding per seed, in the order of `seeds`."
            )
    if not np.all(np.isfinite(values)):
        raise ValueError("`initial_embedding` must be finite; it holds NaN or inf entries.")
    return values
