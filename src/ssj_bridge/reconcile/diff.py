"""The set-based comparison: one pass over both staged sides, returning only what differs.

A full outer join on the natural key, written as one grouping of both sides by key so that it
reads the same on SQLite and PostgreSQL and needs a single ordered scan. Only differing keys
leave the database; matched ones are counted there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text

from ssj_bridge.store import Store

MISSING_ON_PLATFORM = "missing_on_platform"
MISSING_IN_STORE = "missing_in_store"
FIELD_MISMATCH = "field_mismatch"
STALE = "stale"
DUPLICATE_KEY = "duplicate_key"
KINDS = (MISSING_ON_PLATFORM, MISSING_IN_STORE, FIELD_MISMATCH, STALE, DUPLICATE_KEY)

# One ordered pass over both sides, grouped by key (the staging index is ordered by key, so
# the grouping streams); only keys that differ leave the database.
DIFF_SQL = text("""
SELECT key, store_hash, platform_hash, n, store_version, platform_version FROM (
  SELECT key,
         MAX(CASE WHEN side = 's' THEN content_hash END) AS store_hash,
         MIN(CASE WHEN side = 'p' THEN content_hash END) AS platform_hash,
         SUM(CASE WHEN side = 'p' THEN 1 ELSE 0 END) AS n,
         SUM(CASE WHEN side = 's' THEN 1 ELSE 0 END) AS ns,
         MAX(CASE WHEN side = 's' THEN version END) AS store_version,
         MAX(CASE WHEN side = 'p' THEN version END) AS platform_version
  FROM recon_staging
  WHERE run_id = :run AND platform = :platform AND entity = :entity
  GROUP BY key
) AS both_sides
WHERE n <> 1 OR ns = 0 OR store_hash <> platform_hash
""")

COUNT_SQL = text("""
SELECT COUNT(*) FROM recon_staging
WHERE run_id = :run AND platform = :platform AND entity = :entity AND side = 's'
""")

FIELDS_SQL = text("""
SELECT side, key, fields FROM recon_staging
WHERE run_id = :run AND platform = :platform AND entity = :entity AND key IN :keys
""")


@dataclass
class Break:
    """One difference between the store and a platform."""

    platform: str
    entity: str
    key: str
    kind: str
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Comparison:
    """What one entity's comparison found."""

    matched: int
    breaks: list[Break]


def compare(store: Store, run_id: int, platform: str, entity: str) -> Comparison:
    """Classify every differing key; field-level differences for the mismatches."""
    params = {"run": run_id, "platform": platform, "entity": entity}
    found: list[Break] = []
    mismatched: list[str] = []
    with store.engine.connect() as conn:
        stored = int(conn.execute(COUNT_SQL, params).scalar_one())
        for row in conn.execute(DIFF_SQL, params):
            if row.n > 1:
                kind = DUPLICATE_KEY
            elif row.platform_hash is None:
                kind = MISSING_ON_PLATFORM
            elif row.store_hash is None:
                kind = MISSING_IN_STORE
            elif (row.platform_version is not None and row.store_version is not None
                  and row.platform_version < row.store_version):
                kind = STALE
            else:
                kind = FIELD_MISMATCH
            found.append(Break(platform, entity, row.key, kind))
            if kind in (FIELD_MISMATCH, STALE):
                mismatched.append(row.key)
        if mismatched:
            differences = dict(_field_differences(conn, params, mismatched))
            for item in found:
                item.fields = differences.get(item.key, {}) if item.kind in (
                    FIELD_MISMATCH, STALE) else {}
    with_store_side = sum(1 for item in found if item.kind != MISSING_IN_STORE)
    return Comparison(stored - with_store_side, found)


def _field_differences(conn: Any, params: dict[str, Any], keys: list[str]
                       ) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    from sqlalchemy import bindparam

    stmt = FIELDS_SQL.bindparams(bindparam("keys", expanding=True))
    for start in range(0, len(keys), 500):
        sides: dict[str, dict[str, dict[str, Any]]] = {}
        for row in conn.execute(stmt, {**params, "keys": keys[start:start + 500]}):
            sides.setdefault(row.key, {})[row.side] = orjson.loads(row.fields)
        for key, both in sides.items():
            ours, theirs = both.get("s", {}), both.get("p", {})
            yield key, {name: {"store": ours.get(name), "platform": theirs.get(name)}
                        for name in sorted(set(ours) | set(theirs))
                        if ours.get(name) != theirs.get(name)}
