"""Checkpoints as a flat dict of tensors: written atomically, read with ``weights_only=True``.

Nothing in a checkpoint is pickled Python: the configuration travels as the UTF-8 bytes
of its JSON text in a ``uint8`` tensor, so loading never executes code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from lvdyn.core._atomic import atomic_path

__all__ = ["load_checkpoint", "save_checkpoint"]

_CONFIG_KEY = "config_json"


def save_checkpoint(
    path: str | os.PathLike[str], tensors: dict[str, torch.Tensor], config: dict[str, Any]
) -> Path:
    """Write ``tensors`` and ``config`` to ``path`` atomically (temporary file, then rename)."""
    payload = {name: value.detach().cpu() for name, value in tensors.items()}
    text = json.dumps(config, sort_keys=True).encode()
    payload[_CONFIG_KEY] = torch.frombuffer(bytearray(text), dtype=torch.uint8).clone()
    with atomic_path(path, argument="checkpoint") as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a checkpoint written by `save_checkpoint`; return its tensors and configuration."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for damaged or foreign files
        raise ValueError(
            f"`checkpoint`: {os.fspath(path)!r} is not a readable lvdyn checkpoint "
            f"({type(exc).__name__}: {exc}). Delete it or pass resume=False."
        ) from exc
    if not isinstance(payload, dict) or _CONFIG_KEY not in payload:
        raise ValueError(
            f"`checkpoint`: {os.fspath(path)!r} was not written by lvdyn (no configuration "
            "inside). Delete it or pass resume=False."
        )
    config = json.loads(bytes(payload.pop(_CONFIG_KEY).tolist()).decode())
    return payload, config
