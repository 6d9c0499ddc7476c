"""Publications are queued with the result that causes them and published exactly once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from publicity_support import (
    add_subjects,
    add_task,
    exchange,
    inspected_task,
    pending_items,
    people,
    publication_rows,
    record,
)
from sqlalchemy import select, update

from ssj_bridge.features.publications import current_rules, refresh_due_dates
from ssj_bridge.features.results import record_version
from ssj_bridge.model import Result, ResultCode, beijing_today
from ssj_bridge.outbox.queue import pending
from ssj_bridge.outbox.relay import relay
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, tasks
from ssj_bridge.sync import run_sync

TASK = "371000-2025Q2-0001"


def test_publication_is_queued_in_the_transaction_that_records_the_result(store: Store) -> None:
    [(uscc, name)] = people(1)
    add_subjects(store, [(uscc, name)])
    add_task(store, TASK, [uscc])
    record(store, TASK, uscc, date(2025, 6, 3), ResultCode.RECTIFICATION_ORDERED)
    row = publication_rows(store)[uscc]
    # Complete on 2025-06-03 (its only assignment has a result); 20 working days, with the
    # Dragon Boat Festival (31 May–2 Jun) already behind it: 4–6 Jun, 9–13, 16–20, 23–27,
    # 30 Jun, 1 Jul → due 2025-07-01.
    assert (row["status"], row["completed_on"], row["due"], row["due_provisional"]) == (
        "pending", date(2025, 6, 3), date(2025, 7, 1), False)
    with store.engine.connect() as conn:
        [item] = pending(conn, "publicity", "publication", 10)
    assert item.key == f"{TASK}/{uscc}/2025-06-03"
    assert item.payload == {"taskId": TASK, "uscc": uscc, "name": name,
                            "inspectedOn": "2025-06-03", "resultCode": "02"}


def test_a_result_whose_transaction_rolls_back_leaves_no_publication(store: Store) -> None:
    [(uscc, _)] = people(1)
    result = Result(task_id=TASK, uscc=uscc, result_code=ResultCode.NO_PROBLEM,
                    inspected_on=date(2025, 6, 3))
    with pytest.raises(RuntimeError), store.engine.begin() as conn:
        record_version(conn, result, 1, result_id=None, origin="local")
        raise RuntimeError("killed before commit")
    assert publication_rows(store) == {}
    assert pending_items(store) == 0


def test_the_deadline_starts_when_the_last_drawn_subject_has_a_result(store: Store) -> None:
    (first, _), (second, _) = who = people(2)
    add_subjects(store, who)
    add_task(store, TASK, [first, second])
    record(store, TASK, first, date(2025, 9, 10))
    assert publication_rows(store)[first]["due"] is None  # the task is not complete yet
    record(store, TASK, second, date(2025, 9, 26))
    rows = publication_rows(store)
    # Both due 20 working days after 2025-09-26, across National Day: 2025-10-30.
    assert {rows[u]["due"] for u in (first, second)} == {date(2025, 10, 30)}
    assert {rows[u]["completed_on"] for u in (first, second)} == {date(2025, 9, 26)}


def test_a_task_the_platform_marks_complete_counts_from_its_completion(store: Store) -> None:
    (first, _), (second, _) = who = people(2)
    add_subjects(store, who)
    add_task(store, TASK, [first, second])
    record(store, TASK, first, date(2025, 9, 10))
    with store.engine.begin() as conn:
        conn.execute(update(tasks).where(tasks.c.task_id == TASK).values(
            status="已完成", completed_on=date(2025, 9, 12)))
        refresh_due_dates(conn, current_rules())
    # 2025-09-12 (Fri) + 20 working days: 15–19 Sep 5, 22–26 10, Sun 28 Sep (调休) 11, 29–30
    # 13, 1–8 Oct off, 9–10 Oct 15, Sat 11 Oct (调休) 16, 13–16 Oct 20 → 2025-10-16.
    assert publication_rows(store)[first]["due"] == date(2025, 10, 16)


def test_a_corrected_inspection_date_replaces_the_unsent_publication(store: Store) -> None:
    [(uscc, name)] = people(1)
    add_subjects(store, [(uscc, name)])
    add_task(store, TASK, [uscc])
    record(store, TASK, uscc, date(2025, 6, 3))
    record(store, TASK, uscc, date(2025, 6, 4), version=2)
    with store.engine.connect() as conn:
        keys = {r.key: r.status for r in conn.execute(select(outbox.c.key, outbox.c.status))}
    assert keys == {f"{TASK}/{uscc}/2025-06-03": "superseded",
                    f"{TASK}/{uscc}/2025-06-04": "pending"}
    assert publication_rows(store)[uscc]["inspected_on"] == date(2025, 6, 4)


def test_sync_publishes_every_result_exactly_once_and_on_time(store: Store) -> None:
    who = people(12)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who[:7])
    inspected_task(store, "371000-T-0002", who[7:])
    with exchange() as ex:
        settings = ex.settings(store)
        host = load_plugins()
        first = run_sync(settings, store, host, only=["publicity"])
        assert (int(first.exit), first.platforms["publicity"].sent) == (0, 12)
        second = run_sync(settings, store, host, only=["publicity"])
        assert (int(second.exit), second.platforms["publicity"].sent) == (0, 0)
        assert len(ex.sim.public_keys()) == 12 and ex.sim.double_publications() == []
    rows = publication_rows(store).values()
    assert {r["status"] for r in rows} == {"published"}
    assert all(r["published_on"] <= r["due"] for r in rows)
    assert pending_items(store) == 0


def test_a_subject_without_a_name_is_held_back_then_sent_once_the_name_arrives(
        store: Store) -> None:
    [(uscc, name)] = people(1)
    day = beijing_today() - timedelta(days=2)
    add_task(store, TASK, [uscc])
    record(store, TASK, uscc, day)
    with exchange() as ex:
        counts = relay(store, "publicity", ex.sink())
        assert (counts.sent, counts.rejected) == (0, 1)
        assert ex.sim.batches == {}  # nothing incomplete reached the exchange
        [entry] = store.quarantined("publicity")
        assert "QYMC" in entry["reason"] and "queued again" in entry["reason"]
        add_subjects(store, [(uscc, name)])
        settings = ex.settings(store)
        report = run_sync(settings, store, load_plugins(), only=["publicity"])
        assert report.platforms["publicity"].sent == 1
        assert ex.sim.public_keys() == {(uscc, TASK, day.isoformat())}
    assert publication_rows(store)[uscc]["status"] == "published"
    assert store.quarantined("publicity") == []


def test_a_result_recorded_without_the_subscriber_is_still_published_once(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    who = people(2)
    add_subjects(store, who)
    monkeypatch.setattr(default_registry(), "result_recorded", [])
    inspected_task(store, "371000-T-0001", who)
    assert publication_rows(store) == {}
    monkeypatch.undo()
    with exchange() as ex:
        report = run_sync(ex.settings(store), store, load_plugins(), only=["publicity"])
        assert report.platforms["publicity"].sent == 2
        assert len(ex.sim.public_keys()) == 2 and ex.sim.double_publications() == []
    assert {r["status"] for r in publication_rows(store).values()} == {"published"}


def test_a_correction_recorded_without_the_subscriber_is_caught_up_before_the_relay(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    [(uscc, name)] = people(1)
    add_subjects(store, [(uscc, name)])
    day = inspected_task(store, "371000-T-0001", [(uscc, name)])
    monkeypatch.setattr(default_registry(), "result_recorded", [])
    record(store, "371000-T-0001", uscc, day, ResultCode.CASE_OPENED, version=2)
    monkeypatch.undo()
    with exchange() as ex:
        run_sync(ex.settings(store), store, load_plugins(), only=["publicity"])
        [published] = ex.sim.published.values()
    assert published.fields["JCJGDM"] == "03"
    assert publication_rows(store)[uscc]["result_code"] == "03"
