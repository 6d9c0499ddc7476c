"""A record that breaks mapping is set aside with its reason; the batch and the run go on, and
the run log records how each run really ended."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sync_support import (
    Platform,
    environment,
    quarantined_keys,
    run_cli,
    settings,
    simulator,
    stored_keys,
    valid_keys,
)

from ssj_bridge.errors import ExitCode
from ssj_bridge.plugins.hookspecs import hookimpl
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.policy.rules import PolicySpec
from ssj_bridge.store import Store
from ssj_bridge.store.schema import quarantine, runs
from ssj_bridge.sync import run_sync
from ssj_policies.weihai import build as weihai_rules
from ssj_province.mapping import map_task
from ssj_province_gd.mapping import map_task as gd_map_task


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def last_run(database_url: str) -> tuple[int, dict[str, Any]]:
    store = Store(database_url)
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(runs).order_by(runs.c.id.desc()).limit(1)).one()
        return row.exit_code, orjson.loads(row.summary)
    finally:
        store.dispose()


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_a_permit_nested_300_deep_is_set_aside_and_the_rest_of_its_page_stored(
        platform: Platform, database_url: str, tmp_path: Path) -> None:
    sim = simulator(60)
    poisoned = sorted(sim.records)[7]
    sim.poison(poisoned, depth=300)
    platform.app = sim
    done = run_cli(["sync", "--json"], environment(platform.base_url, database_url,
                                                   SSJ_PERMIT__PAGE_SIZE="20"), tmp_path)
    assert done.returncode == ExitCode.SET_ASIDE, done.stderr
    report = orjson.loads(done.stdout)
    assert report["platforms"]["permit"] == {
        "fetched": len(sim.records), "stored": len(sim.records) - 1, "setAside": 1, "sent": 0,
        "deferred": 0, "error": None}
    assert stored_keys(database_url) == valid_keys(sim) == set(sim.records) - {poisoned}
    assert quarantined_keys(database_url) == {poisoned}
    store = Store(database_url)
    try:
        with store.engine.connect() as conn:
            reason, payload = conn.execute(select(quarantine.c.reason, quarantine.c.payload)).one()
    finally:
        store.dispose()
    assert reason.startswith(f"permit {poisoned}: could not be mapped (")
    assert b"\xe5\xb1\xb1\xe4\xb8\x9c" in payload  # what was received is kept to look at
    assert last_run(database_url) == (ExitCode.SET_ASIDE, report)


@pytest.mark.parametrize("mapping", [map_task, gd_map_task])
def test_a_listed_task_nested_past_the_serialiser_is_set_aside_not_raised(mapping: Any) -> None:
    raw = {"taskId": "371000-2025Q2-0001", "wbbh": "371000-2025Q2-0001", "name": nested(300)}
    rejected = mapping(raw, "page 1 #0", frozenset())
    assert rejected.key == "371000-2025Q2-0001"
    assert "could not be mapped" in rejected.reason
    assert rejected.payload  # kept for the quarantine


class _FailingRules:
    """Weihai's rule book whose classification fails: a fault in a policy plugin's own code,
    which runs inside the sync once every platform is read (an `after_sync` hook's fault is
    isolated and does not end the run)."""

    def __init__(self) -> None:
        self._book = weihai_rules()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)

    def classify(self, facts: Any, quarter: Any) -> Any:
        raise RuntimeError("a plugin's fault")


class _Crash:
    @hookimpl
    def register_policies(self, register: Callable[[PolicySpec], None]) -> None:
        register(PolicySpec("crashing", "威海市", _FailingRules))


def test_the_run_log_records_the_exit_of_a_run_that_crashed(
        platform: Platform, database_url: str) -> None:
    sim = simulator(20)
    platform.app = sim
    store = Store(database_url)
    store.migrate()
    crashing = settings(platform.base_url, database_url).model_copy(update={"policy": "crashing"})
    try:
        with pytest.raises(RuntimeError, match="a plugin's fault"):
            run_sync(crashing, store, load_plugins(extra=[_Crash()]))
    finally:
        store.dispose()
    code, summary = last_run(database_url)
    assert code == 1
    assert summary["exit"] == 1 and summary["error"] == "a plugin's fault"
    assert summary["platforms"]["permit"]["stored"] == len(sim.records)
