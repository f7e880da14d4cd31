"""Sweep configuration: a TOML file (or a mapping) parsed into a grid of seed chunks."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from lvdyn.core._checks import check_int

__all__ = ["SweepConfig", "SweepTask", "inside_folder", "is_path_param", "load_config"]

ALLOWED_KEYS = ("producer", "entry", "params", "grid", "seeds", "chunk_size", "combined", "retries")
_SEED_RANGE_KEYS = ("start", "stop", "step")
_RESERVED_PARAMS = ("seed", "seeds")
#: Producer keywords that name files: they must stay inside the output folder.
PATH_PARAMS = ("checkpoint", "out", "output", "path", "folder", "directory")
PATH_SUFFIXES = ("_path", "_file", "_dir", "_folder", "_checkpoint")


def is_path_param(name: str) -> bool:
    """Whether the producer keyword ``name`` names a file or folder (``checkpoint``, ``*_path``).

    Examples
    --------
    >>> is_path_param("checkpoint"), is_path_param("log_path"), is_path_param("steps")
    (True, True, False)
    """
    return name in PATH_PARAMS or name.endswith(PATH_SUFFIXES)


@dataclass(frozen=True)
class SweepTask:
    """One batched ensemble: a producer called on one grid point with a chunk of seeds.

    ``name`` is a hash of everything that determines the result, so the same task gets the
    same name (and the same part file) every time the sweep is run.
    """

    name: str
    producer: str
    entry: str
    params: dict[str, Any]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep: fixed ``params``, a ``grid`` of values to cross, and chunked ``seeds``.

    Examples
    --------
    >>> config = load_config({"producer": "synthetic", "entry": "lotka_volterra",
    ...                       "params": {"steps": 10}, "grid": {"noise": [0.0, 0.1]},
    ...                       "seeds": {"start": 0, "stop": 5}, "chunk_size": 2})
    >>> [task.seeds for task in config.tasks()][:3]
    [(0, 1), (2, 3), (4,)]
    >>> len(config.tasks())
    6
    """

    producer: str
    entry: str
    params: dict[str, Any]
    grid: dict[str, list[Any]]
    seeds: tuple[int, ...]
    chunk_size: int
    combined: str = "combined.nc"
    retries: int = 2

    def points(self) -> list[dict[str, Any]]:
        """The keyword arguments of every grid point (fixed params plus one grid value each)."""
        names = list(self.grid)
        return [
            {**self.params, **dict(zip(names, values, strict=True))}
            for values in itertools.product(*(self.grid[name] for name in names))
        ]

    def tasks(self) -> list[SweepTask]:
        """Every (grid point, seed chunk) pair as a `SweepTask`, in a fixed order."""
        chunks = [
            self.seeds[i : i + self.chunk_size] for i in range(0, len(self.seeds), self.chunk_size)
        ]
        out = []
        for point in self.points():
            for seeds in chunks:
                identity = json.dumps(
                    [self.producer, self.entry, point, list(seeds)], sort_keys=True, default=str
                )
                name = hashlib.sha256(identity.encode()).hexdigest()[:12]
                out.append(SweepTask(name, self.producer, self.entry, point, tuple(seeds)))
        return out

    def to_json(self) -> str:
        """The configuration as a JSON string (stored in the combined dataset's attributes)."""
        return json.dumps(
            {
                "producer": self.producer,
                "entry": self.entry,
                "params": self.params,
                "grid": self.grid,
                "seeds": list(self.seeds),
                "chunk_size": self.chunk_size,
                "combined": self.combined,
                "retries": self.retries,
            },
            sort_keys=True,
            default=str,
        )


def _check_producer(value: Any, key: str) -> str:
    if not isinstance(value, str) or not all(part.isidentifier() for part in value.split(".")):
        raise ValueError(
            f"`{key}` must be a module name such as 'modadd' or 'synthetic' (or a dotted "
            f"path to your own module); got {value!r} ({type(value).__name__})."
        )
    return value


def _check_entry(value: Any) -> str:
    if not isinstance(value, str) or not value.isidentifier() or value.startswith("_"):
        raise ValueError(
            "`entry` must be the name of a public function of the producer module, such as "
            f"'train' or 'lotka_volterra'; got {value!r} ({type(value).__name__})."
        )
    return value


def _check_seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(_SEED_RANGE_KEYS))
        if unknown or "stop" not in value:
            raise ValueError(
                f"`seeds` as a range must be a table with keys {list(_SEED_RANGE_KEYS)} "
                f"('stop' required); got keys {sorted(value)}. "
                "Example: seeds = { start = 0, stop = 50 }."
            )
        start = check_int("seeds.start", value.get("start", 0), minimum=0)
        stop = check_int("seeds.stop", value["stop"], minimum=0)
        step = check_int("seeds.step", value.get("step", 1), minimum=1)
        seeds = tuple(range(start, stop, step))
    elif isinstance(value, list | tuple):
        seeds = tuple(check_int("seeds[]", s, minimum=0) for s in value)
    else:
        raise ValueError(
            "`seeds` must be a list of non-negative integers or a range table "
            f"{{ start = 0, stop = 50 }}; got {value!r} ({type(value).__name__})."
        )
    if not seeds:
        raise ValueError(f"`seeds` must hold at least one seed; got {value!r}.")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"`seeds` must be distinct; got repeated seeds in {list(seeds)}.")
    return seeds


def _check_table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(
            f"`{key}` must be a table of keyword arguments; got {value!r} ({type(value).__name__})."
        )
    for name in value:
        if name in _RESERVED_PARAMS:
            raise ValueError(
                f"`{key}.{name}` is not allowed: seeds are set by the top-level `seeds` key. "
                "Move them there."
            )
    return dict(value)


def _check_relative(value: Any, key: str) -> str:
    """A file name inside the output folder: relative, without '..'."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"`{key}` must be a relative file name; got {value!r}.")
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in windows.parts:
        raise ValueError(
            f"`{key}` must be a path inside the output folder (relative, without '..'); "
            f"got {value!r}. Use a relative name such as {PureWindowsPath(value).name!r}."
        )
    return value


def inside_folder(folder: str | os.PathLike[str], relative: str, *, key: str) -> Path:
    """``folder / relative``, checked to stay inside ``folder`` once symbolic links are followed.

    Raises
    ------
    ValueError
        Naming ``key``, if ``relative`` is absolute, contains ``..``, or leads out of
        ``folder`` through a symbolic link.
    """
    _check_relative(relative, key)
    root = Path(folder).resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise ValueError(
            f"`{key}` must be a path inside the output folder {str(root)!r}; {relative!r} "
            f"leads to {str(target)!r} through a symbolic link. Remove the link or choose "
            "another name."
        )
    return target


def _check_path_params(table: dict[str, Any], key: str, *, grid: bool) -> None:
    for name, value in table.items():
        if is_path_param(name):
            for item in value if grid and isinstance(value, list) else [value]:
                if item is not None:  # None: the producer's "no file" (checkpoint=None)
                    _check_relative(item, f"{key}.{name}")


def load_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> SweepConfig:
    """Read a sweep configuration from a TOML file or a mapping with the same keys.

    Parameters
    ----------
    source : path or mapping
        Keys: ``producer`` (a module of `lvdyn.producers`, or a dotted module path),
        ``entry`` (its function; default ``"train"``), ``params`` (fixed keyword arguments),
        ``grid`` (lists of values whose cross product is swept), ``seeds`` (a list or
        ``{start, stop, step}``), ``chunk_size`` (seeds per task; default all),
        ``combined`` (name of the combined file; default ``"combined.nc"``) and
        ``retries`` (extra attempts of a failed task; default 2). Paths (``combined`` and
        producer keywords that name files, see `is_path_param`) must be relative and stay
        inside the output folder.

    Raises
    ------
    ValueError
        Naming the offending key, for unknown keys and for malformed values.

    Examples
    --------
    >>> load_config({"producer": "modadd", "seeds": [0], "colour": "red"})
    Traceback (most recent call last):
    ...
    ValueError: unknown sweep key `colour`; allowed keys are producer, entry, params, ...
    """
    if isinstance(source, Mapping):
        raw = dict(source)
    else:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            try:
                import tomli as tomllib
            except ModuleNotFoundError as exc:
                raise ImportError(
                    "reading a TOML sweep config on Python 3.10 needs tomli: pip install tomli"
                ) from exc
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"`config`: no file at {str(path)!r}.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"`config`: {str(path)!r} is not valid TOML ({exc}).") from exc
    for key in raw:
        if key not in ALLOWED_KEYS:
            raise ValueError(
                f"unknown sweep key `{key}`; allowed keys are {', '.join(ALLOWED_KEYS)}. "
                "Put producer keywords under [params] or [grid]."
            )
    for key in ("producer", "seeds"):
        if key not in raw:
            raise ValueError(f"sweep key `{key}` is missing; it is required.")
    params = _check_table(raw.get("params", {}), "params")
    grid = _check_table(raw.get("grid", {}), "grid")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(
                f"`grid.{name}` must be a non-empty list of values to sweep; got {values!r}. "
                f"Put a single fixed value under [params] instead."
            )
        if name in params:
            raise ValueError(f"`{name}` is in both [params] and [grid]; keep it in one of them.")
    _check_path_params(params, "params", grid=False)
    _check_path_params(grid, "grid", grid=True)
    seeds = _check_seeds(raw["seeds"])
    return SweepConfig(
        producer=_check_producer(raw["producer"], "producer"),
        entry=_check_entry(raw.get("entry", "train")),
        params=params,
        grid=grid,
        seeds=seeds,
        chunk_size=check_int("chunk_size", raw.get("chunk_size", len(seeds)), minimum=1),
        combined=_check_relative(raw.get("combined", "combined.nc"), "combined"),
        retries=check_int("retries", raw.get("retries", 2), minimum=0),
    )
