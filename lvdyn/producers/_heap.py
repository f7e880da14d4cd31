"""Keep the memory a trainer frees for its next step, so that steps do not fault pages in.

Every training step allocates and frees the same few megabytes of activations. With
glibc's default settings the allocator hands the freed top of the heap back to the
system once it exceeds ``M_TRIM_THRESHOLD``, and serves blocks above
``M_MMAP_THRESHOLD`` by fresh ``mmap`` calls, so the next step faults every page in
again and the kernel zeroes it. At p = 59, d = 128, width 100 that was about 1,000 to
2,000 minor page faults and 2 to 3 ms of system time per model-step, about 15 % of the
step, on one worker thread or two; about 200 faults with the thresholds raised.

`retain_freed_memory` raises both thresholds (``mallopt``): blocks up to 32 MiB come from
the heap, and up to 256 MiB of freed memory stays with the process for reuse. The setting
is process-wide and stays after training (glibc cannot restore its adaptive default), so
a process that has trained keeps up to that much freed memory per allocator arena. It
changes where tensors live, never their values.

It does nothing elsewhere than glibc on Linux (macOS, musl, Windows), and nothing when the
process started with either threshold set (``MALLOC_TRIM_THRESHOLD_``,
``MALLOC_MMAP_THRESHOLD_``, or ``GLIBC_TUNABLES`` naming ``glibc.malloc.trim_threshold`` or
``glibc.malloc.mmap_threshold``): an explicit setting wins, as ``OMP_NUM_THREADS`` does. So
inside a dask worker, which dask starts with ``MALLOC_TRIM_THRESHOLD_=65536``, dask's
choice stays.

Examples
--------
>>> retain_freed_memory() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import os
import platform
from pathlib import Path

__all__ = ["retain_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Largest blocks served from the heap (glibc's maximum for the mmap threshold on 64 bits).
MMAP_THRESHOLD = 32 * 2**20
#: Freed memory at the top of a heap kept for reuse instead of being returned.
TRIM_THRESHOLD = 256 * 2**20

_applied: bool | None = None


def _glibc() -> bool:
    """True on Linux with glibc (``platform.libc_ver`` names no libc under musl)."""
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _startup_environment() -> dict[str, str]:
    """The environment this process started with, as glibc read it.

    ``/proc/self/environ`` keeps the environment given at ``exec``; variables set later in
    ``os.environ`` (dask's ``LocalCluster`` sets ``MALLOC_TRIM_THRESHOLD_`` there for its
    worker processes) never reached this process's allocator. Without ``/proc``, the
    current environment.
    """
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return dict(os.environ)
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def _set_by_user() -> bool:
    """True when the process started with glibc's trim or mmap threshold set."""
    env = _startup_environment()
    if env.get("MALLOC_TRIM_THRESHOLD_") or env.get("MALLOC_MMAP_THRESHOLD_"):
        return True
    tunables = env.get("GLIBC_TUNABLES", "")
    return any(f"glibc.malloc.{name}" in tunables for name in ("trim_threshold", "mmap_threshold"))


def retain_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds once per process; True if they are raised.

    False, and nothing changed, off glibc or when the environment sets a threshold.
    """
    global _applied
    if _applied is None:
        _applied = False
        if _glibc() and not _set_by_user():
            try:
                mallopt = ctypes.CDLL(None).mallopt
            except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
                return False
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            mallopt.restype = ctypes.c_int
            mmap_ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            _applied = mmap_ok and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return _applied
