"""A rich progress bar for trainers: steps per second, test accuracy, live circles."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["TrainingProgress"]


class TrainingProgress:
    """Show training progress on stderr; do nothing when disabled or not on a terminal.

    Parameters
    ----------
    total : int
        Number of training steps.
    enabled : bool or None
        ``None`` shows the bar only when stderr is a terminal.
    description : str
        Text before the bar.
    """

    def __init__(self, total: int, enabled: bool | None, description: str = "training") -> None:
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else bool(enabled)
        self.description = description
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._last = 0.0
        self._start: tuple[float, int] | None = None

    def __enter__(self) -> TrainingProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("test acc {task.fields[acc]}"),
                TextColumn("circles {task.fields[live]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.description, total=self.total, rate="", acc="-", live="-"
            )
        return self

    def update(self, step: int, *, test_acc: float, live: float, force: bool = False) -> None:
        """Move the bar to ``step``; refreshes at most ten times a second unless ``force``."""
        if self._progress is None or self._task is None:
            return
        now = time.perf_counter()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        if self._start is None:
            self._start = (now, step)
        elapsed = now - self._start[0]
        speed = (step - self._start[1]) / elapsed if elapsed > 0 else 0.0
        self._progress.update(
            self._task,
            completed=step,
            rate=f"{speed:7.1f} steps/s",
            acc=f"{test_acc:.3f}",
            live=f"{live:.1f}",
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
