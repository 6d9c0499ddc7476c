"""The outbox: versions, supersession, reversal, request ids, relay outcomes (both backends)."""

from __future__ import annotations

from typing import Any

from ssj_bridge.outbox.queue import OutboxItem, SendOutcome, enqueue, pending, record_outcomes
from ssj_bridge.outbox.relay import relay
from ssj_bridge.store import Store


def put(store: Store, key: str, payload: dict[str, Any]) -> int | None:
    with store.engine.begin() as conn:
        return enqueue(conn, "province", "subject", key, payload)


def queued(store: Store) -> list[OutboxItem]:
    with store.engine.connect() as conn:
        return pending(conn, "province", "subject", 100)


def accept_all(store: Store) -> None:
    with store.engine.begin() as conn:
        record_outcomes(conn, [SendOutcome.accepted(i) for i in pending(
            conn, "province", "subject", 100)])


def test_same_content_is_queued_once(store: Store) -> None:
    assert put(store, "A", {"v": 1}) == 1
    assert put(store, "A", {"v": 1}) is None
    assert [i.version for i in queued(store)] == [1]


def test_newer_content_supersedes_a_pending_version(store: Store) -> None:
    put(store, "A", {"v": 1})
    put(store, "A", {"v": 2})
    [item] = queued(store)
    assert (item.version, item.payload) == (2, {"v": 2})


def test_change_and_reversal_after_acceptance_is_sent_with_a_new_request_id(store: Store) -> None:
    put(store, "A", {"v": 1})
    first = queued(store)[0].request_id
    accept_all(store)
    put(store, "A", {"v": 2})
    accept_all(store)
    assert put(store, "A", {"v": 1}) == 3
    [item] = queued(store)
    assert item.request_id != first
    assert item.request_id == queued(store)[0].request_id  # stable for a resumed run


def test_reversal_of_an_unsent_change_sends_nothing(store: Store) -> None:
    put(store, "A", {"v": 1})
    accept_all(store)
    put(store, "A", {"v": 2})
    assert put(store, "A", {"v": 1}) is None
    assert queued(store) == []


class RecordingSink:
    entity = "subject"
    batch_size = 2

    def __init__(self, reject: set[str], defer_after: int | None = None) -> None:
        self.reject = reject
        self.defer_after = defer_after
        self.seen: list[str] = []

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        outcomes = []
        for item in items:
            if self.defer_after is not None and len(self.seen) >= self.defer_after:
                outcomes.append(SendOutcome.deferred(item, "quota used up"))
                continue
            self.seen.append(item.key)
            if item.key in self.reject:
                outcomes.append(SendOutcome.rejected(item, "42201 bad USCC"))
            else:
                outcomes.append(SendOutcome.accepted(item, {"status": "CREATED"}))
        return outcomes


def test_relay_sends_in_batches_and_quarantines_rejects(store: Store) -> None:
    for key in "ABCDE":
        put(store, key, {"k": key})
    sink = RecordingSink(reject={"C"})
    counts = relay(store, "province", sink)
    assert sink.seen == list("ABCDE")
    assert (counts.sent, counts.rejected, counts.deferred) == (4, 1, 0)
    [entry] = store.quarantined("province")
    assert entry["key"] == "C" and "42201" in entry["reason"]
    assert relay(store, "province", RecordingSink(set())).sent == 0


def test_relay_stops_at_a_deferral_and_resumes_next_run(store: Store) -> None:
    for key in "ABCDE":
        put(store, key, {"k": key})
    first = relay(store, "province", RecordingSink(set(), defer_after=3))
    assert (first.sent, first.deferred) == (3, 2)
    second = relay(store, "province", RecordingSink(set()))
    assert second.sent == 2
    with store.engine.connect() as conn:
        assert pending(conn, "province", "subject", 10) == []
