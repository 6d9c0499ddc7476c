"""Loading one side of a comparison into the staging table, in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete

from ssj_bridge.reconcile.normalise import FieldKinds, fingerprint, normalise
from ssj_bridge.store import Store
from ssj_bridge.store.schema import recon_staging

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
    """Normalise, hash and insert `(key, fields, version)` records; returns how many."""
    count = 0
    for chunk in _chunks(records):
        rows = []
        for key, fields, version in chunk:
            body, digest = fingerprint(normalise(fields, kinds))
            rows.append({"run_id": where.run_id, "side": where.side, "platform": where.platform,
                         "entity": where.entity, "key": key, "content_hash": digest,
                         "version": version, "fields": body})
        with store.engine.begin() as conn:
            conn.execute(recon_staging.insert(), rows)
        count += len(rows)
    return count


def clear(store: Store, run_id: int, platform: str | None = None) -> None:
    """Drop a run's staged rows (of one platform, or all)."""
    stmt = delete(recon_staging).where(recon_staging.c.run_id == run_id)
    if platform is not None:
        stmt = stmt.where(recon_staging.c.platform == platform)
    with store.engine.begin() as conn:
        conn.execute(stmt)


def _chunks(records: Iterable[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
