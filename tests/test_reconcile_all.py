"""Reconciliation of every platform against running simulators seeded with known differences.

A fresh store is synced with the permit, credit, province and publicity simulators (library
pushed, tasks drawn locally and pushed, results and publications pulled and sent); then a
difference of every kind is planted on the platforms. `reconcile --json` must report exactly
those, `--repair` must re-send what the project owns and name the rest for their source, and
the next run must show the owned ones resolved.
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sync_support import run_cli

from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.run import run_draws
from ssj_bridge.errors import ExitCode
from ssj_bridge.intake import import_roster
from ssj_bridge.model import beijing_now, beijing_today, iso_beijing
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import ACCEPTED, enqueue
from ssj_bridge.platform.adapter import AdapterContext
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.policy.classify import resolve_policy
from ssj_bridge.reconcile.normalise import items, text
from ssj_bridge.reconcile.run import reconcile
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.demo import demo_roster_csv
from ssj_bridge.simulation.launch import SimulatorSet, start_simulators
from ssj_bridge.simulation.server import SimRequest, SimResponse
from ssj_bridge.simulation.synthetic import make_uscc
from ssj_bridge.store import Store
from ssj_bridge.store.schema import breaks, credit_records, outbox
from ssj_bridge.sync import run_sync
from ssj_credit.simulator.app import CreditSimulator
from ssj_credit.vocabulary import SCHEMES
from ssj_permit.simulator.app import PermitSimulator
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.listing import TaskListing, canonical_tag, listed_subject
from ssj_province.mapping import CATEGORY_CODES, subject_to_platform
from ssj_province.paging import KeysetStream
from ssj_province.simulator.app import ProvinceSimulator
from ssj_province.streams import task_stream
from ssj_publicity.simulator.app import PublicitySimulator

REGION = "371000"
ORG = ("11371000MB0000000E", "威海市生态环境局")
FAST = {"permit": {"rate_limit": "1000", "initial_backoff": "0.005", "max_backoff": "0.02"},
        "credit": {"rate_limit": "1000", "retry_backoff": "0.01"},
        "province": {"rate_limit": "1000"},
        "publicity": {"receipt_wait": "2.0", "poll_interval": "0.01", "initial_backoff": "0.01",
                      "max_backoff": "0.05", "rate_limit": "200", "deadline": "20"}}
OWNED = "owned"
AT_SOURCE = "at source"


class World:
    """Four running simulators and a store synced with them, tasks drawn and pushed."""

    def __init__(self, host: PluginHost, store: Store, tmp: Path, subjects: int = 60) -> None:
        self.host = host
        self.store = store
        self.tmp = tmp
        # Pushed tasks get no automatic results, so a local task can be lost on its own.
        self.sims: SimulatorSet = start_simulators(
            host, {"region": REGION, "subjects": subjects, "seed": 7, "rate_limit": 0},
            per_role={"province": {"results_delay": 10**7}})
        self.env = {k: v for k, v in self.sims.environment().items()}
        for role, values in FAST.items():
            self.env |= {f"SSJ_{role.upper()}__{k.upper()}": v for k, v in values.items()}
        self.env |= {"SSJ_DATABASE_URL": store.url.render_as_string(hide_password=False),
                     "SSJ_REGION_CODE": REGION, "SSJ_ORG_CODE": ORG[0], "SSJ_ORG_NAME": ORG[1],
                     "SSJ_POLICY": "weihai"}
        sections = {}
        for role in self.sims.running:
            prefix = f"SSJ_{role.upper()}__"
            sections[role] = PlatformSettings(**{k[len(prefix):].lower(): v
                                                 for k, v in self.env.items()
                                                 if k.startswith(prefix)})
        self.settings = Settings(database_url=self.env["SSJ_DATABASE_URL"], region_code=REGION,
                                 org_code=ORG[0], org_name=ORG[1], policy="weihai",
                                 **sections)  # type: ignore[arg-type]
        self.local_tasks: list[str] = []

    def app(self, role: str) -> Any:
        return self.sims.running[role].app

    @property
    def permit(self) -> PermitSimulator:
        app: PermitSimulator = self.app("permit")
        return app

    @property
    def credit(self) -> CreditSimulator:
        app: CreditSimulator = self.app("credit")
        return app

    @property
    def province(self) -> ProvinceSimulator:
        app: ProvinceSimulator = self.app("province")
        return app

    @property
    def publicity(self) -> PublicitySimulator:
        app: PublicitySimulator = self.app("publicity")
        return app

    def run_cycle(self) -> None:
        """Sync, draw the quarter's tasks, push them; everything settled on every platform."""
        import_roster(self.store, demo_roster_csv(self.tmp / "roster.csv", REGION, ORG[0]), "test")
        assert run_sync(self.settings, self.store, self.host).exit == ExitCode.OK
        active = resolve_policy(self.host, "weihai")
        quarter = Quarter.of(beijing_today())
        commit_draws(self.store, active, region_code=REGION, quarter=quarter,
                     matter_code="M01", own_org=ORG[0])
        drawn = run_draws(self.store, active, region_code=REGION, quarter=quarter,
                          matter_code="M01", witness="reconcile-test", drawn_by=ORG[0],
                          org_name=ORG[1])
        self.local_tasks = [t.task_id for t in drawn.tasks]
        assert self.local_tasks
        for _ in range(2):
            assert run_sync(self.settings, self.store, self.host).exit == ExitCode.OK

    def stop(self) -> None:
        self.sims.stop()


@pytest.fixture
def make_world(host: PluginHost, tmp_path: Path) -> Iterator[Any]:
    worlds: list[World] = []

    def make(store: Store, **options: Any) -> World:
        world = World(host, store, tmp_path, **options)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.stop()


@dataclass
class Planted:
    """The breaks planted: (platform, entity, kind, key) → (owned or at source, fields)."""

    breaks: dict[tuple[str, str, str, str], tuple[str, dict[str, Any] | None]] = field(
        default_factory=dict)
    cosmetic: set[tuple[str, str, str]] = field(default_factory=set)  # (platform, entity, key)

    def add(self, platform: str, entity: str, kind: str, key: str, who: str = AT_SOURCE,
            fields: dict[str, Any] | None = None) -> None:
        self.breaks[(platform, entity, kind, key)] = (who, fields)

    def of(self, who: str) -> set[tuple[str, str, str, str]]:
        return {k for k, (owner, _) in self.breaks.items() if owner == who}


def full_width(value: str) -> str:
    """ASCII letters and digits as their full-width forms (what some systems send)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in value)


def spaced(value: str) -> str:
    return "\u3000" + " ".join(value) + " "


def plant_everything(world: World) -> Planted:
    """One known difference of every kind on every platform, and cosmetic ones that are not."""
    planted = Planted()
    _plant_permits(world, planted)
    _plant_credit(world, planted)
    _plant_library(world, planted)
    _plant_tasks_and_results(world, planted)
    _plant_publications(world, planted)
    return planted


def _plant_permits(world: World, planted: Planted) -> None:
    sim = world.permit
    keys = sorted(sim.records)
    lost, changed, cosmetic = keys[0], keys[1], keys[2]
    original = sim.records[changed]["orgName"]
    with sim.lock:
        sim.order = [o for o in sim.order if o[1] != lost]
        # Changed where they stand, their updateTime kept (a change stamped in the second a
        # listing begins counts as in flight).
        for key, name in ((changed, "改名后的排污单位"),
                          (cosmetic, spaced(sim.records[cosmetic]["orgName"]))):
            sim.records[key]["orgName"] = name
            sim.rendered[key] = orjson.dumps(sim.records[key])
    planted.add("permit", "permit", "missing_on_platform", lost)
    planted.add("permit", "permit", "field_mismatch", changed, fields={
        "orgName": {"store": text(original), "platform": "改名后的排污单位"}})
    planted.cosmetic.add(("permit", "permit", cosmetic))


def _plant_credit(world: World, planted: Planted) -> None:
    sim = world.credit
    with world.store.engine.connect() as conn:
        rows = {(r.kind, r.record_key): r for r in conn.execute(select(credit_records))}
    evaluations = sorted(k for kind, k in rows if kind == "evaluation")
    risks = sorted(k for kind, k in rows if kind == "risk"
                   and rows[("risk", k)].name)
    lost, changed, twice = evaluations[:3]
    sim.drop("evaluation", lost)
    planted.add("credit", "credit-evaluation", "missing_on_platform", lost)
    before = rows[("evaluation", changed)]
    scheme = SCHEMES[sim.dataset.vocabulary]
    word = next(w for w, tier in scheme.items() if tier.value != before.tier)
    sim.change("evaluation", changed, PJDJ=word)
    planted.add("credit", "credit-evaluation", "field_mismatch", changed, fields={
        "level": {"store": text(before.level), "platform": text(word)},
        "tier": {"store": before.tier, "platform": scheme[word].value}})
    sim.list_twice("evaluation", twice)
    planted.add("credit", "credit-evaluation", "duplicate_key", twice)
    newcomer = make_uscc(random.Random("credit-newcomer"), "371002")
    sim.add("risk", {"TYSHXYDM": newcomer, "QYMC": "新登记企业", "FXFL": "B",
                     "FLRQ": "2025-12-01"})
    planted.add("credit", "credit-risk", "missing_in_store", f"{newcomer}/2025-12-01")
    cosmetic = risks[0]
    row = rows[("risk", cosmetic)]
    sim.change("risk", cosmetic, TYSHXYDM=full_width(row.uscc), QYMC=spaced(row.name))
    planted.cosmetic.add(("credit", "credit-risk", cosmetic))


def _plant_library(world: World, planted: Planted) -> None:
    sim = world.province
    subjects = sim.platform.subjects
    lost, changed, stale, cosmetic, twice = sorted(subjects)[:5]
    sim.drop("subjects", lost)
    planted.add("province", "subject", "missing_on_platform", lost, OWNED)
    original = subjects[changed]["name"]
    sim.change("subjects", changed, name="平台上被改名的公司")
    planted.add("province", "subject", "field_mismatch", changed, OWNED, {
        "name": {"store": text(original), "platform": "平台上被改名的公司"}})
    # A platform restored from an older copy: other content, an updateTime before the push.
    old_code = subjects[stale]["category"]
    new_code = "YB" if old_code != "YB" else "ZD"
    sim.change("subjects", stale, stamp="2020-01-01T00:00:00+08:00", category=new_code)
    names = {code: name for name, code in CATEGORY_CODES.items()}
    planted.add("province", "subject", "stale", stale, OWNED, {
        "category": {"store": names[old_code], "platform": names[new_code]}})
    sim.change("subjects", cosmetic, stamp=subjects[cosmetic]["updateTime"],
               name=spaced(subjects[cosmetic]["name"]), uscc=full_width(cosmetic))
    planted.cosmetic.add(("province", "subject", cosmetic))
    sim.list_twice("subjects", twice)
    planted.add("province", "subject", "duplicate_key", twice)
    stranger = make_uscc(random.Random("province-stranger"), "371002")
    sim.add("subjects", {"uscc": stranger, "name": "他人录入的企业", "regionCode": "371002",
                         "industryCode": None, "category": "YB", "tags": [],
                         "creditLevel": None, "riskClass": None, "positiveList": False,
                         "active": True})
    planted.add("province", "subject", "missing_in_store", stranger)
    sim.drop("inspectors", "DEMO-003")
    planted.add("province", "inspector", "missing_on_platform", "DEMO-003", OWNED)
    before = list(sim.platform.inspectors["DEMO-004"]["expertise"])
    sim.change("inspectors", "DEMO-004", expertise=["辐射"])
    planted.add("province", "inspector", "field_mismatch", "DEMO-004", OWNED, {
        "expertise": {"store": items(before), "platform": ["辐射"]}})


def _plant_tasks_and_results(world: World, planted: Planted) -> None:
    sim = world.province
    lost = world.local_tasks[0]
    sim.drop("tasks", lost)
    planted.add("province", "task", "missing_on_platform", lost, OWNED)
    higher = sorted(t for t in sim.platform.tasks if t not in world.local_tasks)[-1]
    original = sim.platform.tasks[higher]["name"]
    sim.change("tasks", higher, name="省级任务（平台上改名）")
    planted.add("province", "task", "field_mismatch", higher, fields={
        "name": {"store": text(original), "platform": text("省级任务（平台上改名）")}})
    corrected = next(r for r, v in sim.platform.versions.items() if len(v) > 1)
    findings = sim.platform.results[corrected]["findings"]
    sim.revert_result(corrected)
    planted.add("province", "result", "stale", corrected, fields={
        "findings": {"store": text(findings),
                     "platform": text(sim.platform.results[corrected]["findings"])}})


def _plant_publications(world: World, planted: Planted) -> None:
    sim = world.publicity
    public = sorted(sim.published)
    lost, changed = public[0], public[1]
    sim.lose(lost)
    planted.add("publicity", "publication", "missing_on_platform",
                f"{lost[1]}/{lost[0]}/{lost[2]}", OWNED)
    code = sim.published[changed].fields["JCJGDM"]
    other = "03" if code != "03" else "01"
    sim.change(changed, JCJGDM=other)
    planted.add("publicity", "publication", "field_mismatch",
                f"{changed[1]}/{changed[0]}/{changed[2]}",
                fields={"resultCode": {"store": code, "platform": other}})
    stranger = make_uscc(random.Random("publicity-stranger"), "371002")
    day = beijing_today().isoformat()
    sim.add(ORG[0], {"TYSHXYDM": stranger, "QYMC": "他人", "JCSSJG": ORG[1], "JCLX": "双随机抽查",
                     "JCRWBH": "371000-2020Q1-0099", "JCRQ": day, "JCJGDM": "01",
                     "JCJG": "未发现问题"}, beijing_today())
    planted.add("publicity", "publication", "missing_in_store",
                f"371000-2020Q1-0099/{stranger}/{day}")


def found_breaks(report: dict[str, Any]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    return {(b["platform"], b["entity"], b["kind"], b["key"]): b for b in report["breaks"]}


def test_reconcile_reports_exactly_the_planted_breaks_and_repair_mends_what_the_project_owns(
        store: Store, make_world: Any) -> None:
    world: World = make_world(store)
    world.run_cycle()
    clean = reconcile(world.settings, store, world.host)
    assert clean.breaks == [], clean.breaks
    assert {s["status"] for s in clean.summary.values()} == {"reconciled"}
    assert set(clean.summary["province"]) >= {"subject", "inspector", "task", "result"}
    assert set(clean.summary["credit"]) >= {"credit-evaluation", "credit-risk"}
    planted = plant_everything(world)

    # Through the console script: exactly the planted breaks, exit 3.
    first_run = run_cli(["reconcile", "--json"], world.env, world.tmp)
    assert first_run.returncode == int(ExitCode.SET_ASIDE), first_run.stderr[-2000:]
    first = orjson.loads(first_run.stdout.strip().splitlines()[-1])
    found = found_breaks(first)
    assert set(found) == set(planted.breaks)
    for key, (_, fields) in planted.breaks.items():
        assert found[key]["fields"] == (fields or {}), key
        assert found[key]["runsOpen"] == 1
    assert not {(p, e, k) for p, e, _, k in found} & planted.cosmetic
    assert {s["status"] for s in first["summary"].values()} == {"reconciled"}
    assert first["summary"]["province"]["subject"]["duplicate_key"] == 1

    # Repair: the owned breaks are re-sent through the adapters, the others named for source.
    repair_run = run_cli(["reconcile", "--repair", "--json"], world.env, world.tmp)
    assert repair_run.returncode == int(ExitCode.SET_ASIDE), repair_run.stderr[-2000:]
    repaired = orjson.loads(repair_run.stdout.strip().splitlines()[-1])
    assert {(r["platform"], r["entity"], r["kind"], r["key"]) for r in repaired["repaired"]} \
        == planted.of(OWNED)
    assert {r["outcome"] for r in repaired["repaired"]} == {ACCEPTED}
    assert {(r["platform"], r["entity"], r["kind"], r["key"])
            for r in repaired["fixAtSource"]} == planted.of(AT_SOURCE)
    assert all(r["hint"] for r in repaired["fixAtSource"])
    assert {b["runsOpen"] for b in repaired["breaks"]} == {2}

    # The platforms hold what was re-sent.
    lost_subject = next(k for p, e, kind, k in planted.of(OWNED)
                        if e == "subject" and kind == "missing_on_platform")
    assert lost_subject in world.province.platform.subjects
    assert "DEMO-003" in world.province.platform.inspectors
    assert world.local_tasks[0] in world.province.platform.tasks
    assert world.publicity.double_publications() == []

    # The next run: the owned breaks resolved, the others still open with their history.
    second = reconcile(world.settings, store, world.host)
    assert second.exit == ExitCode.SET_ASIDE
    again = found_breaks(second.as_json())
    assert set(again) == planted.of(AT_SOURCE)
    assert {b["runsOpen"] for b in again.values()} == {3}
    assert all(again[k]["firstSeen"] == found[k]["firstSeen"] for k in again)
    with store.engine.connect() as conn:
        history = {(r.platform, r.entity, r.kind, r.key): r for r in conn.execute(select(breaks))}
    for key in planted.of(OWNED):
        assert history[key].resolved_at is not None, key
        assert history[key].repaired_at is not None, key
        assert history[key].runs_open == 2
    for key in planted.of(AT_SOURCE):
        assert history[key].resolved_at is None, key


def test_a_listing_failing_halfway_leaves_the_platform_unreconciled_and_its_breaks_as_they_were(
        sqlite_store: Store, make_world: Any) -> None:
    world: World = make_world(sqlite_store)
    world.run_cycle()
    lost = sorted(world.province.platform.subjects)[0]
    world.province.drop("subjects", lost)
    first = reconcile(world.settings, sqlite_store, world.host)
    assert [(b["entity"], b["key"]) for b in first.breaks] == [("subject", lost)]

    # The libraries are listed, then the task listing fails: nothing of the province counts.
    server = world.sims.running["province"].server
    original = world.province

    def tasks_refused(request: SimRequest) -> SimResponse:
        if request.path == "/ssj/v1/tasks":
            return SimResponse(400, orjson.dumps({"code": 40001, "msg": "bad parameter",
                                                  "data": None}))
        return original(request)

    server.RequestHandlerClass.app = staticmethod(tasks_refused)  # type: ignore[attr-defined]
    failed = reconcile(world.settings, sqlite_store, world.host)
    assert failed.summary["province"]["status"] == "failed"
    assert "40001" in failed.summary["province"]["error"]
    assert "subject" not in failed.summary["province"]
    assert failed.breaks == []
    assert {failed.summary[r]["status"] for r in ("permit", "credit", "publicity")} == {
        "reconciled"}
    assert int(failed.exit) == int(ExitCode.UNAVAILABLE)
    with sqlite_store.engine.connect() as conn:
        [row] = conn.execute(select(breaks)).all()
    assert (row.key, row.resolved_at, row.runs_open) == (lost, None, 1)

    server.RequestHandlerClass.app = staticmethod(original)  # type: ignore[attr-defined]
    recovered = reconcile(world.settings, sqlite_store, world.host)
    assert [(b["key"], b["runsOpen"]) for b in recovered.breaks] == [(lost, 2)]


def test_a_credit_feed_failing_on_a_later_page_is_not_read_as_missing_records(
        sqlite_store: Store, make_world: Any) -> None:
    world: World = make_world(sqlite_store)
    world.run_cycle()
    world.settings.credit.__pydantic_extra__["page_size"] = 10  # type: ignore[index]
    calls = {"evaluations": 0}
    original = world.credit

    def second_page_cut(request: SimRequest) -> SimResponse:
        if request.path == "/credit/v2/evaluations":
            calls["evaluations"] += 1
            if calls["evaluations"] > 1:
                return SimResponse(400, b"<ERROR><CODE>400</CODE><MSG>bad</MSG></ERROR>",
                                   "application/xml")
        return original(request)

    world.sims.running["credit"].server.RequestHandlerClass.app = staticmethod(  # type: ignore[attr-defined]
        second_page_cut)
    report = reconcile(world.settings, sqlite_store, world.host, platform="credit")
    assert report.summary["credit"]["status"] == "failed"
    assert report.breaks == []
    assert calls["evaluations"] == 2


def test_a_task_updated_while_listed_is_not_a_duplicate_but_one_listed_twice_is(
        sqlite_store: Store, make_world: Any) -> None:
    world: World = make_world(sqlite_store)
    world.run_cycle()
    sim = world.province
    config = ProvinceConfig.model_validate(world.settings.platform("province").fields()
                                           | {"page_size": 1})
    context = AdapterContext(platform="province", section=world.settings.platform("province"),
                             region_code=REGION)
    client = ProvinceClient(config)
    try:
        stream: KeysetStream = task_stream(client, config, context)
        listing = TaskListing(stream)
        pages = listing.read()
        first = next(pages)
        # The task just read is updated on the platform: it moves to the end of the order.
        sim.change("tasks", first[0].key)
        keys = [r.key for page in [first, *pages] for r in page]
        assert sorted(keys) == sorted(sim.platform.tasks)

        # Listed twice at one updateTime, within one page: a duplicate.
        sim.list_twice("tasks", world.local_tasks[-1])
        whole = config.model_copy(update={"page_size": 100})
        twice = [r.key for page in TaskListing(task_stream(client, whole, context)).read()
                 for r in page]
        assert twice.count(world.local_tasks[-1]) == 2
    finally:
        client.close()
    report = reconcile(world.settings, sqlite_store, world.host, platform="province")
    assert [(b["kind"], b["key"]) for b in report.breaks] == [
        ("duplicate_key", world.local_tasks[-1])]
    assert report.fix_at_source[0]["hint"]


def test_listed_subjects_map_the_platform_codes_back_to_canonical_values() -> None:
    record = {"uscc": "91371002MA3C00000J", "name": "甲", "regionCode": "371002",
              "industryCode": "2614", "category": "KEY", "categories": ["KEY"],
              "tags": ["VOCs:A", "两高", "绩效:B-"], "creditLevel": "UNRATED",
              "riskClass": "VERY_HIGH", "active": True}
    listed = listed_subject(subject_to_platform(record))
    assert listed == {name: record[name] for name in listed}
    assert canonical_tag("绩效-B-") == "绩效:B-"
    assert listed_subject({"category": "XX", "creditLevel": "Z"})["category"] == "XX"


def _add_library(world: World, count: int, rng: random.Random) -> None:
    """`count` more library subjects, accepted by the platform and held by the store alike."""
    platform = world.province.platform
    now = iso_beijing(beijing_now())
    rows = []
    for _ in range(count):
        uscc = make_uscc(rng, "371002")
        record = {"uscc": uscc, "name": f"威海市{uscc[-6:]}化工有限公司", "regionCode": "371002",
                  "industryCode": "2614", "category": "GENERAL", "categories": ["GENERAL"],
                  "tags": ["两高", "VOCs:B"], "creditLevel": "GOOD", "riskClass": "LOW",
                  "active": True}
        platform.subjects[uscc] = {**subject_to_platform(record), "updateTime": now}
        rows.append({"platform": "province", "entity": "subject", "key": uscc, "version": 1,
                     "payload": orjson.dumps(record, option=orjson.OPT_SORT_KEYS),
                     "content_hash": "-", "status": ACCEPTED, "attempts": 1,
                     "created_at": now, "updated_at": now})
    with world.store.engine.begin() as conn:
        conn.execute(outbox.insert(), rows)


def _reconciled_peak(world: World) -> int:
    """Peak memory of one reconciliation of the province, which must find no break."""
    tracemalloc.start()
    try:
        report = reconcile(world.settings, world.store, world.host, platform="province")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.breaks == []
    assert report.summary["province"]["subject"]["matched"] == len(
        world.province.platform.subjects)
    return peak


def test_a_very_large_library_listing_is_staged_page_by_page_in_bounded_memory(
        sqlite_store: Store, make_world: Any) -> None:
    world: World = make_world(sqlite_store, subjects=20)
    run_sync(world.settings, sqlite_store, world.host, only=["province"])
    rng = random.Random("large")
    _add_library(world, 6_000, rng)  # more than one staging chunk already
    small = _reconciled_peak(world)
    _add_library(world, 24_000, rng)  # five times as many
    large = _reconciled_peak(world)
    # Pages stream into staging and the store side streams too: the peak does not follow
    # the listing's size (held whole, five times the records would take several times more).
    assert large < small * 1.3, (small, large)


def test_a_record_with_a_write_on_its_way_is_left_out_and_its_break_kept(
        sqlite_store: Store, make_world: Any) -> None:
    world: World = make_world(sqlite_store)
    world.run_cycle()
    lost = sorted(world.province.platform.subjects)[0]
    world.province.drop("subjects", lost)
    first = reconcile(world.settings, sqlite_store, world.host, platform="province")
    assert [(b["kind"], b["key"]) for b in first.breaks] == [("missing_on_platform", lost)]
    with sqlite_store.engine.begin() as conn:
        payload = conn.execute(select(outbox.c.payload).where(
            outbox.c.entity == "subject", outbox.c.key == lost)).scalar_one()
        # Queued again (as a repair does), not yet sent.
        assert enqueue(conn, "province", "subject", lost, orjson.loads(payload),
                       force=True) is not None
    in_flight = reconcile(world.settings, sqlite_store, world.host, platform="province")
    assert in_flight.breaks == []
    with sqlite_store.engine.connect() as conn:
        [row] = conn.execute(select(breaks)).all()
    assert (row.key, row.resolved_at, row.runs_open) == (lost, None, 1)

    # The write lands (the next sync): the platform holds the subject again, resolved.
    assert run_sync(world.settings, sqlite_store, world.host).exit == ExitCode.OK
    assert lost in world.province.platform.subjects
    landed = reconcile(world.settings, sqlite_store, world.host, platform="province")
    assert landed.breaks == []
    with sqlite_store.engine.connect() as conn:
        [row] = conn.execute(select(breaks)).all()
    assert row.resolved_at is not None


def test_force_queues_again_what_the_platform_already_accepted(sqlite_store: Store) -> None:
    with sqlite_store.engine.begin() as conn:
        assert enqueue(conn, "province", "subject", "K", {"name": "甲"}) == 1
        conn.execute(outbox.update().values(status=ACCEPTED))
        assert enqueue(conn, "province", "subject", "K", {"name": "甲"}) is None
        assert enqueue(conn, "province", "subject", "K", {"name": "甲"}, force=True) == 2
        versions = conn.execute(select(outbox.c.version, outbox.c.status)
                                .order_by(outbox.c.version)).all()
    assert [tuple(v) for v in versions] == [(1, ACCEPTED), (2, "pending")]


def test_a_repair_the_platform_cannot_take_now_stays_queued_for_the_next_sync(
        sqlite_store: Store, make_world: Any) -> None:
    world: World = make_world(sqlite_store)
    world.run_cycle()
    lost = sorted(world.province.platform.subjects)[0]
    world.province.drop("subjects", lost)
    server = world.sims.running["province"].server
    original = world.province

    def writes_refused(request: SimRequest) -> SimResponse:
        if request.method == "POST":
            return SimResponse(401, orjson.dumps({"code": 40104, "msg": "signature mismatch",
                                                  "data": None}))
        return original(request)

    server.RequestHandlerClass.app = staticmethod(writes_refused)  # type: ignore[attr-defined]
    report = reconcile(world.settings, sqlite_store, world.host, platform="province",
                       repair=True)
    [sent] = report.repaired
    assert (sent["key"], sent["outcome"]) == (lost, "pending")
    assert "SSJ_PROVINCE__APP_SECRET" in sent["error"]
    assert lost not in world.province.platform.subjects

    server.RequestHandlerClass.app = staticmethod(original)  # type: ignore[attr-defined]
    assert run_sync(world.settings, sqlite_store, world.host).exit == ExitCode.OK
    assert lost in world.province.platform.subjects
    assert reconcile(world.settings, sqlite_store, world.host, platform="province").breaks == []
