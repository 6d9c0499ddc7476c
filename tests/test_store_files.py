"""The embedded store's files: private from the start, and a run that loses its file says so."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sync_support import (
    Gate,
    Platform,
    count_rows,
    environment,
    run_cli,
    simulator,
    start_cli,
    wait_until,
)

from ssj_bridge.errors import ExitCode, StoreFailed
from ssj_bridge.store import Store


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most hosts run cron with: files are 0644 unless the program says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_its_wal_shm_and_lock_file_are_readable_by_the_owner_only(
        platform: Platform, tmp_path: Path, usual_umask: None) -> None:
    gate = Gate(simulator(80), pages=1)
    platform.app = gate
    db = tmp_path / "store.db"
    env = environment(platform.base_url, f"sqlite:///{db}", SSJ_PERMIT__PAGE_SIZE="20")
    run = start_cli(["sync"], env, tmp_path)
    try:
        wait_until(gate.reached.is_set, "the run to be held mid-way")
        held = {p.name: mode(p) for p in tmp_path.iterdir() if p.name.startswith("store.db")}
    finally:
        gate.close()
        _out, err = run.communicate(timeout=60)
    assert run.returncode == ExitCode.OK, err
    assert held == {"store.db": 0o600, "store.db-wal": 0o600, "store.db-shm": 0o600,
                    "store.db.sync.lock": 0o600}
    assert "readable by others" not in err


def test_an_existing_store_file_others_can_read_is_warned_about_by_name(
        platform: Platform, tmp_path: Path, usual_umask: None) -> None:
    platform.app = simulator(20)
    db = tmp_path / "store.db"
    env = environment(platform.base_url, f"sqlite:///{db}")
    assert run_cli(["sync"], env, tmp_path).returncode == ExitCode.OK
    db.chmod(0o644)
    again = run_cli(["sync"], env, tmp_path)
    assert again.returncode == ExitCode.OK, again.stderr
    warnings = [orjson.loads(line) for line in again.stderr.splitlines()
                if "readable by others" in line]
    assert [(w["level"], w["path"], w["mode"]) for w in warnings] == [
        ("warning", str(db), "0o644")]
    assert mode(db) == 0o644  # the operator's choice is reported, not overridden


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_store_deleted_or_replaced_mid_run_fails_with_75_and_reports_nothing_stored(
        platform: Platform, tmp_path: Path, how: str) -> None:
    gate = Gate(simulator(120), pages=3)
    platform.app = gate
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    env = environment(platform.base_url, url, SSJ_PERMIT__PAGE_SIZE="20")
    run = start_cli(["sync", "--json"], env, tmp_path)
    try:
        wait_until(lambda: gate.reached.is_set() and count_rows(url, "permits") > 0,
                   "batches to be committed")
        for path in tmp_path.glob("store.db*"):
            if not path.name.endswith(".lock"):
                path.unlink()
        if how == "replaced":
            db.write_bytes(b"")  # a restore script putting an (empty) file in its place
    finally:
        gate.close()
        out, err = run.communicate(timeout=60)
    assert run.returncode == ExitCode.UNAVAILABLE, err
    summary = orjson.loads(out)
    # when it ran is said too (startedAt, finishedAt, durationS); no platform was reached
    assert summary.keys() - {"startedAt", "finishedAt", "durationS"} == {"exit", "platforms"}
    assert summary["exit"] == 75 and summary["platforms"] == {}
    assert f"the store {db} was {'deleted' if how == 'deleted' else 'replaced'}" in err


def test_a_batch_committed_after_the_file_went_away_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = Store(f"sqlite:///{db}")
    store.migrate()
    try:
        store.check_file()
        db.rename(tmp_path / "elsewhere.db")
        with pytest.raises(StoreFailed, match="was deleted"):
            store.check_file()
    finally:
        store.dispose()
