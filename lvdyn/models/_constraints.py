"""Sign and support constraints on a K x K coefficient matrix, turned into solver bounds."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["matrix_bounds"]

DIAGONALS = (None, "nonpositive", "nonnegative")


def matrix_bounds(
    n: int, *, diagonal: Any = None, support: Any = None, sign: Any = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Lower and upper bounds on the entries of a K x K matrix, or None when unconstrained.

    Parameters
    ----------
    n : int
        K.
    diagonal : {None, "nonpositive", "nonnegative"}
        Constrain the sign of every diagonal entry (self-limitation: ``"nonpositive"``).
    support : array_like of bool, shape (K, K), optional
        False marks entries fixed at zero.
    sign : array_like, shape (K, K), optional
        -1 for entries constrained to be <= 0, +1 for >= 0, 0 for free.

    Returns
    -------
    (lower, upper) of shape (K, K), indexed like the matrix, or None.

    Examples
    --------
    >>> lower, upper = matrix_bounds(2, diagonal="nonpositive", support=[[1, 0], [1, 1]])
    >>> upper.tolist()
    [[0.0, 0.0], [inf, 0.0]]
    """
    if diagonal is None and support is None and sign is None:
        return None
    if diagonal not in DIAGONALS:
        raise ValueError(
            f"`diagonal` must be None, 'nonpositive' or 'nonnegative'; got {diagonal!r}."
        )
    lower = np.full((n, n), -np.inf)
    upper = np.full((n, n), np.inf)
    if sign is not None:
        signs = np.asarray(sign)
        if signs.shape != (n, n) or not np.isin(signs, (-1, 0, 1)).all():
            raise ValueError(
                f"`sign` must be a ({n}, {n}) array of -1 (<= 0), 0 (free) and +1 (>= 0); "
                f"got shape {signs.shape} with values {np.unique(signs)[:5].tolist()}."
            )
        upper[signs == -1] = 0.0
        lower[signs == 1] = 0.0
    idx = np.arange(n)
    if diagonal == "nonpositive":
        upper[idx, idx] = np.minimum(upper[idx, idx], 0.0)
    elif diagonal == "nonnegative":
        lower[idx, idx] = np.maximum(lower[idx, idx], 0.0)
    if support is not None:
        mask = np.asarray(support)
        if mask.shape != (n, n) or mask.dtype.kind not in "biu":
            raise ValueError(
                f"`support` must be a ({n}, {n}) boolean array (False fixes an entry at zero); "
                f"got shape {mask.shape}, dtype {mask.dtype}."
            )
        zero = ~mask.astype(bool)
        lower[zero] = 0.0
        upper[zero] = 0.0
    if np.any(lower > upper):
        raise ValueError("`sign` and `diagonal` contradict each other on some diagonal entries.")
    return lower, upper
