"""Each break's history: first seen, runs open, resolved when — kept across runs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from ssj_bridge.reconcile.diff import Break
from ssj_bridge.store.schema import breaks


def record(conn: Connection, run_id: int, platform: str, entity: str, found: Sequence[Break],
           now: str, keep: Collection[str] = ()) -> dict[tuple[str, str], dict[str, Any]]:
    """Open or extend this run's breaks, resolve those of the entity no longer found.

    The open breaks of `keep` (keys in flight, left out of this run's comparison) stay as they
    are: whether the write on its way mends them is for the next run to see.
    Returns (key, kind) → {"firstSeen", "runsOpen"} for the breaks found.
    """
    open_rows = {(r.key, r.kind): r for r in conn.execute(select(breaks).where(
        breaks.c.platform == platform, breaks.c.entity == entity,
        breaks.c.resolved_at.is_(None)))}
    history: dict[tuple[str, str], dict[str, Any]] = {}
    fresh = []
    for item in found:
        fields = orjson.dumps(item.fields, default=str).decode() if item.fields else None
        previous = open_rows.pop((item.key, item.kind), None)
        if previous is None:
            fresh.append({"platform": platform, "entity": entity, "key": item.key,
                          "kind": item.kind, "fields": fields, "first_seen": now,
                          "last_seen": now, "runs_open": 1, "resolved_at": None,
                          "last_run_id": run_id})
            history[(item.key, item.kind)] = {"firstSeen": now, "runsOpen": 1}
            continue
        conn.execute(update(breaks).where(
            breaks.c.platform == platform, breaks.c.entity == entity,
            breaks.c.key == item.key, breaks.c.kind == item.kind).values(
            fields=fields, last_seen=now, runs_open=previous.runs_open + 1,
            last_run_id=run_id))
        history[(item.key, item.kind)] = {"firstSeen": previous.first_seen,
                                          "runsOpen": previous.runs_open + 1}
    if fresh:
        # A key and kind resolved earlier and broken again starts a new history.
        for row in fresh:
            conn.execute(breaks.delete().where(
                breaks.c.platform == platform, breaks.c.entity == entity,
                breaks.c.key == row["key"], breaks.c.kind == row["kind"]))
        conn.execute(breaks.insert(), fresh)
    for key, kind in open_rows:
        if key in keep:
            continue
        conn.execute(update(breaks).where(
            breaks.c.platform == platform, breaks.c.entity == entity, breaks.c.key == key,
            breaks.c.kind == kind).values(resolved_at=now, last_run_id=run_id))
    return history


def mark_repaired(conn: Connection, platform: str, entity: str, key: str, now: str) -> None:
    """Note that a repair was sent for the key's open breaks (the next run shows if it held)."""
    conn.execute(update(breaks).where(
        breaks.c.platform == platform, breaks.c.entity == entity, breaks.c.key == key,
        breaks.c.resolved_at.is_(None)).values(repaired_at=now))
