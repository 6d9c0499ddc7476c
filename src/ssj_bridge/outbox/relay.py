"""The relay: sends the outbox's pending items through an adapter's sinks, batch by batch."""

from __future__ import annotations

import structlog

from ssj_bridge.outbox.batches import relay_batches
from ssj_bridge.outbox.outcomes import RelayCounts, settle
from ssj_bridge.outbox.queue import PENDING, pending
from ssj_bridge.outbox.resend import send_once
from ssj_bridge.platform.adapter import BatchSink, Sink
from ssj_bridge.store import Store

log = structlog.get_logger("ssj_bridge.outbox.relay")


def relay(store: Store, platform: str, sink: Sink) -> RelayCounts:
    """Send every pending item of the sink's entity; stop early when the sink defers."""
    if isinstance(sink, BatchSink):
        # Documents of many items, decided later in a receipt (ssj_bridge.outbox.batches).
        return relay_batches(store, platform, sink)
    counts = RelayCounts()
    while True:
        with store.engine.connect() as conn:
            items = pending(conn, platform, sink.entity, sink.batch_size)
        if not items:
            return counts
        outcomes = send_once(store, sink, items)
        with store.engine.begin() as conn:
            settle(store, conn, platform, sink.entity, {item.id: item for item in items},
                   outcomes, counts)
        deferred = sum(1 for o in outcomes if o.status == PENDING)
        if deferred:
            with store.engine.connect() as conn:
                counts.deferred += len(pending(conn, platform, sink.entity, 1_000_000))
            log.info("writes deferred", platform=platform, entity=sink.entity,
                     pending=counts.deferred)
            return counts
