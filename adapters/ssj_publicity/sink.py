"""Publications to the exchange: batches of at most 500 records, decided later in a receipt.

The core's batch relay (ssj_bridge.outbox.batches) records each batch's number and document before
this sink sends it, so a resumed run sends the same number with the same bytes; this sink
numbers batches, builds documents, submits them and turns a DONE receipt into one outcome per
record. Batch numbers are `<region>-<yyyymmdd>-<seq>` (e.g. `371000-20250612-0001`).

Receipt codes: ACCEPTED and E105 (already published: same USCC, JCRWBH and JCRQ) mean the
record is public. E102, E103, E104, E106 refuse the record; it is set aside with what to do,
and goes out again in a new batch once its data changes or a data manager retries it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import structlog

from ssj_bridge.api import (
    ACCEPTED,
    REJECTED,
    DocumentRefused,
    OutboxItem,
    SendOutcome,
    TransientError,
    beijing_today,
)
from ssj_publicity import PLATFORM
from ssj_publicity.client import PublicityClient
from ssj_publicity.config import PublicityConfig
from ssj_publicity.documents import (
    FIELD_NAMES,
    Decision,
    batch_document,
    field_problem,
    record_fields,
)

log = structlog.get_logger("ssj_publicity.sink")

ENTITY = "publication"
ALREADY_PUBLISHED = "E105"
RETRY = "ssj-bridge publications retry"


class PublicationSink:
    """The `publication` entity's sink on the exchange (a ssj_bridge.outbox.batches.BatchSink)."""

    entity = ENTITY

    def __init__(self, client: PublicityClient, config: PublicityConfig, *, region_code: str,
                 org_code: str, org_name: str) -> None:
        self.client = client
        self.config = config
        self.region_code = region_code
        self.org_code = org_code
        self.org_name = org_name
        self.batch_size = config.batch_size
        self.receipt_wait = config.receipt_wait
        self.poll_interval = config.poll_interval

    def check(self, item: OutboxItem) -> str | None:
        """Refuse at once what the exchange would refuse or a document cannot carry."""
        fields = record_fields(item.payload, self.org_name)
        if not fields["QYMC"].strip():
            return (f"QYMC ({FIELD_NAMES['QYMC']}) is empty: subject {fields['TYSHXYDM']} has no "
                    "name in the store yet; the publication is queued again by itself once the "
                    "permit platform supplies the name")
        if not fields["JCJG"]:
            return (f"JCJGDM ({FIELD_NAMES['JCJGDM']}) {fields['JCJGDM']!r} is not a result code "
                    "of docs/platforms/codes.md (01–06); correct the result")
        try:
            inspected = date.fromisoformat(fields["JCRQ"])
        except ValueError:
            return f"JCRQ ({FIELD_NAMES['JCRQ']}) {fields['JCRQ']!r} is not a date YYYY-MM-DD"
        if inspected > beijing_today():
            return (f"JCRQ ({FIELD_NAMES['JCRQ']}) {inspected} is in the future (the exchange "
                    "answers E104); correct the result's inspectedOn")
        problem = field_problem(fields)
        return f"{problem}; correct the record in the store" if problem else None

    def number(self, day: date, sequence: int) -> str:
        """`<region>-<yyyymmdd>-<seq>`, four digits of sequence (more once past 9999)."""
        return f"{self.region_code}-{day:%Y%m%d}-{sequence:04d}"

    def document(self, number: str, items: Sequence[OutboxItem]) -> bytes:
        """The BATCH document, RECORD XH = the item's place in `items`, from 1."""
        return batch_document(number, self.org_code,
                              [record_fields(item.payload, self.org_name) for item in items])

    def submit(self, number: str, document: bytes) -> None:
        """Send the batch; the receipt is polled separately."""
        try:
            self.client.submit(number, document)
        except DocumentRefused as exc:
            raise DocumentRefused(
                f"{exc}; every record of the batch is set aside: fix what the message names, "
                f"then run `{RETRY} --code {exc.code or 'E101'}`", platform=PLATFORM,
                code=exc.code) from exc

    def poll(self, number: str, items: Sequence[OutboxItem]) -> list[SendOutcome] | None:
        """One outcome per record once the receipt is DONE; None while PROCESSING."""
        receipt = self.client.receipt(number)
        if not receipt.done:
            return None
        today = beijing_today()
        public_since = self._public_since([
            item for position, item in enumerate(items, start=1)
            if _code(receipt.decisions.get(position)) == ALREADY_PUBLISHED])
        outcomes = []
        for position, item in enumerate(items, start=1):
            decision = receipt.decisions.get(position)
            answer: dict[str, Any] = {"batchNo": number, "xh": position}
            if decision is None:
                outcomes.append(SendOutcome(item.id, REJECTED, answer | {"code": "NO_DECISION"},
                                            f"batch {number} is DONE but its receipt has no "
                                            f"ITEM XH={position}; run `{RETRY} {item.key}` to "
                                            "send it again"))
            elif decision.status == "ACCEPTED":
                outcomes.append(SendOutcome(item.id, ACCEPTED,
                                            answer | {"publishedOn": today.isoformat()}))
            elif decision.code == ALREADY_PUBLISHED:
                published = public_since.get(_publication_key(item)) or today
                outcomes.append(SendOutcome(item.id, ACCEPTED, answer | {
                    "code": ALREADY_PUBLISHED, "message": decision.message or "already published",
                    "publishedOn": published.isoformat()}))
            else:
                outcomes.append(SendOutcome(item.id, REJECTED, answer | {
                    "code": decision.code, "message": decision.message},
                    self.reason(item, decision)))
        return outcomes

    def reason(self, item: OutboxItem, decision: Decision) -> str:
        """What the exchange refused and what a data manager does about it."""
        fields = record_fields(item.payload, self.org_name)
        said = f"{decision.code} {decision.message or ''}".strip()
        if decision.code == "E102":
            todo = (f"the exchange has no enterprise registered under TYSHXYDM "
                    f"{fields['TYSHXYDM']} ({fields['QYMC']}); check the code against the "
                    "business licence and correct the result, or once the enterprise is "
                    f"registered run `{RETRY} {item.key}`")
        elif decision.code == "E103":
            todo = ("a mandatory field is missing; complete the subject or the result in the "
                    "store (a changed publication is queued again by itself)")
        elif decision.code == "E104":
            todo = (f"JCRQ {fields['JCRQ']} is later than the exchange's today; correct the "
                    "result's inspectedOn")
        elif decision.code == "E106":
            todo = (f"JCJG {fields['JCJG']!r} does not match JCJGDM {fields['JCJGDM']} on the "
                    f"exchange; check the result code, then run `{RETRY} {item.key}`")
        else:
            todo = f"fix what the message names, then run `{RETRY} {item.key}`"
        return f"{said}: {todo}"

    def _public_since(self, items: Sequence[OutboxItem]) -> dict[tuple[str, str, str], date]:
        """When already-public records became public (GSRQ), from the publications listing."""
        if not items or not self.config.lookup_pages:
            return {}
        wanted = {_publication_key(item) for item in items}
        since = min(key[2] for key in wanted)
        found: dict[tuple[str, str, str], date] = {}
        try:
            for page in range(1, self.config.lookup_pages + 1):
                listing = self.client.publications(self.org_code, since, page, 500)
                for row in listing.rows:
                    key = (row.get("TYSHXYDM") or "", row.get("JCRWBH") or "", row.get("JCRQ") or "")
                    if key in wanted and row.get("GSRQ"):
                        found[key] = date.fromisoformat(str(row["GSRQ"]))
                if len(found) == len(wanted) or page * 500 >= listing.total:
                    break
        except (TransientError, ValueError) as exc:
            # The records are public either way; only their date is unknown (today is used).
            log.warning("publication dates of already-public records not found",
                        platform=PLATFORM, error=str(exc))
        return found


def _code(decision: Decision | None) -> str | None:
    return decision.code if decision is not None and decision.status != "ACCEPTED" else None


def _publication_key(item: OutboxItem) -> tuple[str, str, str]:
    payload = item.payload
    return (str(payload.get("uscc")), str(payload.get("taskId")), str(payload.get("inspectedOn")))
