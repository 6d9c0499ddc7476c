"""The province deployment end to end on PostgreSQL: regions registered as data, a schedule
process and two worker processes, a worker killed with SIGKILL mid-run.

The killed worker's sync dies with it, the queue hands its job to the other worker once its
heartbeat is overdue, and the region resumes; no two runs of a region overlap, and every write
the regions' stores record as accepted was executed by its platform exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.regions.registry import Province, attempts
from ssj_bridge.testing.fleet import RegionFleet, killed_children, overlapping_runs, write_ledger
from ssj_province.mapping import inspector_to_platform, subject_to_platform

pytestmark = pytest.mark.postgres

SIZES = {"371001": 700, "371002": 400, "371003": 250}
STALL, HEARTBEAT, TICK = 4, 1, 2
CLI = [sys.executable, "-m", "ssj_bridge.cli"]
T = TypeVar("T")
# The provincial platform's items, as the reference adapter maps the library's outbox payloads.
LIBRARY_ITEMS = {"subject": subject_to_platform, "inspector": inspector_to_platform}


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    return {**env, "SSJ_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


def _wait_for(what: str, probe: Callable[[], T | None], timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def province_url(postgres_database: str) -> str:
    return postgres_database


def test_two_workers_resume_a_killed_region(province_url: str, host: PluginHost,
                                           tmp_path: Path) -> None:
    fleet = RegionFleet.start(host, SIZES, tmp_path / "regions",
                              options={"latency": 0.01, "live_updates": 2})
    env = _env(province_url)
    processes: list[subprocess.Popen[bytes]] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def spawn(*args: str) -> subprocess.Popen[bytes]:
        out = (logs / f"{args[0]}-{len(processes)}.log").open("wb")
        process = subprocess.Popen([*CLI, *args], env=env, cwd=tmp_path, stdout=out,
                                   stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    def cli(*args: str) -> str:
        done = subprocess.run([*CLI, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    province = Province(province_url)
    try:
        assert "job queue installed" in cli("migrate", "--all-regions")
        for code, region in fleet.regions.items():
            cli("regions", "add", code, "--policy", "weihai", "--config", str(region.config),
                "--interval", "6")
        assert [r.code for r in province.regions()] == sorted(SIZES)
        queue_flags = ("--stall-timeout", str(STALL), "--heartbeat", str(HEARTBEAT))
        spawn("schedule", "--tick", str(TICK), *queue_flags)
        workers = [spawn("worker", *queue_flags) for _ in range(2)]

        def running_attempt() -> Any:
            with province.engine.connect() as conn:
                row = conn.execute(select(attempts).where(
                    attempts.c.finished_at.is_(None), attempts.c.child_pid.is_not(None))
                    .order_by(attempts.c.id)).first()
            if row is None or (datetime.now().astimezone() - row.started_at).total_seconds() < 1:
                return None
            return row

        victim_attempt = _wait_for("a sync running for a second", running_attempt, 90)
        victim = next(w for w in workers if w.pid == victim_attempt.worker_pid)
        victim.send_signal(signal.SIGKILL)
        killed_at = datetime.now().astimezone()
        victim.wait(timeout=10)
        # The sync it ran dies with it (and with it, the region's store lock).
        _wait_for("the killed worker's sync to die",
                  lambda: not killed_children([victim_attempt.child_pid]), 10)
        spawn("worker", *queue_flags)  # what systemd's Restart=always does

        def resumed() -> Any:
            # The killed job run again, or, when the region's next sync already waited, that
            # one (the killed job then ends: the waiting one does its work).
            with province.engine.connect() as conn:
                return conn.execute(select(attempts).where(
                    attempts.c.region == victim_attempt.region,
                    attempts.c.started_at > killed_at,
                    attempts.c.exit_code.in_((0, 3))).order_by(attempts.c.id)).first()

        again = _wait_for("the killed region to sync again", resumed, 120)
        # Handed back after the heartbeat went stale, picked up within a tick or two.
        assert (again.started_at - killed_at).total_seconds() < STALL + 4 * TICK + 10

        def every_region_synced_since() -> bool:
            with province.engine.connect() as conn:
                done = set(conn.execute(select(attempts.c.region).where(
                    attempts.c.started_at > killed_at, attempts.c.exit_code.in_((0, 3))))
                    .scalars())
            return done == set(SIZES)

        _wait_for("every region to sync after the kill", every_region_synced_since, 120)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    try:
        # One last clean round, so nothing is left in flight, then the ledgers.
        cli("schedule", "--once", "--now")
        cli("worker", "--until-idle")
        with province.engine.connect() as conn:
            failed = conn.execute(select(attempts).where(
                attempts.c.exit_code.not_in((0, 3, 75)))).all()
        assert failed == [], failed
        for code, region in fleet.regions.items():
            store = province.store(code)
            try:
                ended = {victim_attempt.child_pid: killed_at}
                assert overlapping_runs(store, ended) == 0, code
                with region.lock:
                    ledger = write_ledger(store, list(region.applied), to_platform=LIBRARY_ITEMS)
                assert ledger.owed > 0, code
                assert (ledger.duplicated, ledger.lost, ledger.pending) == (0, 0, 0), (code, ledger)
            finally:
                store.dispose()
    finally:
        province.dispose()
        fleet.stop()
