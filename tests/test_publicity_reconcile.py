"""Reconciling the store's publications with the exchange's publications listing."""

from __future__ import annotations

from publicity_support import add_subjects, exchange, inspected_task, people
from sqlalchemy import update

from ssj_bridge.outbox.relay import relay
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.reconcile.run import reconcile
from ssj_bridge.store import Store
from ssj_bridge.store.schema import publications


def test_published_results_match_the_listing_and_a_stale_public_record_is_a_break(
        store: Store) -> None:
    who = people(3)
    add_subjects(store, who)
    inspected_task(store, "371000-T-0001", who)
    with exchange() as ex:
        assert relay(store, "publicity", ex.sink()).sent == 3
        settings = ex.settings(store)
        host = load_plugins()
        clean = reconcile(settings, store, host, platform="publicity")
        summary = clean.summary["publicity"]
        assert summary["status"] == "reconciled"
        assert summary["publication"]["matched"] == 3
        # A result corrected after publication: the public record keeps the first code.
        with store.engine.begin() as conn:
            conn.execute(update(publications).where(publications.c.uscc == who[0][0])
                         .values(result_code="02"))
        stale = reconcile(settings, store, host, platform="publicity")
    counts = stale.summary["publicity"]["publication"]
    assert (counts["matched"], counts["field_mismatch"]) == (2, 1)
