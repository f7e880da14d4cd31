"""What the producers share: the stored configuration and the parameter dtypes.

Argument checks live in `lvdyn.core._checks` (the sweeps use them too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lvdyn.core._checks import check_choice

if TYPE_CHECKING:
    import torch

__all__ = ["DTYPE_NAMES", "producer_config", "torch_dtype"]

#: Parameter dtypes of the torch producers.
DTYPE_NAMES = ("float32", "float64")


def producer_config(config: Mapping[str, Any]) -> str:
    """A producer's configuration as the JSON string stored in ``producer_config``.

    Keys are sorted, so equal configurations give equal strings; numpy scalars are written
    as numbers and other values JSON does not know as their text.

    Examples
    --------
    >>> import numpy as np
    >>> producer_config({"steps": 10, "p": np.int64(7), "betas": (0.9, 0.99)})
    '{"betas": [0.9, 0.99], "p": 7, "steps": 10}'
    """
    return json.dumps(dict(config), sort_keys=True, default=_plain)


def torch_dtype(name: Any) -> torch.dtype:
    """The torch dtype named ``name`` (one of `DTYPE_NAMES`), or a ValueError naming ``dtype``.

    Examples
    --------
    >>> torch_dtype("float64")
    torch.float64
    """
    import torch

    return {"float32": torch.float32, "float64": torch.float64}[
        check_choice("dtype", name, DTYPE_NAMES)
    ]


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) and getattr(value, "ndim", None) == 0 else str(value)
