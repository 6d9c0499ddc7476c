"""`ssj-bridge sync` as cron runs it: a process, its exit code, its JSON, and a kill -9."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sync_support import (
    Gate,
    Platform,
    contents,
    count_rows,
    environment,
    quarantined_keys,
    run_cli,
    simulator,
    start_cli,
    stored_keys,
    valid_keys,
    wait_until,
)

from ssj_bridge.errors import ExitCode
from ssj_bridge.plugins.host import PluginHost

PLATFORM_FIELDS = {"fetched", "stored", "setAside", "sent", "deferred", "error"}


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def sync_json(env: dict[str, str], cwd: Path) -> tuple[int, dict[str, Any]]:
    before = datetime.now().astimezone()
    done = run_cli(["sync", "--json"], env, cwd)
    after = datetime.now().astimezone()
    lines = done.stdout.splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr)
    report = orjson.loads(lines[0])
    check_run_times(report, before, after)
    return done.returncode, report


ISO_BEIJING = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")


def check_run_times(report: dict[str, Any], before: datetime, after: datetime) -> None:
    """startedAt ≤ finishedAt, both ISO-8601 +08:00 within the process's lifetime, and
    durationS their difference; removed from `report`, so the rest compares exactly."""
    started, finished, duration = (report.pop("startedAt"), report.pop("finishedAt"),
                                   report.pop("durationS"))
    assert ISO_BEIJING.fullmatch(started) and ISO_BEIJING.fullmatch(finished), report
    begin, end = datetime.fromisoformat(started), datetime.fromisoformat(finished)
    assert before.replace(microsecond=0) <= begin <= end <= after
    assert isinstance(duration, float) and 0 <= duration <= (after - before).total_seconds()
    assert abs(duration - (end - begin).total_seconds()) < 1.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_sync_json_prints_exactly_the_contract_shape_and_exits_3_when_records_were_set_aside(
        platform: Platform, tmp_path: Path) -> None:
    sim = simulator(120, malformed_rate=0.05)
    platform.app = sim
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code, report = sync_json(environment(platform.base_url, url), tmp_path)
    assert code == ExitCode.SET_ASIDE
    assert report == {"exit": 3, "platforms": {"permit": {
        "fetched": len(sim.records), "stored": len(valid_keys(sim)),
        "setAside": len(sim.dataset.malformed), "sent": 0, "deferred": 0, "error": None}}}


def test_second_run_exits_75_at_once_while_the_first_holds_the_lock(
        platform: Platform, tmp_path: Path) -> None:
    gate = Gate(simulator(80), pages=1)
    platform.app = gate
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_PERMIT__PAGE_SIZE="20")
    first = start_cli(["sync", "--json"], env, tmp_path)
    try:
        wait_until(gate.reached.is_set, "the first run to be held mid-way")
        code, report = sync_json(env, tmp_path)
        assert (code, report) == (ExitCode.UNAVAILABLE, {"exit": 75, "platforms": {}})
        assert first.poll() is None  # the first run is still holding the lock
    finally:
        gate.close()
        first.communicate(timeout=60)
    assert first.returncode == ExitCode.OK


def test_killed_sync_resumes_and_ends_with_the_store_of_an_uninterrupted_run(
        platform: Platform, host: PluginHost, two_databases: tuple[str, str],
        tmp_path: Path) -> None:
    killed, uninterrupted = two_databases
    sim = simulator(200, malformed_rate=0.04, quirk_rate=0.05)
    gate = Gate(sim, pages=4)
    platform.app = gate
    env = environment(platform.base_url, killed, SSJ_PERMIT__PAGE_SIZE="20")
    run = start_cli(["sync"], env, tmp_path)
    try:
        wait_until(lambda: gate.reached.is_set() and count_rows(killed, "permits") > 0,
                   "batches to be committed")
    finally:
        run.kill()
        run.communicate(timeout=30)
    assert run.returncode == -9
    assert 0 < count_rows(killed, "permits") < len(valid_keys(sim))

    gate.close()
    resumed = run_cli(["sync"], env, tmp_path)
    assert resumed.returncode in (ExitCode.OK, ExitCode.SET_ASIDE), resumed.stderr
    platform.sync(uninterrupted, host, page_size=20)
    assert contents(killed) == contents(uninterrupted)
    assert stored_keys(killed) == valid_keys(sim)


def test_unreachable_platform_exits_75_and_changes_nothing(
        platform: Platform, host: PluginHost, tmp_path: Path) -> None:
    platform.app = simulator(60, malformed_rate=0.05)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    platform.sync(url, host)
    before = contents(url)
    env = environment(f"http://127.0.0.1:{closed_port()}", url)
    code, report = sync_json(env, tmp_path)
    assert code == ExitCode.UNAVAILABLE
    assert report["exit"] == 75
    assert "ConnectError" in report["platforms"]["permit"]["error"]
    assert contents(url) == before


@pytest.mark.parametrize(("change", "variable"), [
    ({"SSJ_PERMIT__APP_SECRET": ""}, "SSJ_PERMIT__APP_SECRET"),
    ({"SSJ_REGION_CODE": "12"}, "SSJ_REGION_CODE"),
])
def test_missing_or_malformed_setting_exits_78_naming_the_variable(
        platform: Platform, tmp_path: Path, change: dict[str, str], variable: str) -> None:
    platform.app = simulator(20)
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}", **change)
    done = run_cli(["sync", "--json"], env, tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    report = orjson.loads(done.stdout)
    assert report["exit"] == 78
    assert variable in done.stdout + done.stderr


def test_uscc_allow_makes_the_next_sync_store_the_holders_quarantined_permits(
        platform: Platform, host: PluginHost, tmp_path: Path) -> None:
    sim = simulator(150, malformed_rate=0.1)
    platform.app = sim
    url = f"sqlite:///{tmp_path / 'store.db'}"
    # No overlap: what the next run stores of this holder can only come from the re-read.
    platform.sync(url, host, overlap_seconds=0)
    holder_permit = next(key for _, key in sim.order
                         if sim.dataset.malformed.get(key) == "bad_check_digit")
    code = holder_permit[:18]
    of_holder = {key for key in quarantined_keys(url) if key.startswith(code)}
    assert holder_permit in of_holder

    env = environment(platform.base_url, url, SSJ_PERMIT__OVERLAP_SECONDS="0")
    allowed = run_cli(["uscc", "allow", code.lower(), "--reason", "经市场监管局核实，依法核发",
                       "--by", "张三"], env, tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert f"allowed {code}" in allowed.stdout and "check character" in allowed.stdout
    exit_code, report = sync_json(env, tmp_path)
    assert exit_code == ExitCode.OK
    assert report["platforms"]["permit"]["stored"] == len(of_holder)
    assert of_holder <= stored_keys(url)
    assert not of_holder & quarantined_keys(url)


def test_cron_runs_under_faults_end_with_every_valid_permit_once_and_every_bad_one_quarantined(
        platform: Platform, tmp_path: Path) -> None:
    sim = simulator(250, error_rate=0.1, rate_429=0.02, truncate_rate=0.05, revoke_every=9,
                    live_updates=1, malformed_rate=0.04, quirk_rate=0.05)
    gate = Gate(sim, pages=3)
    platform.app = gate
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = environment(platform.base_url, url, SSJ_PERMIT__PAGE_SIZE="25")
    killed = start_cli(["sync"], env, tmp_path)
    try:
        wait_until(lambda: gate.reached.is_set() and count_rows(url, "permits") > 0,
                   "batches to be committed")
    finally:
        killed.kill()
        killed.communicate(timeout=30)
    assert killed.returncode == -9
    gate.close()

    exits = []
    for _ in range(6):
        code, report = sync_json(env, tmp_path)
        exits.append(code)
        if code in (ExitCode.OK, ExitCode.SET_ASIDE):
            break
    assert set(exits) <= {ExitCode.OK, ExitCode.SET_ASIDE, ExitCode.UNAVAILABLE}, exits
    assert exits[-1] != ExitCode.UNAVAILABLE, exits
    # The platform goes quiet; the next cron run leaves the store exactly in step with it.
    sim.live_updates = 0
    code, report = sync_json(env, tmp_path)
    assert code in (ExitCode.OK, ExitCode.SET_ASIDE), report

    assert stored_keys(url) == valid_keys(sim)
    exported = run_cli(["export", "quarantine", "--format", "jsonl"], env, tmp_path)
    rows = [orjson.loads(line) for line in exported.stdout.splitlines()]
    assert {row["key"] for row in rows} == set(sim.dataset.malformed)
    assert all(set(row) == {"platform", "entity", "key", "reason", "firstSeen", "lastSeen",
                            "count"} for row in rows)
    assert sim.faults_served > 0
