"""Trainers keep the memory each step frees: few page faults in the training loop, glibc only."""

from __future__ import annotations

import platform
import resource

import pytest

torch = pytest.importorskip("torch")

from lvdyn.producers import _heap, modadd  # noqa: E402
from lvdyn.producers._heap import retain_freed_memory  # noqa: E402

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.fixture
def fresh_heap_module(monkeypatch):
    """`retain_freed_memory` as if not yet called, with a libc whose mallopt must not run."""
    monkeypatch.setattr(_heap, "_applied", None)
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)

    def no_libc(name):
        raise AssertionError("mallopt called where it must not be")

    monkeypatch.setattr(_heap.ctypes, "CDLL", no_libc)


@pytest.mark.parametrize(
    ("system", "libc"), [("Darwin", ("", "")), ("Linux", ("", "")), ("Windows", ("", ""))]
)
def test_it_does_nothing_off_glibc(fresh_heap_module, monkeypatch, system, libc) -> None:
    # macOS, musl Linux (platform.libc_ver names no libc there) and Windows: never mallopt
    monkeypatch.setattr(_heap.platform, "system", lambda: system)
    monkeypatch.setattr(_heap.platform, "libc_ver", lambda: libc)
    assert retain_freed_memory() is False
    assert retain_freed_memory() is False  # decided once, still without touching the libc


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MALLOC_TRIM_THRESHOLD_", "1048576"),
        ("MALLOC_MMAP_THRESHOLD_", "65536"),
        ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576"),
    ],
)
def test_a_users_setting_wins(fresh_heap_module, monkeypatch, name, value) -> None:
    monkeypatch.setattr(_heap, "_glibc", lambda: True)
    monkeypatch.setenv(name, value)
    assert retain_freed_memory() is False


def test_unrelated_tunables_do_not_count_as_a_setting(monkeypatch) -> None:
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    assert _heap._set_by_user() is False


@pytest.mark.skipif(
    not GLIBC or _heap._set_by_user(), reason="glibc only, and not under the user's thresholds"
)
def test_training_steps_reuse_freed_memory_instead_of_faulting_it_in() -> None:
    assert retain_freed_memory() is True
    # the paper's size, one run: each step allocates and frees ~10 MB of activations
    settings = {"p": 59, "d_embed": 128, "width": 100, "seeds": [0], "progress": False}

    def faults(steps: int) -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        modadd.train(**settings, steps=steps, threads=1)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    faults(14)  # the heap grows to its working size
    # the difference of two lengths leaves out the set-up's faults
    per_step = (faults(14) - faults(4)) / 10
    # measured here: ~1,900 faults a step with glibc's adaptive defaults (the freed top of
    # the heap is returned and faulted in again), ~220 with the thresholds raised; 600
    # lies about 3x from both
    assert per_step < 600, per_step
