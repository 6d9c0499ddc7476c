"""A write first sent longer ago than the platform remembers request ids is checked against
the platform before it goes out again: a correction that arrived is not applied twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from test_results_correct import REGION, correct

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.outbox import ACCEPTED, pending
from ssj_bridge.plugins import load_plugins
from ssj_bridge.resend import mark_sent
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulators import start_simulators
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, results
from ssj_bridge.sync import run_sync
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.sinks import CorrectionSink


def _aged(store: Store, hours: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.entity == "correction").values(
            first_sent_at=iso_beijing(beijing_now() - timedelta(hours=hours))))


def test_a_correction_sent_before_the_platforms_memory_is_confirmed_not_resent(
        sqlite_store: Store) -> None:
    host = load_plugins()
    sims = start_simulators(host, {"region": REGION, "subjects": 40, "seed": 3, "rate_limit": 0},
                            roles=["province"])
    try:
        fields = {k.removeprefix("SSJ_PROVINCE__").lower(): v
                  for k, v in sims.environment().items()}
        settings = Settings(database_url=sqlite_store.url.render_as_string(hide_password=False),
                            region_code=REGION,
                            province=PlatformSettings(**fields, rate_limit=200))
        run_sync(settings, sqlite_store, host)
        with sqlite_store.engine.connect() as conn:
            row = conn.execute(select(results).where(results.c.version == 1)
                               .order_by(results.c.result_id)).first()
        assert row is not None
        assert correct(sqlite_store, row.result_id, "findings=复核后更正", "--approved-by", "王科长",
                       "--reason", "复核").exit_code == 0
        simulator = sims.running["province"].app  # type: ignore[attr-defined]
        platform = simulator.platform
        # A worker sends the correction and dies before it records the answer.
        with sqlite_store.engine.connect() as conn:
            items = pending(conn, "province", "correction", 10)
        mark_sent(sqlite_store, items)
        client = ProvinceClient(ProvinceConfig.model_validate(settings.platform("province")
                                                              .fields()))
        try:
            CorrectionSink(client, REGION).send(items)
        finally:
            client.close()
        assert platform.results[row.result_id]["version"] == 2
        applied = platform.applied
        # Two days later the platform has forgotten the request id.
        _aged(sqlite_store, 48)
        simulator.request_memory = 0.0
        report = run_sync(settings, sqlite_store, host)
        assert report.platforms["province"].sent == 1  # recorded as accepted …
        assert platform.applied == applied  # … without applying it again
        assert len(platform.versions[row.result_id]) == 2
        with sqlite_store.engine.connect() as conn:
            status = conn.execute(select(outbox.c.status).where(
                outbox.c.entity == "correction")).scalar_one()
        assert status == ACCEPTED
    finally:
        sims.stop()


def test_a_correction_the_platform_never_got_is_sent_after_the_memory(
        sqlite_store: Store) -> None:
    host = load_plugins()
    sims = start_simulators(host, {"region": REGION, "subjects": 40, "seed": 3, "rate_limit": 0},
                            roles=["province"])
    try:
        fields = {k.removeprefix("SSJ_PROVINCE__").lower(): v
                  for k, v in sims.environment().items()}
        settings = Settings(database_url=sqlite_store.url.render_as_string(hide_password=False),
                            region_code=REGION,
                            province=PlatformSettings(**fields, rate_limit=200))
        run_sync(settings, sqlite_store, host)
        with sqlite_store.engine.connect() as conn:
            row = conn.execute(select(results).where(results.c.version == 1)
                               .order_by(results.c.result_id)).first()
        assert row is not None
        assert correct(sqlite_store, row.result_id, "findings=更正", "--approved-by", "王科长",
                       "--reason", "复核").exit_code == 0
        with sqlite_store.engine.connect() as conn:
            mark_sent(sqlite_store, pending(conn, "province", "correction", 10))
        _aged(sqlite_store, 48)  # it went out two days ago, and never arrived
        platform = sims.running["province"].app.platform  # type: ignore[attr-defined]
        run_sync(settings, sqlite_store, host)
        assert platform.results[row.result_id]["version"] == 2
        assert platform.results[row.result_id]["findings"] == "更正"
    finally:
        sims.stop()
