"""Loading one side of a comparison into the staging table, in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete

from ssj_bridge.reconcile.normalise import FieldKinds, fingerprint, normalise
from ssj_bridge.store import Store
from ssj_bridge.store.schema import recon_staging
from ssj_bridge.store.upsert import insert

CHUNK = 5000


@dataclass(frozen=True)
class Side:
    """Where a side's rows go: one run, one platform and entity, `p` or `s`."""

    run_id: int
    platform: str
    entity: str
    side: str


def stage(store: Store, where: Side, records: Iterable[tuple[str, Any, str | None]],
          kinds: FieldKinds) -> int:
    """Normalise, hash and insert `(key, fields, version)` records; returns how many.

    Each record is reduced to its staged row as it arrives, so a chunk holds rows only, never
    the records they came from.
    """
    count = 0
    rows: list[dict[str, Any]] = []
    for key, fields, version in records:
        rows.append(_row(where, key, fields, version, kinds))
        if len(rows) >= CHUNK:
            count += _insert(store, rows)
            rows = []  # released before the next chunk grows: one chunk alive at a time
    if rows:
        count += _insert(store, rows)
    return count


def _insert(store: Store, rows: list[dict[str, Any]]) -> int:
    with store.engine.begin() as conn:
        insert(conn, recon_staging, rows)  # compiled once; COPY on PostgreSQL
    return len(rows)


def _row(where: Side, key: str, fields: Any, version: str | None, kinds: FieldKinds
         ) -> dict[str, Any]:
    body, digest = fingerprint(normalise(fields, kinds))
    return {"run_id": where.run_id, "side": where.side, "platform": where.platform,
            "entity": where.entity, "key": key, "content_hash": digest, "version": version,
            "fields": body}


def clear(store: Store, run_id: int, platform: str | None = None) -> None:
    """Drop a run's staged rows (of one platform, or all)."""
    stmt = delete(recon_staging).where(recon_staging.c.run_id == run_id)
    if platform is not None:
        stmt = stmt.where(recon_staging.c.platform == platform)
    with store.engine.begin() as conn:
        conn.execute(stmt)
