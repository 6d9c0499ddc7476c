"""What the store alone costs per permit: the floor under any permit sync into SQLite.

    .venv/bin/python benchmarks/store_floor.py [--permits 200000] [--download-seconds S]

No platform, no validation: the synthetic permits are mapped and prepared first, outside the
timing, exactly as a sync prepares them. Then two ways of writing them into a fresh store, in
the order a sync meets them (by updateTime, so at random by key), 1,000 to a statement and
10,000 to a commit, as `BatchWriter` does:

1. **the store's statements**: `upsert()` of `source_records`, `permits` and `subjects` rows;
2. **no Python per row at all**: the same rows copied by `INSERT … SELECT` from a second
   database file, 1,000 at a time: SQLite's own B-tree and log work.

With `--download-seconds` (the "download + decode" figure of `permit_sync.py`) it prints the
ratio a sync could reach if everything else took no time.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.platform.adapter import Batch, Fetched
from ssj_bridge.store import Store
from ssj_bridge.store.prepared import prepare
from ssj_bridge.store.schema import permits, source_records, subjects
from ssj_bridge.store.upsert import upsert
from ssj_permit.mapping import map_record
from ssj_permit.simulator.dataset import build

REGION = "371000"
BATCH = 1_000
COMMIT_EVERY = 10_000
TABLES = ("source_records", "permits", "subjects")


def prepared_rows(size: int) -> list[dict[str, list[dict[str, Any]]]]:
    """Batches of rows per table, in the order the platform lists the permits."""
    data = build(REGION, size, multi_site_every=0)
    now = iso_beijing(beijing_now())
    batches = []
    for start in range(0, size, BATCH):
        batch = Batch("permit")
        for raw in data.records[start:start + BATCH]:
            mapped = map_record(orjson.loads(orjson.dumps(raw)), "", frozenset())
            assert isinstance(mapped, Fetched)
            batch.records.append(mapped)
        prepared, _ = prepare(batch)
        batches.append({
            "source_records": [
                {"platform": "permit", "entity": "permit", "key": r.key, "payload": r.payload,
                 "content_hash": r.content_hash, "source_time": r.source_time,
                 "fetched_at": now} for r in prepared.records],
            "permits": [r.row for r in prepared.records],
            # One permit per holder: the subject is the permit's holder as the rule derives it.
            "subjects": [
                {"uscc": r.row["uscc"], "name": r.row["org_name"],
                 "region_code": r.row["region_code"], "industry_code": r.row["industry_code"],
                 "management_class": r.row["management_class"],
                 "key_discharge_unit": r.row["key_discharge_unit"],
                 "active": r.row["status"] == "有效", "permit_count": 1, "updated_at": now}
                for r in prepared.records],
        })
    return batches


def with_statements(path: Path, batches: list[dict[str, list[dict[str, Any]]]]) -> Counter[str]:
    """Write through the store's own upserts; seconds per table and for the commits."""
    store = Store(f"sqlite:///{path}")
    store.migrate()
    keys = {"source_records": ("platform", "entity", "key"), "permits": ("permit_no",),
            "subjects": ("uscc",)}
    tables = {"source_records": source_records, "permits": permits, "subjects": subjects}
    spent: Counter[str] = Counter()
    done = 0
    with store.engine.connect() as conn:
        conn.begin()
        for batch in batches:
            for name in TABLES:
                started = time.perf_counter()
                upsert(conn, tables[name], batch[name], keys[name])
                spent[name] += time.perf_counter() - started
            done += len(batch["permits"])
            if done % COMMIT_EVERY == 0:
                started = time.perf_counter()
                conn.commit()
                conn.begin()
                spent["commit"] += time.perf_counter() - started
        started = time.perf_counter()
        conn.commit()
        spent["commit"] += time.perf_counter() - started
    store.dispose()
    return spent


def without_python(source: Path, path: Path, size: int) -> Counter[str]:
    """Copy the rows of `source` by INSERT … SELECT, in its order; seconds as above."""
    store = Store(f"sqlite:///{path}")
    store.migrate()
    store.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-32768"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    spent: Counter[str] = Counter()
    conn.execute("BEGIN")
    for start in range(0, size, BATCH):
        for name in TABLES:
            started = time.perf_counter()
            conn.execute(f"INSERT INTO main.{name} SELECT * FROM src.{name} "
                         "WHERE rowid > ? AND rowid <= ?", (start, start + BATCH))
            spent[name] += time.perf_counter() - started
        if (start + BATCH) % COMMIT_EVERY == 0:
            started = time.perf_counter()
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            spent["commit"] += time.perf_counter() - started
    conn.execute("COMMIT")
    conn.close()
    return spent


def report(label: str, spent: Counter[str], size: int, download: float | None) -> None:
    """One line: total, µs per permit per part, and the ratio to download + decode."""
    total = sum(spent.values())
    parts = ", ".join(f"{name} {spent[name] / size * 1e6:.1f}"
                      for name in (*TABLES, "commit"))
    ratio = f"  {total / download:.1f}× download" if download else ""
    print(f"{label:34s} {total:6.2f} s  {total / size * 1e6:5.1f} µs/permit ({parts}){ratio}")


def main() -> int:
    """Prepare, write both ways, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permits", type=int, default=200_000)
    parser.add_argument("--download-seconds", type=float, default=None)
    args = parser.parse_args()
    size = args.permits - args.permits % COMMIT_EVERY
    print(f"store floor: {size:,} permits, SQLite {sqlite3.sqlite_version}; preparing rows …",
          flush=True)
    batches = prepared_rows(size)
    with tempfile.TemporaryDirectory(prefix="ssj-floor-") as scratch:
        first, second = Path(scratch) / "statements.db", Path(scratch) / "copied.db"
        report("the store's statements", with_statements(first, batches), size,
               args.download_seconds)
        report("INSERT … SELECT (no Python)", without_python(first, second, size), size,
               args.download_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
