"""A write first sent longer ago than the platform remembers request ids is checked against
the platform before it goes out again: a correction that arrived is not applied twice."""

from __future__ import annotations

from datetime import timedelta

import test_results_correct
from sqlalchemy import select, update
from test_results_correct import REGION, Synced, correct

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.outbox.queue import ACCEPTED, pending
from ssj_bridge.outbox.resend import mark_sent
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.sinks import CorrectionSink

synced = test_results_correct.synced  # the fixture: a store synced once, a result in it

def _aged(store: Store, hours: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.entity == "correction").values(
            first_sent_at=iso_beijing(beijing_now() - timedelta(hours=hours))))


def test_a_correction_sent_before_the_platforms_memory_is_confirmed_not_resent(
        synced: Synced) -> None:
    store, result_id = synced.store, synced.result_id
    assert correct(store, result_id, "findings=复核后更正", "--approved-by", "王科长",
                   "--reason", "复核").exit_code == 0
    platform = synced.simulator.platform
    # A worker sends the correction and dies before it records the answer.
    with store.engine.connect() as conn:
        items = pending(conn, "province", "correction", 10)
    mark_sent(store, items)
    client = ProvinceClient(ProvinceConfig.model_validate(synced.settings.platform("province")
                                                          .fields()))
    try:
        CorrectionSink(client, REGION).send(items)
    finally:
        client.close()
    assert platform.results[result_id]["version"] == 2
    applied = platform.applied
    # Two days later the platform has forgotten the request id.
    _aged(store, 48)
    synced.simulator.request_memory = 0.0
    report = synced.sync()
    assert report.platforms["province"].sent == 1  # recorded as accepted …
    assert platform.applied == applied  # … without applying it again
    assert len(platform.versions[result_id]) == 2
    with store.engine.connect() as conn:
        status = conn.execute(select(outbox.c.status).where(
            outbox.c.entity == "correction")).scalar_one()
    assert status == ACCEPTED


def test_a_correction_the_platform_never_got_is_sent_after_the_memory(synced: Synced) -> None:
    store, result_id = synced.store, synced.result_id
    assert correct(store, result_id, "findings=更正", "--approved-by", "王科长",
                   "--reason", "复核").exit_code == 0
    with store.engine.connect() as conn:
        mark_sent(store, pending(conn, "province", "correction", 10))
    _aged(store, 48)  # it went out two days ago, and never arrived
    synced.sync()
    platform = synced.simulator.platform
    assert platform.results[result_id]["version"] == 2
    assert platform.results[result_id]["findings"] == "更正"
