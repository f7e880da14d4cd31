"""One sweep task, run on a worker: call the producer on a chunk of seeds, write one part."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lvdyn.sweeps._config import SweepTask, inside_folder, is_path_param
from lvdyn.traces._history import add_history
from lvdyn.traces._io import save_traces
from lvdyn.traces._make import combine_traces
from lvdyn.traces._schema import RUN

__all__ = ["TASK_FILES", "check_producer", "part_path", "resolve_entry", "run_task", "task_params"]

#: Folder (inside the output folder) holding each task's own files, such as checkpoints.
TASK_FILES = "tasks"


def part_path(parts: Path, task: SweepTask) -> Path:
    """Where ``task`` writes its part: ``parts/<task name>.nc`` (the name is a hex hash)."""
    return parts / f"{task.name}.nc"


def _module_name(producer: str) -> str:
    return producer if "." in producer else f"lvdyn.producers.{producer}"


def check_producer(producer: str) -> None:
    """Fail fast, before any task is sent, if the producer's module cannot be found here.

    The module itself is not imported (a trainer would import torch into the client).
    """
    module_name = _module_name(producer)
    try:
        found = importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise ValueError(
            f"`producer` must name an importable module; {module_name!r} was not found. "
            "Use a module of lvdyn.producers (modadd, synthetic, ...) or a dotted path to "
            "your own module, installed here and on every worker."
        )


def resolve_entry(producer: str, entry: str) -> Callable[..., xr.Dataset]:
    """Import ``lvdyn.producers.<producer>`` (or a dotted module path) and return ``entry``."""
    module_name = _module_name(producer)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"`producer` must name an importable module; {module_name!r} was not found "
            f"({exc}). Check the spelling, and that lvdyn (with its extras) is installed "
            "on every worker."
        ) from exc
    function = getattr(module, entry, None)
    if not callable(function):
        public = sorted(n for n in dir(module) if callable(getattr(module, n)) and n[0] != "_")
        raise ValueError(
            f"`entry` must be a function of {module_name}; got {entry!r}. "
            f"Its functions are: {', '.join(public)}."
        )
    return function


def _label_runs(ds: xr.Dataset, task: SweepTask, seeds: np.ndarray) -> xr.Dataset:
    """Label runs ``<task>/<seed>`` and attach the seed, the task and scalar params per run."""
    labels = [f"{task.name}/{seed}" for seed in seeds]
    if len(set(labels)) != len(labels):
        labels = [f"{label}/{i}" for i, label in enumerate(labels)]
    coords: dict[str, Any] = {
        RUN: labels,
        "seed": (RUN, seeds),
        "sweep_task": (RUN, np.full(len(labels), task.name)),
    }
    for name, value in task.params.items():
        scalar = isinstance(value, int | float | str) and not isinstance(value, bool)
        if scalar and name not in ds.variables:
            coords[name] = (RUN, np.full(len(labels), value))
    return ds.assign_coords(coords)


def task_params(task: SweepTask, folder: Path) -> dict[str, Any]:
    """The task's keywords, with every path keyword moved to ``folder/tasks/<task>/<path>``.

    Paths in a config are relative to the output folder and private to each task (two tasks
    never share a checkpoint); a path that leads outside the folder through a symbolic link
    is refused. The folder a file keyword names is created, and so is a folder keyword's
    (``*_dir``, ``*_folder``) own folder.
    """
    params = dict(task.params)
    for name, value in task.params.items():
        if is_path_param(name) and isinstance(value, str):
            relative = f"{TASK_FILES}/{task.name}/{value}"
            target = inside_folder(folder, relative, key=f"params.{name}")
            names_folder = name in ("folder", "directory") or name.endswith(("_dir", "_folder"))
            (target if names_folder else target.parent).mkdir(parents=True, exist_ok=True)
            params[name] = str(target)
    return params


def _produce(task: SweepTask, params: dict[str, Any]) -> xr.Dataset:
    function = resolve_entry(task.producer, task.entry)
    parameters = inspect.signature(function).parameters
    if "seeds" in parameters:
        ds = function(**params, seeds=list(task.seeds))
        if "seed" in ds.coords and ds["seed"].dims == (RUN,):
            seeds = ds["seed"].values.astype(np.int64)
        elif ds.sizes[RUN] == len(task.seeds):
            seeds = np.asarray(task.seeds, dtype=np.int64)
        else:
            raise ValueError(
                f"the producer {task.producer}.{task.entry} returned {ds.sizes[RUN]} runs for "
                f"{len(task.seeds)} seeds and no `seed` coordinate on `run`; it must return "
                "one run per seed or label each run with its seed."
            )
        return _label_runs(ds, task, seeds)
    if "seed" in parameters:
        pieces = []
        for seed in task.seeds:
            one = function(**params, seed=seed)
            pieces.append(_label_runs(one, task, np.full(one.sizes[RUN], seed, dtype=np.int64)))
        return pieces[0] if len(pieces) == 1 else combine_traces(pieces)
    raise ValueError(
        f"`entry` {task.producer}.{task.entry} takes neither `seeds` nor `seed`; a sweep "
        "needs a producer entry that is driven by seeds."
    )


def run_task(task: SweepTask, parts: str) -> str:
    """Run ``task`` and write its traces to ``parts/<task name>.nc`` atomically.

    The part is written to a temporary file and renamed into place, so a worker killed
    mid-task leaves no part behind and the task can simply run again.

    Returns
    -------
    str
        The path of the part.
    """
    folder = Path(parts)
    ds = _produce(task, task_params(task, folder.parent))
    ds = add_history(ds, f"sweep task {task.name} (seeds {list(task.seeds)})")
    return str(save_traces(ds, part_path(folder, task)))
