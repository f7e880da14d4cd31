"""Traces from the checkpoints of any training run.

A folder of checkpoints saved along training (PyTorch state dicts, safetensors, NumPy
``.npy`` / ``.npz``) becomes a traces dataset: each checkpoint's embedding matrix (tokens x
dims) gives one step of per-component strengths. Checkpoints are read one at a time, so
memory stays at about one checkpoint whatever their number, and nothing is unpickled (see
`lvdyn.producers._checkpoint_files`).

Components are, by default, the Fourier frequencies of the token axis, computed by the same
code as the modular-addition producer (`lvdyn.producers.modadd`): ``strength`` holds
``S_k = ||F_k||`` for ``k = 1..p//2`` with ``p`` the number of token rows, ``dc_strength``
the ``k = 0`` row and ``strength_mean_all`` the mean over all ``p`` rows (the survival
rule's baseline). For embeddings without a Fourier structure, pass ``projection``: a matrix
of token-space directions ``U`` (components x tokens; ``strength_c = ||U_c E||``), or a
function of the embedding returning one value per component.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rng = np.random.default_rng(0)
>>> for step in (0, 100, 200):
...     np.save(folder / f"embed_step{step}.npy", rng.normal(size=(7, 4)))
>>> ds = traces_from_checkpoints(folder)
>>> dict(ds.strength.sizes), ds.step.values.tolist()
({'run': 1, 'step': 3, 'component': 3}, [0, 100, 200])
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from lvdyn._version import __version__
from lvdyn.producers._checkpoint_files import SUFFIXES, Selector, read_checkpoint_array
from lvdyn.producers._fourier import circle_frequencies, circle_strengths
from lvdyn.traces._history import add_history
from lvdyn.traces._make import make_traces
from lvdyn.traces._schema import validate_traces

__all__ = ["checkpoint_files", "traces_from_checkpoints"]

StepRule = str | Callable[[Path], int] | None
Projection = np.ndarray | Callable[[np.ndarray], Any] | None
_LAST_INTEGER = re.compile(r"(\d+)(?!.*\d)")


def checkpoint_files(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> dict[str, list[Path]]:
    """Group checkpoint files by run: ``{run label: [files]}``.

    ``source`` is a folder of checkpoints (one run, labelled by the folder's name), a folder
    of folders (one run per sub-folder), or a list of files (one run).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for run in ("seed0", "seed1"):
    ...     (root / run).mkdir()
    ...     np.save(root / run / "e_10.npy", np.zeros((5, 2)))
    >>> sorted(checkpoint_files(root))
    ['seed0', 'seed1']
    """
    if isinstance(source, str | os.PathLike):
        folder = Path(source)
        if folder.is_file():
            return {folder.parent.name or "run0": [folder]}
        if not folder.is_dir():
            raise FileNotFoundError(
                f"`paths`: {str(folder)!r} is neither a checkpoint file nor a folder. Pass the "
                "folder that holds the checkpoints (or one sub-folder per run)."
            )
        files = _checkpoints_in(folder)
        if files:
            return {folder.name or "run0": files}
        runs = {sub.name: _checkpoints_in(sub) for sub in sorted(folder.iterdir()) if sub.is_dir()}
        runs = {name: found for name, found in runs.items() if found}
        if not runs:
            raise FileNotFoundError(
                f"`paths`: no checkpoint files ({', '.join(SUFFIXES)}) in {str(folder)!r} or "
                "its sub-folders."
            )
        return runs
    files = [Path(p) for p in source]
    if not files:
        raise ValueError("`paths` is an empty list; pass checkpoint files or a folder.")
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"`paths`: no such checkpoint file(s): {', '.join(missing[:5])}.")
    return {"run0": files}


def _checkpoints_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def _step_of(path: Path, rule: StepRule) -> int:
    if callable(rule):
        return int(rule(path))
    pattern = _LAST_INTEGER if rule is None else re.compile(rule)
    match = pattern.search(path.name if rule is not None else path.stem)
    if match is None:
        raise ValueError(
            f"`step`: cannot read a training step from the file name {path.name!r} "
            f"(pattern {pattern.pattern!r}). Pass step= a regular expression whose first group "
            "is the step, a function of the path, or step_key= the checkpoint entry holding it."
        )
    return int(match.group(1) if match.groups() else match.group(0))


def _split_runs(files: dict[str, list[Path]], run: str | None) -> dict[str, list[Path]]:
    if run is None:
        return files
    pattern = re.compile(run)
    out: dict[str, list[Path]] = {}
    for label, paths in files.items():
        for path in paths:
            match = pattern.search(path.name)
            if match is None:
                raise ValueError(
                    f"`run`: the pattern {run!r} does not match the file name {path.name!r}; "
                    "every checkpoint's name must contain its run label."
                )
            key = match.group(1) if match.groups() else match.group(0)
            out.setdefault(key if len(files) == 1 else f"{label}/{key}", []).append(path)
    return out


def _projector(projection: Projection, n_tokens: int) -> Callable[[np.ndarray], np.ndarray]:
    if projection is None:
        return circle_strengths
    if callable(projection):
        function = projection
        return lambda emb: np.asarray(function(emb), dtype=np.float64).ravel()
    directions = np.asarray(projection, dtype=np.float64)
    if directions.ndim != 2 or directions.shape[1] != n_tokens:
        raise ValueError(
            f"`projection` must be a (components, tokens) = (n, {n_tokens}) matrix of "
            f"token-space directions; got shape {directions.shape}. Pass a function of the "
            "embedding for any other rule."
        )
    return lambda emb: np.linalg.norm(directions @ emb, axis=-1)


def _embedding_rows(array: np.ndarray, path: Path, token_axis: int, tokens: Any) -> np.ndarray:
    if array.ndim != 2:
        raise ValueError(
            f"`embedding` of {str(path)!r} must be a 2-D (tokens x dims) matrix; got shape "
            f"{array.shape}. Pick the embedding tensor with embedding=KEY or a function."
        )
    matrix = array if token_axis == 0 else array.T
    return matrix if tokens is None else matrix[tokens]


def traces_from_checkpoints(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    embedding: Selector = None,
    step: StepRule = None,
    step_key: str | None = None,
    run: str | None = None,
    token_axis: int = 0,
    tokens: int | slice | Sequence[int] | None = None,
    projection: Projection = None,
    components: Sequence[Any] | None = None,
) -> xr.Dataset:
    """Read checkpoints one at a time and trace each component's strength over steps.

    Parameters
    ----------
    paths : path, or sequence of paths
        A folder of checkpoints (one run), a folder of folders (one run per sub-folder,
        labelled by its name), or a list of checkpoint files.
    embedding : str or callable, optional
        The embedding's entry: a key (``"embed.W_E"``; dotted names reach into nested dicts
        such as ``{"model": state_dict}``), or a function of the checkpoint's mapping. Not
        needed for ``.npy`` files or checkpoints holding a single tensor.
    step : str or callable, optional
        How to read the step: a regular expression searched in the file name (its first
        group is the step), or a function of the path. Default: the last integer in the name.
    step_key : str, optional
        Read the step from this scalar entry of each checkpoint instead of its name.
    run : str, optional
        A regular expression whose first group, searched in each file name, is the run label,
        for folders mixing several runs. Default: one run per folder.
    token_axis : {0, 1}
        The axis of the embedding that indexes tokens (1 for a ``(dims, tokens)`` layout such
        as the Clock-and-Pizza ``embed.W_E``).
    tokens : int, slice or sequence of int, optional
        Rows to keep (after ``token_axis``): for example ``slice(0, 59)`` drops an '=' token.
    projection : array or callable, optional
        Components other than Fourier frequencies: a ``(components, tokens)`` matrix of
        token-space directions (``strength_c = ||U_c E||``), or a function of the
        ``(tokens, dims)`` embedding returning one strength per component.
    components : sequence, optional
        Labels of the projected components (default ``0..n-1``).

    Returns
    -------
    xarray.Dataset
        Traces; ``strength`` is NaN where a run has no checkpoint at a step. With Fourier
        components, ``dc_strength`` and ``strength_mean_all`` as in `lvdyn.producers.modadd`.
    """
    if token_axis not in (0, 1):
        raise ValueError(f"`token_axis` must be 0 or 1; got {token_axis!r}.")
    if isinstance(tokens, int):
        tokens = slice(0, tokens)
    runs = _split_runs(checkpoint_files(paths), run)
    measured: dict[str, dict[int, np.ndarray]] = {}
    project: Callable[[np.ndarray], np.ndarray] | None = None
    n_tokens = n_values = -1
    for label, files in runs.items():
        by_step: dict[int, np.ndarray] = {}
        for path in files:
            array = read_checkpoint_array(path, embedding)
            matrix = _embedding_rows(array, path, token_axis, tokens)
            if project is None:
                n_tokens = matrix.shape[0]
                project = _projector(projection, n_tokens)
            elif matrix.shape[0] != n_tokens:
                raise ValueError(
                    f"`embedding` of {str(path)!r} has {matrix.shape[0]} token rows; the first "
                    f"checkpoint had {n_tokens}. All checkpoints must share one token layout."
                )
            values = project(matrix)
            n_values = values.shape[0] if n_values < 0 else n_values
            if values.shape != (n_values,):
                raise ValueError(
                    f"`projection` gave {values.shape} values for {str(path)!r} and "
                    f"({n_values},) before; it must return one value per component."
                )
            number = (
                int(read_checkpoint_array(path, step_key, what="step_key").ravel()[0])
                if step_key
                else _step_of(path, step)
            )
            if number in by_step:
                raise ValueError(
                    f"`step`: two checkpoints of run {label!r} both read as step {number} "
                    f"(one is {path.name!r}). Pass a step= pattern that tells them apart."
                )
            by_step[number] = values
        measured[label] = by_step
    return _assemble(
        measured,
        fourier=projection is None,
        components=components,
        settings=dict(
            paths=str(paths) if isinstance(paths, str | os.PathLike) else f"{len(paths)} files",
            embedding=embedding if isinstance(embedding, str | None) else "<function>",
            token_axis=token_axis,
            tokens=None if tokens is None else repr(tokens),
            projection=None if projection is None else "user",
            step_key=step_key,
        ),
    )


def _assemble(
    measured: dict[str, dict[int, np.ndarray]],
    *,
    fourier: bool,
    components: Sequence[Any] | None,
    settings: dict[str, Any],
) -> xr.Dataset:
    steps = np.array(sorted({s for by_step in measured.values() for s in by_step}), np.int64)
    n_values = len(next(iter(next(iter(measured.values())).values())))
    table = np.full((len(measured), steps.size, n_values), np.nan)
    for r, by_step in enumerate(measured.values()):
        for s, values in by_step.items():
            table[r, np.searchsorted(steps, s)] = values
    extra: dict[str, Any] = {}
    if fourier:
        labels: Any = circle_frequencies(n_values)
        strength = table[:, :, labels]
        extra["dc_strength"] = (("run", "step"), table[:, :, 0])
        extra["strength_mean_all"] = (("run", "step"), table.mean(axis=2))
    else:
        labels, strength = components, table
    n_files = sum(len(by_step) for by_step in measured.values())
    ds = make_traces(
        strength,
        step=steps,
        component=labels,
        run=list(measured),
        source=f"lvdyn.producers.checkpoints {__version__}",
        producer_config=json.dumps(dict(producer="checkpoints", **settings), sort_keys=True),
        **extra,
    )
    if fourier:
        ds["component"].attrs["long_name"] = "Fourier frequency k"
        ds["dc_strength"].attrs.update(long_name="strength of the k = 0 (DC) row", units="1")
        ds["strength_mean_all"].attrs.update(
            long_name="mean strength over all p DFT rows (survival-rule baseline)", units="1"
        )
    entry = (
        f"traces_from_checkpoints({settings['paths']!r}, embedding={settings['embedding']!r}): "
        f"{n_files} checkpoints, {len(measured)} runs"
    )
    return validate_traces(add_history(ds, entry))
