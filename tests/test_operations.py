"""Operations as an ops engineer meets them: `simulate` prints what a first sync needs, `check`
says whether a run can work without syncing, `status` shows the last runs and what is open.

Every platform here is a real simulator on loopback, started by `ssj-bridge simulate` itself.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import orjson
import pytest
from report_support import Q2, build
from sync_support import CONSOLE_SCRIPT, run_cli

from ssj_bridge.errors import ExitCode
from ssj_bridge.features.deadlines import DeadlineRules, refresh_due_dates
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.operations.status import read_status, status_lines
from ssj_bridge.store import Store
from ssj_bridge.store.schema import quarantine, runs

NEEDED = {"SSJ_REGION_CODE", "SSJ_ORG_CODE", "SSJ_ORG_NAME", "SSJ_POLICY",
          "SSJ_PERMIT__BASE_URL", "SSJ_CREDIT__BASE_URL", "SSJ_PROVINCE__BASE_URL",
          "SSJ_PUBLICITY__BASE_URL"}


def bare_environment(**extra: str) -> dict[str, str]:
    """The process environment without any of the caller's SSJ_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update({"SSJ_LANGUAGE": "en", **extra})  # the suite reads English
    return env


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`ssj-bridge simulate` running; the settings it printed, read as a shell would."""
    cwd = tmp_path_factory.mktemp("simulate")
    process = subprocess.Popen([str(CONSOLE_SCRIPT), "simulate", "--subjects", "150"],
                               env=bare_environment(), cwd=cwd, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        while "SSJ_POLICY" not in printed:
            line = process.stdout.readline()
            assert line, f"simulate ended early with {process.poll()}"
            (word,) = shlex.split(line)
            name, _, value = word.partition("=")
            printed[name] = value
        yield printed
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_simulate_prints_every_setting_and_the_first_sync_works_with_them_alone(
        simulated: dict[str, str], tmp_path: Path) -> None:
    assert set(simulated) >= NEEDED
    assert simulated["SSJ_POLICY"] == "weihai" and simulated["SSJ_REGION_CODE"] == "371000"
    env = bare_environment(**simulated)  # nothing else: the store is the default file

    checked = run_cli(["check"], env, tmp_path)
    assert checked.returncode == ExitCode.OK, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    for name in ("settings", "policy", "permit platform", "credit system",
                 "provincial platform", "publicity system"):
        assert any(line.startswith("ok") and f" {name} " in line for line in lines), lines
    # PDFs need Chromium; a machine without it still passes (HTML documents only).
    assert any(line.split()[1:2] == ["documents"] for line in lines), lines
    assert any(line.startswith("warn") and "does not exist yet" in line for line in lines)
    assert lines[-1] == "ready: a sync can run"
    assert not (tmp_path / "ssj-bridge.db").exists()  # check created nothing
    before = run_cli(["status", "--json"], env, tmp_path)
    assert before.returncode == 0 and orjson.loads(before.stdout)["lastRun"] is None
    assert not (tmp_path / "ssj-bridge.db").exists()  # nor did status

    synced = run_cli(["sync", "--json"], env, tmp_path, timeout=180)
    assert synced.returncode in (ExitCode.OK, ExitCode.SET_ASIDE), synced.stderr[-2000:]
    report = orjson.loads(synced.stdout)
    assert report["platforms"].keys() == {"permit", "credit", "province", "publicity"}

    shown = run_cli(["status", "--json"], env, tmp_path)
    assert shown.returncode == ExitCode.OK, shown.stderr
    status = orjson.loads(shown.stdout)
    last = status["lastRun"]
    assert (last["command"], last["exit"], last["state"]) == ("sync", report["exit"], "finished")
    assert (last["startedAt"], last["durationS"]) == (report["startedAt"], report["durationS"])
    assert status["lastSuccessAt"] == last["finishedAt"]
    assert status["setAside"] == status["quarantine"]["open"]

    again = run_cli(["check", "--json"], env, tmp_path)
    assert again.returncode == ExitCode.OK
    store = next(c for c in orjson.loads(again.stdout)["checks"] if c["name"] == "store")
    assert (store["status"], store["detail"].endswith("schema current, writable")) == ("ok", True)


def test_check_names_each_problem_with_the_exit_code_a_run_would_have(
        simulated: dict[str, str], tmp_path: Path) -> None:
    wrong = bare_environment(**{**simulated, "SSJ_PERMIT__APP_SECRET": "Wr0ng-s3cret-9x",
                                "SSJ_ORG_CODE": ""})
    done = run_cli(["check", "--json"], wrong, tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    found = {c["name"]: c for c in orjson.loads(done.stdout)["checks"]}
    assert found["settings"]["status"] == "failed" and "SSJ_ORG_CODE" in found["settings"]["detail"]
    assert found["platform permit"]["exit"] == ExitCode.CONFIGURATION
    assert found["platform credit"]["status"] == "ok"  # one failure does not stop the others
    assert "Wr0ng-s3cret-9x" not in done.stdout + done.stderr

    with_closed = bare_environment(**{**simulated, "SSJ_CREDIT__BASE_URL": f"http://127.0.0.1:{closed_port()}"})
    started = time.monotonic()
    done = run_cli(["check", "--timeout", "1"], with_closed, tmp_path)
    assert time.monotonic() - started < 30  # a probe is bounded, a sync's deadline is not used
    assert done.returncode == ExitCode.UNAVAILABLE, done.stdout
    failing = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1 and "credit system" in failing[0] and "(exit 75)" in failing[0]
    assert done.stdout.splitlines()[-1] == "not ready: a sync would exit 75"


def test_check_refuses_a_store_it_cannot_write(simulated: dict[str, str], tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    done = run_cli(["sync"], bare_environment(**simulated, SSJ_DATABASE_URL=f"sqlite:///{database}"),
                   tmp_path, timeout=180)
    assert done.returncode in (0, 3)
    # Opened read-only (root ignores file modes, so the URL says it).
    read_only = f"sqlite:///file:{database}?mode=ro&uri=true"
    done = run_cli(["check"], bare_environment(**simulated, SSJ_DATABASE_URL=read_only), tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION, done.stdout
    assert any(line.startswith("FAIL") and "cannot be written" in line
               for line in done.stdout.splitlines()), done.stdout


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_status_lists_runs_and_what_is_open(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    build(store)  # a quarter with two open breaks and overdue publications
    first = store.start_run("sync")
    store.finish_run(first, 75, {"exit": 75, "platforms": {"permit": {"error": "permit: timed out"}},
                                 "durationS": 12.5})
    second = store.start_run("sync")
    store.finish_run(second, 0, {"exit": 0, "platforms": {}, "durationS": 3.25})
    with store.engine.begin() as conn:
        conn.execute(runs.insert().values(command="sync", started_at="2025-08-01T10:00:00+08:00",
                                          host=socket.gethostname(), pid=dead_pid()))
        conn.execute(quarantine.insert().values(
            platform="permit", entity="permit", key="P-BAD", reason="uscc: bad check digit",
            first_seen="2025-08-01T09:00:00+08:00", last_seen="2025-08-01T09:00:00+08:00",
            count=1))
    rules = DeadlineRules(WorkingCalendar.load(None))
    with store.engine.begin() as conn:
        refresh_due_dates(conn, rules)  # as every sync does before it relays
    status = read_status(store, rules, date(2025, 8, 1))
    store.dispose()
    found = status.as_json()
    assert [(r["id"], r["exit"], r["state"], r["durationS"]) for r in found["runs"]] == [
        (3, None, "interrupted", None), (2, 0, "finished", 3.25), (1, 75, "finished", 12.5)]
    assert found["runs"][2]["errors"] == {"permit": "permit: timed out"}
    assert found["runs"][2]["platforms"] == {"permit": {"error": "permit: timed out"}}
    assert found["lastRun"]["id"] == 3
    assert found["lastSuccessAt"] == found["runs"][1]["finishedAt"]
    assert found["quarantine"] == {"open": 1, "byPlatform": {"permit": 1}}
    assert found["breaks"] == {"open": 2, "byKind": {"field_mismatch": 1, "missing_in_store": 1}}
    overdue = found["overduePublications"]
    assert overdue["count"] == 2 and all(i["workingDaysLate"] > 0 for i in overdue["items"])
    # Worst first; both periods count (the report of one quarter lists only its own).
    late = [i["workingDaysLate"] for i in overdue["items"]]
    assert late == sorted(late, reverse=True)
    assert {i.period for i in status.overdue} == {Q2.label, "2025Q1"}
    text = "\n".join(status_lines(status))
    assert "interrupted" in text and "permit platform: permit: timed out" in text
    assert "publications overdue: 2" in text

