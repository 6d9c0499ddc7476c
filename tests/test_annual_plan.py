"""`plan --year` and `plan file`: the annual plan per matter and quarter, its dates and its
filing, against numbers and dates worked by hand from the texts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from policy_world import World, active_policy

from ssj_bridge.cli import cli
from ssj_bridge.cli.policy import filing_warning
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.annual import annual_plan, file_plan, plan_lines
from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.features.statutory import deployment_calendar
from ssj_bridge.model import beijing_today
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.report.annual_plan import plan_document
from ssj_bridge.report.document import write_document
from ssj_bridge.store import Store

MADE = date(2026, 11, 20)  # the plan for 2027 is made in 2026Q4


def _rules(policy: str) -> DeadlineRules:
    from ssj_bridge.features.deadlines import publication_deadline, results_entry_deadline

    built = active_policy(policy).policy
    return DeadlineRules(WorkingCalendar.load(None), publication_deadline(built), policy,
                         results_entry_deadline(built))


def _weihai(store: Store) -> None:
    """威海, one 区: KEY 9, SIMPLIFIED 23, GENERAL 156, SPECIAL 3 (挂牌督办)."""
    w = World(store, "371002")
    w.subjects(9, "重点管理")
    w.subjects(23, "简化管理")
    w.subjects(156, "登记管理")
    for uscc in w.subjects(3, "登记管理"):
        w.tag(uscc, "挂牌督办", since=date(2026, 1, 1))
    w.inspectors(8)


def test_weihai_plan_for_the_next_year_per_quarter(store: Store) -> None:
    _weihai(store)
    plan = annual_plan(store, active_policy("weihai"), 2027, _rules("weihai"), today=MADE,
                       region="371002", authority="威海市生态环境局环翠分局")
    assert plan.basis == "2026Q4" and "the year not begun" in plan.basis_text
    [m01] = [m for m in plan.matters if m.code == "M01"]
    expected = {c.key: list(c.expected.values()) for c in m01.whole.categories}
    # 第十四条: KEY 25 % of 9 = 3 every quarter; SIMPLIFIED 5 % of 23 = 1.15 → 2; GENERAL 1 % of
    # 156 = 1.56 → 2; SPECIAL all 3 every half-year: 2 in its first quarter, the 1 left in the
    # second (ceil(3 ÷ 2), then 3 − 2).
    assert expected == {"KEY": [3, 3, 3, 3], "SIMPLIFIED": [2, 2, 2, 2], "GENERAL": [2, 2, 2, 2],
                        "SPECIAL": [2, 1, 2, 1]}
    assert [m01.expected(q) for q in plan.quarters] == [9, 8, 9, 8]
    assert m01.total == 34 and plan.total == 34
    special = next(c for c in m01.whole.categories if c.key == "SPECIAL")
    assert special.quotas[0].required == {"2027H1": 3, "2027H2": 3}
    # 第六条 "于每年1月15日前报市生态环境局"; 第二十八条 statistics by the 2nd of the month after the
    # quarter's tasks are complete (at the earliest, tasks complete on the quarter's last day),
    # the year's report by 1月5日 of the year after.
    dates = {(d.key, d.period): (d.due, d.earliest) for d in plan.dates}
    assert dates[("annual-plan", "2027")] == (date(2027, 1, 15), False)
    assert dates[("statistics", "2027Q1")] == (date(2027, 4, 2), True)
    assert dates[("statistics", "2027Q4")] == (date(2028, 1, 2), True)
    assert dates[("annual-report", "2027")] == (date(2028, 1, 5), False)
    assert plan.filing_due is not None and plan.filing_due.to == "市生态环境局"
    shown = plan.as_json()
    assert shown["matters"]["M01"]["categories"]["KEY"]["expected"] == {
        "2027Q1": 3, "2027Q2": 3, "2027Q3": 3, "2027Q4": 3}
    assert shown["yearTotal"] == 34 and shown["filings"] == []
    assert shown["quarters"]["2027Q1"]["deadlines"] == ["annual-plan"]
    assert "M01 污染源日常环境监督管理" in "\n".join(plan_lines(plan))


def test_yiyang_spreads_a_yearly_number_over_the_quarters(store: Store) -> None:
    w = World(store, "430902")
    w.subjects(8, "重点管理", key=True)
    w.subjects(40, "登记管理")
    w.inspectors(6)
    plan = annual_plan(store, active_policy("yiyang"), 2027, _rules("yiyang"), today=MADE,
                       region="430902")
    m01 = next(m for m in plan.matters if m.code == "M01")
    cats = {c.key: c for c in m01.whole.categories}
    # 四（二）1 GENERAL 1:5 a year with 6 在编在岗 inspectors: 30, drawn 8, 8, 7, 7 (ceil of what
    # is left over the quarters left); KEY 25 % of 8 = 2 a quarter, which also covers all 8 in
    # the year.
    assert list(cats["GENERAL"].expected.values()) == [8, 8, 7, 7]
    assert cats["GENERAL"].quotas[0].required == {"2027": 30}
    assert list(cats["KEY"].expected.values()) == [2, 2, 2, 2]
    filing = plan.filing_due
    assert filing is not None and filing.due == date(2027, 1, 31) and "年初" in filing.reading


def test_the_document_prints_on_a4_and_opens_in_a_spreadsheet(store: Store, tmp_path: Path) -> None:
    _weihai(store)
    plan = annual_plan(store, active_policy("weihai"), 2027, _rules("weihai"), today=MADE,
                       region="371002", authority="威海市生态环境局环翠分局")
    written = write_document(plan_document(plan), html=tmp_path / "plan.html",
                             xlsx=tmp_path / "plan.xlsx")
    html = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "@page { size: A4 landscape" in html and "2027年度“双随机、一公开”抽查工作计划" in html
    assert "填报单位（盖章）" in html and "<thead>" in html and "2027-01-15" in html
    book = load_workbook(tmp_path / "plan.xlsx")
    sheet = book["年度计划"]
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["事项", "事项名称", "检查对象", "区县", "类别", "对象数", "比例与依据"]
    assert sheet.freeze_panes == "A2"
    rows = {r[4]: r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "M01"}
    key = rows["重点监管对象"]
    assert key[5] == 9 and key[7:12] == (3, 3, 3, 3, 12)  # numbers, not text
    assert "时间节点" in book.sheetnames
    assert len(written.paths) == 2


def test_filing_is_recorded_and_the_calendar_shows_it(store: Store) -> None:
    _weihai(store)
    active = active_policy("weihai")
    plan = annual_plan(store, active, 2027, _rules("weihai"), today=MADE, region="371002")
    assert "not filed yet" in plan.filing_text()
    with pytest.raises(InputRefused, match="--to is required"):
        file_plan(store, plan, to=" ", by="张三", filed_on=date(2027, 1, 10), region="371002")
    result = file_plan(store, plan, to="市生态环境局", by="张三", filed_on=date(2027, 1, 10),
                       region="371002")
    assert result.late_days == -5 and "on time (due 2027-01-15)" in result.text(2027)
    again = annual_plan(store, active, 2027, _rules("weihai"), today=date(2027, 1, 12),
                        region="371002")
    assert again.filing_text() == "filed 2027-01-10 to 市生态环境局 by 张三"
    items = deployment_calendar(store, active.policy, WorkingCalendar.load(None),
                                date(2027, 1, 12), region="371002")
    filed = next(i for i in items if i.declared.key == "annual-plan" and i.period == "2027")
    assert (filed.status, filed.done_on) == ("done", date(2027, 1, 10))


def test_quzhou_files_before_the_year_and_a_late_filing_says_so(store: Store) -> None:
    w = World(store, "330802")
    for uscc in w.subjects(8, "重点管理"):
        w.tag(uscc, "控制级别", "市控")
    w.inspectors(4)
    plan = annual_plan(store, active_policy("quzhou-county"), 2027, _rules("quzhou-county"),
                       today=MADE, region="330802")
    # 一（四） "每年12月底前…确定下一年度被抽查单位数量（家次）…报上级环保部门备案".
    assert plan.filing_due is not None and plan.filing_due.due == date(2026, 12, 31)
    # KEY 25 % of 8 = 2 a quarter, and every KEY unit once a year: 2, 2, 2, 2.
    assert [plan.expected(q) for q in plan.quarters] == [2, 2, 2, 2]
    late = file_plan(store, plan, to="衢州市环境保护局", by="李四", filed_on=date(2027, 1, 4),
                     region="330802")
    assert late.late_days == 4 and "4 days after its due date 2026-12-31" in late.text(2027)


def test_a_warning_when_the_filing_date_nears_or_passes(store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _weihai(store)
    plan = annual_plan(store, active_policy("weihai"), 2027, _rules("weihai"), today=MADE,
                       region="371002")
    import ssj_bridge.model as model

    monkeypatch.setattr(model, "beijing_today", lambda: date(2027, 1, 5))
    assert "due 2027-01-15 (第六条) in 10 days to 市生态环境局" in filing_warning(plan)
    monkeypatch.setattr(model, "beijing_today", lambda: date(2027, 1, 20))
    assert "passed 5 days ago" in filing_warning(plan)
    monkeypatch.setattr(model, "beijing_today", lambda: date(2026, 12, 1))
    assert filing_warning(plan) == ""  # 45 days ahead: no warning yet


def test_the_commands(sqlite_store: Store, tmp_path: Path) -> None:
    _weihai(sqlite_store)
    year = beijing_today().year + 1
    env = {"SSJ_DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "SSJ_POLICY": "weihai", "SSJ_REGION_CODE": "371002",
           "SSJ_ORG_NAME": "威海市生态环境局环翠分局"}
    runner = CliRunner()
    out = runner.invoke(cli, ["plan", "--year", str(year), "--html", str(tmp_path / "p.html"),
                              "--xlsx", str(tmp_path / "p.xlsx")], env=env)
    assert out.exit_code == 0, out.output
    assert f"annual plan: {tmp_path / 'p.html'}" in out.output
    assert (tmp_path / "p.xlsx").stat().st_size > 0
    shown = runner.invoke(cli, ["plan", "--year", str(year), "--json"], env=env)
    assert orjson.loads(shown.stdout)["filingDue"]["due"] == f"{year}-01-15"
    filed = runner.invoke(cli, ["plan", "file", "--year", str(year), "--to", "市生态环境局",
                                "--by", "张三", "--on", f"{year}-01-14"], env=env)
    assert filed.exit_code == 0, filed.output
    assert f"annual plan {year} filed {year}-01-14 to 市生态环境局 by 张三" in filed.output
    assert "on time" in filed.output
    both = runner.invoke(cli, ["plan", "--year", str(year), "--period", "2026Q1"], env=env)
    assert both.exit_code == 2


def test_nanshans_plan_shows_its_joint_plan_and_monthly_progress(store: Store,
                                                                 tmp_path: Path) -> None:
    from ssj_bridge.intake import import_joint_plans

    w = World(store, "440305")
    w.subjects(20, "重点管理")
    w.subjects(40, "登记管理")
    w.inspectors(4)
    lead, water = "11440305MB0000000N", "11440305MB1234567W"
    joint = tmp_path / "joint.csv"
    joint.write_text("planId,name,leadOrg,partnerOrgs,matterCodes,period,share\n"
                     f"NS-2027,综合监管联合检查,{lead},{water},M01,2027,15%\n", encoding="utf-8")
    import_joint_plans(store, joint, {"M01"})
    plan = annual_plan(store, active_policy("nanshan"), 2027, _rules("nanshan"), today=MADE,
                       region="440305", own_org=lead)
    shown = plan.as_json()
    m01 = shown["matters"]["M01"]
    # 四（二）1: KEY ≥ 12.5 % of 20 = 2.5 → 3 a quarter; GENERAL 2.5 × 4 inspectors = 10.
    assert m01["expected"] == {"2027Q1": 13, "2027Q2": 13, "2027Q3": 13, "2027Q4": 13}
    assert (m01["objectKind"], m01["departments"], m01["jointPlans"]) == ("排污单位", [lead],
                                                                          ["NS-2027"])
    # 四（四）: 15 % of the joint plan's matters' 52 checks = 7.8 → 8, all by 10月31日 (before
    # the plan's own end, 31 December).
    [year_joint] = shown["joint"]
    assert (year_joint["planId"], year_joint["expectedChecks"], year_joint["requiredJoint"],
            year_joint["deadline"], year_joint["deadlineRule"]) == ("NS-2027", 52, 8,
                                                                    "2027-10-31", "四（四）")
    # 五（三）1 "季度内各月的完成率依次为30%、60%、100%" of the quarter's 13: ceil(3.9) = 4,
    # ceil(7.8) = 8, 13, by each month's last day (February 2027: 28 days).
    assert shown["quarters"]["2027Q1"]["progress"] == [
        {"by": "2027-01-31", "share": "30%", "expected": 4},
        {"by": "2027-02-28", "share": "60%", "expected": 8},
        {"by": "2027-03-31", "share": "100%", "expected": 13}]
    assert shown["quarters"]["2027Q4"]["progress"][0] == {"by": "2027-10-31", "share": "30%",
                                                         "expected": 4}
