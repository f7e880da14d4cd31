"""Trainers keep the memory each step frees: few page faults in the training loop, glibc only."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from lvdyn.producers import _heap, modadd  # noqa: E402
from lvdyn.producers._heap import retain_freed_memory  # noqa: E402

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.fixture
def fresh_heap_module(monkeypatch):
    """`retain_freed_memory` as if not yet called, with a libc whose mallopt must not run."""
    monkeypatch.setattr(_heap, "_applied", None)
    monkeypatch.setattr(_heap, "_startup_environment", dict)  # started without settings

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
    monkeypatch.setattr(_heap, "_startup_environment", lambda: {name: value})
    assert retain_freed_memory() is False


def test_unrelated_tunables_do_not_count_as_a_setting(monkeypatch) -> None:
    tunables = {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    monkeypatch.setattr(_heap, "_startup_environment", lambda: tunables)
    assert _heap._set_by_user() is False


_APPLIED = """
import os, sys
if sys.argv[1] == "later":  # as dask's LocalCluster does, after glibc read the environment
    os.environ["MALLOC_TRIM_THRESHOLD_"] = "65536"
from lvdyn.producers._heap import retain_freed_memory
print(retain_freed_memory())
"""


@pytest.mark.skipif(not GLIBC or not os.path.isfile("/proc/self/environ"), reason="glibc")
@pytest.mark.parametrize(("when", "applied"), [("at start", "False"), ("later", "True")])
def test_only_a_setting_the_process_started_with_counts(when, applied) -> None:
    env = {k: v for k, v in os.environ.items() if "MALLOC" not in k and k != "GLIBC_TUNABLES"}
    if when == "at start":
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"  # glibc reads it: the user's choice stays
    out = subprocess.run(
        [sys.executable, "-c", _APPLIED, when], env=env, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.strip() == applied


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
