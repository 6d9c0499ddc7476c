"""What the relay does with a platform's answers: one loop for single sends and batch receipts.

The outcomes of the items a platform decided are recorded in one transaction with everything
that follows from them: the outbox rows, the entity's outcome handler (a feature keeps, say,
the platform's resultId), the quarantine of what it refused and the release of what it took.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete

from ssj_bridge.outbox.queue import ACCEPTED, PENDING, REJECTED, OutboxItem, SendOutcome, record_outcomes
from ssj_bridge.platform.adapter import Rejected
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.store import Store
from ssj_bridge.store.schema import quarantine


@dataclass
class RelayCounts:
    """What relaying one sink's items did."""

    sent: int = 0
    rejected: int = 0
    deferred: int = 0


def settle(store: Store, conn: Connection, platform: str, entity: str,
           items: Mapping[int, OutboxItem], outcomes: Sequence[SendOutcome],
           counts: RelayCounts) -> list[SendOutcome]:
    """Record the decided outcomes in the caller's transaction; returns them.

    Deferred outcomes (still pending) and outcomes of items not in `items` are left alone.
    """
    decided = [o for o in outcomes if o.item_id in items and o.status != PENDING]
    record_outcomes(conn, decided)
    handler = default_registry().outcome_handlers.get(entity)
    rejects: list[Rejected] = []
    accepted: list[str] = []
    for outcome in decided:
        item = items[outcome.item_id]
        if handler is not None:
            handler(conn, item, outcome)
        if outcome.status == REJECTED:
            rejects.append(Rejected(item.key, f"{entity} {item.key} v{item.version}: "
                                              f"{outcome.error}"))
        elif outcome.status == ACCEPTED:
            accepted.append(item.key)
    if rejects:
        store.set_aside(conn, platform, entity, rejects)
    # A write the platform takes at last leaves the quarantine its refusal put it in.
    for start in range(0, len(accepted), 900):
        conn.execute(delete(quarantine).where(
            quarantine.c.platform == platform, quarantine.c.entity == entity,
            quarantine.c.key.in_(accepted[start:start + 900])))
    counts.sent += sum(1 for o in decided if o.status == ACCEPTED)
    counts.rejected += sum(1 for o in decided if o.status == REJECTED)
    return decided
