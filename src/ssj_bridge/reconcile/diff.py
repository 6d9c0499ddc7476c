"""The set-based comparison: one pass over both staged sides, returning only what differs.

A full outer join on the natural key, written as a left join plus an anti-join so that it reads
the same on SQLite and PostgreSQL. Only differing keys leave the database; matched ones are
counted there.
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

_SIDES = """
p AS (SELECT key, MIN(content_hash) AS h, COUNT(*) AS n, MAX(version) AS v
      FROM recon_staging
      WHERE run_id = :run AND platform = :platform AND entity = :entity AND side = 'p'
      GROUP BY key),
s AS (SELECT key, content_hash AS h, version AS v
      FROM recon_staging
      WHERE run_id = :run AND platform = :platform AND entity = :entity AND side = 's')
"""

DIFF_SQL = text(f"""
WITH {_SIDES}
SELECT s.key, s.h AS store_hash, p.h AS platform_hash, COALESCE(p.n, 0) AS n,
       s.v AS store_version, p.v AS platform_version
FROM s LEFT JOIN p ON p.key = s.key
WHERE p.key IS NULL OR p.h <> s.h OR p.n > 1
UNION ALL
SELECT p.key, NULL, p.h, p.n, NULL, p.v
FROM p WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.key = p.key)
""")

COUNT_SQL = text(f"""
WITH {_SIDES}
SELECT COUNT(*) FROM s JOIN p ON p.key = s.key WHERE p.h = s.h AND p.n = 1
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
        matched = int(conn.execute(COUNT_SQL, params).scalar_one())
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
    return Comparison(matched, found)


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
