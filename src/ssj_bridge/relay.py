"""The relay: sends the outbox's pending items through an adapter's sinks, batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Connection

from ssj_bridge.adapter import Rejected, Sink
from ssj_bridge.outbox import (
    ACCEPTED,
    PENDING,
    REJECTED,
    OutboxItem,
    SendOutcome,
    pending,
    record_outcomes,
)
from ssj_bridge.store import Store

log = structlog.get_logger("ssj_bridge.relay")

# What a feature does when the platform accepts or rejects one of its items (e.g. keep the
# platform's resultId), run in the transaction that records the outcome.
OutcomeHandler = Callable[[Connection, OutboxItem, SendOutcome], None]
HANDLERS: dict[str, OutcomeHandler] = {}


def on_outcome(entity: str) -> Callable[[OutcomeHandler], OutcomeHandler]:
    """Register the handler of one entity's outcomes."""
    def add(handler: OutcomeHandler) -> OutcomeHandler:
        HANDLERS[entity] = handler
        return handler
    return add


@dataclass
class RelayCounts:
    """What one sink's relay did."""

    sent: int = 0
    rejected: int = 0
    deferred: int = 0


def relay(store: Store, platform: str, sink: Sink) -> RelayCounts:
    """Send every pending item of the sink's entity; stop early when the sink defers."""
    from ssj_bridge.batches import BatchSink, relay_batches
    from ssj_bridge.resend import send_once

    if isinstance(sink, BatchSink):
        # Documents of many items, decided later in a receipt (ssj_bridge.batches).
        done = relay_batches(store, platform, sink)
        return RelayCounts(done.sent, done.rejected, done.deferred)
    counts = RelayCounts()
    while True:
        with store.engine.connect() as conn:
            items = pending(conn, platform, sink.entity, sink.batch_size)
        if not items:
            return counts
        outcomes = send_once(store, sink, items)
        by_id = {item.id: item for item in items}
        with store.engine.begin() as conn:
            record_outcomes(conn, outcomes)
            rejects = []
            for outcome in outcomes:
                item = by_id[outcome.item_id]
                handler = HANDLERS.get(sink.entity)
                if handler is not None:
                    handler(conn, item, outcome)
                if outcome.status == REJECTED:
                    rejects.append(Rejected(item.key, f"{sink.entity} {item.key} v{item.version}: "
                                                      f"{outcome.error}"))
            if rejects:
                store.set_aside(conn, platform, sink.entity, rejects)
        counts.sent += sum(1 for o in outcomes if o.status == ACCEPTED)
        counts.rejected += sum(1 for o in outcomes if o.status == REJECTED)
        deferred = sum(1 for o in outcomes if o.status == PENDING)
        if deferred:
            with store.engine.connect() as conn:
                counts.deferred += len(pending(conn, platform, sink.entity, 1_000_000))
            log.info("writes deferred", platform=platform, entity=sink.entity,
                     pending=counts.deferred)
            return counts
