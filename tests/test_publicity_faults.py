"""Bad input and faults on the exchange: oversize batches, refusals, slow receipts, E102."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from publicity_support import (
    ORG,
    add_subjects,
    add_task,
    exchange,
    inspected_task,
    pending_items,
    people,
    publication_rows,
    record,
)
from sqlalchemy import select

from ssj_bridge.cli import cli
from ssj_bridge.features.publications import retry
from ssj_bridge.model import beijing_today
from ssj_bridge.outbox.batches import batches
from ssj_bridge.outbox.queue import OutboxItem, enqueue
from ssj_bridge.outbox.relay import relay
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox_batch_items
from ssj_bridge.sync import run_sync


def ledger(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return batches(conn, "publicity")


def test_more_than_500_pending_publications_go_in_batches_of_at_most_500(store: Store) -> None:
    day = (beijing_today() - timedelta(days=2)).isoformat()
    with store.engine.begin() as conn:
        for uscc, name in people(1001):
            enqueue(conn, "publicity", "publication", f"371000-T-0001/{uscc}/{day}", {
                "taskId": "371000-T-0001", "uscc": uscc, "name": name, "inspectedOn": day,
                "resultCode": "01"})
    with exchange() as ex:
        counts = relay(store, "publicity", ex.sink())
        assert (counts.sent, counts.rejected, counts.deferred) == (1001, 0, 0)
        assert sorted(len(b.records) for b in ex.sim.batches.values()) == [1, 500, 500]
        assert len(ex.sim.public_keys()) == 1001 and ex.sim.double_publications() == []
    assert [b["items"] for b in ledger(store)] == [500, 500, 1]
    assert pending_items(store) == 0


def test_the_exchange_s_413_splits_the_batch_and_loses_nothing(store: Store) -> None:
    who = people(5)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange(max_records=3) as ex:
        counts = relay(store, "publicity", ex.sink())
        assert (counts.sent, counts.rejected) == (5, 0)
        assert len(ex.sim.public_keys()) == 5
    statuses = [(b["items"], b["status"]) for b in ledger(store)]
    assert statuses[0] == (5, "abandoned") and "413" in str(ledger(store)[0]["error"])
    assert sorted(n for n, s in statuses[1:]) == [1, 2, 2] and {s for _, s in statuses[1:]} == {"done"}


def test_a_batch_refused_with_e101_is_set_aside_whole_and_not_sent_again(store: Store) -> None:
    who = people(3)
    add_subjects(store, who)
    day = inspected_task(store, "371000-T-0001", who)
    with exchange(refuse_next=1) as ex:
        first = relay(store, "publicity", ex.sink())
        assert (first.sent, first.rejected) == (0, 3)
        quarantined = store.quarantined("publicity")
        assert len(quarantined) == 3
        assert all("E101" in q["reason"] and "publications retry --code E101" in q["reason"]
                   for q in quarantined)
        rows = publication_rows(store)
        assert {(r["status"], r["error_code"]) for r in rows.values()} == {("rejected", "E101")}
        [refused] = ledger(store)
        assert refused["status"] == "refused"
        requests = ex.sim.requests
        again = relay(store, "publicity", ex.sink())  # no loop: nothing is sent
        assert (again.sent, again.rejected, ex.sim.requests) == (0, 0, requests)
        with store.engine.begin() as conn:
            assert len(retry(conn, error_code="E101")) == 3
        fixed = relay(store, "publicity", ex.sink())
        assert fixed.sent == 3
        assert ex.sim.public_keys() == {(u, "371000-T-0001", day.isoformat()) for u, _ in who}
    numbers = [b["batch_no"] for b in ledger(store)]
    assert len(set(numbers)) == 2  # sent again in a new batch
    assert store.quarantined("publicity") == []


def test_a_receipt_that_stays_processing_is_polled_across_runs_never_sent_again(
        store: Store) -> None:
    who = people(3)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange(processing_polls=10**6) as ex:
        settings = ex.settings(store, receipt_wait=0.0)
        host = load_plugins()
        for _ in range(3):
            report = run_sync(settings, store, host, only=["publicity"])
            assert int(report.exit) == 3  # done, but writes deferred
            assert report.platforms["publicity"].deferred == 3
        [batch] = ledger(store)
        assert (batch["status"], batch["polls"]) == ("submitted", 3)
        assert ex.sim.posts(str(batch["batch_no"])) == 1
        assert {r["status"] for r in publication_rows(store).values()} == {"pending"}
        ex.sim.processing_polls = 0
        done = run_sync(settings, store, host, only=["publicity"])
        assert (int(done.exit), done.platforms["publicity"].sent) == (0, 3)
        assert ex.sim.posts(str(batch["batch_no"])) == 1
    assert {r["status"] for r in publication_rows(store).values()} == {"published"}


def test_an_unregistered_uscc_is_set_aside_with_its_reason_and_sent_in_a_new_batch_once_fixed(
        store: Store) -> None:
    who = people(3)
    add_subjects(store, who)
    day = inspected_task(store, "371000-T-0001", who)
    unregistered, name = who[1]
    key = f"371000-T-0001/{unregistered}/{day.isoformat()}"
    with exchange() as ex:
        ex.sim.unregister(unregistered)
        first = relay(store, "publicity", ex.sink())
        assert (first.sent, first.rejected) == (2, 1)
        [entry] = store.quarantined("publicity")
        assert entry["key"] == key
        assert "E102" in entry["reason"] and unregistered in entry["reason"] and name in entry["reason"]
        assert f"publications retry {key}" in entry["reason"]
        row = publication_rows(store)[unregistered]
        assert (row["status"], row["error_code"]) == ("rejected", "E102")
        assert relay(store, "publicity", ex.sink()).sent == 0  # not sent again unchanged
        ex.sim.register(unregistered)
        with store.engine.begin() as conn:
            assert retry(conn, [key]) == [key]
        fixed = relay(store, "publicity", ex.sink())
        assert (fixed.sent, fixed.rejected) == (1, 0)
        assert len(ex.sim.public_keys()) == 3
    first_batch, second_batch = ledger(store)
    assert first_batch["batch_no"] != second_batch["batch_no"] and second_batch["items"] == 1
    assert publication_rows(store)[unregistered]["status"] == "published"
    assert store.quarantined("publicity") == []


def test_a_record_already_public_counts_as_published_on_its_publication_date(
        store: Store) -> None:
    who = people(2)
    add_subjects(store, who)
    day = inspected_task(store, "371000-T-0001", who)
    with exchange() as ex:
        # Someone published the first record a day after the inspection (E105 for us).
        ex.sim.today = day + timedelta(days=1)
        other = ex.sink()
        uscc, name = who[0]
        document = other.document("371000-19990101-0001", [_item(uscc, name, day)])
        other.submit("371000-19990101-0001", document)
        other.client.receipt("371000-19990101-0001")
        other.client.receipt("371000-19990101-0001")
        ex.sim.today = None
        counts = relay(store, "publicity", ex.sink())
        assert (counts.sent, counts.rejected) == (2, 0)
        assert ex.sim.double_publications() == []
    rows = publication_rows(store)
    assert (rows[uscc]["status"], rows[uscc]["error_code"]) == ("published", "E105")
    assert rows[uscc]["published_on"] == day + timedelta(days=1)
    assert rows[who[1][0]]["published_on"] == beijing_today()


def test_a_refused_token_exits_78_naming_the_setting_and_the_batch_waits(store: Store) -> None:
    who = people(2)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange() as ex:
        host = load_plugins()
        bad = run_sync(ex.settings(store, token="wrong"), store, host, only=["publicity"])
        assert int(bad.exit) == 78
        assert "SSJ_PUBLICITY__TOKEN" in str(bad.platforms["publicity"].error)
        assert "wrong" not in str(bad.platforms["publicity"].error)
        [prepared] = ledger(store)
        assert prepared["status"] == "prepared"
        good = run_sync(ex.settings(store), store, host, only=["publicity"])
        assert (int(good.exit), good.platforms["publicity"].sent) == (0, 2)
        [batch] = ledger(store)
        assert batch["batch_no"] == prepared["batch_no"] and batch["status"] == "done"


def test_an_exchange_failing_past_the_deadline_exits_75_and_the_next_run_finishes(
        store: Store) -> None:
    who = people(2)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange(error_rate=1.0) as ex:
        host = load_plugins()
        down = run_sync(ex.settings(store, deadline=0.3), store, host, only=["publicity"])
        assert int(down.exit) == 75
        ex.sim.error_rate = 0.0
        up = run_sync(ex.settings(store), store, host, only=["publicity"])
        assert (int(up.exit), up.platforms["publicity"].sent) == (0, 2)
    assert pending_items(store) == 0


def test_missing_org_settings_are_configuration_errors(store: Store) -> None:
    who = people(1)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange() as ex:
        settings = ex.settings(store)
        settings.org_name = None
        report = run_sync(settings, store, load_plugins(), only=["publicity"])
    assert int(report.exit) == 78 and "SSJ_ORG_NAME" in str(report.platforms["publicity"].error)


def test_every_batch_member_is_recorded_before_sending(store: Store) -> None:
    who = people(4)
    add_subjects(store, who)
    add_task(store, "371000-T-0001", [u for u, _ in who])
    with exchange() as ex:
        sink = ex.sink()
        for uscc, _ in who:
            record(store, "371000-T-0001", uscc, date(2025, 6, 3))
        relay(store, "publicity", sink)
    with store.engine.connect() as conn:
        positions = sorted(r.position for r in conn.execute(select(outbox_batch_items)))
    assert positions == [1, 2, 3, 4]
    assert str(ledger(store)[0]["batch_no"]).startswith("371000-")
    assert ORG[0] in bytes(ledger(store)[0]["document"]).decode()


def _item(uscc: str, name: str, day: date) -> OutboxItem:
    return OutboxItem(0, "publicity", "publication", "k", 1,
                      {"taskId": "371000-T-0001", "uscc": uscc, "name": name,
                       "inspectedOn": day.isoformat(), "resultCode": "01"}, "h")


def test_publications_retry_command_queues_refused_ones_by_code(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    who = people(2)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange() as ex:
        ex.sim.unregister(who[0][0])
        relay(store, "publicity", ex.sink())
    monkeypatch.setenv("SSJ_DATABASE_URL", store.url.render_as_string(hide_password=False))
    runner = CliRunner()
    none = runner.invoke(cli, ["publications", "retry", "--code", "E106"])
    assert none.exit_code == 0 and none.output.startswith("0 publications queued again")
    done = runner.invoke(cli, ["publications", "retry", "--code", "E102"])
    assert done.exit_code == 0 and done.output.startswith("1 publications queued again")
    assert who[0][0] in done.output
    assert publication_rows(store)[who[0][0]]["status"] == "pending"
    assert pending_items(store) == 1
