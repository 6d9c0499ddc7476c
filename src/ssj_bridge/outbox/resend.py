"""Sending outbox items once, even when the platform may have forgotten their request ids.

A platform remembers a request id for a while (the provincial platform: 24 hours) and answers a
repeat from that memory. A write whose answer was lost is repeated with the same id, which is
what makes a resumed run exactly-once — but only while the platform still remembers the id. A
run that stopped mid-send (a dead worker, a host down over a weekend) and resumes after that
memory would have a write applied twice if the write is not idempotent by its content.

So the relay records when each item first went out (`first_sent_at`, committed before the
request leaves). An item first sent longer ago than its sink's `request_memory`, less a margin,
is first checked against the platform by the sink's `confirm` (the sink is a `ConfirmingSink`):
what the platform already holds is recorded as accepted without sending; the rest goes out again
with its same request id. A sink without `confirm` writes what is idempotent by content (an
upsert, a create that answers "already there" for the same content), so resending it after the
memory is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.outbox.queue import OutboxItem, SendOutcome
from ssj_bridge.platform.adapter import ConfirmingSink, Sink
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox

log = structlog.get_logger("ssj_bridge.outbox.resend")

# An item counts as forgotten this long before the platform's memory runs out: clocks differ,
# and a request may have waited in retries before it reached the platform.
MEMORY_MARGIN = timedelta(hours=1)


def send_once(store: Store, sink: Sink, items: list[OutboxItem]) -> list[SendOutcome]:
    """Send `items` through `sink` (confirming the forgotten ones first); one outcome each."""
    confirmed: list[SendOutcome] = []
    to_send = items
    if isinstance(sink, ConfirmingSink):
        forgotten = _forgotten(store, items, sink.request_memory)
        if forgotten:
            answers = sink.confirm(forgotten)
            held = {item.id: answer for item, answer in zip(forgotten, answers, strict=True)
                    if answer is not None}
            confirmed = list(held.values())
            to_send = [item for item in items if item.id not in held]
            log.info("writes older than the platform's memory checked before resending",
                     entity=sink.entity, checked=len(forgotten), already_held=len(held))
    if to_send:
        mark_sent(store, to_send)
        return confirmed + sink.send(to_send)
    return confirmed


def mark_sent(store: Store, items: Sequence[OutboxItem]) -> None:
    """Record, before the request leaves, when items first went out (kept on later sends)."""
    now = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        conn.execute(update(outbox).where(
            outbox.c.id.in_([item.id for item in items]), outbox.c.first_sent_at.is_(None))
            .values(first_sent_at=now))


def _forgotten(store: Store, items: Sequence[OutboxItem], memory: float,
               now: datetime | None = None) -> list[OutboxItem]:
    """The items first sent so long ago that the platform may no longer know their ids."""
    cutoff = iso_beijing((now or beijing_now()) - timedelta(seconds=memory) + MEMORY_MARGIN)
    with store.engine.connect() as conn:
        old = set(conn.execute(select(outbox.c.id).where(
            outbox.c.id.in_([item.id for item in items]),
            outbox.c.first_sent_at.is_not(None), outbox.c.first_sent_at < cutoff)).scalars())
    return [item for item in items if item.id in old]
