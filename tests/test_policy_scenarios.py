"""Each of the six policies over a small region of two districts: pollution sources with their
designations, an object of every kind its matter list draws, a roster of the city's and the
counties' staff. Plan, draw and compliance are checked against numbers worked out by hand from
the texts, in each test's docstring (2025Q2, facts of 2025-04-15 unless said otherwise)."""

from __future__ import annotations

from datetime import date
from typing import Any

from policy_world import OWN_ORG, World, active_policy, plan_for, primary

from ssj_bridge.draw.commit import CommitReport, commit_draws
from ssj_bridge.draw.run import run_draws
from ssj_bridge.draw.verify import verify_task
from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.model import Category
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.plan import Plan
from ssj_bridge.report.compliance import ComplianceReport, compliance_report
from ssj_bridge.store import Store

Q2 = Quarter(2025, 2)
DAY = date(2025, 4, 15)
EVERY_FIELD = "大气;水;固废;危废;辐射;环评;监测;海洋;移动源"


def lines(plan: Plan, matter: str) -> dict[str, dict[str, tuple[int, list[tuple[str, int, int]]]]]:
    """`{region or "*": {CATEGORY: (population, [(per, required, done)])}}` of a matter."""
    found = plan.matter(matter)
    assert found is not None, matter
    return {line.region if line is not found.whole else "*": {
        c.key: (c.population, [(o.obligation.per.value, o.required, o.done)
                               for o in c.obligations]) for c in line.categories}
        for line in (found.whole, *found.regions)}


def needs(plan: Plan, matter: str) -> dict[tuple[str, str], int]:
    found = plan.matter(matter)
    assert found is not None
    return {(line.region or "*", c.key): c.need for line in found.lines for c in line.categories}


def commit(store: Store, policy: str, region: str, matter: str = "M01") -> CommitReport:
    return commit_draws(store, active_policy(policy), region_code=region, quarter=Q2,
                        matter_code=matter, own_org=OWN_ORG)


def drawn(report: CommitReport) -> dict[str, tuple[int, int]]:
    return {c.label: (c.k, c.candidates) for c in report.committed}


def run_and_verify(store: Store, policy: str, region: str, matter: str = "M01") -> list[Any]:
    report = run_draws(store, active_policy(policy), region_code=region, quarter=Q2,
                       matter_code=matter, witness="scenario", drawn_by=OWN_ORG,
                       today=date(2025, 4, 20))
    for task in report.tasks:
        assert verify_task(store, task.task_id).ok
    return report.tasks


def compliance(store: Store, policy: str, region: str,
               today: date = date(2025, 5, 20)) -> ComplianceReport:
    return compliance_report(store, active_policy(policy), Q2, DeadlineRules.default(),
                             today=today, region=region)


def statuses(report: ComplianceReport, matter: str = "M01") -> dict[str, tuple[int, int, str]]:
    """`{label: (required, done, status)}` of a matter's obligations (per district)."""
    found = next(m for m in report.matters if m.code == matter)
    return {f"{o.label} {o.per}": (o.required, o.done, o.status) for o in found.obligations}


def test_weihai(sqlite_store: Store) -> None:
    """威海, city 371000 drawing for 371002 and 371003 (第三条, 第十四条 "各区市…本行政区域内",
    第十六条). Library: 371002 KEY 4, SIMPLIFIED 2, GENERAL 3, SPECIAL 1 (挂牌督办); an 住宿餐饮
    unit with a registration only is out (第八条（二）). 371003 KEY 2, GENERAL 5, SPECIAL 1 (a
    重点管理 unit with credit 黄牌: 信用评价等级低). Staff: 2 of 371002 (+1 auxiliary), 2 of
    371003, 2 of the city. Objects of every kind: no matter of 威海's list draws them.
    Plan (第十四条): 371002 KEY ceil(25% × 4) = 1, SIMPLIFIED ceil(5% × 2) = 1, GENERAL
    ceil(1% × 3) = 1, SPECIAL all once in H1 = 1 (Q2: its last quarter, need 1); 371003 KEY
    ceil(25% × 2) = 1, GENERAL ceil(1% × 5) = 1, SPECIAL 1. The city: the sums, 4 inspectors.
    Draw: one 371002 KEY unit was inspected clean in Q1 (第十八条): 371002 KEY k=1 of 3,
    SIMPLIFIED 1 of 2, GENERAL 1 of 3, SPECIAL 1 of 1; 371003 KEY 1 of 2, GENERAL 1 of 5,
    SPECIAL 1 of 1; 371003 has no SIMPLIFIED unit (required 0).
    Compliance on 2025-05-20, the drawn 371002 KEY unit inspected: 371002 KEY 1 of 1 met,
    371003 KEY 0 of 1 open.
    """
    w = World(sqlite_store, "371000")
    east = w.subjects(4, "重点管理", region="371002")
    w.subjects(2, "简化管理", region="371002")
    w.subjects(3, "登记管理", region="371002")
    listed = w.subject("登记管理", region="371002")
    w.tag(listed, "挂牌督办", since=date(2025, 1, 1))
    hotel = w.subject("登记管理", region="371002", industry="H6110")
    w.subjects(2, "重点管理", region="371003")
    w.subjects(5, "登记管理", region="371003")
    yellow = w.subject("重点管理", region="371003")
    w.credit(yellow, "WARNING", "黄牌", scheme="colours")
    for kind in ("机动车排放检验机构", "入河排污口", "建设项目"):
        w.object(kind, f"{kind}-1", region="371002")
    w.result(east[0], date(2025, 2, 10))
    w.inspectors(2, auxiliary=1, region="371002")
    w.inspectors(2, region="371003")
    w.inspectors(2)
    plan, found = plan_for(sqlite_store, "weihai", Q2, "371000", DAY)
    assert found[hotel].category is None and primary(found, yellow) is Category.SPECIAL
    assert lines(plan, "M01") == {
        "*": {"KEY": (6, [("quarter", 2, 0)]), "SIMPLIFIED": (2, [("quarter", 1, 0)]),
              "GENERAL": (8, [("quarter", 2, 0)]), "SPECIAL": (2, [("half-year", 2, 0)])},
        "371002": {"KEY": (4, [("quarter", 1, 0)]), "SIMPLIFIED": (2, [("quarter", 1, 0)]),
                   "GENERAL": (3, [("quarter", 1, 0)]), "SPECIAL": (1, [("half-year", 1, 0)])},
        "371003": {"KEY": (2, [("quarter", 1, 0)]), "SIMPLIFIED": (0, [("quarter", 0, 0)]),
                   "GENERAL": (5, [("quarter", 1, 0)]), "SPECIAL": (1, [("half-year", 1, 0)])}}
    assert plan.inspectors == 4 and list(plan.as_json()["matters"]) == ["M01"]
    report = commit(sqlite_store, "weihai", "371000")
    assert drawn(report) == {
        "371002/2025Q2/M01/KEY": (1, 3), "371002/2025Q2/M01/SIMPLIFIED": (1, 2),
        "371002/2025Q2/M01/GENERAL": (1, 3), "371002/2025Q2/M01/SPECIAL": (1, 1),
        "371003/2025Q2/M01/KEY": (1, 2), "371003/2025Q2/M01/GENERAL": (1, 5),
        "371003/2025Q2/M01/SPECIAL": (1, 1)}
    tasks = run_and_verify(sqlite_store, "weihai", "371000")
    [east_key] = tasks[0].assignments
    w.result(east_key.uscc, date(2025, 5, 6), category="KEY")
    found_status = statuses(compliance(sqlite_store, "weihai", "371000"))
    assert found_status["371002 KEY quarter"] == (1, 1, "met")
    assert found_status["371003 KEY quarter"] == (1, 0, "open")


def test_yiyang(sqlite_store: Store) -> None:
    """益阳, city 430900 drawing for 430902 and 430903 (四（二） "各区县（市）生态环境分局…本辖区").
    430902: KEY 4 重点排污单位, GENERAL 6, SPECIAL 1 (媒体曝光). 430903: KEY 2 (敏感; credit 风险),
    GENERAL 3 + a 行政处罚 of 2020 left open (more than two years: 三（二）) = 4, SPECIAL 1 (行政处罚
    2024-06-01). Staff: 2 of 430902 (+1 without a certificate), 1 of 430903, 2 of the city.
    Objects: an object of each kind its matters name (no quota in the text: 二（二）).
    Results: a 430902 KEY unit in Q1, published; a 430903 KEY unit in Q1, never published
    (五（三）: not done).
    Plan: 430902 GENERAL per year min(6, ceil(5 × 2)) = 6 (Q2 need ceil(6 ÷ 3) = 2); KEY per
    quarter ceil(25% × 4) = 1, every KEY once a year 4, done 1 (need ceil(3 ÷ 3) = 1);
    SPECIAL all in H1 1. 430903: GENERAL min(4, 5 × 1) = 4 (need 2); KEY quarter ceil(0.5) = 1,
    year 2, done 0 (need 1); SPECIAL 1.
    Draw (the city: 四（三）'s exclusion is the lower level's): 430902 KEY 1 of 3 (the one
    inspected left out as covered in its year), GENERAL 2 of 6, SPECIAL 1 of 1; 430903 KEY 1 of 1
    (the one inspected, though unpublished, is covered), GENERAL 2 of 4, SPECIAL 1 of 1.
    Compliance: 430903's KEY year done 0 of 2.
    """
    w = World(sqlite_store, "430900")
    keys = w.subjects(4, "重点管理", key=True, region="430902")
    w.subjects(6, region="430902")
    media = w.subject(region="430902")
    w.tag(media, "媒体曝光", since=date(2025, 3, 1))
    sensitive, risky = w.subjects(2, region="430903")
    w.tag(sensitive, "敏感")
    w.credit(risky, "WARNING", "风险")
    w.subjects(3, region="430903")
    old_penalty, recent_penalty = w.subjects(2, region="430903")
    w.tag(old_penalty, "行政处罚", since=date(2020, 1, 1))
    w.tag(recent_penalty, "行政处罚", since=date(2024, 6, 1))
    for kind in ("核与辐射", "固体废物", "社会生态环境监测机构", "建设项目"):
        w.object(kind, f"{kind}-1", region="430902")
    w.result(keys[0], date(2025, 2, 10), published=True)
    w.result(sensitive, date(2025, 3, 1))
    w.inspectors(2, uncertified=1, region="430902")
    w.inspectors(1, region="430903")
    w.inspectors(2)
    plan, found = plan_for(sqlite_store, "yiyang", Q2, "430900", DAY)
    assert primary(found, old_penalty) is Category.GENERAL
    assert lines(plan, "M01")["430902"] == {
        "KEY": (4, [("quarter", 1, 0), ("year", 4, 1)]), "GENERAL": (6, [("year", 6, 0)]),
        "SPECIAL": (1, [("half-year", 1, 0)])}
    assert lines(plan, "M01")["430903"] == {
        "KEY": (2, [("quarter", 1, 0), ("year", 2, 0)]), "GENERAL": (4, [("year", 4, 0)]),
        "SPECIAL": (1, [("half-year", 1, 0)])}
    assert needs(plan, "M01")[("430902", "GENERAL")] == 2
    assert lines(plan, "M06")["*"]["ALL"] == (1, [])  # listed without a quota
    report = commit(sqlite_store, "yiyang", "430900")
    assert drawn(report) == {
        "430902/2025Q2/M01/KEY": (1, 3), "430902/2025Q2/M01/GENERAL": (2, 6),
        "430902/2025Q2/M01/SPECIAL": (1, 1), "430903/2025Q2/M01/KEY": (1, 1),
        "430903/2025Q2/M01/GENERAL": (2, 4), "430903/2025Q2/M01/SPECIAL": (1, 1)}
    run_and_verify(sqlite_store, "yiyang", "430900")
    found_status = statuses(compliance(sqlite_store, "yiyang", "430900"))
    assert found_status["430903 KEY year"] == (2, 0, "open")
    assert found_status["430902 KEY year"] == (4, 1, "open")


def test_yangcheng(sqlite_store: Store) -> None:
    """阳城 (county 140522; a unit and a station of the neighbouring 140581 count nowhere).
    KEY: 3 重点排污单位 + 2 重点管理 = 5; SPECIAL: 绩效 C, 举报查实 = 2; GENERAL 6 + one with a
    complaint received but not found true = 7. Staff: 3 of the county (+1 auxiliary), 1 of 晋城市.
    Plan (三): KEY quarter ceil(25% × 5) = 2, 名录 once a year 3 (need ceil(3 ÷ 3) = 1);
    SPECIAL ceil(30% × 2) = 1; GENERAL ceil(5% × 7) = 1.
    Objects (附件3): 建设项目 报告书 3 → ceil(10% × 3) = 1, 报告表 4 → ceil(5% × 4) = 1, 登记表 2 →
    ceil(10% × 2) = 1 a quarter; 核与辐射 重点 2 → ceil(25% × 2) = 1 a quarter, 一般 5 → min(5,
    3 × 3) = 5 a year (need ceil(5 ÷ 3) = 2); 机动车排放检验机构 2 → 100% = 2 a year (need 1);
    非道路移动机械 20 → ceil(5% × 20) = 1 a year; 入河排污口 1, 污水处理厂 1 → 1 a year; 固体废物
    重点 4 → 1 a quarter, 一般 6 → min(6, 9) = 6 a year (need 2).
    Draw: M01 KEY 2 of 5 (3 名录 units uncovered, 2 quarters after this one can take them: none
    forced), SPECIAL 1 of 2, GENERAL 1 of 7; M06 重点 1 of 2, 一般 2 of 5.
    Compliance: the M07 station inspected counts for M07 (1 of 2 in the year), not for M01.
    """
    w = World(sqlite_store, "140522")
    w.subjects(3, "重点管理", key=True)
    w.subjects(2, "重点管理")
    grade_c, verified = w.subjects(2)
    w.tag(grade_c, "绩效", "C")
    w.tag(verified, "举报查实", since=date(2025, 3, 20))
    w.subjects(6)
    received = w.subject()
    w.tag(received, "投诉", "2", since=date(2025, 4, 1), until=date(2025, 4, 10))
    w.subject("重点管理", region="140581")
    w.objects("建设项目", 3, subkind="报告书")
    w.objects("建设项目", 4, subkind="报告表")
    w.objects("建设项目", 2, subkind="登记表")
    w.objects("核与辐射", 2, subkind="重点", with_uscc=True)
    w.objects("核与辐射", 5, subkind="一般", with_uscc=True)
    stations = w.objects("机动车排放检验机构", 2, with_uscc=True)
    w.objects("机动车排放检验机构", 1, with_uscc=True, region="140581")
    w.objects("非道路移动机械", 20)
    w.objects("入河排污口", 1)
    w.objects("污水处理厂", 1, with_uscc=True)
    w.objects("固体废物", 4, subkind="重点", with_uscc=True)
    w.objects("固体废物", 6, subkind="一般", with_uscc=True)
    w.inspectors(3, auxiliary=1, expertise=EVERY_FIELD)
    w.inspectors(1, region="140500")
    plan, found = plan_for(sqlite_store, "yangcheng", Q2, "140522", DAY)
    assert primary(found, received) is Category.GENERAL
    assert lines(plan, "M01")["*"] == {
        "KEY": (5, [("quarter", 2, 0), ("year", 3, 0)]), "GENERAL": (7, [("quarter", 1, 0)]),
        "SPECIAL": (2, [("quarter", 1, 0)])}
    assert lines(plan, "M02")["*"] == {"报告书": (3, [("quarter", 1, 0)]),
                                       "报告表": (4, [("quarter", 1, 0)]),
                                       "登记表": (2, [("quarter", 1, 0)])}
    assert lines(plan, "M06")["*"] == {"重点": (2, [("quarter", 1, 0)]),
                                       "一般": (5, [("year", 5, 0)])}
    assert {code: lines(plan, code)["*"] for code in ("M07", "M08", "M09", "M10")} == {
        "M07": {"ALL": (2, [("year", 2, 0)])}, "M08": {"ALL": (20, [("year", 1, 0)])},
        "M09": {"ALL": (1, [("year", 1, 0)])}, "M10": {"ALL": (1, [("year", 1, 0)])}}
    assert lines(plan, "M11")["*"] == {"重点": (4, [("quarter", 1, 0)]),
                                       "一般": (6, [("year", 6, 0)])}
    assert needs(plan, "M06")[("140522", "一般")] == 2
    assert drawn(commit(sqlite_store, "yangcheng", "140522")) == {
        "140522/2025Q2/M01/KEY": (2, 5), "140522/2025Q2/M01/GENERAL": (1, 7),
        "140522/2025Q2/M01/SPECIAL": (1, 2)}
    assert drawn(commit(sqlite_store, "yangcheng", "140522", "M06")) == {
        "140522/2025Q2/M06/重点": (1, 2), "140522/2025Q2/M06/一般": (2, 5)}
    run_and_verify(sqlite_store, "yangcheng", "140522", "M06")
    w.result(stations[0], date(2025, 5, 6), matter="M07")
    report = compliance(sqlite_store, "yangcheng", "140522")
    assert statuses(report, "M07")["M07 ALL year"] == (2, 1, "open")
    assert statuses(report)["KEY quarter"] == (2, 0, "open")


def test_nanshan(sqlite_store: Store) -> None:
    """南山 (county-level district 440305; 440304's units count nowhere). KEY 8 (重点管理);
    GENERAL 10 (简化管理); SPECIAL: a 行政处罚, and 12 complaints in Q1 (the list the Q2 draw
    takes, 五（二）1) = 2; out of routine draws: a 环保良好 重点管理 unit and a VOCs A unit
    (二是). Staff: 2 of 440305 (+1 auxiliary), 1 of 深圳市.
    Plan (四（二）1): KEY ceil(12.5% × 8) = 1; GENERAL min(10, ceil(2.5 × 2)) = 5; SPECIAL
    ceil(25% × 2) = 1. 四（二）2: 建设项目 一般 8 → min(8, ceil(2.5 × 2)) = 5, 重点 4 →
    ceil(2.5% × 4) = 1 a quarter; 入海排污口 重点 2 → ceil(20% × 2) = 1, 一般 1 → min(1, 2 × 2)
    = 1, 特殊 1 → ceil(30% × 1) = 1 a year; 监测机构 3 → ceil(25% × 3) = 1 a quarter.
    四（二）3: 柴油车用车大户 50 → ceil(1% × 50) = 1; 机动车排放检验机构 4 → ceil(2.5% × 4) = 1;
    加油站和储油库 10 → ceil(2.5% × 10) = 1 a quarter.
    Draw: M01 KEY 1 of 8, GENERAL 5 of 10, SPECIAL 1 of 2; M05 ALL 1 of 50.
    Compliance: one GENERAL unit inspected: GENERAL 1 of 5, open.
    """
    w = World(sqlite_store, "440305")
    w.subjects(8, "重点管理")
    general = w.subjects(10, "简化管理")
    penalised, complained = w.subjects(2)
    w.tag(penalised, "行政处罚", since=date(2025, 3, 1))
    w.tag(complained, "投诉", "12", since=date(2025, 1, 5), until=date(2025, 3, 20))
    good = w.subject("重点管理")
    w.credit(good, "GOOD", "环保良好企业")
    vocs_a = w.subject("简化管理")
    w.tag(vocs_a, "VOCs", "A")
    w.subject("重点管理", region="440304")
    w.objects("建设项目", 8, subkind="一般")
    w.objects("建设项目", 4, subkind="重点")
    w.objects("入海排污口", 2, subkind="重点")
    w.objects("入海排污口", 1, subkind="一般")
    w.objects("入海排污口", 1, subkind="特殊")
    w.objects("社会生态环境监测机构", 3, with_uscc=True)
    w.objects("柴油车用车大户", 50, with_uscc=True)
    w.objects("机动车排放检验机构", 4, with_uscc=True)
    w.objects("加油站和储油库", 10, with_uscc=True)
    w.inspectors(2, auxiliary=1, expertise=EVERY_FIELD)
    w.inspectors(1, region="440300")
    plan, found = plan_for(sqlite_store, "nanshan", Q2, "440305", DAY)
    assert found[good].category is None and found[vocs_a].category is None
    assert lines(plan, "M01")["*"] == {
        "KEY": (8, [("quarter", 1, 0)]), "GENERAL": (10, [("quarter", 5, 0)]),
        "SPECIAL": (2, [("quarter", 1, 0)])}
    assert lines(plan, "M02")["*"] == {"一般": (8, [("quarter", 5, 0)]),
                                       "重点": (4, [("quarter", 1, 0)])}
    assert lines(plan, "M03")["*"] == {"重点": (2, [("year", 1, 0)]), "一般": (1, [("year", 1, 0)]),
                                       "特殊": (1, [("year", 1, 0)])}
    assert [lines(plan, code)["*"]["ALL"] for code in ("M04", "M05", "M06", "M07")] == [
        (3, [("quarter", 1, 0)]), (50, [("quarter", 1, 0)]), (4, [("quarter", 1, 0)]),
        (10, [("quarter", 1, 0)])]
    assert drawn(commit(sqlite_store, "nanshan", "440305")) == {
        "440305/2025Q2/M01/KEY": (1, 8), "440305/2025Q2/M01/GENERAL": (5, 10),
        "440305/2025Q2/M01/SPECIAL": (1, 2)}
    assert drawn(commit(sqlite_store, "nanshan", "440305", "M05")) == {
        "440305/2025Q2/M05/ALL": (1, 50)}
    run_and_verify(sqlite_store, "nanshan", "440305", "M05")
    w.result(general[0], date(2025, 5, 6))
    assert statuses(compliance(sqlite_store, "nanshan", "440305"))["GENERAL quarter"] == (
        5, 1, "open")


def quzhou_region(store: Store) -> dict[str, str]:
    """衢州: 330802 (柯城区) and 330822 (常山县) under the city 330800."""
    w = World(store, "330800")
    named: dict[str, str] = {}
    for level, region, count in (("国控", "330802", 2), ("省控", "330822", 2),
                                 ("市控", "330802", 3), ("市控", "330822", 5),
                                 ("县控", "330822", 4)):
        for who in w.subjects(count, "重点管理", region=region):
            w.tag(who, "控制级别", level)
            named.setdefault(f"{level}-{region}", who)
    w.tag(named["国控-330802"], "环境风险")
    w.tag(named["县控-330822"], "平台报警", since=date(2025, 3, 1))
    w.tag(named["市控-330822"], "投诉", "15", since=date(2025, 1, 5), until=date(2025, 3, 25))
    for kind in ("建设项目", "机动车排放检验机构"):
        w.object(kind, f"{kind}-1", region="330822")
    w.inspectors(2, region="330800", staff_status="在编在岗")
    w.inspectors(1, region="330800", staff_status="借调")
    w.inspectors(3, region="330802")
    w.inspectors(2, region="330822")
    return named


def test_quzhou_city(sqlite_store: Store) -> None:
    """衢州 市级 (330800, its own matter: no district lines). 一（三）: KEY 国控 2 + 省控 2 = 4,
    GENERAL 市控 3 + 5 = 8, SPECIAL library 环境风险 (国控) + 平台报警 (县控) = 2 (县控 units are in
    no other library at city level); the 市控 unit's 15 complaints were in Q1 — the list of the
    Q2 draw — so it is SPECIAL too: 3. Inspectors: the city's 在编在岗 staff, 2 (not the one
    seconded, not the counties' 5).
    一（四）: KEY ceil(5% × 4) = 1; GENERAL ceil(1.25 × 2) = 3; SPECIAL ceil(10% × 3) = 1.
    Draw: KEY 1 of 4 (the 国控 unit in the SPECIAL library is a KEY candidate too), GENERAL
    3 of 8, SPECIAL 1 of 3. Objects of the library: no matter of 衢州's list draws them.
    """
    named = quzhou_region(sqlite_store)
    plan, found = plan_for(sqlite_store, "quzhou-city", Q2, "330800", DAY)
    assert found[named["国控-330802"]].categories == (Category.KEY, Category.SPECIAL)
    assert plan.inspectors == 2
    assert lines(plan, "M01") == {"*": {
        "KEY": (4, [("quarter", 1, 0)]), "GENERAL": (8, [("quarter", 3, 0)]),
        "SPECIAL": (3, [("quarter", 1, 0)])}}
    assert drawn(commit(sqlite_store, "quzhou-city", "330800")) == {
        "330800/2025Q2/M01/KEY": (1, 4), "330800/2025Q2/M01/GENERAL": (3, 8),
        "330800/2025Q2/M01/SPECIAL": (1, 3)}
    tasks = run_and_verify(sqlite_store, "quzhou-city", "330800")
    assert {t.region_code for t in tasks} == {"330800"}
    report = compliance(sqlite_store, "quzhou-city", "330800")
    assert statuses(report)["SPECIAL quarter"] == (1, 0, "open")


def test_quzhou_county(sqlite_store: Store) -> None:
    """衢州 县级 (330822; 330802's units count nowhere). 一（三）: KEY 市控 and above: 省控 2 +
    市控 5 = 7; GENERAL 县控 4; SPECIAL: 平台报警 (县控) and the 市控 unit with 15 complaints in Q1
    = 2. Inspectors: the county's 2.
    一（四）: KEY ceil(25% × 7) = 2 a quarter and all 7 a year (need max(2, ceil(7 ÷ 3) = 3) = 3);
    GENERAL min(4, ceil(2.5 × 2)) = 4; SPECIAL ceil(30% × 2) = 1.
    Draw: KEY 3 of 7, GENERAL 4 of 4, SPECIAL 1 of 2. Compliance, a KEY unit inspected: KEY
    quarter 1 of 2 and year 1 of 7, open.
    """
    named = quzhou_region(sqlite_store)
    plan, _ = plan_for(sqlite_store, "quzhou-county", Q2, "330822", DAY)
    assert plan.inspectors == 2
    assert lines(plan, "M01") == {"*": {
        "KEY": (7, [("quarter", 2, 0), ("year", 7, 0)]), "GENERAL": (4, [("quarter", 4, 0)]),
        "SPECIAL": (2, [("quarter", 1, 0)])}}
    assert drawn(commit(sqlite_store, "quzhou-county", "330822")) == {
        "330822/2025Q2/M01/KEY": (3, 7), "330822/2025Q2/M01/GENERAL": (4, 4),
        "330822/2025Q2/M01/SPECIAL": (1, 2)}
    run_and_verify(sqlite_store, "quzhou-county", "330822")
    World(sqlite_store, "330822").result(named["省控-330822"], date(2025, 5, 6))
    found_status = statuses(compliance(sqlite_store, "quzhou-county", "330822"))
    assert (found_status["KEY quarter"], found_status["KEY year"]) == ((2, 1, "open"),
                                                                         (7, 1, "open"))
