"""A rich progress bar for trainers: steps per second, test accuracy, live circles."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["TrainingProgress"]


#: Seconds between two plain progress lines when stderr is not a terminal.
PLAIN_EVERY = 5.0


class TrainingProgress:
    """Show training progress on stderr: a rich bar on a terminal, else plain lines.

    When stderr is not a terminal (a log file, CI, ``nohup``) the progress is one plain
    line at most every `PLAIN_EVERY` seconds, such as ``modadd p=59 d=128 x8: step
    400/1000 (40%), 35.2 steps/s, test acc 0.412, circles alive 7.5 (mean over runs)``.

    Parameters
    ----------
    total : int
        Number of training steps.
    enabled : bool or None
        ``None``: a bar on a terminal, plain lines otherwise; ``True``: the bar; ``False``:
        nothing (``--quiet``).
    description : str
        Text before the bar.
    """

    def __init__(self, total: int, enabled: bool | None, description: str = "training") -> None:
        self.total = total
        self.plain = enabled is None and not sys.stderr.isatty()
        self.enabled = True if enabled is None else bool(enabled)
        self.description = description
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._last = 0.0
        self._start: tuple[float, int] | None = None
        self._printed: int | None = None

    def __enter__(self) -> TrainingProgress:
        if self.enabled and not self.plain:
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
                TextColumn("circles alive {task.fields[live]}"),
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
        """Move the bar to ``step``; refreshes at most ten times a second unless ``force``
        (plain lines: at most every `PLAIN_EVERY` seconds, and at the last step)."""
        if self.plain:
            self._plain_line(step, test_acc, live, force)
            return
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
            acc=_number(test_acc, ".3f"),
            live=_number(live, ".3g"),
        )

    def _plain_line(self, step: int, test_acc: float, live: float, force: bool) -> None:
        now = time.perf_counter()
        if self._start is None:
            self._start, self._last = (now, step), now
            return  # the first call only starts the clock
        if now - self._last < PLAIN_EVERY and not (force and step >= self.total):
            return
        if step == self._printed:
            return
        self._last, self._printed = now, step
        elapsed = now - self._start[0]
        speed = (step - self._start[1]) / elapsed if elapsed > 0 else 0.0
        share = 100 * step / self.total if self.total else 100.0
        parts = [f"step {step}/{self.total} ({share:.0f}%)", f"{speed:.1f} steps/s"]
        if np.isfinite(test_acc):
            parts.append(f"test acc {test_acc:.3f}")
        if np.isfinite(live):
            parts.append(f"circles alive {live:.3g} (mean over runs)")
        print(f"{self.description}: {', '.join(parts)}", file=sys.stderr, flush=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()


def _number(value: float, spec: str) -> str:
    return format(value, spec) if np.isfinite(value) else "-"
