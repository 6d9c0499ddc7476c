"""Every command that writes to a platform, or queues (or takes back) what a sync sends, takes
the sync's lock: beside a running sync it exits 75 at once and changes nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from draw_support import ORG, REGION, fill, roster, usccs
from sqlalchemy import func, select
from sync_support import Gate, Platform, environment, run_cli, simulator, start_cli, wait_until

from ssj_bridge.errors import ExitCode
from ssj_bridge.features.results import record_version
from ssj_bridge.model import Category, Result, beijing_today
from ssj_bridge.model.periods import Quarter
from ssj_bridge.store import SYNC_LOCK, Store
from ssj_bridge.store.schema import draws, outbox, result_versions, tasks


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def command_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_") or k == "SSJ_LANGUAGE"}
    env.update(SSJ_DATABASE_URL=url, SSJ_REGION_CODE=REGION, SSJ_ORG_CODE=ORG,
               SSJ_ORG_NAME="威海市生态环境局", SSJ_POLICY="weihai")
    return env


def state(store: Store) -> dict[str, Any]:
    """What the commands would change: the outbox, the draws revealed, the result versions."""
    with store.engine.connect() as conn:
        return {
            "outbox": conn.execute(select(func.count()).select_from(outbox)).scalar_one(),
            "revealed": conn.execute(select(func.count()).select_from(draws).where(
                draws.c.revealed_at.is_not(None))).scalar_one(),
            "versions": conn.execute(select(func.count()).select_from(result_versions))
            .scalar_one(),
            "tasks": conn.execute(select(func.count()).select_from(tasks)).scalar_one()}


def refused_for_the_lock(done: Any) -> None:
    assert done.returncode == ExitCode.UNAVAILABLE, (done.stdout, done.stderr)
    assert "holds the sync lock" in done.stderr


def test_reconcile_repair_beside_a_running_sync_exits_75_and_sends_nothing(
        platform: Platform, tmp_path: Path) -> None:
    gate = Gate(simulator(80), pages=1)
    platform.app = gate
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = environment(platform.base_url, url, SSJ_PERMIT__PAGE_SIZE="20")
    running = start_cli(["sync"], env, tmp_path)
    try:
        wait_until(gate.reached.is_set, "the sync to be held mid-way")
        repair = run_cli(["reconcile", "--repair", "--json"], env, tmp_path)
        refused_for_the_lock(repair)
        assert repair.stdout == ""
    finally:
        gate.close()
        running.communicate(timeout=60)
    assert running.returncode == ExitCode.OK
    assert run_cli(["reconcile", "--repair", "--json"], env, tmp_path).returncode in (
        ExitCode.OK, ExitCode.SET_ASIDE)


def test_commands_that_queue_platform_writes_wait_for_no_sync_and_change_nothing(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(url)
    store.migrate()
    codes = usccs(40)
    fill(store, {Category.KEY: codes[:20], Category.SPECIAL: codes[20:24],
                 Category.SIMPLIFIED: codes[24:]}, roster(10, certified=7), policy="weihai",
         period=Quarter.of(beijing_today()).label)
    with store.engine.begin() as conn:
        record_version(conn, Result(task_id="T1", uscc=codes[0], result_code="01",
                                    inspected_on=date(2026, 10, 12), inspector_ids=["A", "B"]),
                       1, result_id="JG1", origin="platform")
    env = command_env(url)
    period = Quarter.of(beijing_today()).label
    assert run_cli(["draw", "commit", "--period", period, "--matter", "M01"], env,
                   tmp_path).returncode == 0
    draw_run = ["draw", "run", "--period", period, "--matter", "M01", "--witness", "8841"]
    correct = ["results", "correct", "JG1", "--approved-by", "王科长", "--reason", "笔误",
               "resultCode=02"]
    withhold = ["results", "withhold", "JG1", "--reason", "涉及国家秘密", "--approved-by", "李局长"]
    before = state(store)
    try:
        with store.lock(SYNC_LOCK):  # what a running sync holds
            for args in (draw_run, correct, ["publications", "retry"],
                         ["reconcile", "--repair"], withhold):
                refused_for_the_lock(run_cli(args, env, tmp_path))
            assert state(store) == before
        assert run_cli(draw_run, env, tmp_path).returncode == 0
        assert run_cli(correct, env, tmp_path).returncode == 0
        assert run_cli(["publications", "retry"], env, tmp_path).returncode == 0
        after = state(store)
        assert after["revealed"] > 0 and after["versions"] == before["versions"] + 1
        assert run_cli(withhold, env, tmp_path).returncode == 0
        assert state(store) == after

        exported = run_cli(["export", "tasks"], env, tmp_path)
        task = orjson.loads(exported.stdout.splitlines()[0])
        group = task["assignments"][0]
        with store.lock(SYNC_LOCK):
            refused_for_the_lock(run_cli(
                ["draw", "redraw", task["taskId"], "--uscc", group["uscc"], "--inspector",
                 group["inspectorIds"][0], "--approved-by", "王科长"], env, tmp_path))
            assert state(store) == after
    finally:
        store.dispose()
