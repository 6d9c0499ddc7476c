"""`SSJ_<PLATFORM>__DEADLINE` bounds the whole run on a platform: a run that reaches it stops
there (75), says so naming the setting, and keeps and reports what it stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sync_support import Platform, environment, run_cli, simulator, stored_keys, valid_keys

from ssj_bridge.errors import ExitCode


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def test_a_run_that_reaches_its_deadline_reports_what_it_stored_and_names_the_setting(
        platform: Platform, tmp_path: Path) -> None:
    sim = simulator(300, latency=0.3)  # a slow platform, and nothing failing
    platform.app = sim
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = environment(platform.base_url, url, SSJ_PERMIT__PAGE_SIZE="20",
                      SSJ_PERMIT__DEADLINE="2")
    done = run_cli(["sync", "--json"], env, tmp_path)
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    report = orjson.loads(done.stdout)["platforms"]["permit"]
    kept = stored_keys(url)
    assert 0 < len(kept) < len(sim.records)
    assert report["stored"] == len(kept)
    assert report["error"].startswith("permit: SSJ_PERMIT__DEADLINE=2s reached, the run stops "
                                      f"here; {len(kept)} records stored by this run are kept")

    env["SSJ_PERMIT__DEADLINE"] = "60"
    again = run_cli(["sync", "--json"], env, tmp_path)
    assert again.returncode == ExitCode.OK, again.stderr
    assert stored_keys(url) == valid_keys(sim)
