"""The progress display of a run on a terminal (rich); nothing when not on one.

The bars are drawn on the same rich console the log lines go through (ssj_bridge.log), so a
warning logged mid-run is printed above the bars instead of breaking them.
"""

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

from ssj_bridge.i18n import _
from ssj_bridge.log import terminal_console
from ssj_bridge.model import words
from ssj_bridge.platform.adapter import Batch
from ssj_bridge.sync import Progress as ProgressCallback


@contextmanager
def batch_progress(*, enabled: bool) -> Iterator[ProgressCallback | None]:
    """A callback advancing one bar per stream, or None when output is not a terminal."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True, console=terminal_console()) as bars:
        tasks: dict[str, TaskID] = {}

        def advance(platform: str, stream: str, batch: Batch) -> None:
            key = f"{platform}/{stream}"
            if key not in tasks:
                label = _("{platform} {stream}").format(platform=words.role(platform),
                                                         stream=words.stream(stream))
                tasks[key] = bars.add_task(label, total=batch.total)
            bars.update(tasks[key], advance=len(batch.records) + len(batch.rejects))

        yield advance
