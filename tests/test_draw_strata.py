"""A draw commit over strata: a city drawing for its districts, the parts of a category, and
object libraries — every stratum labelled, one commitment over them all, each verifiable alone
exactly as draw.md says."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from policy_world import OWN_ORG, World, active_policy, plan_for
from sqlalchemy import select

from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.export import draw_rows
from ssj_bridge.draw.run import run_draws
from ssj_bridge.draw.sampler import draw_subjects
from ssj_bridge.draw.verify import verify_task
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.tasks import load_tasks
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import pending
from ssj_bridge.store import Store
from ssj_bridge.store.schema import draws, subjects, tasks

Q2 = Quarter(2025, 2)
TODAY = date(2025, 4, 15)


def weihai_city(store: Store) -> World:
    """威海: KEY 8 in 371002, 4 in 371003, SPECIAL 2 in 371003; staff of each district and the city."""
    w = World(store, "371000")
    w.subjects(8, "重点管理", region="371002")
    w.subjects(4, "重点管理", region="371003")
    for who in w.subjects(2, "简化管理", region="371003"):
        w.tag(who, "挂牌督办", since=date(2025, 1, 1))
    w.inspectors(3, region="371002")
    w.inspectors(2, region="371003")
    w.inspectors(2)
    plan_for(store, "weihai", Q2, "371000", TODAY)
    return w


def test_a_city_commit_draws_each_district_under_one_commitment(sqlite_store: Store) -> None:
    """371002 KEY ceil(25% × 8) = 2 of 8; 371003 KEY ceil(25% × 4) = 1 of 4, SPECIAL (all twice
    a year, Q2 the half-year's last quarter) 2 of 2. Each task covers its district, is drawn by
    the city and verifies; the commitment is the same for the three draws."""
    weihai_city(sqlite_store)
    active = active_policy("weihai")
    report = commit_draws(sqlite_store, active, region_code="371000", quarter=Q2,
                          matter_code="M01", own_org=OWN_ORG)
    assert [(c.label, c.k, c.candidates) for c in report.committed] == [
        ("371002/2025Q2/M01/KEY", 2, 8), ("371003/2025Q2/M01/KEY", 1, 4),
        ("371003/2025Q2/M01/SPECIAL", 2, 2)]
    assert len({c.commitment for c in report.committed}) == 1
    drawn = run_draws(sqlite_store, active, region_code="371000", quarter=Q2, matter_code="M01",
                      witness="20250415-7", drawn_by=OWN_ORG, org_name="威海市生态环境局",
                      today=TODAY)
    assert [(t.task_id, t.region_code) for t in drawn.tasks] == [
        ("371000-2025Q2-0001", "371002"), ("371000-2025Q2-0002", "371003"),
        ("371000-2025Q2-0003", "371003")]
    with sqlite_store.engine.connect() as conn:
        where = dict(conn.execute(select(subjects.c.uscc, subjects.c.region_code)).all())
    for task in drawn.tasks:
        assert {where[a.uscc] for a in task.assignments} == {task.region_code}
        assert "371002" in task.name or "371003" in task.name
        assert verify_task(sqlite_store, task.task_id).ok
    exported = {row["label"]: row for row in draw_rows(sqlite_store)}
    row = exported["371003/2025Q2/M01/KEY"]
    # draw.md alone re-derives it: the label names the district's stratum
    assert draw_subjects(bytes.fromhex(row["secret"]), row["witnessEntropy"], row["label"],
                         row["candidates"], row["k"]) == row["selected"]


def test_a_changed_district_refuses_the_run_naming_its_stratum(sqlite_store: Store) -> None:
    w = weihai_city(sqlite_store)
    active = active_policy("weihai")
    commit_draws(sqlite_store, active, region_code="371000", quarter=Q2, matter_code="M01",
                 own_org=OWN_ORG)
    w.subject("重点管理", region="371003")
    from ssj_bridge.policy.classify import classify_period

    classify_period(sqlite_store, active, Q2, region="371000", day=TODAY)
    with pytest.raises(InputRefused, match="371003/2025Q2/M01/KEY: candidates now hash"):
        run_draws(sqlite_store, active, region_code="371000", quarter=Q2, matter_code="M01",
                  witness="w", drawn_by=OWN_ORG, today=TODAY)


def test_objects_with_a_uscc_go_to_the_platform_and_others_stay_local(sqlite_store: Store) -> None:
    """南山 M06 机动车排放检验机构 (USCCs): ceil(2.5% × 10) = 1, queued for the provincial platform
    under the station's USCC. M03 入海排污口 (no USCC) 重点 5: Q2's share of the year's
    ceil(20% × 5) = 1 is ceil(1 ÷ 3) = 1; its task is kept local, not queued, and still
    verifies and exports."""
    w = World(sqlite_store, "440305")
    stations = w.objects("机动车排放检验机构", 10, with_uscc=True)
    outfalls = w.objects("入海排污口", 5, subkind="重点")
    w.inspectors(3, expertise="大气;移动源;海洋")
    active = active_policy("nanshan")
    for matter in ("M06", "M03"):
        commit_draws(sqlite_store, active, region_code="440305", quarter=Q2, matter_code=matter,
                     own_org=OWN_ORG)
    pushed = run_draws(sqlite_store, active, region_code="440305", quarter=Q2,
                       matter_code="M06", witness="w", drawn_by=OWN_ORG, today=TODAY)
    kept = run_draws(sqlite_store, active, region_code="440305", quarter=Q2, matter_code="M03",
                     witness="w", drawn_by=OWN_ORG, today=TODAY)
    assert pushed.kept_local == [] and kept.kept_local == [kept.tasks[0].task_id]
    assert pushed.tasks[0].assignments[0].uscc in stations
    assert kept.tasks[0].assignments[0].uscc in outfalls
    with sqlite_store.engine.connect() as conn:
        queued = [item.key for item in pending(conn, "province", "task", 10)]
        origins = dict(conn.execute(select(tasks.c.task_id, tasks.c.origin)).all())
        listed = {t.task_id for t in load_tasks(conn)}
    assert queued == [pushed.tasks[0].task_id]
    assert origins[kept.tasks[0].task_id] == "kept-local"
    assert kept.tasks[0].task_id in listed
    assert verify_task(sqlite_store, kept.tasks[0].task_id).ok
    assert verify_task(sqlite_store, pushed.tasks[0].task_id).ok


def test_a_draws_scope_is_recorded_for_directed_and_joint_draws_to_come(
        sqlite_store: Store) -> None:
    """The stratum and the (empty) directed scope and joint plan are kept with each draw."""
    weihai_city(sqlite_store)
    commit_draws(sqlite_store, active_policy("weihai"), region_code="371000", quarter=Q2,
                 matter_code="M01", own_org=OWN_ORG)
    with sqlite_store.engine.connect() as conn:
        scopes = [orjson.loads(s) for s in conn.execute(select(draws.c.scope)).scalars()]
    assert scopes[0] == {"region": "371002", "part": None, "directed": None, "joint": None}
