"""Every "wrong" row of the clause-by-clause review of the five texts, each pinned by the input
that showed it and the clause it breaks (the row's number in the test name)."""

from __future__ import annotations

from datetime import date

import pytest
from policy_world import HIGHER_ORG, OWN_ORG, World, active_policy, numbers, plan_for, primary
from sqlalchemy import select, update

from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.matching import (
    InspectorProfile,
    MatchingInputs,
    group_problems,
    match_inspectors,
    matching_stream,
)
from ssj_bridge.draw.sampler import seed
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.deadlines import DeadlineRules, deadline_report, refresh_due_dates
from ssj_bridge.model import Category
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import classify_period
from ssj_bridge.policy.closing import close_period, record_roster
from ssj_bridge.policy.plan import make_plan
from ssj_bridge.policy.snapshots import corrections
from ssj_bridge.report.compliance import compliance_report
from ssj_bridge.store import Store
from ssj_bridge.store.schema import draws, inspectors, publications, results, tasks

K, S, G, X = Category.KEY, Category.SIMPLIFIED, Category.GENERAL, Category.SPECIAL
Q1, Q2, Q3, Q4 = (Quarter(2025, n) for n in range(1, 5))
COUNTY_ORG = "11371002MB0000000X"


def commit(store: Store, policy: str, region: str, quarter: Quarter, matter: str = "M01",
           **options: object) -> object:
    return commit_draws(store, active_policy(policy), region_code=region, quarter=quarter,
                        matter_code=matter, own_org=OWN_ORG, **options)  # type: ignore[arg-type]


def labels(report: object) -> dict[str, tuple[int, int]]:
    """label → (k, candidates) of a commit."""
    return {c.label: (c.k, c.candidates) for c in report.committed}  # type: ignore[attr-defined]


def candidates_of(store: Store, label: str) -> list[str]:
    import orjson

    with store.engine.connect() as conn:
        row = conn.execute(select(draws.c.candidates).where(draws.c.label == label)
                           .order_by(draws.c.id.desc())).first()
    assert row is not None, label
    return list(orjson.loads(row.candidates))


# -- 威海 -----------------------------------------------------------------------------------------


def test_w2_a_city_draws_and_counts_each_district_on_its_own(sqlite_store: Store) -> None:
    """W2 — 威海 第十四条（一） "各区市每季度对本行政区域内重点监管对象抽查比例不低于25%", 第十六条
    "也可由市生态环境局抽取，派发各分局实施".

    City deployment 371000; KEY 4 in 371002 and 4 in 371003; two 371002 units inspected in Q2.
    371002: required ceil(25% × 4) = 1, done 2 — met. 371003: required 1, done 0 — open (short
    once the quarter ends), though the city's sum shows required 2, done 2.
    The city's draw is per district: 371002 needs nothing more; 371003/2025Q2/M01/KEY k=1 of 4.
    """
    w = World(sqlite_store, "371000")
    east = w.subjects(4, "重点管理", region="371002")
    w.subjects(4, "重点管理", region="371003")
    w.result(east[0], date(2025, 4, 10))
    w.result(east[1], date(2025, 4, 11))
    w.inspectors(2, region="371003")
    w.inspectors(2)
    plan, _ = plan_for(sqlite_store, "weihai", Q2, "371000", date(2025, 5, 15))
    routine = plan.matter("M01")
    assert routine is not None
    lines = {r.region: numbers_of(r) for r in routine.regions}
    assert lines["371002"]["KEY"] == (4, [("quarter", 1, 2)])
    assert lines["371003"]["KEY"] == (4, [("quarter", 1, 0)])
    assert numbers(plan)["KEY"] == (8, [("quarter", 2, 2, "第十四条（一）")])
    shape = plan.as_json()["matters"]["M01"]["regions"]
    assert shape["371003"]["categories"]["KEY"]["obligations"][0]["done"] == 0
    report = compliance_report(sqlite_store, active_policy("weihai"), Q2, DeadlineRules.default(),
                               today=date(2025, 7, 2), region="371000")
    status = {(o.region, o.label): o.status for o in report.obligations}
    assert status[("371002", "371002 KEY")] == "met"
    assert status[("371003", "371003 KEY")] == "short"
    committed = commit(sqlite_store, "weihai", "371000", Q2)
    assert labels(committed) == {"371003/2025Q2/M01/KEY": (1, 4)}
    assert {(n.region, n.category) for n in committed.not_drawn} >= {("371002", "KEY")}


def numbers_of(line: object) -> dict[str, tuple[int, list[tuple[str, int, int]]]]:
    return {c.key: (c.population, [(o.obligation.per.value, o.required, o.done)
                                   for o in c.obligations])
            for c in line.categories}  # type: ignore[attr-defined]


def test_w24b_when_the_optional_exclusion_empties_the_category_it_is_taken_back(
        sqlite_store: Store) -> None:
    """W24b — 威海 第十八条 "原则上可剔除年度已抽取…且未发现生态环境问题的监管对象" with 第十四条（一）
    25% each quarter.

    District 371002, 8 KEY, all inspected clean (01) in Q1–Q3, 4 of them by a higher level.
    Q4: 第十八条 leaves 0 candidates; the quarter still needs ceil(25% × 8) = 2, so the 8 are
    taken back: 371002/2025Q4/M01/KEY/taken-back k=2 of 8, and the commit says why.
    """
    w = World(sqlite_store, "371002")
    keys = w.subjects(8, "重点管理")
    for index, who in enumerate(keys):
        w.result(who, date(2025, 2 + 3 * (index % 3), 10),
                 drawn_by=HIGHER_ORG if index < 4 else OWN_ORG)
    w.inspectors(3)
    plan_for(sqlite_store, "weihai", Q4, "371002", date(2025, 10, 8))
    committed = commit(sqlite_store, "weihai", "371002", Q4)
    assert labels(committed) == {"371002/2025Q4/M01/KEY/taken-back": (2, 8)}
    [item] = committed.committed
    assert "第十八条" in item.note and "taken back" in item.note


def test_w25_auxiliary_staff_never_fill_the_two_seats() -> None:
    """W25 — 威海 第十九条 "检查人员执行抽查任务时不得少于2人", 第二十一条 "在符合检查人数要求的前提下，
    可在辅助检查人员名录库中抽取…辅助人员参与检查".

    1 certified inspector and 4 auxiliary: no group can be formed (the draw is refused). With 2
    certified and an auxiliary radiation expert for a 辐射 matter, each group is the 2 inspectors
    and the expert on top: 3 members, 2 of them not auxiliary.
    """
    from ssj_bridge.draw.matching import shortfall

    lone = MatchingInputs((InspectorProfile("A1", False, auxiliary=True),
                           InspectorProfile("A2", False, auxiliary=True),
                           InspectorProfile("A3", False, auxiliary=True),
                           InspectorProfile("A4", False, auxiliary=True),
                           InspectorProfile("I1", True)), 2)
    assert shortfall(lone) == ("1 active inspectors, a group needs 2 (auxiliary staff join on "
                               "top, never in place of one)")
    inputs = MatchingInputs((InspectorProfile("E1", False, frozenset({"辐射"}), auxiliary=True),
                             InspectorProfile("I1", True), InspectorProfile("I2", True)), 2,
                            ("辐射",))
    groups = match_inspectors(matching_stream(seed(bytes(32), "w"), "L", "h"),
                              ["91371002MA3C00000J", "91371002MA3C00001M"], inputs)
    for group in groups:
        assert sorted(group.inspector_ids) == ["E1", "I1", "I2"]
        assert group_problems(group, inputs) == []


def test_w29_publication_is_due_20_working_days_after_the_quarters_tasks(
        sqlite_store: Store) -> None:
    """W29 — 威海 第二十二条 "市生态环境局应在每季度随机抽查任务完成后的 20 个工作日内…公开".

    2025Q2: T1 complete on 2025-04-10, T2 not yet: T1's result is not due yet (no overdue on
    2025-05-13). Once T2 completes on 2025-06-20, every result of the quarter is due on the 20th
    working day after it: 2025-07-18 (per task it would have been 2025-05-12).
    """
    w = World(sqlite_store, "371002")
    first, second = w.subjects(2, "重点管理")
    t1 = w.result(first, date(2025, 4, 10))
    with sqlite_store.engine.begin() as conn:
        conn.execute(tasks.insert().values(task_id="T-OPEN", name="抽查任务", region_code="371002",
                                           matter_code="M01", drawn_by=OWN_ORG, draw_mode="不定向",
                                           period="2025Q2", status="检查中", origin="local"))
        from ssj_bridge.store.schema import assignments
        conn.execute(assignments.insert().values(task_id="T-OPEN", uscc=second, inspector_ids="",
                                                 mode="现场", status="待检查"))
        conn.execute(publications.insert().values(
            task_id=t1, uscc=first, inspected_on=date(2025, 4, 10), result_code="01",
            status="pending", due_provisional=False, updated_at="2025-04-11T00:00:00+08:00"))
    rules = DeadlineRules(WorkingCalendar.load(None), active_policy("weihai").policy.deadlines[0],
                          "weihai")
    with sqlite_store.engine.begin() as conn:
        refresh_due_dates(conn, rules)
        assert deadline_report(conn, rules, date(2025, 5, 13), 0).overdue == []
        due = conn.execute(select(publications.c.due)).scalar()
    assert due is None
    with sqlite_store.engine.begin() as conn:
        conn.execute(results.insert().values(
            task_id="T-OPEN", uscc=second, version=1, result_code="01",
            inspected_on=date(2025, 6, 20), inspector_ids="", findings="", origin="local",
            recorded_at="2025-06-20T18:00:00+08:00"))
        refresh_due_dates(conn, rules)
        due = conn.execute(select(publications.c.due)).scalar()
    assert due == date(2025, 7, 18)


# -- 益阳 -----------------------------------------------------------------------------------------


def test_y8b_a_penalty_left_open_expires_after_two_years(sqlite_store: Store) -> None:
    """Y8b — 益阳 三（二） "两年内存在环境违法行为的" (特殊监管对象).

    Q2 2025 (facts of 2025-05-15): a 行政处罚 dated 2020-03-01 with `until` empty is five years
    old — GENERAL; one dated 2024-01-01 (open) lies within 2023-05-15..2025-05-15 — SPECIAL.
    """
    w = World(sqlite_store, "430902")
    old, recent = w.subjects(2)
    w.tag(old, "行政处罚", since=date(2020, 3, 1))
    w.tag(recent, "行政处罚", since=date(2024, 1, 1))
    _, found = plan_for(sqlite_store, "yiyang", Q2, "430902", date(2025, 5, 15))
    assert primary(found, old) is G
    assert primary(found, recent) is X


def test_y18b_q4_draws_the_quarters_25_percent_after_the_years_coverage(
        sqlite_store: Store) -> None:
    """Y18b — 益阳 四（二）2 "每季度至少对本辖区 25%的重点监管对象进行抽查" (re-inspection allowed;
    益阳 has no yearly limit).

    County 430902, 8 KEY inspected 4, 2, 2 in Q1–Q3: the year's coverage is complete, Q4 still
    needs ceil(25% × 8) = 2. Every KEY unit was left out as covered in its year, so they are
    taken back: 430902/2025Q4/M01/KEY/taken-back k=2 of 8.
    """
    w = World(sqlite_store, "430902")
    keys = w.subjects(8, "重点管理", key=True)
    for index, who in enumerate(keys):
        month = 2 if index < 4 else (5 if index < 6 else 8)
        w.result(who, date(2025, month, 10), published=True)
    w.inspectors(2)
    plan_for(sqlite_store, "yiyang", Q4, "430902", date(2025, 10, 8))
    committed = commit(sqlite_store, "yiyang", "430902", Q4)
    assert labels(committed)["430902/2025Q4/M01/KEY/taken-back"] == (2, 8)


def test_y22_the_higher_level_may_inspect_again_what_the_lower_found_clean(
        sqlite_store: Store) -> None:
    """Y22 — 益阳 四（三） "上级监管部门可从下级部门当年度已抽查的被检查对象中，再次进行抽查；下级部门…
    已由上级抽查且未发现生态环境问题的，可在随机抽查时予以排除".

    A GENERAL unit of 430902 found clean in Q1: by the county, it stays a candidate of the city's
    draw (430900, per district); found clean by the city, it is no candidate of the county's.
    """
    w = World(sqlite_store, "430902")
    clean, *others = w.subjects(3)
    w.result(clean, date(2025, 2, 10), drawn_by=COUNTY_ORG, published=True)
    w.inspectors(2)
    plan_for(sqlite_store, "yiyang", Q2, "430900", date(2025, 4, 2))
    committed = commit(sqlite_store, "yiyang", "430900", Q2)
    assert "430902/2025Q2/M01/GENERAL" in labels(committed)
    assert clean in candidates_of(sqlite_store, "430902/2025Q2/M01/GENERAL")
    with sqlite_store.engine.begin() as conn:
        conn.execute(update(tasks).values(drawn_by=HIGHER_ORG))
    county = commit(sqlite_store, "yiyang", "430902", Q2, counts={G: 1})
    assert labels(county) == {"430902/2025Q2/M01/GENERAL": (1, 2)}
    assert clean not in candidates_of(sqlite_store, "430902/2025Q2/M01/GENERAL")
    assert sorted(others) == candidates_of(sqlite_store, "430902/2025Q2/M01/GENERAL")


def test_y28_an_inspection_not_published_is_not_done(sqlite_store: Store) -> None:
    """Y28 — 益阳 五（三） "已实施检查但未进行公示的，视为未完成抽查检查任务".

    2025Q1, 8 KEY units, 4 inspected, none published: KEY quarter required ceil(25% × 8) = 2,
    done 0 — short. Two published: done 2 — met.
    """
    w = World(sqlite_store, "430902")
    keys = w.subjects(8, "重点管理", key=True)
    made = [w.result(who, date(2025, 2, 10)) for who in keys[:4]]
    w.inspectors(2)
    plan, _ = plan_for(sqlite_store, "yiyang", Q1, "430902", date(2025, 1, 10))
    assert numbers(plan)["KEY"][1][0] == ("quarter", 2, 0, "四（二）2")
    with sqlite_store.engine.begin() as conn:
        for task_id, who in zip(made[:2], keys[:2], strict=True):
            conn.execute(publications.insert().values(
                task_id=task_id, uscc=who, inspected_on=date(2025, 2, 10), result_code="01",
                status="published", due_provisional=False, published_on=date(2025, 2, 20),
                updated_at="2025-02-20T00:00:00+08:00"))
    plan = make_plan(sqlite_store, active_policy("yiyang"), Q1, region="430902")
    assert numbers(plan)["KEY"][1][0] == ("quarter", 2, 2, "四（二）2")


# -- 阳城 -----------------------------------------------------------------------------------------


def test_c8_the_uncovered_key_discharge_units_are_forced_into_q4(sqlite_store: Store) -> None:
    """C8 — 阳城 三 "原则上应保证每年对辖区所有重点排污单位开展一遍巡查".

    8 重点排污单位 (5 inspected in Q1–Q3) and 4 重点管理 units outside the 名录: KEY 12.
    Q4 need: 25% ceil(3) = 3; the year's 名录 coverage needs 8 − 5 = 3 in its last quarter.
    The remaining quarters (none after Q4) cannot cover the 3, so all 3 are forced in:
    140522/2025Q4/M01/KEY/重点排污单位 k=3 of 3 — exactly the uncovered 名录 units — and the
    main KEY draw has nothing left to add.
    """
    w = World(sqlite_store, "140522")
    listed = w.subjects(8, "重点管理", key=True)
    w.subjects(4, "重点管理")
    for month, who in zip((2, 3, 5, 6, 8), listed[:5], strict=True):
        w.result(who, date(2025, month, 10))
    w.inspectors(2)
    plan_for(sqlite_store, "yangcheng", Q4, "140522", date(2025, 10, 8))
    committed = commit(sqlite_store, "yangcheng", "140522", Q4)
    assert labels(committed) == {"140522/2025Q4/M01/KEY/重点排污单位": (3, 3)}
    assert candidates_of(sqlite_store, "140522/2025Q4/M01/KEY/重点排污单位") == sorted(listed[5:])


def test_c13_only_a_report_found_true_makes_a_unit_special(sqlite_store: Store) -> None:
    """C13 — 阳城 三 "因环境违法问题受到行政处罚或被群众举报查实的，确定为特殊监管对象".

    One complaint received on 2025-04-03 (`投诉` 1): GENERAL. A report found true (`举报查实`,
    2025-04-20): SPECIAL.
    """
    w = World(sqlite_store, "140522")
    received, verified = w.subjects(2)
    w.tag(received, "投诉", "1", since=date(2025, 4, 3), until=date(2025, 4, 3))
    w.tag(verified, "举报查实", since=date(2025, 4, 20), source="阳分环查〔2025〕3号")
    _, found = plan_for(sqlite_store, "yangcheng", Q2, "140522", date(2025, 5, 15))
    assert primary(found, received) is G
    assert primary(found, verified) is X


def test_c25_f7_a_matter_draws_its_own_library_and_counts_alone(sqlite_store: Store) -> None:
    """C25 — 阳城 附件3 序号3 "机动车排放检验机构…100%"; F7 — results count only toward their own
    matter.

    2 机动车排放检验机构 (with USCCs) beside 12 factories: `draw commit --matter M07` draws among
    the 2 stations, never a factory: the year requires ceil(100% × 2) = 2, Q2 (3 quarters left)
    its share ceil(2 ÷ 3) = 1 — 140522/2025Q2/M07/ALL k=1 of 2. A KEY
    factory's inspection in an M07 task counts for M07's library (not at all: it is no
    station) and never toward M01: KEY done 0.
    """
    w = World(sqlite_store, "140522")
    factories = w.subjects(12, "重点管理")
    stations = w.objects("机动车排放检验机构", 2, with_uscc=True)
    w.inspectors(2, expertise="大气;水;海洋;移动源;监测;环评")
    w.result(factories[0], date(2025, 4, 10), matter="M07")
    plan, _ = plan_for(sqlite_store, "yangcheng", Q2, "140522", date(2025, 5, 15))
    assert numbers(plan)["KEY"][1][0] == ("quarter", 3, 0, "三（重点监管对象）")
    m07 = plan.as_json()["matters"]["M07"]
    assert m07["objectKind"] == "机动车排放检验机构"
    assert m07["categories"]["ALL"] == {"population": 2, "obligations": [
        {"per": "year", "required": 2, "done": 0, "rule": "附件3 序号3 机动车排放检验机构 100%"}]}
    committed = commit(sqlite_store, "yangcheng", "140522", Q2, "M07")
    assert labels(committed) == {"140522/2025Q2/M07/ALL": (1, 2)}
    assert candidates_of(sqlite_store, "140522/2025Q2/M07/ALL") == sorted(stations)


# -- 南山 -----------------------------------------------------------------------------------------


def test_n8_the_quarter_before_the_draw_makes_the_special_list(sqlite_store: Store) -> None:
    """N8 — 南山 四（二）1 一是 "季度内受到投诉 10 宗（含）以上…每季度最后一个月 17 日前…清单…在任务
    抽取前动态更新对象库", 五（二）1 "于当季结束前5个工作日完成下一季度的任务抽查".

    12 complaints 2025-04-01..06-15: the Q3 list (drawn on 2025-06-24, before Q3 starts) makes
    the unit SPECIAL.
    """
    w = World(sqlite_store, "440305")
    unit = w.subject("简化管理")
    w.tag(unit, "投诉", "12", since=date(2025, 4, 1), until=date(2025, 6, 15))
    _, found = plan_for(sqlite_store, "nanshan", Q3, "440305", date(2025, 6, 24))
    assert primary(found, unit) is X


def test_n12_n13_the_fixed_source_and_mobile_source_matters_have_their_ratios(
        sqlite_store: Store) -> None:
    """N12 — 南山 四（二）2; N13 — 四（二）3. 4 inspectors of 440305, 2025Q1 (facts of 01-10):
    M02 建设项目: 一般 (12) per quarter min(12, ceil(2.5 × 4)) = 10; 重点 (10) ceil(2.5% × 10) = 1.
    M03 入海排污口 (每年3月份之前): 重点 5 → ceil(20% × 5) = 1; 一般 3 → min(3, 2 × 4) = 3;
        特殊 2 → ceil(30% × 2) = 1, per year; Q1's share (4 quarters left): ceil(1/4) = 1,
        ceil(3/4) = 1, ceil(1/4) = 1 (drawing the whole year before March takes `--count`).
    M04 社会生态环境监测机构 4 → ceil(25% × 4) = 1 a quarter.
    M05 柴油车用车大户 150 → ceil(1% × 150) = 2; M06 机动车排放检验机构 10 → ceil(2.5% × 10) = 1;
    M07 加油站和储油库 40 → ceil(2.5% × 40) = 1, a quarter.
    """
    w = World(sqlite_store, "440305")
    w.objects("建设项目", 12, subkind="一般")
    w.objects("建设项目", 10, subkind="重点")
    w.objects("入海排污口", 5, subkind="重点")
    w.objects("入海排污口", 3, subkind="一般")
    w.objects("入海排污口", 2, subkind="特殊")
    w.objects("社会生态环境监测机构", 4, with_uscc=True)
    w.objects("柴油车用车大户", 150, with_uscc=True)
    w.objects("机动车排放检验机构", 10, with_uscc=True)
    w.objects("加油站和储油库", 40, with_uscc=True)
    w.inspectors(4, expertise="大气;水;海洋;移动源;监测;环评")
    plan, _ = plan_for(sqlite_store, "nanshan", Q1, "440305", date(2025, 1, 10))
    found = {code: {key: (c["population"], [(o["per"], o["required"]) for o in c["obligations"]])
                    for key, c in m["categories"].items()}
             for code, m in plan.as_json()["matters"].items()}
    assert found["M02"] == {"一般": (12, [("quarter", 10)]), "重点": (10, [("quarter", 1)])}
    assert found["M03"] == {"重点": (5, [("year", 1)]), "一般": (3, [("year", 3)]),
                            "特殊": (2, [("year", 1)])}
    assert found["M04"] == {"ALL": (4, [("quarter", 1)])}
    assert (found["M05"], found["M06"], found["M07"]) == (
        {"ALL": (150, [("quarter", 2)])}, {"ALL": (10, [("quarter", 1)])},
        {"ALL": (40, [("quarter", 1)])})
    committed = commit(sqlite_store, "nanshan", "440305", Q1, "M03")
    assert labels(committed) == {"440305/2025Q1/M03/重点": (1, 5),
                                 "440305/2025Q1/M03/一般": (1, 3),
                                 "440305/2025Q1/M03/特殊": (1, 2)}


# -- 衢州 -----------------------------------------------------------------------------------------


def test_q6b_the_next_quarters_list_counts_the_complaints_before_it(sqlite_store: Store) -> None:
    """Q6b — 衢州 一（三） "投诉举报多", 一（四） "于每季度结束前5个工作日内…确定下一季度被抽查单位
    名单".

    25 complaints 2025-04-01..06-20; the Q3 list drawn on 2025-06-24: the unit is in the
    SPECIAL library (county level: SPECIAL population 1, ceil(30% × 1) = 1).
    """
    w = World(sqlite_store, "330822")
    unit = w.subject()
    w.tag(unit, "控制级别", "县控")
    w.tag(unit, "投诉", "25", since=date(2025, 4, 1), until=date(2025, 6, 20))
    plan, found = plan_for(sqlite_store, "quzhou-county", Q3, "330822", date(2025, 6, 24))
    assert found[unit].categories == (G, X)
    assert numbers(plan)["SPECIAL"] == (1, [("quarter", 1, 0, "一（四）")])


def test_q7_a_key_unit_in_the_special_library_is_a_key_candidate(sqlite_store: Store) -> None:
    """Q7 — 衢州 一（三） "特殊监管单位单独建库（名单可与重点排污单位、一般排污单位重叠）", 一（四） 县级
    "每季度至少…25%…（原则上应保证每年对辖区所有重点排污单位开展一遍巡查）".

    County, 8 市控 KEY, 2 of them also 环境风险 (primary SPECIAL); the 6 others inspected in Q1.
    Q4: KEY needs max(ceil(25% × 8) = 2, 8 − 6 = 2) = 2; its candidates are the 2 overlapping
    units (the 6 are covered in the year): 330822/2025Q4/M01/KEY k=2 of 2. SPECIAL: ceil(30% × 2)
    = 1 of the same 2.
    """
    w = World(sqlite_store, "330822")
    keys = w.subjects(8, "重点管理")
    for who in keys:
        w.tag(who, "控制级别", "市控")
    for who in keys[:2]:
        w.tag(who, "环境风险")
    for who in keys[2:]:
        w.result(who, date(2025, 2, 10))
    w.inspectors(2)
    plan_for(sqlite_store, "quzhou-county", Q4, "330822", date(2025, 10, 8))
    committed = commit(sqlite_store, "quzhou-county", "330822", Q4)
    assert labels(committed) == {"330822/2025Q4/M01/KEY": (2, 2),
                                 "330822/2025Q4/M01/SPECIAL": (1, 2)}
    assert candidates_of(sqlite_store, "330822/2025Q4/M01/KEY") == sorted(keys[:2])


def test_q10_the_city_counts_its_own_staff_on_establishment(sqlite_store: Store) -> None:
    """Q10 — 衢州 一（四） 市级 "1:1.25（在编在岗的环境监察人员数量：被抽查单位数量）".

    4 city inspectors 在编在岗, 1 city inspector 借调 (seconded), 10 of the county (330822):
    GENERAL (市控 20) required ceil(1.25 × 4) = 5, not ceil(1.25 × 15) = 19.
    """
    w = World(sqlite_store, "330822")
    for who in w.subjects(20, "简化管理"):
        w.tag(who, "控制级别", "市控")
    w.inspectors(4, region="330800", staff_status="在编在岗")
    w.inspectors(1, region="330800", staff_status="借调")
    w.inspectors(10)
    plan, _ = plan_for(sqlite_store, "quzhou-city", Q2, "330800", date(2025, 5, 15))
    assert plan.inspectors == 4
    assert numbers(plan)["GENERAL"] == (20, [("quarter", 5, 0, "一（四）")])


# -- common formulas ------------------------------------------------------------------------------


def test_f4_a_closed_quarter_keeps_its_roster_count(sqlite_store: Store) -> None:
    """F4 — the inspectors behind a quarter's 1:k are those of the quarter (南山 四（二）1 "每季度
    至少按执法人员数量的 2.5 倍抽取一般监管对象").

    南山 2025Q2, 8 inspectors recorded while the quarter ran, GENERAL 40: required 2.5 × 8 = 20.
    The quarter closes; 4 retire: the closed quarter still requires 20 (afresh it would be 10).
    """
    w = World(sqlite_store, "440305")
    w.subjects(40, "简化管理")
    people = w.inspectors(8)
    active = active_policy("nanshan")
    classify_period(sqlite_store, active, Q2, region="440305", day=date(2025, 4, 2))
    record_roster(sqlite_store, active, Q2, "440305")
    assert close_period(sqlite_store, active, Q2, "440305", today=date(2025, 7, 3))
    with sqlite_store.engine.begin() as conn:
        conn.execute(update(inspectors).where(inspectors.c.inspector_id.in_(people[:4]))
                     .values(active=False))
    closed = make_plan(sqlite_store, active, Q2, region="440305")
    afresh = make_plan(sqlite_store, active, Q2, region="440305", snapshot=False)
    assert numbers(closed)["GENERAL"][1][0][1] == 20
    assert numbers(afresh)["GENERAL"][1][0][1] == 10
    assert closed.closed_at is not None


def test_f5_an_inspection_counts_toward_the_category_it_was_drawn_in(sqlite_store: Store) -> None:
    """F5 — population = classification when the plan is made (policies/README.md).

    威海 district, KEY 4; one drawn as KEY and inspected on 2025-04-10; 挂牌督办 from 05-01 makes
    it SPECIAL: KEY population 3, required ceil(25% × 3) = 1, done 1 — the inspection made while
    it was KEY still counts for KEY.
    """
    w = World(sqlite_store, "371002")
    keys = w.subjects(4, "重点管理")
    w.result(keys[0], date(2025, 4, 10), category="KEY")
    w.tag(keys[0], "挂牌督办", since=date(2025, 5, 1))
    plan, _ = plan_for(sqlite_store, "weihai", Q2, "371002", date(2025, 5, 15))
    assert numbers(plan)["KEY"] == (3, [("quarter", 1, 1, "第十四条（一）")])
    assert plan.categories[0].need == 0


def test_f6_facts_learnt_later_do_not_reach_back_into_a_closed_quarter(
        sqlite_store: Store) -> None:
    """F6 — a credit WARNING published on 2025-06-30 (威海 第九条（四） 信用评价等级低).

    2025Q2 was never classified while it ran: it is classified on its first day's facts, so the
    unit is SIMPLIFIED, and H1's SPECIAL coverage needs nobody. Classifying the closed quarter
    again is recorded as a correction.
    """
    w = World(sqlite_store, "371002")
    unit = w.subject("简化管理")
    w.credit(unit, "WARNING", "黄牌", published=date(2025, 6, 30), scheme="colours")
    active = active_policy("weihai")
    plan = make_plan(sqlite_store, active, Q2, region="371002")
    assert numbers(plan)["SIMPLIFIED"][0] == 1
    assert numbers(plan)["SPECIAL"] == (0, [("half-year", 0, 0, "第十四条（四）")])
    assert close_period(sqlite_store, active, Q2, "371002", today=date(2025, 7, 3))
    classify_period(sqlite_store, active, Q2, region="371002", day=date(2025, 6, 30))
    assert [c["what"] for c in corrections(sqlite_store, Q2)] == ["classification"]
    assert numbers(make_plan(sqlite_store, active, Q2, region="371002"))["SIMPLIFIED"][0] == 1


@pytest.mark.parametrize(("policy", "region", "entered", "late"), [
    ("yangcheng", "140522", "2025-04-29T10:00:00+08:00", 0),  # the 20th working day
    ("yangcheng", "140522", "2025-05-15T10:00:00+08:00", 1),
    ("quzhou-county", "330822", "2025-04-11T10:00:00+08:00", 0),  # the 7th working day
    ("quzhou-county", "330822", "2025-04-14T10:00:00+08:00", 1),
])
def test_c20_q21_results_entered_after_the_deadline_are_reported(
        sqlite_store: Store, policy: str, region: str, entered: str, late: int) -> None:
    """C20 — 阳城 六 "完成…抽查工作后 20 个工作日内…录入"; Q21 — 衢州 二（二） "抽查工作结束后的7个
    工作日内将抽查结果填报".

    Inspected 2025-04-01 (a Tuesday; 04-04..06 清明): the 20th working day after it is 04-29
    (04-27, a Sunday, is a working day in 2025); the 7th is 04-11.
    """
    w = World(sqlite_store, region)
    unit = w.subject()
    w.result(unit, date(2025, 4, 1))
    with sqlite_store.engine.begin() as conn:
        conn.execute(update(results).values(update_time=entered))
    rules = DeadlineRules.from_settings(type("S", (), {"holidays_file": None,
                                                       "policy": policy})(),  # type: ignore[arg-type]
                                        _host())
    with sqlite_store.engine.connect() as conn:
        report = deadline_report(conn, rules, date(2025, 6, 1), 0)
    assert len(report.entered_late) == late
    entry = report.as_json()["resultsEntry"]
    assert entry["enteredInTime"] == 1 - late
    if late:
        assert report.entered_late[0].due in (date(2025, 4, 29), date(2025, 4, 11))


def _host() -> object:
    from ssj_bridge.plugins.host import load_plugins

    return load_plugins()


def test_an_unknown_matter_is_refused_naming_the_list(sqlite_store: Store) -> None:
    """A draw names a matter of the deployment's list (阳城 附件1)."""
    World(sqlite_store, "140522").subjects(3, "重点管理")
    with pytest.raises(InputRefused, match=r"M99.*M01, M02"):
        commit(sqlite_store, "yangcheng", "140522", Q2, "M99")
