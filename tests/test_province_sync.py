"""Sync against the running permit and province simulators: the library pushed and kept in
step, tasks (a higher level's included) and results pulled, faults and refusals handled."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, select
from sync_support import run_cli

from ssj_bridge.cli import cli
from ssj_bridge.errors import ExitCode
from ssj_bridge.intake import import_designations, import_roster
from ssj_bridge.model import Result, beijing_today
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import enqueue
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.policy.classify import resolve_policy
from ssj_bridge.policy.plan import make_plan
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.launch import SimulatorSet, start_simulators
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    classifications,
    publications,
    result_versions,
    results,
    tasks,
)
from ssj_bridge.sync import SyncReport, run_sync
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.signing import sign_request
from ssj_province.simulator.app import ProvinceSimulator
from ssj_province.simulator.dataset import higher_level_draws, provincial_inspectors, provincial_org
from ssj_province.simulator.platform import ProvincePlatform
from ssj_province.streams import library_records

REGION = "371000"
ORG = "11371000MB0000000E"
ROSTER = """inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,conflicts
WH-001,张伟,3710012019000101,{org},371000,大气;水,false,true,
WH-002,李娜,3710012019000102,{org},371002,固废;危废,false,true,
WH-003,王强,,{org},371003,水;海洋,true,true,
"""


class World:
    """Running simulators, a store and the settings that point a run at them."""

    def __init__(self, host: PluginHost, store: Store, tmp: Path, *, client: dict[str, Any],
                 province: dict[str, Any]) -> None:
        self.host = host
        self.store = store
        self.tmp = tmp
        options = {"region": REGION, "subjects": 60, "seed": 7, "rate_limit": 0}
        self.sims: SimulatorSet = start_simulators(
            host, options, roles=["permit", "province"],
            per_role={"province": {"rate_limit": 10, **province}})
        environment = self.sims.environment()
        sections: dict[str, PlatformSettings] = {}
        for role in self.sims.running:
            prefix = f"SSJ_{role.upper()}__"
            fields: dict[str, Any] = {k[len(prefix):].lower(): v for k, v in environment.items()
                                      if k.startswith(prefix)}
            sections[role] = PlatformSettings(**(fields | (client if role == "province" else {})))
        self.settings = Settings(database_url=store.url.render_as_string(hide_password=False),
                                 region_code=REGION, org_code=ORG, policy="weihai",
                                 **sections)  # type: ignore[arg-type]
        roster = tmp / "roster.csv"
        roster.write_text(ROSTER.format(org=ORG), encoding="utf-8")
        import_roster(store, roster, "test")

    @property
    def province(self) -> ProvinceSimulator:
        app: ProvinceSimulator = self.sims.running["province"].app  # type: ignore[assignment]
        return app

    def sync(self) -> SyncReport:
        return run_sync(self.settings, self.store, self.host)

    def classified(self) -> dict[str, tuple[str | None, str]]:
        period = Quarter.of(beijing_today()).label
        with self.store.engine.connect() as conn:
            return {r.uscc: (r.category, r.categories) for r in conn.execute(
                select(classifications).where(classifications.c.period == period))}

    def in_library(self) -> dict[str, str]:
        return {uscc: (category or categories.split(";")[0])
                for uscc, (category, categories) in self.classified().items()
                if category or categories}

    def stop(self) -> None:
        self.sims.stop()


@pytest.fixture
def make_world(host: PluginHost, tmp_path: Path) -> Iterator[Any]:
    worlds: list[World] = []

    def make(store: Store, *, client: dict[str, Any] | None = None,
             **province: Any) -> World:
        world = World(host, store, tmp_path, client={"rate_limit": 200, **(client or {})},
                      province=province)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.stop()


CODES = {"KEY": "ZD", "SIMPLIFIED": "JH", "GENERAL": "YB", "SPECIAL": "TS"}


def test_library_is_pushed_then_only_changes_and_departures_are_sent(store: Store,
                                                                     make_world: Any) -> None:
    world = make_world(store, client={"rate_limit": None})  # the adapter's own pace
    platform = world.province.platform
    first = world.sync()
    library = world.in_library()
    assert library and len(library) < store.count("subjects")  # some are outside the library
    assert first.platforms["province"].sent == len(library) + 3
    assert {u: s["category"] for u, s in platform.subjects.items()} == {
        u: CODES[c] for u, c in library.items()}
    assert all(s["active"] for s in platform.subjects.values())
    assert set(platform.inspectors) >= {"WH-001", "WH-002", "WH-003"}
    assert platform.inspectors["WH-003"]["certNo"] is None
    assert world.province.rate_limited == 0  # the client keeps under 10 requests/s

    applied = world.province.applied
    again = world.sync()
    assert (again.platforms["province"].sent, again.exit) == (0, ExitCode.OK)
    assert world.province.applied == applied

    general = sorted(u for u, c in library.items() if c == "GENERAL")[0]
    designations = world.tmp / "designations.csv"
    designations.write_text("uscc,tag,value,since,until,source\n"
                            f"{general},指定类别,SPECIAL,,,局务会议纪要\n"
                            f"{general},VOCs,A,,,VOCs分级\n", encoding="utf-8")
    import_designations(store, designations, "test")
    changed = world.sync()
    assert changed.platforms["province"].sent == 1
    assert platform.subjects[general]["category"] == "TS"
    assert platform.subjects[general]["tags"] == ["VOCs-A", "指定类别-SPECIAL"]

    leaving = next(u for u, c in sorted(library.items()) if c == "KEY" and u != general)
    permit_sim: Any = world.sims.running["permit"].app
    for permit_no, record in list(permit_sim.records.items()):
        if record["uscc"] == leaving:
            permit_sim.touch(permit_no, status="注销")
    departed = world.sync()
    assert departed.platforms["province"].sent == 1
    assert platform.subjects[leaving]["active"] is False
    assert platform.subjects[leaving]["category"] == "ZD"  # kept, with its history
    assert leaving in platform.subjects  # never deleted

    client = ProvinceClient(ProvinceConfig.model_validate(
        world.settings.platform("province").fields()))
    try:
        listed = {r["uscc"]: r for r in library_records(client, "subjects", REGION, page_size=7)}
    finally:
        client.close()
    assert listed == platform.subjects


def test_higher_level_tasks_and_their_results_are_pulled(sqlite_store: Store,
                                                         make_world: Any) -> None:
    world = make_world(sqlite_store)
    report = world.sync()
    assert report.exit == ExitCode.OK
    with sqlite_store.engine.connect() as conn:
        stored = {r.task_id: r for r in conn.execute(select(tasks))}
        recorded = {(r.task_id, r.uscc): r for r in conn.execute(select(results))}
        versions = list(conn.execute(select(result_versions)))
    province_org = provincial_org(REGION)
    assert len(stored) == 3
    assert {r.drawn_by for r in stored.values()} == {province_org}
    assert {r.origin for r in stored.values()} == {"platform"}
    done, busy, drawn = sorted(stored.values(), key=lambda r: r.task_id)
    assert (done.status, busy.status, drawn.status) == ("已完成", "检查中", "已抽取")
    done_results = [r for (t, _), r in recorded.items() if t == done.task_id]
    assert done.completed_on == max(r.inspected_on for r in done_results)
    assert len(recorded) == 6
    corrected = [r for r in recorded.values() if r.version == 2]
    assert len(corrected) == 1
    assert any(v.version == 2 for v in versions)

    exported = list(default_registry().rows("tasks", sqlite_store))
    assert list(exported[0]) == ["taskId", "name", "regionCode", "matterCode", "drawnBy",
                                 "drawMode", "period", "plannedStart", "plannedEnd", "drawProof",
                                 "assignments", "status", "updateTime"]
    assert list(exported[0]["drawProof"]) == ["algorithm", "label", "k", "candidatesHash",
                                              "commitment", "witnessEntropy", "secret"]
    assert list(exported[0]["assignments"][0]) == ["uscc", "inspectorIds", "mode", "status"]
    assert exported[0]["updateTime"].endswith("+08:00")
    rows = list(default_registry().rows("results", sqlite_store))
    assert set(rows[0]) == {"taskId", "uscc", "resultCode", "inspectedOn", "inspectorIds",
                            "findings", "rectificationDue", "caseNo", "resultId", "version",
                            "publication"}
    assert set(rows[0]["publication"]) == {"status", "date", "code"}

    second = world.sync()
    assert second.platforms["province"].stored == 0  # nothing new, nothing rewritten


def test_tasks_a_higher_level_drew_on_the_platform_are_kept_counted_and_published(
        sqlite_store: Store, make_world: Any) -> None:
    """province.md: a platform's own draws carry its algorithm's name and no ssj-draw-v1
    label, k or commitment. They are stored, their results count as done in the plan and are
    queued for publication; `draw verify` says plainly that it cannot check them."""
    world = make_world(sqlite_store)
    report = world.sync()
    assert report.exit == ExitCode.OK, report.as_json()
    assert sqlite_store.quarantined("province") == []
    exported = {t["taskId"]: t for t in default_registry().rows("tasks", sqlite_store)}
    assert len(exported) == 3
    for task in exported.values():
        proof = task["drawProof"]
        assert proof["algorithm"] == "sd-platform-draw-2"
        assert (proof["label"], proof["k"], proof["commitment"]) == (None, None, None)
    with sqlite_store.engine.connect() as conn:
        inspected = {(r.task_id, r.uscc, r.inspected_on) for r in conn.execute(select(results))}
        queued = {(r.task_id, r.uscc) for r in conn.execute(select(publications))}
    assert len(inspected) == 6
    assert queued == {(t, u) for t, u, _ in inspected}  # each result on its way to publication
    days = sorted(day for _, _, day in inspected)
    quarter = Quarter.of(days[0])
    in_quarter = {u for _, u, day in inspected if quarter.start <= day <= quarter.end}
    plan = make_plan(sqlite_store, resolve_policy(world.host, "weihai"), quarter, region=REGION)
    with sqlite_store.engine.connect() as conn:
        library = {r.uscc for r in conn.execute(select(classifications.c.uscc).where(
            classifications.c.period == quarter.label, classifications.c.category.is_not(None)))}
    assert in_quarter & library, "the platform's draws should include subjects of the library"
    done = sum(ob.done for line in plan.categories for ob in line.obligations)
    assert done >= len(in_quarter & library)

    task_id = sorted(exported)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update(SSJ_DATABASE_URL=world.settings.database_url, SSJ_REGION_CODE=REGION)
    verify = run_cli(["draw", "verify", task_id], env, world.tmp)
    assert verify.returncode == ExitCode.INPUT_REFUSED
    assert (f"task {task_id} cannot be verified here: it was drawn on the platform by "
            f"{provincial_org(REGION)} with the platform's own algorithm 'sd-platform-draw-2'; "
            "only ssj-draw-v1 draws are re-derived") in verify.stderr


def local_task(world: World, task_id: str, subjects: list[str]) -> dict[str, Any]:
    quarter = Quarter.of(beijing_today())
    return {"taskId": task_id, "name": "2026年第四季度重点监管对象双随机抽查",
            "regionCode": REGION, "matterCode": "M01", "drawnBy": ORG, "drawMode": "不定向",
            "period": quarter.label, "plannedStart": quarter.start.isoformat(),
            "plannedEnd": quarter.end.isoformat(),
            "drawProof": {"algorithm": "ssj-draw-v1", "label": f"{REGION}/{quarter}/M01/KEY",
                          "k": len(subjects), "candidatesHash": "a" * 64,
                          "commitment": "b" * 64, "witnessEntropy": "20261126-88417",
                          "secret": "c" * 64},
            "assignments": [{"uscc": u, "inspectorIds": ["WH-001", "WH-003"], "mode": "现场",
                             "status": "待检查"} for u in subjects],
            "status": "已抽取", "updateTime": None}


def test_locally_drawn_task_is_pushed_inspected_and_completed(sqlite_store: Store,
                                                              make_world: Any) -> None:
    world = make_world(sqlite_store)
    world.sync()  # the library and the roster reach the platform first
    chosen = sorted(world.in_library())[:2]
    task_id = f"{REGION}-{Quarter.of(beijing_today())}-0001"
    with sqlite_store.engine.begin() as conn:
        enqueue(conn, "province", "task", task_id, local_task(world, task_id, chosen))
    heard: list[tuple[bool, str, int]] = []

    def listen(conn: Connection, result: Result, version: int) -> None:
        heard.append((conn.in_transaction(), result.uscc, version))

    subscribers = default_registry().result_recorded
    subscribers.append(listen)
    try:
        report = world.sync()
    finally:
        subscribers.remove(listen)
    assert report.platforms["province"].sent == 1
    assert task_id in world.province.platform.tasks
    with sqlite_store.engine.connect() as conn:
        row = conn.execute(select(tasks).where(tasks.c.task_id == task_id)).one()
        mine = list(conn.execute(select(results).where(results.c.task_id == task_id)))
    assert (row.origin, row.drawn_by, row.status) == ("local", ORG, "已完成")
    assert sorted(r.uscc for r in mine) == chosen
    assert row.completed_on == max(r.inspected_on for r in mine)
    assert all(r.inspected_on <= beijing_today() for r in mine)
    assert sorted(h for h in heard if h[1] in chosen) == [(True, u, 1) for u in chosen]
    [exported] = [t for t in default_registry().rows("tasks", sqlite_store) if t["taskId"] == task_id]
    assert [a["status"] for a in exported["assignments"]] == ["已检查", "已检查"]
    assert exported["drawProof"]["secret"] == "c" * 64


def test_faults_never_make_the_client_send_a_stale_timestamp_or_a_used_nonce(
        sqlite_store: Store, make_world: Any) -> None:
    world = make_world(sqlite_store, error_rate=0.25, rate_429=0.1, truncate_rate=0.1)
    for _ in range(2):
        report = world.sync()
        assert report.platforms["province"].error is None
    sim = world.province
    assert sim.faults_served > 0
    assert sim.auth_rejections == {}
    nonces = [nonce for _, nonce in sim.seen]
    assert len(nonces) == len(set(nonces)) == sim.requests
    now_ms = time.time() * 1000
    assert all(abs(now_ms - int(stamp)) < 300_000 for stamp, _ in sim.seen)
    assert set(sim.platform.subjects) == set(world.in_library())


@pytest.mark.parametrize("lost", ["connection dropped", "answer too late"])
def test_a_write_applied_whose_answer_was_lost_is_not_applied_twice(
        sqlite_store: Store, make_world: Any, lost: str) -> None:
    delay = {"drop_delay": 0.6} if lost == "answer too late" else {}
    world = make_world(sqlite_store, client={"timeout": 0.3, "library_batch": 25},
                       drop_after_apply_rate=1.0, **delay)
    report = world.sync()
    sim = world.province
    assert report.platforms["province"].error is None
    library = world.in_library()
    assert set(sim.platform.subjects) == set(library)
    assert sim.applied == len(library) + 3  # every item applied once
    assert sim.dropped == len(sim.request_ids) > 1
    assert all(count >= 2 for count in sim.request_ids.values())  # each write repeated


def test_wrong_secret_stops_the_province_with_exit_78_naming_the_setting(
        sqlite_store: Store, make_world: Any) -> None:
    world = make_world(sqlite_store, client={"app_secret": "not-the-secret"})
    report = world.sync()
    province = report.platforms["province"]
    assert province.exit == report.exit == ExitCode.CONFIGURATION
    assert province.error is not None and "SSJ_PROVINCE__APP_SECRET" in province.error
    assert "not-the-secret" not in (province.error or "")
    assert world.province.auth_rejections == {40104: 1}

    env = {f"SSJ_{k}": v for k, v in {"DATABASE_URL": world.settings.database_url,
                                      "REGION_CODE": REGION}.items()}
    env |= {k: v for k, v in world.sims.environment().items() if k.startswith("SSJ_PROVINCE")}
    env["SSJ_PROVINCE__APP_SECRET"] = "not-the-secret"
    result = CliRunner().invoke(cli, ["sync", "--only", "province", "--json"], env=env)
    assert result.exit_code == 78
    assert "SSJ_PROVINCE__APP_SECRET" in orjson.loads(result.stdout.splitlines()[-1])[
        "platforms"]["province"]["error"]


def test_a_platform_clock_far_off_is_retried_once_then_reported(sqlite_store: Store,
                                                                make_world: Any) -> None:
    world = make_world(sqlite_store, clock_offset=400)
    report = world.sync()
    province = report.platforms["province"]
    assert province.exit == ExitCode.CONFIGURATION
    assert province.error is not None and "clock" in province.error
    assert world.province.auth_rejections == {40102: 2}


def test_simulator_refuses_replayed_nonce_stale_timestamp_and_bad_signature(
        sqlite_store: Store, make_world: Any) -> None:
    world = make_world(sqlite_store)
    sim = world.province
    base = world.sims.running["province"].base_url

    def send(request: Any) -> dict[str, Any]:
        response = httpx.request(request.method, base + request.url, headers=request.headers,
                                 content=request.body)
        return {"status": response.status_code, **response.json()}

    params = {"regionCode": REGION, "pageNo": 1, "pageSize": 10}
    fresh = sign_request(sim.app_key, sim.app_secret, "GET", "/ssj/v1/tasks", params)
    assert send(fresh)["code"] == 0
    assert (send(fresh)["status"], send(fresh)["code"]) == (401, 40103)
    stale = sign_request(sim.app_key, sim.app_secret, "GET", "/ssj/v1/tasks", params,
                         now=time.time() - 301)
    assert send(stale)["code"] == 40102
    forged = sign_request(sim.app_key, "guess", "GET", "/ssj/v1/tasks", params)
    assert send(forged)["code"] == 40104
    tampered = sign_request(sim.app_key, sim.app_secret, "GET", "/ssj/v1/tasks", params)
    tampered = type(tampered)(tampered.method, tampered.url.replace("pageSize=10", "pageSize=11"),
                              tampered.headers, tampered.body)
    assert send(tampered)["code"] == 40104


def test_task_held_on_the_platform_with_other_content_is_set_aside(sqlite_store: Store,
                                                                   make_world: Any) -> None:
    world = make_world(sqlite_store)
    world.sync()
    theirs = next(iter(world.province.platform.tasks))
    with sqlite_store.engine.begin() as conn:
        enqueue(conn, "province", "task", theirs,
                local_task(world, theirs, sorted(world.in_library())[:1]))
    report = world.sync()
    assert report.exit == ExitCode.SET_ASIDE
    [entry] = [q for q in sqlite_store.quarantined("province") if q["entity"] == "task"]
    assert entry["key"] == theirs and "40902" in entry["reason"]
    assert "new task" in entry["reason"]
    assert max(world.province.request_ids.values()) == 1  # refused, never repeated
    assert world.province.platform.tasks[theirs]["drawnBy"] == provincial_org(REGION)


def test_result_recorded_with_other_content_is_set_aside_with_the_way_to_correct_it(
        sqlite_store: Store, make_world: Any) -> None:
    world = make_world(sqlite_store)
    world.sync()
    recorded = next(iter(world.province.platform.results.values()))
    other = {name: recorded[name] for name in ("taskId", "uscc", "inspectedOn", "inspectorIds",
                                                "findings", "rectificationDue", "caseNo")}
    other["resultCode"] = "06" if recorded["resultCode"] != "06" else "01"
    with sqlite_store.engine.begin() as conn:
        enqueue(conn, "province", "result", f"{other['taskId']}/{other['uscc']}", other)
    report = world.sync()
    assert report.platforms["province"].set_aside == 1
    [entry] = [q for q in sqlite_store.quarantined("province") if q["entity"] == "result"]
    assert "40901" in entry["reason"] and "results correct" in entry["reason"]
    assert world.province.platform.results[recorded["resultId"]]["version"] == recorded["version"]


def test_rejected_inspector_is_set_aside_and_the_rest_of_the_batch_accepted(
        sqlite_store: Store, make_world: Any) -> None:
    world = make_world(sqlite_store)
    outsider = world.tmp / "outsider.csv"
    outsider.write_text("inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,"
                        f"conflicts\nSZ-001,陈明,4403052019000001,{ORG},440305,大气,false,true,\n",
                        encoding="utf-8")
    import_roster(sqlite_store, outsider, "test")
    report = world.sync()
    assert report.exit == ExitCode.SET_ASIDE
    [entry] = sqlite_store.quarantined("province")
    assert (entry["entity"], entry["key"]) == ("inspector", "SZ-001")
    assert "42203" in entry["reason"]
    assert {"WH-001", "WH-002", "WH-003"} <= set(world.province.platform.inspectors)
    assert "SZ-001" not in world.province.platform.inspectors
    assert set(world.province.platform.subjects) == set(world.in_library())


def test_simulator_refuses_library_items_by_code_and_keeps_the_rest() -> None:
    platform = ProvincePlatform(REGION)
    good = {"uscc": "91371002MA3C00000J", "name": "某化工有限公司", "regionCode": "371002",
            "category": "ZD", "tags": []}
    status, code, _, data = platform.upsert_library("subjects", [
        good, {**good, "uscc": "91371002MA3C00000K"}, {**good, "uscc": "91371002MA3C00001M",
                                                      "category": "KEY"},
        {**good, "uscc": "91371002MA3C00002Q", "regionCode": "440305"}, good])
    assert (status, code) == (200, 0)
    assert [(r["status"], r["errorCode"]) for r in data["results"]] == [
        ("CREATED", None), ("REJECTED", 42201), ("REJECTED", 42202), ("REJECTED", 42203),
        ("UNCHANGED", None)]
    assert platform.applied == 1


def test_simulator_records_auto_results_in_the_planned_window_and_completes_the_task() -> None:
    today = beijing_today()
    runs = []
    for _ in range(2):
        platform = ProvincePlatform(REGION, seed=5, seeded=higher_level_draws(REGION, 0, 5, today))
        quarter = Quarter.of(today)
        subjects = [body + uscc_check_character(body)
                    for body in (f"9137100{n:010d}" for n in range(1, 41))]
        people = [p["inspectorId"] for p in provincial_inspectors(REGION)]
        status, code, _, _ = platform.push_task({
            "taskId": "371000-T-0001", "name": "t", "regionCode": REGION, "matterCode": "M01",
            "drawnBy": ORG, "drawMode": "不定向", "period": quarter.label,
            "plannedStart": quarter.start.isoformat(), "plannedEnd": quarter.end.isoformat(),
            "drawProof": None, "status": "已抽取",
            "assignments": [{"uscc": u, "inspectorIds": people[:2], "mode": "现场",
                             "status": "待检查"} for u in subjects]})
        assert (status, code) == (200, 0)
        platform.advance()
        runs.append({(r["uscc"], r["resultCode"], r["inspectedOn"])
                     for r in platform.results.values()})
        assert platform.tasks["371000-T-0001"]["status"] == "已完成"
        assert {a["status"] for a in platform.tasks["371000-T-0001"]["assignments"]} == {"已检查"}
    assert runs[0] == runs[1] and len(runs[0]) == 40
    assert len({code for _, code, _ in runs[0]}) >= 3
    days = {date.fromisoformat(day) for _, _, day in runs[0]}
    assert all(Quarter.of(today).start <= day <= today for day in days)
