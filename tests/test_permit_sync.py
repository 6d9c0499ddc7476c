"""Sync against the real permit simulator on loopback: every valid permit once, none skipped."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sync_support import LIST, Platform, contents, quarantined_keys, simulator, valid_keys

from ssj_bridge.errors import ExitCode
from ssj_bridge.platform.adapter import Batch, content_hash
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.simulation.server import SimRequest, SimResponse
from ssj_bridge.store import Store
from ssj_bridge.store.schema import permits, subjects
from ssj_permit.simulator.app import PermitSimulator
from ssj_permit.simulator.dataset import iso


class Reads:
    """Every record a run yielded, by (key, content): one read twice is counted twice."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def __call__(self, platform: str, stream: str, batch: Batch) -> None:
        for record in batch.records:
            self.seen[(record.key, record.content_hash)] += 1
        for reject in batch.rejects:
            self.seen[(reject.key, content_hash(reject.payload))] += 1

    def twice(self) -> list[tuple[str, str]]:
        return [identity for identity, n in self.seen.items() if n > 1]


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def stored(database_url: str) -> dict[str, dict[str, Any]]:
    store = Store(database_url)
    with store.engine.connect() as conn:
        rows = {r.permit_no: dict(r._mapping) for r in conn.execute(select(permits))}
    store.dispose()
    return rows


def sqlite(tmp_path: Path, name: str = "store") -> str:
    return f"sqlite:///{tmp_path / name}.db"


# -- what is stored and what is set aside ----------------------------------------------------


def test_every_valid_permit_is_stored_once_and_every_bad_one_set_aside(
        platform: Platform, store: Store, host: PluginHost) -> None:
    url = store.url.render_as_string(hide_password=False)
    sim = simulator(150, malformed_rate=0.06, quirk_rate=0.12)
    assert set(sim.dataset.quirky.values()) == {"lower_case_uscc", "full_width_uscc",
                                                "extra_field", "padded_uscc"}
    platform.app = sim
    report = platform.sync(url, host, page_size=40)
    rows = stored(url)
    assert set(rows) == valid_keys(sim)
    assert quarantined_keys(url) == set(sim.dataset.malformed)
    for key in sim.dataset.quirky:  # normalised to the code its permit number carries
        assert rows[key]["uscc"] == key[:18]
    permit = report.platforms["permit"]
    assert (permit.stored, permit.set_aside) == (len(rows), len(sim.dataset.malformed))
    assert report.exit == ExitCode.SET_ASIDE
    assert store.count("subjects") == len({key[:18] for key in rows})


def test_records_moving_during_paging_are_all_stored_and_none_read_twice(
        platform: Platform, tmp_path: Path, host: PluginHost) -> None:
    url = sqlite(tmp_path)
    sim = simulator(200, live_updates=3, malformed_rate=0.03)
    before = valid_keys(sim)
    reads = Reads()
    platform.app = sim
    platform.sync(url, host, reads, page_size=25)
    # Every permit valid when the run started is stored; records updated during the run
    # are read again only with their new content.
    assert before <= set(stored(url))
    assert reads.twice() == []
    # Once the platform is still, the next run ends with exactly what it holds.
    sim.live_updates = 0
    platform.sync(url, host, page_size=25)
    rows = stored(url)
    assert set(rows) == valid_keys(sim)
    assert {k: r["update_time"] for k, r in rows.items()} == {
        k: sim.records[k]["updateTime"] for k in rows}


def test_more_records_at_one_instant_than_a_page_holds_are_all_stored(
        platform: Platform, tmp_path: Path, host: PluginHost) -> None:
    url = sqlite(tmp_path)
    sim = simulator(120, same_instant=75, live_updates=2)
    instant = sim.order[0][0]
    assert sum(1 for at, _ in sim.order if at == instant) > 3 * 20
    before = valid_keys(sim)
    reads = Reads()
    platform.app = sim
    platform.sync(url, host, reads, page_size=20)
    assert before <= set(stored(url))
    assert reads.twice() == []


class LeavesTheInstant:
    """Before every permits page after the second, the first record of the earliest instant
    is updated: it leaves the instant and every record behind it moves one place up."""

    def __init__(self, sim: PermitSimulator) -> None:
        self.sim = sim
        self.instant = sim.order[0][0]
        self.pages = 0

    def __call__(self, request: SimRequest) -> SimResponse:
        if request.path == LIST:
            self.pages += 1
            first_at, first_key = self.sim.order[0]
            if self.pages > 2 and first_at == self.instant:
                self.sim.touch(first_key)
        return self.sim(request)


def test_records_leaving_an_over_full_instant_while_it_is_paged_are_all_stored(
        platform: Platform, tmp_path: Path, host: PluginHost) -> None:
    url = sqlite(tmp_path)
    sim = simulator(60, same_instant=20, multi_site_every=0)
    reads = Reads()
    platform.app = LeavesTheInstant(sim)
    platform.sync(url, host, reads, page_size=7)
    assert set(stored(url)) == valid_keys(sim)
    assert reads.twice() == []


# -- incremental runs ---------------------------------------------------------------------------


def test_second_sync_with_nothing_changed_reads_only_the_overlap_and_stores_nothing(
        platform: Platform, tmp_path: Path, host: PluginHost) -> None:
    url = sqlite(tmp_path)
    sim = simulator(150, malformed_rate=0.05)
    platform.app = sim
    first = platform.sync(url, host, page_size=50, overlap_seconds=20)
    assert first.exit == ExitCode.SET_ASIDE
    before = contents(url)
    [(_, _, cursor)] = before.cursors
    since = iso(datetime.fromisoformat(cursor) - timedelta(seconds=20))
    overlap = len(sim.order) - bisect.bisect_left(sim.order, (since, ""))
    assert 0 < overlap < len(sim.order) // 2

    again = platform.sync(url, host, page_size=50, overlap_seconds=20).platforms["permit"]
    assert again.fetched == overlap
    assert (again.stored, again.set_aside, again.exit) == (0, 0, ExitCode.OK)
    assert contents(url) == before


def test_a_touched_permit_is_picked_up_by_the_next_sync(
        platform: Platform, tmp_path: Path, host: PluginHost) -> None:
    url = sqlite(tmp_path)
    sim = simulator(80)
    platform.app = sim
    platform.sync(url, host)
    key = next(k for k, r in sorted(sim.records.items()) if r["status"] == "有效")
    sim.touch(key, orgName="威海改名后化工有限公司")
    report = platform.sync(url, host)
    assert report.platforms["permit"].stored == 1
    assert stored(url)[key]["org_name"] == "威海改名后化工有限公司"
    store = Store(url)
    with store.engine.connect() as conn:
        name = conn.execute(select(subjects.c.name).where(subjects.c.uscc == key[:18])).scalar()
    store.dispose()
    assert name == "威海改名后化工有限公司"


# -- faults -----------------------------------------------------------------------------------


def test_transient_faults_and_revoked_tokens_lose_nothing(
        platform: Platform, tmp_path: Path, host: PluginHost) -> None:
    url = sqlite(tmp_path)
    sim = simulator(150, error_rate=0.2, truncate_rate=0.1, revoke_every=4)
    platform.app = sim
    report = platform.sync(url, host, page_size=30)
    assert report.exit == ExitCode.OK, report.platforms["permit"].error
    assert sim.faults_served > 0
    assert set(stored(url)) == valid_keys(sim)


@pytest.mark.parametrize(("change", "setting"), [
    ({"app_secret": "not-the-secret"}, "SSJ_PERMIT__APP_SECRET"),
    ({"region": "440305"}, "SSJ_REGION_CODE"),  # the app may read 371000 only
])
def test_refused_credentials_or_region_stop_the_platform_with_exit_78_naming_the_setting(
        platform: Platform, tmp_path: Path, host: PluginHost, change: dict[str, str],
        setting: str) -> None:
    url = sqlite(tmp_path)
    sim = simulator(40)
    if "app_secret" in change:
        sim.app_secret = change["app_secret"]
    else:
        sim.region = change["region"]
    platform.app = sim
    report = platform.sync(url, host)
    permit = report.platforms["permit"]
    assert report.exit == ExitCode.CONFIGURATION
    assert permit.error is not None and setting in permit.error
    assert contents(url).permits == []
