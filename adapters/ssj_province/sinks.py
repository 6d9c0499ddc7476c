"""Where the outbox's items go on the provincial platform: libraries, tasks, results, corrections.

Every write carries a requestId the platform remembers for 24 hours: one item's is the
outbox item's own (stable across retries and resumed runs); a library batch's is derived from
the request ids of its items, so the same batch resent carries the same id. A write whose
answer was lost is repeated with its id, and the platform applies it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ssj_bridge.api import OutboxItem, PermanentError, SendOutcome
from ssj_province.client import RESULT_CONFLICT, TASK_CONFLICT, Conflict, ProvinceClient
from ssj_province.mapping import (
    correction_to_platform,
    result_to_platform,
    task_to_platform,
)
from ssj_province.streams import library_records

LIBRARY_BATCH = 200  # docs/platforms/province.md: 1–200 items per batchUpsert
# docs/platforms/province.md: a requestId and its answer are kept 24 hours.
REQUEST_MEMORY = 24 * 3600.0


def batch_request_id(items: list[OutboxItem]) -> str:
    """The requestId of a batch: one item's own id, or a digest of the items' ids (≤ 64 chars)."""
    if len(items) == 1:
        return items[0].request_id
    digest = hashlib.sha256("\n".join(i.request_id for i in items).encode()).hexdigest()
    return f"ssjb-{digest[:40]}"


class LibrarySink:
    """`POST /ssj/v1/{subjects|inspectors}:batchUpsert`, one result per item.

    A REJECTED item (42201 bad USCC, 42202 unknown category, 42203 region outside the app key's
    area …) is refused with the platform's code and message and quarantined; the others go on.
    """

    def __init__(self, client: ProvinceClient, entity: str, listing: str, key_field: str,
                 to_platform: Callable[[dict[str, Any]], dict[str, Any]],
                 batch_size: int = LIBRARY_BATCH) -> None:
        self.client = client
        self.entity = entity
        self.listing = listing
        self.key_field = key_field
        self.to_platform = to_platform
        self.batch_size = min(batch_size, LIBRARY_BATCH)

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        """Send the items as one batch; an outcome per item from the platform's results."""
        body = [self.to_platform(item.payload) for item in items]
        try:
            answers = self.client.batch_upsert(self.listing, batch_request_id(items), body)
        except PermanentError as exc:
            # The request as a whole was refused (e.g. 40001): no item of it can go as it is.
            return [SendOutcome.rejected(item, str(exc)) for item in items]
        outcomes = []
        for item, answer in zip(items, answers, strict=True):
            key = answer.get(self.key_field)
            status = str(answer.get("status") or "")
            if key not in (None, item.key):
                outcomes.append(SendOutcome.rejected(
                    item, f"the platform answered for {self.key_field} {key!r} in this item's "
                          "place; the batch answer is out of order"))
            elif status not in ("CREATED", "UPDATED", "UNCHANGED"):  # REJECTED, or unknown
                code, message = answer.get("errorCode"), answer.get("errorMsg")
                outcomes.append(SendOutcome.rejected(
                    item, f"platform refused it: {code} {message or status or 'no status'}"))
            else:
                outcomes.append(SendOutcome.accepted(item, {"status": status}))
        return outcomes


class TaskSink:
    """`POST /ssj/v1/tasks`, one request per locally drawn task."""

    entity = "task"
    batch_size = 20

    def __init__(self, client: ProvinceClient) -> None:
        self.client = client

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        """Push each task; a taskId held with other content (40902) is refused, not retried."""
        return _one_by_one(items, lambda item: self.client.push_task(
            item.request_id, task_to_platform(item.payload)))


class ResultSink:
    """`POST /ssj/v1/results`, one request per result recorded here."""

    entity = "result"
    batch_size = 50

    def __init__(self, client: ProvinceClient) -> None:
        self.client = client

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        """Record each result; other content for a recorded one (40901) is refused, not retried."""
        return _one_by_one(items, lambda item: self.client.record_result(
            item.request_id, result_to_platform(item.payload)))


class CorrectionSink:
    """`POST /ssj/v1/results/{resultId}/corrections`, one request per recorded correction.

    The one write of this platform that is not idempotent by content: every correction that
    arrives makes a new version. One first sent longer ago than the platform remembers request
    ids is confirmed against the result's listed version before it goes out again
    (ssj_bridge.outbox.resend).
    """

    entity = "correction"
    batch_size = 50
    request_memory = REQUEST_MEMORY

    def __init__(self, client: ProvinceClient, region_code: str = "") -> None:
        self.client = client
        self.region_code = region_code

    def confirm(self, items: list[OutboxItem]) -> list[SendOutcome | None]:
        """Accepted for each correction whose version the platform's result already has."""
        wanted = {str(item.payload.get("resultId")) for item in items}
        versions: dict[str, int] = {}
        for record in library_records(self.client, "results", self.region_code):
            result_id = str(record.get("resultId"))
            if result_id in wanted and isinstance(record.get("version"), int):
                versions[result_id] = record["version"]
        outcomes: list[SendOutcome | None] = []
        for item in items:
            result_id = str(item.payload.get("resultId"))
            held = versions.get(result_id)
            version = item.payload.get("version")
            if held is not None and isinstance(version, int) and held >= version:
                outcomes.append(SendOutcome.accepted(item, {"resultId": result_id,
                                                            "version": held}))
            else:
                outcomes.append(None)
        return outcomes

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        """Send each correction with its approver and reason."""
        def correct(item: OutboxItem) -> Any:
            result_id, correction = correction_to_platform(item.payload)
            return self.client.correct_result(result_id, item.request_id, correction)

        return _one_by_one(items, correct, explain_conflicts=False)


def _one_by_one(items: list[OutboxItem], write: Callable[[OutboxItem], Any], *,
                explain_conflicts: bool = True) -> list[SendOutcome]:
    """Write items one request each: a permanent refusal rejects that item alone (a 409 with
    what to do about it); a transient failure raises, leaving the rest pending."""
    outcomes = []
    for item in items:
        try:
            data = write(item)
        except Conflict as exc:
            reason = _conflict_reason(item, exc) if explain_conflicts else str(exc)
            outcomes.append(SendOutcome.rejected(item, reason))
            continue
        except PermanentError as exc:
            outcomes.append(SendOutcome.rejected(item, str(exc)))
            continue
        outcomes.append(SendOutcome.accepted(item, data if isinstance(data, dict) else None))
    return outcomes


def _conflict_reason(item: OutboxItem, exc: Conflict) -> str:
    """What a 409 means and what a person does about it."""
    if exc.code == TASK_CONFLICT:
        return (f"{exc}: the platform already holds task {item.key} with other content; a "
                "pushed task is never changed. Compare `ssj-bridge export tasks` with the "
                "platform's task and, if the local draw is the right one, draw it again as a "
                "new task")
    if exc.code == RESULT_CONFLICT:
        return (f"{exc}: a result for {item.key} is already recorded on the platform with other "
                "content; change it with `ssj-bridge results correct RESULT_ID --approved-by "
                "NAME --reason TEXT FIELD=VALUE...`")
    return f"{exc}: the platform holds {item.key} with other content"

