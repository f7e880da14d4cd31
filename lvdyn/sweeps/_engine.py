"""The dask.distributed engine: a client on a local cluster or on an existing scheduler."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

__all__ = ["open_client"]

_NO_DISTRIBUTED = (
    "sweeps need dask.distributed, which is not installed; install it with "
    "`pip install 'lvdyn[dask]'` (on the workers too)."
)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_NO_DISTRIBUTED) from exc
    return distributed


@contextlib.contextmanager
def open_client(scheduler: str | None = None, *, n_workers: int | None = None) -> Iterator[Any]:
    """Yield a `distributed.Client`, closing whatever was started on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without it, a
        `distributed.LocalCluster` is started in this process on 127.0.0.1, with one
        single-threaded worker process per core.
    n_workers : int, optional
        Worker processes of the local cluster (default: the number of cores). Not allowed
        together with ``scheduler``.
    """
    distributed = _distributed()
    if scheduler is not None:
        if n_workers is not None:
            raise ValueError(
                "`n_workers` must be None when `scheduler` is given; got "
                f"{n_workers!r}. Start the workers with `dask worker {scheduler}` instead."
            )
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ValueError(
                f"`scheduler`: cannot connect to {scheduler!r} ({type(exc).__name__}: {exc}). "
                "Start one with `dask scheduler` and pass the address it prints."
            ) from exc
        with client:
            yield client
        return
    workers = n_workers if n_workers is not None else (os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"`n_workers` must be a positive integer; got {n_workers!r}.")
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # an HTTP port is always opened; pick a free one
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
