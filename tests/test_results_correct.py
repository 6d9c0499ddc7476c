"""`ssj-bridge results correct`: a recorded result changes only by an approved correction,
every version is kept, and the correction reaches the provincial platform once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from click.testing import Result as CliResult
from sqlalchemy import Connection, select

from ssj_bridge.cli import cli
from ssj_bridge.features.results import record_version
from ssj_bridge.model import Result, beijing_today
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.outbox.queue import pending
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.launch import start_simulators
from ssj_bridge.store import Store
from ssj_bridge.store.schema import result_versions, results
from ssj_bridge.sync import run_sync

REGION = "371000"


def uscc(n: int) -> str:
    body = f"9137100{n:010d}"
    return body + uscc_check_character(body)


@pytest.fixture
def recorded(store: Store) -> Store:
    """A store holding result JG1 (version 1), as pulled from the platform."""
    with store.engine.begin() as conn:
        record_version(conn, Result(task_id="T1", uscc=uscc(1), result_code="01",
                                    inspected_on=date(2026, 10, 12), inspector_ids=["A", "B"]),
                       1, result_id="JG1", origin="platform")
    return store


def correct(store: Store, *args: str) -> CliResult:
    env = {"SSJ_DATABASE_URL": store.url.render_as_string(hide_password=False)}
    return CliRunner().invoke(cli, ["results", "correct", *args], env=env)


def versions(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(result_versions).order_by(result_versions.c.version)))


def corrections(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return pending(conn, "province", "correction", 10)


@pytest.fixture
def heard() -> Iterator[list[tuple[bool, str, int]]]:
    calls: list[tuple[bool, str, int]] = []

    def listen(conn: Connection, result: Result, version: int) -> None:
        calls.append((conn.in_transaction(), result.result_code.value, version))

    subscribers = default_registry().result_recorded
    subscribers.append(listen)
    yield calls
    subscribers.remove(listen)


def test_correction_records_a_new_version_and_queues_it(recorded: Store,
                                                        heard: list[Any]) -> None:
    outcome = correct(recorded, "JG1", "--approved-by", "王科长", "--reason", "检查记录笔误",
                      "resultCode=02", "findings=废气收集设施未正常运行",
                      "rectificationDue=2026-12-01")
    assert outcome.exit_code == 0, outcome.output
    assert "version 2" in outcome.output
    first, second = versions(recorded)
    assert (first.version, first.approved_by) == (1, None)
    assert (second.version, second.approved_by, second.reason) == (2, "王科长", "检查记录笔误")
    assert '"resultCode":"01"' in first.content and '"resultCode":"02"' in second.content
    [row] = [r for r in default_registry().rows("results", recorded) if r["resultId"] == "JG1"]
    assert (row["version"], row["resultCode"], row["rectificationDue"]) == (2, "02", "2026-12-01")
    [item] = corrections(recorded)
    assert item.key == "JG1/v2"
    assert item.payload["changes"] == {"resultCode": "02", "findings": "废气收集设施未正常运行",
                                       "rectificationDue": "2026-12-01"}
    assert (item.payload["approvedBy"], item.payload["reason"]) == ("王科长", "检查记录笔误")
    assert heard == [(True, "02", 2)]  # told inside the transaction that recorded it


@pytest.mark.parametrize("args, why", [
    (["findings=x", "--reason", "笔误"], "--approved-by"),
    (["findings=x", "--approved-by", "王科长"], "--reason"),
    (["findings=x", "--approved-by", "  ", "--reason", "笔误"], "approver"),
    (["findings=x", "--approved-by", "王科长", "--reason", ""], "reason"),
    (["resultCode=09", "--approved-by", "王科长", "--reason", "笔误"], "resultCode"),
    (["taskId=T2", "--approved-by", "王科长", "--reason", "笔误"], "cannot be corrected"),
    (["inspectedOn=tomorrow", "--approved-by", "王科长", "--reason", "笔误"], "inspectedOn"),
    (["resultCode=01", "--approved-by", "王科长", "--reason", "笔误"], "changes nothing"),
    (["--approved-by", "王科长", "--reason", "笔误"], "FIELD=VALUE"),
])
def test_a_correction_without_approver_reason_or_valid_fields_is_refused(
        recorded: Store, heard: list[Any], args: list[str], why: str) -> None:
    outcome = correct(recorded, "JG1", *args)
    assert outcome.exit_code == 2
    assert why in outcome.output
    assert [v.version for v in versions(recorded)] == [1]
    assert corrections(recorded) == []
    assert heard == []


def test_an_inspection_date_in_the_future_is_refused(recorded: Store) -> None:
    tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
    outcome = correct(recorded, "JG1", f"inspectedOn={tomorrow}", "--approved-by", "王科长",
                      "--reason", "笔误")
    assert outcome.exit_code == 2 and "future" in outcome.output


def test_an_unknown_result_is_refused(recorded: Store) -> None:
    outcome = correct(recorded, "JG404", "findings=x", "--approved-by", "王科长", "--reason", "r")
    assert outcome.exit_code == 2 and "JG404" in outcome.output


@dataclass
class Synced:
    """A store synced once from a provincial simulator, and a result in it to correct."""

    store: Store
    settings: Settings
    simulator: Any
    result_id: str

    def sync(self) -> Any:
        return run_sync(self.settings, self.store, load_plugins())


@pytest.fixture
def synced(sqlite_store: Store) -> Iterator[Synced]:
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
        yield Synced(sqlite_store, settings, sims.running["province"].app, row.result_id)
    finally:
        sims.stop()



def test_correction_reaches_the_platform_once_and_the_next_pull_keeps_the_approver(
        synced: Synced) -> None:
    sqlite_store, settings = synced.store, synced.settings
    with sqlite_store.engine.connect() as conn:
        row = conn.execute(select(results).where(results.c.result_id == synced.result_id)).first()
    assert row is not None
    platform = synced.simulator.platform
    outcome = correct(sqlite_store, row.result_id, "findings=复核后更正",
                      "--approved-by", "王科长", "--reason", "复核")
    assert outcome.exit_code == 0, outcome.output
    applied = platform.applied
    report = synced.sync()
    assert report.platforms["province"].sent == 1
    assert platform.applied == applied + 1
    on_platform = platform.results[row.result_id]
    assert (on_platform["version"], on_platform["findings"]) == (2, "复核后更正")
    assert platform.versions[row.result_id][-1]["approvedBy"] == "王科长"
    synced.sync()
    with sqlite_store.engine.connect() as conn:
        kept = list(conn.execute(select(result_versions).where(
            result_versions.c.task_id == row.task_id, result_versions.c.uscc == row.uscc)
            .order_by(result_versions.c.version)))
    assert [(v.version, v.approved_by) for v in kept] == [(1, None), (2, "王科长")]
    assert corrections(sqlite_store) == []
    assert settings.region_code == REGION
