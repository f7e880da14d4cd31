"""Atomic file writes: a crash mid-write never leaves a half file in place of a good one."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "check_writable", "ensure_folder"]


def check_writable(path: str | os.PathLike[str], *, argument: str = "path") -> Path:
    """Return ``path`` as a `Path` after checking that its folder exists and can be written.

    Raises
    ------
    ValueError
        If ``path`` is a folder, its parent folder is missing or not writable.
    """
    target = Path(path)
    if target.is_dir():
        raise ValueError(
            f"`{argument}` must be a file path; got the folder {str(target)!r}. "
            "Add a file name, for example traces.nc."
        )
    parent = target.parent if str(target.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ValueError(
            f"`{argument}`: {str(parent)!r} is a file, not a folder, so {target.name!r} cannot "
            "be written inside it. Choose another path."
        )
    if not parent.is_dir():
        raise ValueError(
            f"`{argument}`: the folder {str(parent)!r} does not exist. Create it first."
        )
    if not os.access(parent, os.W_OK):
        raise ValueError(
            f"`{argument}`: the folder {str(parent)!r} is not writable. Choose another path."
        )
    return target


def ensure_folder(path: str | os.PathLike[str], *, argument: str = "out") -> Path:
    """Create the output folder ``path`` (and its parents) if needed and check it is writable."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"`{argument}` must be a folder; {str(folder)!r} is a file. Choose a new folder name."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(
            f"`{argument}`: cannot create the folder {str(folder)!r} ({exc.strerror})."
        ) from exc
    if not os.access(folder, os.W_OK):
        raise ValueError(f"`{argument}`: the folder {str(folder)!r} is not writable.")
    return folder


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, argument: str = "path") -> Iterator[Path]:
    """Yield a temporary path in the same folder as ``path``; on success, rename it into place.

    The rename is atomic on POSIX file systems, so readers see either the old file or the
    complete new one. If the block raises (or the process dies), the temporary file is
    removed (or left under a ``.tmp`` name) and any older file at ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (folder / "a.txt").read_text()
    'hello'
    """
    target = check_writable(path, argument=argument)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        tmp = _new_file(folder, target.name)
    except OSError as exc:
        raise ValueError(
            f"`{argument}`: cannot create a file in {str(folder)!r} ({exc.strerror}). "
            "Choose a folder you can write to."
        ) from exc
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_folder(folder)


def _new_file(folder: Path, name: str) -> Path:
    """Create an empty, uniquely named ``.name.XXXXXXXX.tmp`` file in ``folder``.

    Unlike `tempfile.mkstemp` (owner-only files), the file gets the permissions an ordinary
    ``open()`` gives, 0o666 minus the umask, since it becomes the output file.
    """
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"no free temporary name for {name!r} in {str(folder)!r}")


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a rename to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse to sync folders
        pass
    finally:
        os.close(fd)
