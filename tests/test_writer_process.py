"""The store's writer process: same store as writing in-process, failures reported, dies with
the sync."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_support import (
    APP_ID,
    APP_SECRET,
    FAST_RETRIES,
    REGION,
    Gate,
    Platform,
    contents,
    count_rows,
    environment,
    run_cli,
    simulator,
    start_cli,
    stored_keys,
    valid_keys,
    wait_until,
)
from test_store_batches import batch, permit, walk
from test_store_batches import contents as batch_contents

from ssj_bridge.errors import StoreFailed
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.store import Store
from ssj_bridge.sync import run_sync


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def wait_for_writer_process(writer: object) -> None:
    process = writer.writer_process  # type: ignore[attr-defined]
    assert process is not None, "no writer process was started"
    wait_until(process.ready, "the writer process to start", timeout=60)


def test_the_writer_process_stores_what_the_writer_itself_would(
        store: Store, second_store: Store) -> None:
    with second_store.batch_writer("permit", "permits", writer_process_from=None) as writer:
        for b in walk():
            assert writer.apply(b) is not None
    in_process = writer.totals

    batches = walk()
    batches[0].total = 8
    with store.batch_writer("permit", "permits", writer_process_from=1) as writer:
        assert writer.apply(batches[0]) is not None  # stored here while the process starts
        wait_for_writer_process(writer)
        pid = writer.writer_process.pid
        for b in batches[1:]:
            assert writer.apply(b) is None  # sent to the process
    assert writer.totals == in_process
    assert batch_contents(store) == batch_contents(second_store)
    assert not _alive(pid)


def test_a_small_stream_is_written_in_process(store: Store) -> None:
    batches = walk()
    batches[0].total = 8
    with store.batch_writer("permit", "permits", writer_process_from=9) as writer:
        for b in batches:
            writer.apply(b)
        assert writer.writer_process is None
    assert store.count("permits") == 3  # the fourth is set aside


def test_a_writer_process_that_cannot_start_leaves_the_stream_to_this_one(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")  # exits at once, reads nothing
    batches = walk()
    batches[0].total = 8
    with store.batch_writer("permit", "permits", writer_process_from=1) as writer:
        for b in batches:
            time.sleep(0.1)  # long enough for it to have exited
            assert writer.apply(b) is not None
        assert writer.writer_process is None
    assert store.count("permits") == 3
    assert store.cursor("permit", "permits") == batches[-1].cursor


def test_a_failure_in_the_writer_process_is_reported_and_earlier_batches_stay(
        store: Store) -> None:
    batches = walk()[:2]
    batches[0].total = 3
    broken = batch(permit(9), cursor="2025-01-09T08:00:00+08:00")
    broken.records[0] = broken.records[0].__class__(  # a payload the table cannot take
        key=broken.records[0].key, payload=None, content_hash="x",  # type: ignore[arg-type]
        record=broken.records[0].record)
    with pytest.raises(StoreFailed, match=r"IntegrityError|NotNullViolation|NOT NULL"):
        with store.batch_writer("permit", "permits", writer_process_from=1) as writer:
            writer.apply(batches[0])
            wait_for_writer_process(writer)
            writer.apply(batches[1])
            writer.apply(broken)
            # The failure reaches this side at the next batch or when the writer closes.
            for _ in range(50):
                writer.apply(batch(permit(10), cursor="2025-01-10T08:00:00+08:00"))
                time.sleep(0.01)
    assert store.cursor("permit", "permits") == "2025-01-02T08:00:00+08:00"
    assert store.count("permits") == 2


def run_settings(base_url: str, database_url: str, writer_process_from: int) -> Settings:
    section = PlatformSettings(base_url=base_url, app_id=APP_ID, app_secret=APP_SECRET,
                               page_size=25, **FAST_RETRIES)  # type: ignore[arg-type]
    return Settings(database_url=database_url, region_code=REGION, permit=section,
                    writer_process_from=writer_process_from)


def test_a_sync_through_the_writer_process_ends_as_one_without(
        platform: Platform, host: PluginHost, database_url: str, tmp_path: Path) -> None:
    sim = simulator(400, malformed_rate=0.05, quirk_rate=0.05)
    platform.app = sim
    other = f"sqlite:///{tmp_path / 'in-process.db'}"
    reports = []
    for url, threshold in ((database_url, 1), (other, 0)):
        store = Store(url)
        store.migrate()
        try:
            reports.append(run_sync(run_settings(platform.base_url, url, threshold), store,
                                    host))
        finally:
            store.dispose()
    through_process, in_process = reports
    assert through_process.exit == in_process.exit
    assert (through_process.platforms["permit"].as_json()
            == in_process.platforms["permit"].as_json())
    assert through_process.platforms["permit"].stored > 0
    assert contents(database_url).quarantine == contents(other).quarantine
    assert stored_keys(database_url) == stored_keys(other)


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the writer process dies with its parent through a Linux prctl")
def test_killing_the_sync_kills_its_writer_process_and_the_next_run_resumes(
        platform: Platform, host: PluginHost, two_databases: tuple[str, str],
        tmp_path: Path) -> None:
    # Pages of 100: PostgreSQL's store copies them (COPY) and merges them, as a large sync.
    sim = simulator(1200, malformed_rate=0.04, quirk_rate=0.05)
    gate = Gate(sim, pages=4)
    platform.app = gate
    url, uninterrupted = two_databases
    env = environment(platform.base_url, url, SSJ_PERMIT__PAGE_SIZE="100",
                      SSJ_WRITER_PROCESS_FROM="1")
    run = start_cli(["sync"], env, tmp_path)
    try:
        wait_until(lambda: gate.reached.is_set() and count_rows(url, "permits") > 0,
                   "batches to be committed")
        writers = _children(run.pid)
        assert len(writers) == 1, "the sync runs one writer process"
    finally:
        run.kill()
        run.communicate(timeout=30)
    wait_until(lambda: not _alive(writers[0]), "the writer process to die with the sync")
    assert 0 < count_rows(url, "permits") < len(valid_keys(sim))

    gate.close()
    resumed = run_cli(["sync"], env, tmp_path)
    assert resumed.returncode in (0, 3), resumed.stderr
    platform.sync(uninterrupted, host, page_size=100)
    assert contents(url) == contents(uninterrupted)
    assert stored_keys(url) == valid_keys(sim)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A process that died but was not reaped yet is a zombie: gone for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[1][0] != "Z"
