"""Read one array out of a checkpoint file without executing any code in it.

Formats, chosen by the file's suffix:

* ``.safetensors``: only the named tensor is read (``safetensors.safe_open``), however large
  the rest of the file;
* ``.pt`` / ``.pth`` / ``.bin`` / ``.ckpt``: ``torch.load(weights_only=True, mmap=True)``, so
  tensors are memory-mapped and only the named one is copied; torch is imported here only;
* ``.npz``: one member of the archive, ``allow_pickle=False``;
* ``.npy``: the array itself (the key is ignored), ``allow_pickle=False``.

A file that can only be read by unpickling arbitrary Python objects is refused with a
`ValueError`; nothing is ever unpickled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SUFFIXES", "lookup", "read_checkpoint_array", "read_checkpoint_mapping"]

_TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")
SUFFIXES = (".safetensors", *_TORCH_SUFFIXES, ".npz", ".npy")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")

#: What the embedding argument may be: a key, or a function of the checkpoint's mapping.
Selector = str | Callable[[Mapping[str, Any]], Any] | None


def _refuse_pickle(path: Path, detail: str) -> ValueError:
    return ValueError(
        f"`checkpoint` {str(path)!r} can only be read by unpickling Python objects ({detail}); "
        "lvdyn never unpickles files, because unpickling runs code from the file. Re-save the "
        "tensors only, for example torch.save(model.state_dict(), path), safetensors' "
        "save_file(...) or numpy.savez(path, embedding=array)."
    )


def lookup(mapping: Mapping[str, Any], key: str, path: Path) -> Any:
    """``mapping[key]``; a dotted key also walks nested mappings (``"model.embed.weight"``).

    Examples
    --------
    >>> lookup({"model": {"embed.weight": 1}}, "model.embed.weight", Path("c.pt"))
    1
    """
    if key in mapping:
        return mapping[key]
    parts = key.split(".")
    for cut in range(1, len(parts)):
        head, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
        inner = mapping.get(head)
        if isinstance(inner, Mapping):
            try:
                return lookup(inner, rest, path)
            except ValueError:
                continue
    names = sorted(str(k) for k in mapping)
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    raise ValueError(
        f"`embedding`: no entry {key!r} in checkpoint {str(path)!r}; its top-level entries "
        f"are: {shown}. Pass one of them (a dotted name reaches into nested dicts)."
    )


def _as_numpy(value: Any, path: Path, what: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor; only reached when torch is loaded
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        return np.asarray(value.numpy(), dtype=np.float64)
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise ValueError(
            f"`{what}` of checkpoint {str(path)!r} must be a numeric array; got "
            f"{type(value).__name__} (dtype {array.dtype}). Choose a tensor entry."
        )
    return array.astype(np.float64)


def _torch_mapping(path: Path) -> Mapping[str, Any]:
    import torch

    try:
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:  # files in torch's legacy format cannot be memory-mapped
            if "mmap" not in str(exc):
                raise
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle's UnpicklingError for non-tensor content
        if any(kind.__name__ == "UnpicklingError" for kind in type(exc).__mro__):
            text = str(exc).strip()
            raise _refuse_pickle(path, text.splitlines()[0] if text else "pickled") from None
        if isinstance(exc, OSError | RuntimeError | EOFError):
            raise ValueError(
                f"`checkpoint` {str(path)!r} is not a readable PyTorch file "
                f"({type(exc).__name__}: {exc}). Check that the file is complete."
            ) from None
        raise
    if isinstance(payload, Mapping):
        return payload
    return {"": payload}


def read_checkpoint_mapping(path: Path) -> Mapping[str, Any]:
    """All entries of a checkpoint as a mapping (lazy for safetensors, memory-mapped for torch)."""
    suffix = path.suffix.lower()
    if suffix in _PICKLE_SUFFIXES:
        raise _refuse_pickle(path, f"a {suffix} file")
    if suffix in _TORCH_SUFFIXES:
        return _torch_mapping(path)
    if suffix == ".safetensors":
        return _SafetensorsMapping(path)
    if suffix in (".npz", ".npy"):
        try:
            loaded = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise _refuse_pickle(path, str(exc)) from None
        if isinstance(loaded, np.ndarray):
            return {"": loaded}
        return _NpzMapping(loaded, path)
    raise ValueError(
        f"`checkpoint` {str(path)!r} has an unknown suffix {path.suffix!r}; expected one of "
        f"{', '.join(SUFFIXES)}."
    )


def read_checkpoint_array(path: Path, selector: Selector, *, what: str = "embedding") -> np.ndarray:
    """The array that ``selector`` picks from the checkpoint at ``path`` (float64).

    ``selector`` is a key (dotted for nested dicts), a function of the checkpoint's mapping,
    or None (a ``.npy`` file, or a checkpoint holding exactly one tensor).
    """
    path = Path(os.fspath(path))
    suffix = path.suffix.lower()
    if suffix == ".safetensors" and isinstance(selector, str):
        return _read_safetensor(path, selector)
    mapping = read_checkpoint_mapping(path)
    try:
        if callable(selector):
            value = selector(mapping)
        elif selector is None or suffix == ".npy":
            if len(mapping) != 1:
                raise ValueError(
                    f"`{what}`: checkpoint {str(path)!r} holds {len(mapping)} entries; pass "
                    f"the key of the one to read (entries: {', '.join(sorted(mapping)[:12])})."
                )
            value = next(iter(mapping.values()))
        else:
            value = lookup(mapping, selector, path)
        return _as_numpy(value, path, what)
    finally:
        close = getattr(mapping, "close", None)
        if close is not None:
            close()


def _read_safetensor(path: Path, key: str) -> np.ndarray:
    safe_open = _safe_open()
    try:
        with safe_open(str(path), framework="numpy") as handle:
            keys = list(handle.keys())
            if key not in keys:
                shown = ", ".join(sorted(keys)[:12])
                raise ValueError(
                    f"`embedding`: no tensor {key!r} in {str(path)!r}; its tensors are: {shown}."
                )
            return np.asarray(handle.get_tensor(key), dtype=np.float64)
    except (OSError, RuntimeError) as exc:
        raise ValueError(
            f"`checkpoint` {str(path)!r} is not a readable safetensors file "
            f"({type(exc).__name__}: {exc})."
        ) from None
    except TypeError as exc:  # e.g. bfloat16, which numpy cannot hold
        raise ValueError(
            f"`embedding` {key!r} of {str(path)!r} has a dtype numpy cannot read ({exc}); "
            "convert the file to float32 or pass a .pt state dict."
        ) from None


def _safe_open() -> Any:
    try:
        from safetensors import safe_open
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "reading .safetensors checkpoints needs the safetensors package; install it with "
            "`pip install lvdyn[checkpoints]`."
        ) from None
    return safe_open


class _SafetensorsMapping(Mapping[str, Any]):
    """Read-only mapping over a safetensors file; each tensor is read when it is looked up."""

    def __init__(self, path: Path) -> None:
        self._handle = _safe_open()(str(path), framework="numpy")
        self._keys = list(self._handle.keys())

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._handle.get_tensor(key)

    def __iter__(self) -> Any:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def close(self) -> None:
        self._handle = None


class _NpzMapping(Mapping[str, Any]):
    """Read-only mapping over an ``.npz`` archive; a member needing pickles is refused."""

    def __init__(self, archive: Any, path: Path) -> None:
        self._archive, self._path = archive, path

    def __getitem__(self, key: str) -> Any:
        try:
            return self._archive[key]
        except ValueError as exc:
            raise _refuse_pickle(self._path, str(exc)) from None

    def __iter__(self) -> Any:
        return iter(self._archive.files)

    def __len__(self) -> int:
        return len(self._archive.files)

    def close(self) -> None:
        self._archive.close()
