"""Reconciliation against a live permit simulator seeded with known differences."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.reconcile.normalise import day, items, normalise, text
from ssj_bridge.reconcile.run import reconcile
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.server import RunningSimulator, serve
from ssj_bridge.store import Store
from ssj_bridge.sync import run_sync
from ssj_permit.simulator.app import PermitSimulator
from ssj_permit.simulator.dataset import build


@pytest.fixture
def permit_sim() -> Iterator[tuple[PermitSimulator, RunningSimulator]]:
    app = PermitSimulator(build("371000", 60, multi_site_every=0), region="371000",
                          rate_limit=0)
    running = serve("permit", app)
    yield app, running
    running.stop()


def settings_for(running: RunningSimulator, db: str) -> Settings:
    values: dict[str, Any] = {
        "database_url": db, "region_code": "371000",
        "permit": PlatformSettings(base_url=running.base_url, app_id="demo-app",
                                   app_secret="demo-secret", overlap_seconds=0)}
    return Settings(**values)


def test_normalisation_ignores_white_space_full_width_case_and_date_format() -> None:
    assert text(" 威海某 化工\u3000有限公司 ") == text("威海某化工有限公司")
    assert text("ＡＢＣ１２３") == "ABC123"
    assert day("20250612") == day("2025/06/12") == day("2025-06-12T08:00:00+08:00")
    assert items(["b", "a"]) == items("a;b")
    kinds = {"uscc": "code", "name": "text"}
    assert normalise({"uscc": "91130200699229617x ", "name": "甲"}, kinds) == normalise(
        {"uscc": "９１１３０２００６９９２２９６１７Ｘ", "name": " 甲"}, kinds)


def test_reconcile_reports_exactly_the_seeded_differences(
        permit_sim: tuple[PermitSimulator, RunningSimulator], tmp_path: Path) -> None:
    app, running = permit_sim
    settings = settings_for(running, f"sqlite:///{tmp_path / 's.db'}")
    store = Store(settings.database_url)
    store.migrate()
    host = load_plugins()
    run_sync(settings, store, host)
    keys = sorted(app.records)
    # White space and full-width characters only: not a break.
    cosmetic = keys[0]
    name = app.records[cosmetic]["orgName"]
    app.records[cosmetic]["orgName"] = f" {name}\u3000"
    app.rendered[cosmetic] = __import__("orjson").dumps(app.records[cosmetic])
    # A record the store lacks, one the platform lost, one changed, one listed twice.
    app.add({**app.records[keys[1]], "permitNo": keys[1][:18] + "009P"})
    lost = keys[2]
    app.order = [o for o in app.order if o[1] != lost]
    original_name = app.records[keys[3]]["orgName"]
    app.touch(keys[3], orgName="改名后的公司")
    duplicated = keys[4]
    app.order.append(("2025-06-01T00:00:00+08:00", duplicated))
    app.order.sort()
    # Changes made in the second a listing begins count as in flight: let the plants age.
    time.sleep(1.05)

    report = reconcile(settings, store, host).as_json()
    found = {(b["kind"], b["key"]) for b in report["breaks"]}
    assert found == {("missing_in_store", keys[1][:18] + "009P"),
                     ("missing_on_platform", lost),
                     ("field_mismatch", keys[3]),
                     ("duplicate_key", duplicated)}
    mismatch = next(b for b in report["breaks"] if b["kind"] == "field_mismatch")
    assert mismatch["fields"] == {"orgName": {"store": text(original_name),
                                              "platform": "改名后的公司"}}
    summary = report["summary"]["permit"]
    assert summary["status"] == "reconciled"
    assert summary["permit"]["matched"] == 60 - 3
    assert all(b["runsOpen"] == 1 for b in report["breaks"])

    second = reconcile(settings, store, host).as_json()
    assert {b["runsOpen"] for b in second["breaks"]} == {2}
    assert {b["firstSeen"] for b in second["breaks"]} == {b["firstSeen"]
                                                          for b in report["breaks"]}
    # The store catches up with the platform: the changed and the new record are resolved.
    run_sync(settings, store, host)
    third = reconcile(settings, store, host).as_json()
    assert {b["kind"] for b in third["breaks"]} == {"missing_on_platform", "duplicate_key"}


def test_a_listing_failing_halfway_reports_the_platform_not_every_record_missing(
        permit_sim: tuple[PermitSimulator, RunningSimulator], tmp_path: Path) -> None:
    app, running = permit_sim
    settings = settings_for(running, f"sqlite:///{tmp_path / 's.db'}")
    settings.permit.__pydantic_extra__["page_size"] = 10  # type: ignore[index]
    settings.permit.__pydantic_extra__["deadline"] = 1.0  # type: ignore[index]
    store = Store(settings.database_url)
    store.migrate()
    host = load_plugins()
    run_sync(settings, store, host)
    calls = {"n": 0}
    original = app.__call__

    def failing_after_two_pages(request: Any) -> Any:
        if request.path == "/api/v1/permits":
            calls["n"] += 1
            if calls["n"] > 2:
                from ssj_bridge.simulation.server import SimResponse
                return SimResponse(503, b'{"code":50001,"msg":"busy","data":null}')
        return original(request)

    running.server.RequestHandlerClass.app = staticmethod(failing_after_two_pages)  # type: ignore[attr-defined]
    report = reconcile(settings, store, host)
    assert report.summary["permit"]["status"] == "failed"
    assert report.breaks == []
    assert int(report.exit) == 75
