"""Wait for sweep futures while showing tasks done and running (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["wait_with_progress"]


def _running(client: Any, keys: set[str]) -> int:
    processing = client.processing()
    return sum(1 for worker_keys in processing.values() for key in worker_keys if key in keys)


def wait_with_progress(
    client: Any, futures: Sequence[Any], *, n_skipped: int, show: bool, poll: float = 0.5
) -> None:
    """Block until every future has finished (or erred); show done / running / total."""
    from distributed import wait
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    keys = {future.key for future in futures}
    pending = set(futures)
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[running]} running, {task.fields[skipped]} already done"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not show, transient=False) as progress:
        bar = progress.add_task(
            "sweep",
            total=len(futures) + n_skipped,
            completed=n_skipped,
            running=0,
            skipped=n_skipped,
        )
        while pending:
            try:
                _, pending = wait(list(pending), timeout=poll, return_when="FIRST_COMPLETED")
            except TimeoutError:
                pass
            running = _running(client, keys) if show else 0
            progress.update(
                bar,
                completed=n_skipped + len(futures) - len(pending),
                running=running,
            )
