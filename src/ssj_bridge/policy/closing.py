"""Closing quarters: roster counts recorded while a quarter runs, its snapshot once it ends.

`record_roster` (each sync, for the current quarter) keeps the drawing-level inspectors per
region as the roster stands; `close_period` (the first sync — or plan or report — after the
quarter's end) computes the quarter's plan one last time, with those counts, and stores it as
the closed snapshot (`policy.snapshots`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import structlog
from sqlalchemy import select

from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import beijing_now, beijing_today, iso_beijing
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.plan import drawing_level_inspectors, make_plan
from ssj_bridge.policy.snapshots import (
    CLOSED,
    OPEN,
    WHOLE,
    load_snapshot,
    recorded_snapshot,
    write_snapshot,
)
from ssj_bridge.store import Store
from ssj_bridge.store.schema import classifications

log = structlog.get_logger("ssj_bridge.policy.closing")


def record_roster(store: Store, active: ActivePolicy, quarter: Quarter,
                  region: str | None) -> dict[str, int]:
    """Record, for the running quarter, the drawing-level inspectors of every region of the
    roster; returns the counts."""
    roster = inspectors(store)
    counts = {place: drawing_level_inspectors(roster, place)
              for place in sorted({p.region_code for p in roster})}
    found = recorded_snapshot(store, quarter, active.name, region)
    if found is not None and found.state == CLOSED:
        return found.inspectors
    with store.engine.begin() as conn:
        write_snapshot(conn, quarter, active.name, region, OPEN, {"inspectors": counts})
    return counts


def close_period(store: Store, active: ActivePolicy, quarter: Quarter, region: str | None,
                 today: date | None = None) -> bool:
    """Snapshot an ended quarter (once); False when it has not ended or is closed already."""
    today = today or beijing_today()
    if quarter.end >= today or load_snapshot(store, quarter, active.name, region) is not None:
        return False
    opened = recorded_snapshot(store, quarter, active.name, region)
    counts = opened.inspectors if opened is not None else None
    plan = make_plan(store, active, quarter, region=region, snapshot=False,
                     inspectors_by_region=counts)
    content: dict[str, Any] = {"inspectors": counts or {}, "matters": {}}
    for matter in plan.matters:
        lines: dict[str, Any] = {}
        for line in matter.lines:
            where = line.region or WHOLE
            lines[where] = {c.key: {"members": sorted(c.members), "inspectors": line.inspectors,
                                    "required": [o.required for o in c.obligations]}
                            for c in line.categories}
        content["matters"][matter.matter.code] = {"lines": lines}
    closed_at = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        write_snapshot(conn, quarter, active.name, region, CLOSED, content, closed_at)
    log.info("quarter closed", period=quarter.label, policy=active.name, region=region,
             matters=len(plan.matters))
    return True


def close_ended_quarters(store: Store, active: ActivePolicy, region: str | None,
                         today: date | None = None) -> list[str]:
    """Close the quarter before today's when it was classified and is not closed yet."""
    today = today or beijing_today()
    previous = Quarter.of(today).previous()
    with store.engine.connect() as conn:
        classified = conn.execute(select(classifications.c.uscc).where(
            classifications.c.period == previous.label).limit(1)).first() is not None
    if classified and close_period(store, active, previous, region, today):
        return [previous.label]
    return []


def keep_periods(store: Store, active: ActivePolicy, region: str | None,
                 today: date | None = None) -> list[str]:
    """What each sync does for closed periods: record the running quarter's roster counts and
    close the quarter that ended (returns the quarters closed)."""
    today = today or beijing_today()
    record_roster(store, active, Quarter.of(today), region)
    return close_ended_quarters(store, active, region, today)
