"""Symbol names for component labels: what equations, LaTeX and tables call each component.

One rule, used by every readout (`lvdyn.equations`, `lvdyn.to_latex`, `SINDy.equations`,
`lvdyn analyze`): a label that is already an identifier is its own name (``"alpha"`` ->
``alpha``); any other label becomes ``x_<label>`` with characters that cannot appear in a
name replaced by ``_`` (frequency ``7`` -> ``x_7``, ``"species A"`` -> ``species_A``,
``"1a"`` -> ``x_1a``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["symbol_mapping", "symbol_names"]

_NAME = re.compile(r"[A-Za-z]\w*")


def _name(label: Any) -> str:
    text = str(label.item() if hasattr(label, "item") else label)
    if _NAME.fullmatch(text):
        return text
    cleaned = re.sub(r"\W+", "_", text).strip("_")
    return cleaned if _NAME.fullmatch(cleaned) else f"x_{cleaned}"


def symbol_names(labels: Iterable[Any]) -> list[str]:
    """One valid symbol name per component label, distinct.

    Examples
    --------
    >>> symbol_names([1, 7])
    ['x_1', 'x_7']
    >>> symbol_names(["alpha", "species A", "1a"])
    ['alpha', 'species_A', 'x_1a']
    """
    names = [_name(label) for label in labels]
    if len(set(names)) != len(names):
        raise ValueError(
            f"component labels must stay distinct as symbol names; got {names}. Pass "
            "`labels` with distinct names (for example ['a', 'b', 'c'])."
        )
    return names


def symbol_mapping(labels: Sequence[Any]) -> str | None:
    """A one-line key from symbols to labels where they differ (None where all match).

    Integer labels are summarised as ``x_k = component k``.

    Examples
    --------
    >>> symbol_mapping([1, 2, 3])
    'x_k = component k'
    >>> symbol_mapping(["alpha", "species A"])
    "species_A = 'species A'"
    >>> symbol_mapping(["alpha", "beta"]) is None
    True
    """
    plain = [label.item() if hasattr(label, "item") else label for label in labels]
    names = symbol_names(plain)
    if plain and all(isinstance(v, int) and v >= 0 for v in plain):
        return "x_k = component k"
    pairs = [f"{n} = {v!r}" for n, v in zip(names, plain, strict=True) if n != str(v)]
    return ", ".join(pairs) if pairs else None
