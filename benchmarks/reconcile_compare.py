"""Benchmark: the comparison phase of reconciliation over 1,000,000 records with 1% breaks.

Stages a store side and a platform snapshot of the same size (0.25% each of missing on the
platform, missing in the store, field mismatches and duplicate keys), then times `compare`
alone, on SQLite and (with --postgres URL) on PostgreSQL. Prints records/s and peak memory.

    .venv/bin/python benchmarks/reconcile_compare.py [--records 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from ssj_bridge.reconcile.diff import compare
from ssj_bridge.reconcile.normalise import fingerprint
from ssj_bridge.reconcile.staging import _insert
from ssj_bridge.store import Store
from ssj_bridge.store.schema import recon_staging

CHUNK = 20_000


def rows(run_id: int, side: str, n: int):  # type: ignore[no-untyped-def]
    """Deterministic records; the platform side carries the seeded breaks."""
    quarter = max(1, n // 400)  # 0.25% of n for each kind of break
    for i in range(n):
        key = f"91371002{i:010d}"
        name = f"公司{i}"
        if side == "p":
            if i < quarter:
                continue  # missing on the platform
            if quarter <= i < 2 * quarter:
                name += "改"  # field mismatch
        body, digest = fingerprint({"name": name, "uscc": key})
        yield {"run_id": run_id, "side": side, "platform": "bench", "entity": "subject",
               "key": key, "content_hash": digest, "version": None, "fields": body}
        if side == "p" and 2 * quarter <= i < 3 * quarter:
            yield {"run_id": run_id, "side": side, "platform": "bench", "entity": "subject",
                   "key": key, "content_hash": digest, "version": None, "fields": body}
    if side == "p":
        for j in range(quarter):  # missing in the store
            key = f"91371003{j:010d}"
            body, digest = fingerprint({"name": "新", "uscc": key})
            yield {"run_id": run_id, "side": side, "platform": "bench", "entity": "subject",
                   "key": key, "content_hash": digest, "version": None, "fields": body}


def stage(store: Store, run_id: int, side: str, n: int) -> None:
    chunk = []
    for row in rows(run_id, side, n):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            _insert(store, chunk)
            chunk = []
    if chunk:
        _insert(store, chunk)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(url: str, n: int) -> None:
    store = Store(url)
    store.migrate()
    with store.engine.begin() as conn:
        conn.execute(recon_staging.delete())
    started = time.perf_counter()
    stage(store, 1, "s", n)
    stage(store, 1, "p", n)
    staged = time.perf_counter() - started
    if store.dialect == "postgresql":
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE recon_staging")
    before = peak_mb()
    started = time.perf_counter()
    result = compare(store, 1, "bench", "subject")
    elapsed = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for item in result.breaks:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    print(f"{store.dialect:<10} records {n:>9,}  staging {staged:6.1f}s  compare {elapsed:6.2f}s"
          f"  {n / elapsed:>10,.0f} records/s  matched {result.matched:,}  breaks {kinds}"
          f"  peak RSS {peak_mb():.0f} MB (before compare {before:.0f} MB)")
    with store.engine.begin() as conn:
        conn.execute(recon_staging.delete())
    store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL to measure as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'bench.db'}", args.records)
    if args.postgres:
        bench(args.postgres, args.records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
