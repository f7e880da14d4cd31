"""How many CPU threads the trainers use: the one place that decides it.

The policy, for every CPU trainer (`modadd.train`, `clockpizza.train`, ``lvdyn demo``):

1. **Budget.** ``threads`` if given (an integer >= 1); else the environment's
   ``OMP_NUM_THREADS`` when it holds a positive integer; else every core this process may run
   on (``os.sched_getaffinity``, capped by a cgroup CPU quota where the container sets one).
2. **Workers.** The trainer's independent pieces of work (chunks of runs for modular
   addition, whole runs for Clock and Pizza) go to ``min(budget, pieces)`` worker threads,
   which take the next piece as soon as they are free. Never more workers than pieces: one
   run gets one worker whatever the budget.
3. **One intra-op thread.** While a trainer runs, torch uses one intra-op thread
   (``torch.set_num_threads(1)``; the previous value is restored afterwards). Two OpenMP
   threads spinning on a shared pair of cores were measured 10-20x slower than one, and one
   thread per piece makes the results independent of the number of workers: they are
   bit-identical to the serial path for every ``threads``.
4. **Freed memory is kept.** A worker pool also raises glibc's trim and mmap thresholds
   (`lvdyn.producers._heap`), so that the activations each step frees are reused by the
   next step instead of being faulted in again (about 15 % of a modular-addition step).

Threads, not processes: torch releases the GIL inside its kernels, and the pieces are large
(milliseconds of arithmetic each), so threads share the parameters without copying them.

Examples
--------
>>> thread_budget(3)
3
>>> with worker_pool(2) as pool:
...     pool.map(lambda x: x * x, [1, 2, 3])
[1, 4, 9]
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from lvdyn.core._checks import check_int
from lvdyn.producers._heap import retain_freed_memory

__all__ = [
    "WorkerPool",
    "available_cores",
    "check_threads",
    "thread_budget",
    "torch_threads",
    "worker_pool",
]

T = TypeVar("T")
R = TypeVar("R")


def _cgroup_quota() -> int | None:
    """Whole cores allowed by a cgroup v2 CPU quota (``cpu.max``), or None when unlimited."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):  # no cgroup v2, or "max" (no quota)
        return None


def available_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup quota.

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity call
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota is not None else cores)


def check_threads(threads: Any) -> int | None:
    """Validate a ``threads`` argument: None (the policy decides) or an integer >= 1."""
    return None if threads is None else check_int("threads", threads)


def thread_budget(threads: int | None = None) -> int:
    """How many threads a trainer may use: ``threads``, else ``OMP_NUM_THREADS``, else all cores.

    An ``OMP_NUM_THREADS`` that is not a positive integer is ignored, as OpenMP ignores it.
    """
    explicit = check_threads(threads)
    if explicit is not None:
        return explicit
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return available_cores()


class WorkerPool:
    """Maps a function over pieces of work on ``n_workers`` threads (inline when 1)."""

    def __init__(self, n_workers: int, executor: ThreadPoolExecutor | None) -> None:
        self.n_workers = n_workers
        self._executor = executor

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(x) for x in items]``, computed by the workers; results in input order.

        The first piece to fail raises its error at once; pieces not started are cancelled.
        """
        if self._executor is None:
            return [fn(x) for x in items]
        futures = [self._executor.submit(fn, x) for x in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in futures if f in done and f.exception() is not None]
        if failed:
            for future in futures:
                future.cancel()
            raise failed[0].exception()  # type: ignore[misc]
        return [f.result() for f in futures]


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Pin torch to ``n`` intra-op threads inside the block; ``None`` leaves it alone.

    The caller's setting is restored on exit.
    """
    if n is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _pin_worker(n: int | None) -> None:
    """Set a new worker thread's own OpenMP thread count (see `worker_pool`)."""
    if n is not None:
        import torch

        torch.set_num_threads(n)


@contextlib.contextmanager
def worker_pool(n_workers: int, *, intra_op_threads: int | None = 1) -> Iterator[WorkerPool]:
    """A `WorkerPool` of ``n_workers`` threads, with torch pinned to ``intra_op_threads``.

    Entering it also keeps freed memory for reuse (policy point 4 above).

    ``intra_op_threads=None`` leaves torch's setting alone (for GPU work). The previous
    setting is restored on exit, and pieces not yet started are cancelled if one fails.

    Each worker thread sets the count for itself: OpenMP keeps it per thread, and a new
    thread starts from the environment's default, which without ``OMP_NUM_THREADS`` is every
    core (a worker's matrix products were measured on two threads on a 2-core machine, so
    two workers ran four spinning threads, whatever the caller had set).
    """
    retain_freed_memory()
    with torch_threads(intra_op_threads):
        executor = None
        if n_workers > 1:
            executor = ThreadPoolExecutor(
                n_workers, thread_name_prefix="lvdyn-worker", initializer=_pin_worker,
                initargs=(intra_op_threads,),
            )  # fmt: skip
        try:
            yield WorkerPool(n_workers, executor)
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
