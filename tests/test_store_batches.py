"""Batches sharing a commit, and the bulk statements under them, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from ssj_bridge.platform.adapter import Batch, Rejected
from ssj_bridge.platform.prefetch import prefetch
from ssj_bridge.store import Store
from ssj_bridge.store.schema import permits, quarantine, source_records, subjects
from ssj_bridge.store.upsert import select_in, upsert
from ssj_permit.mapping import map_record

USCC = "91130200699229617X"


def permit(seq: int, klass: str = "重点管理", name: str = "某化工有限公司",
           day: int = 1) -> dict[str, Any]:
    return {"permitNo": f"{USCC}{seq:03d}P", "uscc": USCC, "orgName": name,
            "regionCode": "371002", "managementClass": klass, "status": "有效",
            "updateTime": f"2025-01-{day:02d}T08:00:00+08:00"}


def batch(*raws: dict[str, Any], cursor: str) -> Batch:
    out = Batch("permit", cursor=cursor)
    for i, raw in enumerate(raws):
        mapped = map_record(raw, str(i), frozenset())
        if isinstance(mapped, Rejected):
            out.rejects.append(mapped)
        else:
            out.records.append(mapped)
    return out


def walk() -> list[Batch]:
    """Batches whose order matters: a record changed twice, bad then fixed, the same twice."""
    return [
        batch(permit(1), permit(2, klass="登记管理"), cursor="2025-01-01T08:00:00+08:00"),
        batch(permit(1, name="改名后"), permit(3, klass="重点"), cursor="2025-01-02T08:00:00+08:00"),
        batch(permit(3), permit(2, klass="登记管理"), cursor="2025-01-03T08:00:00+08:00"),
        batch(permit(4, klass="重点"), permit(4, klass="重点"), cursor="2025-01-04T08:00:00+08:00"),
    ]


def contents(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return {
            "permits": conn.execute(select(permits).order_by(permits.c.permit_no)).all(),
            "subjects": conn.execute(select(subjects.c.uscc, subjects.c.name,
                                            subjects.c.management_class,
                                            subjects.c.permit_count)).all(),
            "sources": conn.execute(select(source_records.c.key, source_records.c.payload)
                                    .order_by(source_records.c.key)).all(),
            "quarantine": conn.execute(select(quarantine.c.key, quarantine.c.reason,
                                              quarantine.c.count)).all(),
            "cursor": store.cursor("permit", "permits"),
        }


def test_batches_sharing_a_commit_store_what_one_commit_each_would(
        store: Store, second_store: Store) -> None:
    counts_each = [second_store.apply_batch("permit", "permits", b) for b in walk()]
    with store.batch_writer("permit", "permits", max_records=1000) as writer:
        counts_shared = [writer.apply(b) for b in walk()]
    assert counts_shared == counts_each
    assert contents(store) == contents(second_store)


def test_a_failed_batch_rolls_back_alone_and_the_batches_before_it_stay(store: Store) -> None:
    broken = batch(permit(9), cursor="2025-01-09T08:00:00+08:00")
    broken.records[0] = broken.records[0].__class__(  # a payload the table cannot take
        key=broken.records[0].key, payload=None, content_hash="x",  # type: ignore[arg-type]
        record=broken.records[0].record)
    with pytest.raises(Exception):  # noqa: B017 - any database error
        with store.batch_writer("permit", "permits", max_records=1000) as writer:
            for b in [*walk()[:2], broken]:
                writer.apply(b)
    assert store.cursor("permit", "permits") == "2025-01-02T08:00:00+08:00"
    assert store.count("permits") == 2
    assert [row[0] for row in contents(store)["quarantine"]] == [f"{USCC}003P"]


def test_applied_batches_are_committed_when_the_writer_is_told_to(store: Store) -> None:
    with store.batch_writer("permit", "permits", max_records=1000) as writer:
        writer.apply(walk()[0])
        assert store.cursor("permit", "permits") is None  # another connection sees nothing yet
        writer.commit()
        assert store.cursor("permit", "permits") == "2025-01-01T08:00:00+08:00"
        writer.apply(walk()[1])
    assert store.cursor("permit", "permits") == "2025-01-02T08:00:00+08:00"


def test_the_consumer_is_told_before_it_waits_for_the_next_item() -> None:
    gate = threading.Event()
    waits: list[int] = []
    received: list[int] = []

    def pages() -> Iterator[int]:
        yield 1
        gate.wait(timeout=60)
        yield 2

    def waiting() -> None:
        waits.append(len(received))
        if received:  # the second page is held until the consumer is seen waiting for it
            gate.set()

    for page in prefetch(pages(), on_wait=waiting):
        received.append(page)
    assert received == [1, 2]
    assert 1 in waits


def test_upsert_of_a_key_listed_twice_keeps_its_last_row(store: Store) -> None:
    row = {"platform": "p", "entity": "e", "payload": b"\x00first", "content_hash": "1",
           "source_time": None, "fetched_at": "t"}
    rows = [{**row, "key": "a"}, {**row, "key": "b"}, {**row, "key": "a", "payload": b"last"}]
    keys = ("platform", "entity", "key")
    with store.engine.begin() as conn:
        upsert(conn, source_records, rows, keys)
        upsert(conn, source_records, [{**row, "key": "b", "payload": b"again"}], keys)
    with store.engine.connect() as conn:
        stored = conn.execute(select(source_records.c.key, source_records.c.payload)
                              .order_by(source_records.c.key)).all()
    assert [tuple(r) for r in stored] == [("a", b"last"), ("b", b"again")]


def test_select_in_finds_every_listed_key_beyond_one_statement(store: Store) -> None:
    row = {"platform": "p", "entity": "e", "payload": b"x", "source_time": None,
           "fetched_at": "t"}
    with store.engine.begin() as conn:
        upsert(conn, source_records, [{**row, "key": f"k{i:04d}", "content_hash": str(i)}
                                      for i in range(2000)], ("platform", "entity", "key"))
        upsert(conn, source_records, [{**row, "entity": "other", "key": "k0001",
                                       "content_hash": "other"}], ("platform", "entity", "key"))
        wanted = [f"k{i:04d}" for i in range(0, 2500, 2)]  # 1250 keys, 250 of them unknown
        found = dict(select_in(conn, (source_records.c.key, source_records.c.content_hash),
                               source_records.c.key, wanted,
                               {source_records.c.platform: "p", source_records.c.entity: "e"}))
    assert found == {f"k{i:04d}": str(i) for i in range(0, 2000, 2)}
