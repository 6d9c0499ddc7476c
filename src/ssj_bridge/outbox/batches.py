"""Sending outbox items as documents of many items that a platform decides later, in a receipt.

Some platforms take a batch document (up to a size), answer "processing", and decide each item
later in a receipt the sender polls. The relay sends to them in four steps, each durable:

1. prepare — take pending items that are in no open batch, let the sink number the batch and
   build its document, and record number, document and members in one transaction, *before*
   anything is sent;
2. submit — send the recorded document unchanged. A run that died before it learned the answer
   sends the same number with the same bytes again, which the platform takes as a repeat;
3. poll — ask for the receipt until it is done or the run's wait is over. A batch still
   processing is polled again by the next run; nothing is sent again;
4. record — one outcome per item, the entity's outcome handler, the quarantine of rejects, and
   the batch's end, in one transaction.

A crash between any two steps leaves the ledger (`outbox_batches`) at the last completed one:
no item is lost, and none is put in a second batch while its first is open.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, func, select, update

from ssj_bridge.errors import BatchNumberTaken, BatchTooLarge, BatchUnknown, DocumentRefused, PermanentError
from ssj_bridge.model import beijing_now, beijing_today, iso_beijing
from ssj_bridge.outbox.outcomes import RelayCounts, settle
from ssj_bridge.outbox.queue import ACCEPTED, PENDING, REJECTED, OutboxItem, SendOutcome
from ssj_bridge.platform.adapter import BatchSink, content_hash
from ssj_bridge.redaction import redact_text
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, outbox_batch_items, outbox_batches

log = structlog.get_logger("ssj_bridge.outbox.batches")

PREPARED = "prepared"
SUBMITTED = "submitted"
DONE = "done"
REFUSED = "refused"
ABANDONED = "abandoned"
OPEN = (PREPARED, SUBMITTED)
# A number the platform already knows with other content is replaced at most this often a run.
MAX_RENUMBER = 5


def relay_batches(store: Store, platform: str, sink: BatchSink) -> RelayCounts:
    """Finish what earlier runs left open, send every pending item, poll the receipts."""
    counts = RelayCounts()
    for number in _numbers(store, platform, sink.entity, (PREPARED,)):
        _submit(store, platform, sink, number, counts)
    while True:
        with store.engine.connect() as conn:
            items = _unbatched(conn, platform, sink.entity, sink.batch_size)
        if not items:
            break
        sendable = _reject_unsendable(store, platform, sink, items, counts)
        if sendable:
            _submit(store, platform, sink, _prepare(store, platform, sink, sendable), counts)
    _poll(store, platform, sink, counts)
    with store.engine.connect() as conn:
        counts.deferred = open_items(conn, platform, sink.entity)
    if counts.deferred:
        log.info("receipts still processing", platform=platform, entity=sink.entity,
                 items=counts.deferred)
    return counts


def open_items(conn: Connection, platform: str, entity: str) -> int:
    """Items in batches sent or about to be sent whose receipt is not done yet."""
    return int(conn.execute(
        select(func.count()).select_from(outbox_batch_items.join(
            outbox_batches, (outbox_batches.c.platform == outbox_batch_items.c.platform)
            & (outbox_batches.c.batch_no == outbox_batch_items.c.batch_no)))
        .where(outbox_batches.c.platform == platform, outbox_batches.c.entity == entity,
               outbox_batches.c.status.in_(OPEN))).scalar_one())


def batches(conn: Connection, platform: str, entity: str | None = None) -> list[dict[str, Any]]:
    """The ledger's batches of a platform, oldest first (reports and tests)."""
    stmt = select(outbox_batches).where(outbox_batches.c.platform == platform)
    if entity is not None:
        stmt = stmt.where(outbox_batches.c.entity == entity)
    rows = conn.execute(stmt.order_by(outbox_batches.c.created_at, outbox_batches.c.day,
                                      outbox_batches.c.sequence))
    return [dict(row._mapping) for row in rows]


# -- the steps ----------------------------------------------------------------------------------


def _unbatched(conn: Connection, platform: str, entity: str, limit: int) -> list[OutboxItem]:
    in_open_batch = select(outbox_batch_items.c.item_id).join(
        outbox_batches, (outbox_batches.c.platform == outbox_batch_items.c.platform)
        & (outbox_batches.c.batch_no == outbox_batch_items.c.batch_no)).where(
        outbox_batches.c.platform == platform, outbox_batches.c.status.in_(OPEN))
    rows = conn.execute(select(outbox).where(
        outbox.c.platform == platform, outbox.c.entity == entity, outbox.c.status == PENDING,
        outbox.c.id.not_in(in_open_batch)).order_by(outbox.c.id).limit(limit))
    return [_item(row) for row in rows]


def _reject_unsendable(store: Store, platform: str, sink: BatchSink, items: list[OutboxItem],
                       counts: RelayCounts) -> list[OutboxItem]:
    problems = {item.id: sink.check(item) for item in items}
    refused = [SendOutcome.rejected(item, reason) for item in items
               if (reason := problems[item.id]) is not None]
    if refused:
        _record(store, platform, sink.entity, items, refused, counts)
    return [item for item in items if problems[item.id] is None]


def _prepare(store: Store, platform: str, sink: BatchSink, items: Sequence[OutboxItem]) -> str:
    day = beijing_today()
    now = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        last = conn.execute(select(func.max(outbox_batches.c.sequence)).where(
            outbox_batches.c.platform == platform, outbox_batches.c.day == day)).scalar()
        sequence = int(last or 0) + 1
        number = sink.number(day, sequence)
        document = sink.document(number, items)
        conn.execute(outbox_batches.insert().values(
            platform=platform, batch_no=number, entity=sink.entity, day=day, sequence=sequence,
            document=document, content_hash=content_hash(document), items=len(items),
            status=PREPARED, polls=0, created_at=now))
        conn.execute(outbox_batch_items.insert(), [
            {"platform": platform, "batch_no": number, "position": position, "item_id": item.id}
            for position, item in enumerate(items, start=1)])
    log.info("batch prepared", platform=platform, entity=sink.entity, batch=number,
             items=len(items))
    return number


def _submit(store: Store, platform: str, sink: BatchSink, number: str, counts: RelayCounts,
            renumbered: int = 0) -> None:
    with store.engine.connect() as conn:
        document = conn.execute(select(outbox_batches.c.document).where(
            outbox_batches.c.platform == platform,
            outbox_batches.c.batch_no == number)).scalar_one()
        items = _members(conn, platform, number)
    try:
        sink.submit(number, bytes(document))
    except BatchNumberTaken as exc:
        _end(store, platform, number, ABANDONED, str(exc))
        if renumbered >= MAX_RENUMBER:
            raise PermanentError(f"{platform}: batch numbers keep clashing with batches the "
                                 f"platform already holds (last: {number}): {exc}",
                                 platform=platform) from exc
        log.warning("batch number taken; numbering again", platform=platform, batch=number)
        fresh = _prepare(store, platform, sink, items)
        _submit(store, platform, sink, fresh, counts, renumbered + 1)
        return
    except BatchTooLarge as exc:
        _end(store, platform, number, ABANDONED, str(exc))
        if len(items) <= 1:
            raise PermanentError(f"{platform}: batch {number} of one item refused as too "
                                 f"large: {exc}", platform=platform) from exc
        # Its items go back to the pool and are sent again in smaller batches.
        sink.batch_size = max(1, min(sink.batch_size, len(items)) // 2)
        log.warning("batch too large; splitting", platform=platform, batch=number,
                    items=len(items), batch_size=sink.batch_size)
        return
    except DocumentRefused as exc:
        log.warning("batch refused as a whole", platform=platform, batch=number,
                    items=len(items), error=str(exc))
        answer = {"batchNo": number, "code": None if exc.code is None else str(exc.code)}
        _record(store, platform, sink.entity, items,
                [SendOutcome(item.id, REJECTED, answer, str(exc)) for item in items], counts,
                batch=(number, REFUSED, str(exc)))
        return
    with store.engine.begin() as conn:
        conn.execute(update(outbox_batches).where(
            outbox_batches.c.platform == platform, outbox_batches.c.batch_no == number,
            outbox_batches.c.status == PREPARED).values(
            status=SUBMITTED, submitted_at=iso_beijing(beijing_now())))
    log.info("batch submitted", platform=platform, batch=number, items=len(items))


def _poll(store: Store, platform: str, sink: BatchSink, counts: RelayCounts) -> None:
    deadline = time.monotonic() + max(0.0, sink.receipt_wait)
    while True:
        for number in _numbers(store, platform, sink.entity, (SUBMITTED,)):
            with store.engine.connect() as conn:
                items = _members(conn, platform, number)
            try:
                outcomes = sink.poll(number, items)
            except BatchUnknown:
                log.warning("platform does not know the batch; sending it again",
                            platform=platform, batch=number)
                with store.engine.begin() as conn:
                    conn.execute(update(outbox_batches).where(
                        outbox_batches.c.platform == platform,
                        outbox_batches.c.batch_no == number).values(status=PREPARED))
                _submit(store, platform, sink, number, counts)
                continue
            if outcomes is None:
                with store.engine.begin() as conn:
                    conn.execute(update(outbox_batches).where(
                        outbox_batches.c.platform == platform,
                        outbox_batches.c.batch_no == number).values(
                        polls=outbox_batches.c.polls + 1,
                        last_polled_at=iso_beijing(beijing_now())))
                continue
            _record(store, platform, sink.entity, items, outcomes, counts,
                    batch=(number, DONE, None))
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not _numbers(store, platform, sink.entity, (SUBMITTED,)):
            return
        time.sleep(min(max(sink.poll_interval, 0.0), remaining))


def _record(store: Store, platform: str, entity: str, items: Sequence[OutboxItem],
            outcomes: Sequence[SendOutcome], counts: RelayCounts,
            batch: tuple[str, str, str | None] | None = None) -> None:
    now = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        decided = settle(store, conn, platform, entity, {item.id: item for item in items},
                         outcomes, counts)
        if batch is not None:
            number, status, error = batch
            conn.execute(update(outbox_batches).where(
                outbox_batches.c.platform == platform,
                outbox_batches.c.batch_no == number).values(
                status=status, error=redact_text(error) if error else error, finished_at=now))
    if batch is not None:
        log.info("batch finished", platform=platform, batch=batch[0], status=batch[1],
                 accepted=sum(1 for o in decided if o.status == ACCEPTED),
                 rejected=sum(1 for o in decided if o.status == REJECTED))


def _end(store: Store, platform: str, number: str, status: str, error: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(outbox_batches).where(
            outbox_batches.c.platform == platform, outbox_batches.c.batch_no == number).values(
            status=status, error=redact_text(error), finished_at=iso_beijing(beijing_now())))


def _numbers(store: Store, platform: str, entity: str, statuses: Sequence[str]) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(outbox_batches.c.batch_no).where(
            outbox_batches.c.platform == platform, outbox_batches.c.entity == entity,
            outbox_batches.c.status.in_(statuses)).order_by(
            outbox_batches.c.day, outbox_batches.c.sequence)).scalars())


def _members(conn: Connection, platform: str, number: str) -> list[OutboxItem]:
    rows = conn.execute(select(outbox).join(
        outbox_batch_items, outbox_batch_items.c.item_id == outbox.c.id).where(
        outbox_batch_items.c.platform == platform, outbox_batch_items.c.batch_no == number)
        .order_by(outbox_batch_items.c.position))
    return [_item(row) for row in rows]


def _item(row: Any) -> OutboxItem:
    return OutboxItem(row.id, row.platform, row.entity, row.key, row.version,
                      orjson.loads(row.payload), row.content_hash, row.request_scope)
