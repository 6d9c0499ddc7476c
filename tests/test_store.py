"""The store on SQLite and PostgreSQL: batches, dedupe, quarantine, cursors, lock, migrations."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from ssj_bridge.errors import LockHeld
from ssj_bridge.platform.adapter import Batch, Rejected
from ssj_bridge.store import Store
from ssj_bridge.store.schema import metadata, source_records
from ssj_permit.mapping import map_record

USCC = "91130200699229617X"


def permit(seq: int = 1, klass: str = "重点管理", status: str = "有效", **extra: Any) -> dict[str, Any]:
    return {"permitNo": f"{USCC}{seq:03d}P", "uscc": USCC, "orgName": "某化工有限公司",
            "regionCode": "371002", "managementClass": klass, "status": status,
            "updateTime": f"2025-01-0{seq}T08:00:00+08:00", **extra}


def batch(*raws: dict[str, Any], cursor: str | None = None) -> Batch:
    out = Batch("permit", cursor=cursor)
    for i, raw in enumerate(raws):
        mapped = map_record(raw, str(i), frozenset())
        (out.rejects if isinstance(mapped, Rejected) else out.records).append(mapped)  # type: ignore[arg-type]
    return out


def test_migrations_create_exactly_the_tables_of_the_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_batch_stores_records_derives_subject_and_advances_cursor(store: Store) -> None:
    counts = store.apply_batch("permit", "permits", batch(permit(1, "登记管理"), permit(2),
                                                          cursor="2025-01-02T08:00:00+08:00"))
    assert (counts.stored, counts.unchanged, counts.set_aside) == (2, 0, 0)
    assert store.count("permits") == 2
    assert store.count("source_records") == 2
    assert store.cursor("permit", "permits") == "2025-01-02T08:00:00+08:00"
    from ssj_bridge.plugins.registry import default_registry

    [subject] = list(default_registry().rows("subjects", store))
    assert subject["managementClass"] == "重点管理"
    assert subject["active"] is True


def test_unchanged_content_is_not_written_again(store: Store) -> None:
    store.apply_batch("permit", "permits", batch(permit(1)))
    again = store.apply_batch("permit", "permits", batch(permit(1)))
    assert (again.stored, again.unchanged) == (0, 1)


def test_an_older_version_arriving_after_a_newer_one_leaves_the_newer(store: Store) -> None:
    newer = permit(1, status="注销", updateTime="2025-01-03T08:00:00+08:00")
    store.apply_batch("permit", "permits", batch(newer))
    stale = store.apply_batch("permit", "permits", batch(permit(1)))
    assert (stale.stored, stale.unchanged) == (0, 1)
    with store.engine.connect() as conn:
        held = conn.execute(select(source_records.c.source_time)).scalars().all()
    assert held == ["2025-01-03T08:00:00+08:00"]
    assert store.count("permits") == 1
    later = store.apply_batch("permit", "permits", batch(
        permit(1, updateTime="2025-01-04T08:00:00+08:00")))
    assert later.stored == 1


def test_two_versions_of_a_key_in_one_batch_store_the_newer(store: Store) -> None:
    newer = permit(1, status="注销", updateTime="2025-01-03T08:00:00+08:00")
    counts = store.apply_batch("permit", "permits", batch(newer, permit(1)))
    assert counts.stored == 1
    with store.engine.connect() as conn:
        held = conn.execute(select(source_records.c.source_time)).scalars().all()
    assert held == ["2025-01-03T08:00:00+08:00"]


def test_bad_record_is_quarantined_counted_and_released_once_fixed(store: Store) -> None:
    bad = permit(1, klass="重点")
    store.apply_batch("permit", "permits", batch(bad, permit(2)))
    store.apply_batch("permit", "permits", batch(bad))
    [entry] = store.quarantined("permit")
    assert entry["key"] == f"{USCC}001P"
    assert entry["count"] == 2
    assert "managementClass" in entry["reason"] and "'重点'" in entry["reason"]
    assert store.count("permits") == 1
    store.apply_batch("permit", "permits", batch(permit(1)))
    assert store.quarantined("permit") == []
    assert store.count("permits") == 2


def test_cursor_does_not_move_when_the_batch_fails(store: Store) -> None:
    store.apply_batch("permit", "permits", batch(permit(1), cursor="A"))
    broken = batch(permit(2), cursor="B")
    broken.records[0] = broken.records[0].__class__(  # a payload the table cannot take
        key=broken.records[0].key, payload=None, content_hash="x",  # type: ignore[arg-type]
        record=broken.records[0].record)
    with pytest.raises(Exception):  # noqa: B017 - any database error
        store.apply_batch("permit", "permits", broken)
    assert store.cursor("permit", "permits") == "A"
    assert store.count("permits") == 1


def test_second_holder_of_the_lock_is_refused_at_once(store: Store) -> None:
    with store.lock("sync"):
        other = Store(str(store.url.render_as_string(hide_password=False)),
                      lock_dir=store._lock_dir)
        with pytest.raises(LockHeld):
            with other.lock("sync"):
                pass
        other.dispose()
    with store.lock("sync"):
        pass


def test_allow_list_round_trip(store: Store) -> None:
    store.allow_uscc(USCC[:17] + "Y", "legally issued, checked with 市场监管局", "张三")
    assert store.allowed_usccs() == frozenset({USCC[:17] + "Y"})


def test_run_log(store: Store) -> None:
    run_id = store.start_run("sync")
    store.finish_run(run_id, 3, {"exit": 3})
    assert store.count("runs") == 1


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from ssj_bridge.store.engine import _script_heads

    location = resources.files("ssj_bridge.store") / "migrations"
    config = Config()
    config.set_main_option("script_location", str(location))
    assert _script_heads(location / "versions") == set(
        ScriptDirectory.from_config(config).get_heads())


def test_migrating_a_migrated_store_changes_nothing(store: Store) -> None:
    store.migrate()
    assert store._current_heads() is not None
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
