"""Joint cross-department plans: the import, a joint draw that commits the subjects once and
each department's inspectors apart, tasks that carry every department, and the joint share
against its target and deadline (南山 四（四） 15 %, 10月底)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from draw_support import ORG, QUARTER, REGION, TODAY, G, K, X, fill_small, small_policy
from policy_world import World, active_policy
from sqlalchemy import select, update

from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.export import draw_rows
from ssj_bridge.draw.redraw import redraw_task
from ssj_bridge.draw.run import run_draws
from ssj_bridge.draw.strata import DrawScope
from ssj_bridge.draw.verify import verify_task
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.features.tasks import task_rows
from ssj_bridge.intake import FileRefused, import_joint_plans
from ssj_bridge.intake.joint import parse_period
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.plan import make_plan
from ssj_bridge.report.compliance import compliance_report
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, draws, inspectors, tasks

WATER = "11371000MB1234567W"  # 水利局
HOUSING = "11371000MB7654321H"  # 住建局
HEADER = "planId,name,leadOrg,partnerOrgs,matterCodes,period,share\n"


def _file(tmp_path: Path, body: str, name: str = "joint.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_periods() -> None:
    assert (parse_period("2024").start, parse_period("2024").end) == (date(2024, 1, 1),
                                                                      date(2024, 12, 31))
    months = parse_period("2024-3..2024-10")  # 阳城 附件2 "3月-10月"
    assert (months.text, months.start, months.end) == ("2024-03..2024-10", date(2024, 3, 1),
                                                       date(2024, 10, 31))
    assert [q.label for q in months.quarters()] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert parse_period("2025Q2").end == date(2025, 6, 30)
    for bad in ("2024-10..2024-03", "24", "2024-13..2024-14", "spring"):
        with pytest.raises(ValueError, match="not a period"):
            parse_period(bad)


def test_an_import_is_all_or_nothing_with_row_numbers(store: Store, tmp_path: Path) -> None:
    bad = _file(tmp_path, "\n".join([
        f"JP-1,入河排污口联合检查,{ORG},{WATER},M01,2026-03..2026-10,20%",
        f"JP-2,污水处理厂联合检查,{ORG},{ORG};{HOUSING},M09,2026,100%",
        f"JP-1,again,{ORG},{WATER},M01,2026,0%",
        f"JP-3,,{ORG},,M01,2026Q5,15%"]) + "\n")
    with pytest.raises(FileRefused) as caught:
        import_joint_plans(store, bad, {"M01", "M02"})
    problems = "\n".join(caught.value.problems)
    assert "row 3: field 'partnerOrgs' value '11371000MB0000000E': " in problems
    assert "row 3: field 'matterCodes' value 'M09': M09 is not on the deployment's list" in problems
    assert "row 4: field 'planId' value 'JP-1': plan JP-1 is listed again (first in row 2)" in problems
    assert "row 4: field 'share' value '0%'" in problems
    assert "row 5: field 'name'" in problems and "row 5: field 'partnerOrgs'" in problems
    assert "row 5: field 'period' value '2026Q5'" in problems
    assert store.count("joint_plans") == 0
    good = _file(tmp_path, f"JP-1,入河排污口联合检查,{ORG},{WATER},M01,2026-03..2026-10,20%\n",
                 "good.csv")
    assert import_joint_plans(store, good, {"M01"}).rows == 1
    again = _file(tmp_path, f"JP-1,入河排污口联合检查,{ORG},{WATER};{HOUSING},M01,2026,15%\n",
                  "again.csv")
    import_joint_plans(store, again, {"M01"})
    [row] = list(default_registry().rows("joint", store))
    assert row == {"planId": "JP-1", "name": "入河排污口联合检查", "leadOrg": ORG,
                   "partnerOrgs": f"{WATER};{HOUSING}", "matterCodes": "M01", "period": "2026",
                   "share": "15%"}


@pytest.fixture
def active() -> ActivePolicy:
    return small_policy()


@pytest.fixture
def joint_store(store: Store, tmp_path: Path) -> Store:
    """The small policy's subjects, the bureau's 10 people (7 certified) and 3 of 水利局."""
    fill_small(store)
    with store.engine.begin() as conn:
        for n in range(3):
            conn.execute(inspectors.insert().values(
                inspector_id=f"SL-{n:03d}", name=f"水利局检查员{n}", cert_no=f"SL{n:06d}",
                org_code=WATER, region_code=REGION, expertise="水", auxiliary=False, active=True,
                conflicts="", updated_at="2026-04-01T09:00:00+08:00"))
    import_joint_plans(store, _file(tmp_path, f"JP-1,入河排污口联合检查,{ORG},{WATER},M01,2026,20%\n"),
                       {"M01", "M02"})
    return store


def _commit(store: Store, active: ActivePolicy, joint: str | None = None,
            **options: object) -> object:
    return commit_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                        own_org=ORG, scope=DrawScope(joint=joint), **options)  # type: ignore[arg-type]


def test_other_departments_never_count_as_the_bureaus_inspectors(
        joint_store: Store, active: ActivePolicy) -> None:
    plan = make_plan(joint_store, active, QUARTER, region=REGION, own_org=ORG)
    assert plan.inspectors == 7  # 水利局's three certified people are not the bureau's
    report = _commit(joint_store, active)
    assert {c.inspector_candidates for c in report.committed} == {10}  # type: ignore[attr-defined]
    assert all(not c.departments for c in report.committed)  # type: ignore[attr-defined]


def test_a_joint_draw_draws_each_departments_inspectors_apart(
        joint_store: Store, active: ActivePolicy) -> None:
    report = _commit(joint_store, active, "JP-1", counts={K: 3, G: 0, X: 0},
                     reason="联合抽查只查重点单位")
    [key] = report.committed  # type: ignore[attr-defined]
    [(org, count, digest)] = key.departments
    assert (org, count) == (WATER, 3) and key.inspector_candidates == 10
    drawn = run_draws(joint_store, active, region_code=REGION, quarter=QUARTER,
                      matter_code="M01", witness="88", drawn_by=ORG, today=TODAY)
    [task] = drawn.tasks
    assert "跨部门联合双随机抽查" in task.name
    for assignment in task.assignments:
        ours, theirs = assignment.inspector_ids[:2], assignment.inspector_ids[2:]
        assert all(i.startswith("WH-") for i in ours) and len(theirs) == 1
        assert theirs[0].startswith("SL-")
    with joint_store.engine.connect() as conn:
        row = conn.execute(select(tasks.c.departments, tasks.c.joint_plan)).one()
    assert tuple(row) == (f"{ORG};{WATER}", "JP-1")
    [exported] = [t for t in task_rows(joint_store)]
    enriched = next(iter(default_registry().rows("tasks", joint_store)))
    assert "departments" not in exported  # the platform's Task, field for field …
    assert (enriched["departments"], enriched["jointPlan"]) == ([ORG, WATER], "JP-1")  # … plus
    [record] = [r for r in draw_rows(joint_store) if r["taskId"] == task.task_id]
    [department] = record["departments"]
    assert department["orgCode"] == WATER and department["inspectorCandidatesHash"] == digest
    assert department["inspectorCandidates"] == ["SL-000", "SL-001", "SL-002"]
    assert [g["uscc"] for g in department["groups"]] == [a.uscc for a in task.assignments]
    checked = verify_task(joint_store, task.task_id)
    assert checked.ok, checked.differences
    assert any(what == f"department {WATER}" for what, _ in checked.compared)
    # A partner's member moved by hand no longer verifies.
    with joint_store.engine.begin() as conn:
        stored = orjson.loads(conn.execute(select(draws.c.departments).where(
            draws.c.task_id == task.task_id)).scalar_one())
        first = stored[0]["groups"][0]["inspectorIds"]
        first[0] = "SL-002" if first[0] != "SL-002" else "SL-001"
        conn.execute(update(draws).where(draws.c.task_id == task.task_id)
                     .values(departments=orjson.dumps(stored).decode()))
    assert not verify_task(joint_store, task.task_id).ok


def test_a_partners_inspector_is_replaced_on_the_partners_stream(
        joint_store: Store, active: ActivePolicy) -> None:
    _commit(joint_store, active, "JP-1", counts={K: 2, G: 0, X: 0}, reason="联合抽查只查重点单位")
    [task] = run_draws(joint_store, active, region_code=REGION, quarter=QUARTER,
                       matter_code="M01", witness="88", drawn_by=ORG, today=TODAY).tasks
    target = task.assignments[0]
    partner = target.inspector_ids[2]
    entry = redraw_task(joint_store, task.task_id, target.uscc, partner, "出差无法参加",
                        approved_by="水利局分管领导")
    assert entry.replaced == partner and entry.replacement.startswith("SL-")
    with joint_store.engine.connect() as conn:
        now = conn.execute(select(assignments.c.inspector_ids).where(
            assignments.c.task_id == task.task_id, assignments.c.uscc == target.uscc)).scalar_one()
    assert now.split(";") == [*target.inspector_ids[:2], entry.replacement]
    [record] = [r for r in draw_rows(joint_store) if r["taskId"] == task.task_id]
    assert record["departments"][0]["redraws"][0]["approvedBy"] == "水利局分管领导"
    assert record["redraws"] == []  # the bureau's own groups are untouched
    assert verify_task(joint_store, task.task_id).ok


def test_a_joint_draw_is_refused_when_the_plan_does_not_cover_it(
        joint_store: Store, active: ActivePolicy, tmp_path: Path) -> None:
    with pytest.raises(InputRefused, match="no such joint plan"):
        _commit(joint_store, active, "JP-9")
    with pytest.raises(InputRefused, match="covers matters M01, not M02"):
        commit_draws(joint_store, active, region_code=REGION, quarter=QUARTER, matter_code="M02",
                     own_org=ORG, scope=DrawScope(joint="JP-1"), counts={K: 1},
                     reason="test")
    import_joint_plans(joint_store, _file(tmp_path, "\n".join([
        f"JP-2,秋季,{ORG},{WATER},M01,2026-10..2026-12,10%",
        f"JP-3,住建,{HOUSING},{WATER},M01,2026,10%",
        f"JP-4,无人,{ORG},{HOUSING},M01,2026,10%"]) + "\n", "more.csv"), {"M01"})
    with pytest.raises(InputRefused, match=r"runs 2026-10\.\.2026-12, which 2026Q2 is outside"):
        _commit(joint_store, active, "JP-2")
    with pytest.raises(InputRefused, match=r"SSJ_ORG_CODE .* is not one of the plan's departments"):
        _commit(joint_store, active, "JP-3")
    with pytest.raises(InputRefused, match=f"department {HOUSING} .* cannot join every group"):
        _commit(joint_store, active, "JP-4")
    assert joint_store.count("draws") == 0


def test_nanshans_joint_share_against_15_percent_by_the_end_of_october(
        store: Store, tmp_path: Path) -> None:
    w = World(store, "440305")
    keys = w.subjects(20, "重点管理")
    task_ids = [w.result(u, date(2025, 5, 10 + n % 15)) for n, u in enumerate(keys)]
    with store.engine.begin() as conn:  # 2 of the 20 checks in joint tasks, complete
        conn.execute(update(tasks).where(tasks.c.task_id.in_(task_ids[:2])).values(
            joint_plan="NS-2025", departments=f"11440305MB0000000N;{WATER}"))
    import_joint_plans(store, _file(tmp_path, f"NS-2025,综合监管联合检查,11440305MB0000000N,{WATER},"
                                              "M01,2025,15%\n"), {"M01"})
    active = active_policy("nanshan")
    rules = DeadlineRules.default()
    report = compliance_report(store, active, Quarter(2025, 2), rules, today=date(2025, 11, 3),
                               region="440305")
    [joint] = report.joint
    # 四（四）: joint ≥ 15 % of all: ceil(15 % × 20) = 3; 2 joint; due 10月31日 (earlier than the
    # plan's year end), passed on 3 November: short.
    assert (joint.checks, joint.joint_checks, joint.required) == (20, 2, 3)
    assert (joint.deadline, joint.deadline_clause, joint.status) == (date(2025, 10, 31), "四（四）",
                                                                     "short")
    assert report.as_json()["joint"][0]["status"] == "short"
    with store.engine.begin() as conn:
        conn.execute(update(tasks).where(tasks.c.task_id == task_ids[2]).values(
            joint_plan="NS-2025"))
    again = compliance_report(store, active, Quarter(2025, 2), rules, today=date(2025, 11, 3),
                              region="440305")
    assert again.joint[0].status == "met"
    plan = make_plan(store, active, Quarter(2025, 2), region="440305").with_joint(
        store, active.policy, date(2025, 9, 1))
    assert plan.as_json()["joint"][0]["jointChecks"] == 3


def test_the_commands_import_a_plan_draw_jointly_then_directed(sqlite_store: Store,
                                                               tmp_path: Path) -> None:
    """`joint import`, `draw commit --joint` and `draw commit --directed` as a data manager
    runs them under 威海: the partner's people join every group; a directed draw keeps to its
    scope and its tasks are 定向."""
    from click.testing import CliRunner
    from policy_world import OWN_ORG, World

    from ssj_bridge.cli import cli
    from ssj_bridge.model import beijing_today

    w = World(sqlite_store, "371002")
    keys = w.subjects(9, "重点管理")
    w.subjects(20, "登记管理")
    for uscc in keys[:3]:
        w.risk(uscc, "HIGH")
    w.inspectors(8)
    with sqlite_store.engine.begin() as conn:
        for n in range(3):
            conn.execute(inspectors.insert().values(
                inspector_id=f"SL-{n:03d}", name=f"水利局检查员{n}", cert_no=f"SL{n:06d}",
                org_code=WATER, region_code="371002", expertise="水", auxiliary=False,
                active=True, conflicts="", updated_at="2026-04-01T09:00:00+08:00"))
    now = Quarter.of(beijing_today())
    plan = _file(tmp_path, f"JP-9,入河排污口联合检查,{OWN_ORG},{WATER},M01,{now.year},20%\n")
    env = {"SSJ_DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "SSJ_POLICY": "weihai", "SSJ_REGION_CODE": "371002", "SSJ_ORG_CODE": OWN_ORG,
           "SSJ_ORG_NAME": "威海市生态环境局环翠分局"}
    runner = CliRunner()

    def run(*args: str) -> str:
        done = runner.invoke(cli, list(args), env=env)
        assert done.exit_code == 0, (args, done.output)
        return done.stdout

    assert run("joint", "import", str(plan)).startswith("1 joint plans applied from joint.csv")
    committed = [orjson.loads(line) for line in run(
        "draw", "commit", "--period", now.label, "--matter", "M01", "--joint", "JP-9",
        "--json").splitlines()]
    assert committed and all([d["orgCode"] for d in c["departments"]] == [WATER] for c in committed)
    run("draw", "run", "--period", now.label, "--matter", "M01", "--witness", "8841")
    joint = [orjson.loads(line) for line in run("export", "tasks").splitlines()]
    assert len(joint) == len(committed)
    for task in joint:
        assert (task["departments"], task["jointPlan"], task["drawMode"]) == (
            [OWN_ORG, WATER], "JP-9", "不定向")
        for group in task["assignments"]:  # one of 水利局's own in every group
            assert sum(i.startswith("SL-") for i in group["inspectorIds"]) == 1

    later = now.next().label
    directed = [orjson.loads(line) for line in run(
        "draw", "commit", "--period", later, "--matter", "M01", "--directed", "riskClass=HIGH",
        "--json").splitlines()]
    assert directed and all("/定向:riskClass=HIGH" in c["label"] for c in directed)
    run("draw", "run", "--period", later, "--matter", "M01", "--witness", "8842")
    tasks_later = [t for t in map(orjson.loads, run("export", "tasks").splitlines())
                   if t["period"] == later]
    assert tasks_later and {t["drawMode"] for t in tasks_later} == {"定向"}
    assert {g["uscc"] for t in tasks_later for g in t["assignments"]} <= set(keys[:3])
