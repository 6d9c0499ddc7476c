"""Closed quarters, as they stood: the snapshot a quarter's plan reads once it has closed.

While a quarter runs, each sync records the roster's counts of drawing-level inspectors per
region (`open`). When the quarter has ended, `policy.closing.close_period` fixes what its
obligations stood on — per matter and line, each category's members, its inspectors and each
obligation's required count — as a `closed` snapshot; plans and reports of the quarter read it
from then on, so a roster change, a permit withdrawn or a classification redone after the
close does not reopen a quota that was met. What is done keeps growing from results inspected in
the quarter; those recorded after the close are told apart (`after_close`), and changes to a
closed quarter's classification are recorded in `period_corrections`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.model.periods import Quarter
from ssj_bridge.store import Store
from ssj_bridge.store.schema import period_corrections, period_snapshots
from ssj_bridge.store.upsert import upsert

OPEN, CLOSED = "open", "closed"
WHOLE = "*"  # the line of a matter drawn for the deployment's region as a whole


@dataclass(frozen=True)
class Snapshot:
    """One quarter's snapshot for a policy and deployment region."""

    period: str
    policy: str
    region: str | None
    state: str
    content: Mapping[str, Any]
    taken_at: str
    closed_at: str | None

    def line(self, matter: str, region: str | None, category: str) -> dict[str, Any] | None:
        """A category of one line of a matter as it stood: members, inspectors, required."""
        lines = self.content.get("matters", {}).get(matter, {}).get("lines", {})
        found = lines.get(region or WHOLE, {}).get(category)
        return dict(found) if found is not None else None

    @property
    def inspectors(self) -> dict[str, int]:
        """Drawing-level inspectors per region, as last recorded while the quarter ran."""
        return {str(k): int(v) for k, v in (self.content.get("inspectors") or {}).items()}


def _key(region: str | None) -> str:
    return region or ""


def _read(conn: Connection, quarter: Quarter, policy: str, region: str | None) -> Snapshot | None:
    row = conn.execute(select(period_snapshots).where(
        period_snapshots.c.period == quarter.label, period_snapshots.c.policy == policy,
        period_snapshots.c.region_code == _key(region))).first()
    if row is None:
        return None
    return Snapshot(row.period, row.policy, row.region_code or None, row.state,
                    orjson.loads(row.content), row.taken_at, row.closed_at)


def load_snapshot(store: Store, quarter: Quarter, policy: str,
                  region: str | None) -> Snapshot | None:
    """The quarter's closed snapshot, or None while it is open (or was never closed)."""
    with store.engine.connect() as conn:
        found = _read(conn, quarter, policy, region)
    return found if found is not None and found.state == CLOSED else None


def recorded_snapshot(store: Store, quarter: Quarter, policy: str,
                      region: str | None) -> Snapshot | None:
    """The quarter's snapshot, open or closed."""
    with store.engine.connect() as conn:
        return _read(conn, quarter, policy, region)


def write_snapshot(conn: Connection, quarter: Quarter, policy: str, region: str | None,
                   state: str, content: Mapping[str, Any], closed_at: str | None = None) -> None:
    """Store the quarter's snapshot (replacing an open one)."""
    upsert(conn, period_snapshots, [{
        "period": quarter.label, "policy": policy, "region_code": _key(region), "state": state,
        "content": orjson.dumps(content).decode(), "taken_at": iso_beijing(beijing_now()),
        "closed_at": closed_at}], ("period", "policy", "region_code"))


def record_correction(conn: Connection, quarter: Quarter, what: str, detail: str) -> None:
    """Note a change made to a closed quarter."""
    conn.execute(period_corrections.insert().values(
        period=quarter.label, what=what, detail=detail, recorded_at=iso_beijing(beijing_now())))


def corrections(store: Store, quarter: Quarter) -> list[dict[str, Any]]:
    """The changes recorded to a closed quarter, oldest first."""
    with store.engine.connect() as conn:
        return [{"what": r.what, "detail": r.detail, "recordedAt": r.recorded_at}
                for r in conn.execute(select(period_corrections).where(
                    period_corrections.c.period == quarter.label)
                    .order_by(period_corrections.c.id))]


def is_closed(conn: Connection, quarter: Quarter) -> bool:
    """True when some policy's snapshot of the quarter is closed."""
    return conn.execute(select(period_snapshots.c.period).where(
        period_snapshots.c.period == quarter.label,
        period_snapshots.c.state == CLOSED).limit(1)).first() is not None
