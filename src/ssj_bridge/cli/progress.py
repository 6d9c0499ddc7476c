"""The progress display of a run on a terminal (rich); nothing when not on one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ssj_bridge.platform.adapter import Batch
from ssj_bridge.sync import Progress as ProgressCallback


@contextmanager
def batch_progress(*, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A callback advancing one bar per stream, or None when output is not a terminal."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(platform: str, stream: str, batch: Batch) -> None:
            key = f"{platform}/{stream}"
            if key not in tasks:
                tasks[key] = bars.add_task(key, total=batch.total)
            bars.update(tasks[key], advance=len(batch.records) + len(batch.rejects))

        yield advance
