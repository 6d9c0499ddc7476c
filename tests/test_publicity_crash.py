"""A run killed at any step neither loses nor duplicates a publication (both backends)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from publicity_support import (
    Exchange,
    add_subjects,
    exchange,
    inspected_task,
    pending_items,
    people,
    publication_rows,
)

from ssj_bridge.outbox.batches import BatchSink, batches
from ssj_bridge.outbox.queue import OutboxItem, SendOutcome
from ssj_bridge.outbox.relay import relay
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.store import Store
from ssj_publicity.sink import PublicationSink


class Killed(Exception):
    """The process dies here."""


class CrashingSink:
    """The real sink, killed right after one of its steps has reached the exchange."""

    def __init__(self, sink: PublicationSink, after: str) -> None:
        self.sink = sink
        self.after = after
        self.entity = sink.entity
        self.batch_size = sink.batch_size
        self.receipt_wait = sink.receipt_wait
        self.poll_interval = sink.poll_interval

    def check(self, item: OutboxItem) -> str | None:
        return self.sink.check(item)

    def number(self, day: date, sequence: int) -> str:
        return self.sink.number(day, sequence)

    def document(self, number: str, items: Sequence[OutboxItem]) -> bytes:
        return self.sink.document(number, items)

    def submit(self, number: str, document: bytes) -> None:
        if self.after == "record":
            raise Killed("killed after the batch was recorded, before it was sent")
        self.sink.submit(number, document)
        if self.after == "submit":
            raise Killed("killed after the exchange accepted the batch")

    def poll(self, number: str, items: Sequence[OutboxItem]) -> list[SendOutcome] | None:
        outcomes = self.sink.poll(number, items)
        if self.after == "poll" and outcomes is not None:
            raise Killed("killed after the receipt was DONE, before the outcomes were stored")
        return outcomes


def crash_then_resume(store: Store, ex: Exchange, after: str) -> str:
    who = people(4)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    crashing = CrashingSink(ex.sink(), after)
    assert isinstance(crashing, BatchSink)
    with pytest.raises(Killed):
        relay(store, "publicity", crashing)
    with store.engine.connect() as conn:
        [batch] = batches(conn, "publicity")
    number = str(batch["batch_no"])
    counts = relay(store, "publicity", ex.sink())
    assert (counts.sent, counts.rejected, counts.deferred) == (4, 0, 0)
    with store.engine.connect() as conn:
        [done] = batches(conn, "publicity")
    assert (done["batch_no"], done["status"], done["document"]) == (
        number, "done", batch["document"])  # same number, same content
    assert len(ex.sim.public_keys()) == 4 and ex.sim.double_publications() == []
    assert {r["status"] for r in publication_rows(store).values()} == {"published"}
    assert pending_items(store) == 0
    return number


def test_resubmission_after_a_crash_between_send_and_record_sends_the_same_batch(
        store: Store) -> None:
    with exchange() as ex:
        number = crash_then_resume(store, ex, "submit")
        # Sent twice with one number and one content: the exchange answered the repeat with the
        # batch's receipt (HTTP 200), not E109, and published each record once.
        assert ex.sim.posts(number) == 2 and list(ex.sim.batches) == [number]


def test_a_crash_after_recording_the_batch_sends_it_once_on_resume(store: Store) -> None:
    with exchange() as ex:
        number = crash_then_resume(store, ex, "record")
        assert ex.sim.posts(number) == 1


def test_a_crash_after_the_receipt_is_done_polls_it_again_and_sends_nothing(
        store: Store) -> None:
    with exchange() as ex:
        number = crash_then_resume(store, ex, "poll")
        assert ex.sim.posts(number) == 1


def test_a_crash_inside_the_transaction_storing_the_outcomes_rolls_it_back(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = default_registry().outcome_handlers["publication"]
    calls = 0

    def dying(conn, item, outcome):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Killed("killed while storing the outcomes")
        handler(conn, item, outcome)

    who = people(4)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange() as ex:
        monkeypatch.setitem(default_registry().outcome_handlers, "publication", dying)
        with pytest.raises(Killed):
            relay(store, "publicity", ex.sink())
        # Nothing of the interrupted transaction stayed: no publication is marked published.
        assert {r["status"] for r in publication_rows(store).values()} == {"pending"}
        monkeypatch.setitem(default_registry().outcome_handlers, "publication", handler)
        counts = relay(store, "publicity", ex.sink())
        assert counts.sent == 4
        assert len(ex.sim.batches) == 1 and ex.sim.double_publications() == []
    assert {r["status"] for r in publication_rows(store).values()} == {"published"}
