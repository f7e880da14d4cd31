"""``run_sweep``: run every chunk of a sweep on a dask cluster and combine the parts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from lvdyn.core._atomic import ensure_folder
from lvdyn.sweeps._combine import combine_parts
from lvdyn.sweeps._config import SweepConfig, inside_folder, load_config
from lvdyn.sweeps._engine import open_client
from lvdyn.sweeps._progress import wait_with_progress
from lvdyn.sweeps._task import check_producer, part_path, run_task

__all__ = ["SweepError", "run_sweep"]

PARTS = "parts"


class SweepError(RuntimeError):
    """Some tasks of a sweep failed; the parts that finished are kept for the next run."""


def _submit_all(
    client: Any, config: SweepConfig, parts: Path, *, progress: bool
) -> list[tuple[str, BaseException]]:
    tasks = config.tasks()
    todo = [task for task in tasks if not part_path(parts, task).exists()]
    futures = [
        client.submit(
            run_task,
            task,
            str(parts),
            key=f"lvdyn-sweep-{task.name}",
            retries=config.retries,
        )
        for task in todo
    ]
    try:
        wait_with_progress(client, futures, n_skipped=len(tasks) - len(todo), show=progress)
        failures = []
        for task, future in zip(todo, futures, strict=True):
            if future.status == "error":
                failures.append((task.name, future.exception()))
        return failures
    finally:
        for future in futures:
            future.release()


def run_sweep(
    config: SweepConfig | Mapping[str, Any] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool = True,
) -> xr.Dataset:
    """Run a sweep on a dask cluster and return the combined traces.

    Every (grid point, chunk of seeds) pair is one task, which calls the producer once and
    writes ``out/parts/<task>.nc`` atomically. Task names are hashes of their settings, so
    running the same sweep again skips the parts already on disk. A task whose worker dies
    is run again on another worker; a task that raises is retried ``retries`` times. The
    parts are then combined along ``run`` (labels ``<task>/<seed>``) into
    ``out/combined.nc``.

    Parameters
    ----------
    config : SweepConfig, mapping or path
        The sweep (see `load_config`).
    out : path
        Output folder. With a remote ``scheduler`` it must be a path that every worker
        can write to under the same name (shared storage).
    scheduler : str, optional
        Address of a running dask scheduler; default a local cluster in this process.
    n_workers : int, optional
        Worker processes of the local cluster (default: one per core).
    progress : bool
        Show a progress bar with tasks done and running.

    Returns
    -------
    xarray.Dataset
        The combined traces, opened lazily from ``out/combined.nc`` (dask arrays); close it
        (or use it in a ``with`` block) when done.

    Raises
    ------
    SweepError
        If some tasks failed after their retries; the finished parts are kept.
    """
    config = config if isinstance(config, SweepConfig) else load_config(config)
    check_producer(config.producer)
    folder = ensure_folder(out, argument="out").resolve()  # workers may have another cwd
    parts = ensure_folder(inside_folder(folder, PARTS, key="parts"), argument="out")
    combined_path = inside_folder(folder, config.combined, key="combined")
    ensure_folder(combined_path.parent, argument="out")
    failures: list[tuple[str, BaseException]] = []
    if any(not part_path(parts, task).exists() for task in config.tasks()):
        with open_client(scheduler, n_workers=n_workers) as client:
            failures = _submit_all(client, config, parts, progress=progress)
    if failures:
        name, first = failures[0]
        raise SweepError(
            f"{len(failures)} of {len(config.tasks())} sweep tasks failed; the finished parts "
            f"are kept in {str(parts)!r} and are skipped when the sweep is run again. "
            f"First failure, task {name}: {type(first).__name__}: {first}"
        ) from first
    paths = [part_path(parts, task) for task in config.tasks()]
    missing = [path.name for path in paths if not path.exists()]
    if missing:
        raise ValueError(
            f"`out`: the workers reported {len(missing)} parts done that are not in "
            f"{str(parts)!r} here (first: {missing[0]}). The output folder must be on storage "
            "that every worker and this machine share under the same path."
        )
    combine_parts(paths, combined_path, attrs={"sweep_config": config.to_json()})
    return xr.open_dataset(combined_path, engine="netcdf4", chunks={})
