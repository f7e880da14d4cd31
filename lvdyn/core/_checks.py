"""Argument checks shared by the producers and the sweeps, with one wording for errors.

Each check returns the value in its plain Python type, or raises a ValueError that names
the argument, what was expected and what was received.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["check_bool", "check_choice", "check_int", "check_number"]


def check_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer (not a bool) ``>= minimum``.

    Examples
    --------
    >>> check_int("steps", 3)
    3
    >>> check_int("p", 2, minimum=3)
    Traceback (most recent call last):
    ...
    ValueError: `p` must be an integer >= 3; got 2 (int).
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}; got {value!r} ({type(value).__name__})."
        )
    return int(value)


def check_number(
    name: str,
    value: Any,
    *,
    low: float = 0.0,
    high: float = math.inf,
    strict: bool = True,
) -> float:
    """``value`` as a float if it is a finite real number in range.

    Without ``high`` the range is ``> low`` (``strict``) or ``>= low``; with it, the closed
    interval ``[low, high]``.

    Examples
    --------
    >>> check_number("noise", 0, strict=False)
    0.0
    >>> check_number("lr", -1.0)
    Traceback (most recent call last):
    ...
    ValueError: `lr` must be a positive number; got -1.0 (float).
    >>> check_number("train_fraction", 2, high=1.0)
    Traceback (most recent call last):
    ...
    ValueError: `train_fraction` must be a number in [0, 1]; got 2 (int).
    """
    real = isinstance(value, int | float | np.integer | np.floating)
    number = float(value) if real and not isinstance(value, bool) else math.nan
    if math.isinf(high):
        ok = number > low if strict else number >= low
        if low == 0:
            expected = "a positive number" if strict else "a non-negative number"
        else:
            expected = f"a number {'>' if strict else '>='} {low:g}"
    else:
        ok = low <= number <= high
        expected = f"a number in [{low:g}, {high:g}]"
    if not (ok and math.isfinite(number)):
        raise ValueError(f"`{name}` must be {expected}; got {value!r} ({type(value).__name__}).")
    return number


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``.

    Examples
    --------
    >>> check_choice("dtype", "float16", ["float32", "float64"])
    Traceback (most recent call last):
    ...
    ValueError: `dtype` must be one of ['float32', 'float64']; got 'float16' (str).
    """
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"`{name}` must be one of {list(allowed)}; got {value!r} ({type(value).__name__})."
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is True or False (numpy's included).

    Examples
    --------
    >>> check_bool("resume", "yes")
    Traceback (most recent call last):
    ...
    ValueError: `resume` must be True or False; got 'yes' (str).
    """
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"`{name}` must be True or False; got {value!r} ({type(value).__name__}).")
    return bool(value)
