"""Where the outbox's items go: jcdx.save, jcry.save (one record a call) and rw.create.

Each call is taken from the minute's allowance first (pacing.py); an item that does not fit is
deferred, stays pending, and goes out in the next run: a first load of a large library spans
several cron runs. Saves are idempotent by key. rw.create is not: a task is looked up by our
reference `wbbh` before it is created, so a creation whose answer was lost is never repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ssj_bridge.api import OutboxItem, PermanentError, SendOutcome, TransientError
from ssj_province_gd.client import Client, NotFound
from ssj_province_gd.mapping import (
    INSPECTOR,
    SUBJECT,
    TASK,
    Unmappable,
    inspector_to_platform,
    subject_to_platform,
    task_to_platform,
)
from ssj_province_gd.streams import find_task

WAITING = "waiting for the next minute's allowance of calls (docs/platforms/province-gd.md: per-minute limit)"
# Times a creation is looked up and tried again after an answer that never came.
CREATE_TRIES = 3


class _Paced:
    """What the sinks share: one call per item, each taken from the minute's allowance."""

    entity = ""
    batch_size = 50

    def __init__(self, client: Client) -> None:
        self.client = client

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        """Send what the minute allows; defer the rest (it stays pending for the next run)."""
        outcomes: list[SendOutcome] = []
        for position, item in enumerate(items):
            try:
                outcome = self.send_one(item)
            except _OutOfCalls:
                outcomes.extend(SendOutcome.deferred(rest, WAITING) for rest in items[position:])
                break
            except (Unmappable, PermanentError) as exc:
                outcome = SendOutcome.rejected(item, str(exc))
            outcomes.append(outcome)
        return outcomes

    def send_one(self, item: OutboxItem) -> SendOutcome:
        """One item's write."""
        raise NotImplementedError

    def paid_call(self, method: str, data: dict[str, Any], what: str, *,
                  retry: bool = True) -> Any:
        """A call taken from the minute's allowance; _OutOfCalls when none is left for writes."""
        if not self.client.budget.try_write():
            raise _OutOfCalls
        return self.client.call(method, data, what=what, prepaid=True, retry=retry)


class _OutOfCalls(Exception):
    """The minute has no call left for writes."""


class _SaveSink(_Paced):
    method = ""
    to_platform: Callable[[dict[str, Any]], dict[str, Any]]

    def send_one(self, item: OutboxItem) -> SendOutcome:
        data = type(self).to_platform(item.payload)
        result = self.paid_call(self.method, data, f"{self.entity} {item.key}")
        return SendOutcome.accepted(item, result if isinstance(result, dict) else None)


class SubjectSink(_SaveSink):
    """Library subjects, `jcdx.save`."""

    entity = SUBJECT
    method = "jcdx.save"
    to_platform = staticmethod(subject_to_platform)


class InspectorSink(_SaveSink):
    """Inspectors, `jcry.save`."""

    entity = INSPECTOR
    method = "jcry.save"
    to_platform = staticmethod(inspector_to_platform)


class TaskSink(_Paced):
    """Locally drawn tasks, `rw.create` after `rw.query` by `wbbh` finds none."""

    entity = TASK
    batch_size = 20

    def send_one(self, item: OutboxItem) -> SendOutcome:
        data = task_to_platform(item.payload)
        what = f"task {item.key}"
        for _ in range(CREATE_TRIES):
            existing = self._existing(item.key, what)
            if existing is not None:
                return SendOutcome.accepted(item, {"rwbh": existing.get("rwbh"),
                                                   "found": True})
            try:
                result = self.paid_call("rw.create", data, what, retry=False)
            except TransientError:
                continue  # did it arrive? the next lookup by wbbh says
            return SendOutcome.accepted(item, result if isinstance(result, dict) else None)
        raise TransientError(f"task {item.key}: rw.create failed {CREATE_TRIES} times, and "
                             "rw.query finds no task with this wbbh; it stays pending")

    def _existing(self, wbbh: str, what: str) -> dict[str, Any] | None:
        try:
            return find_task(self.paid_call("rw.query", {"wbbh": wbbh}, what))
        except NotFound:
            return None
