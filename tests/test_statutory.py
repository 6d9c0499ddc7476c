"""The deadline calendar of every statutory date and the documents behind them (ledger,
statistics, annual reports), against dates worked by hand from the texts on the 2025 holiday
schedule (国务院办公厅: 国庆 1–8 October, Sunday 28 September worked)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from policy_world import World, active_policy
from sqlalchemy import select, update

from ssj_bridge.cli import cli
from ssj_bridge.features.deadlines import DeadlineRules, publication_deadline
from ssj_bridge.features.statutory import deployment_calendar, record_document
from ssj_bridge.features.withholding import withhold_result
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.statutory import (
    AfterQuarterTasks,
    BeforeQuarterEnds,
    MonthAfterQuarterTasks,
    MonthOfQuarter,
    OnDay,
)
from ssj_bridge.report.statutory_docs import Context, produce
from ssj_bridge.store import Store
from ssj_bridge.store.schema import draws, publications, statutory_documents, tasks

CAL = WorkingCalendar.load(None)


def _due(rule: object, period: str, done: date | None = None) -> date:
    found = rule.due(period, CAL, done)  # type: ignore[attr-defined]
    assert found is not None
    return found.due  # type: ignore[no-any-return]


def test_due_rules_by_hand() -> None:
    # 南山 五（二）1 / 衢州 一（四）: the next quarter by the 5th working day before the quarter ends
    # (its last day not counted). 2025-09-30 is a Tuesday: 29 Mon, 28 Sun (worked, 调休), 26 Fri,
    # 25 Thu, 24 Wed.
    assert _due(BeforeQuarterEnds(5), "2025Q4") == date(2025, 9, 24)
    # 2025-03-31 Monday: 28, 27, 26, 25, 24 March.
    assert _due(BeforeQuarterEnds(5), "2025Q2") == date(2025, 3, 24)
    # 2025-12-31 Wednesday: 30, 29, 26, 25, 24 December.
    assert _due(BeforeQuarterEnds(5), "2026Q1") == date(2025, 12, 24)
    # 南山 五（二）2: 13 calendar days after the tasks all end (the review's N19).
    assert _due(AfterQuarterTasks(13), "2025Q2", date(2025, 6, 30)) == date(2025, 7, 13)
    assert _due(AfterQuarterTasks(13), "2025Q3", date(2025, 9, 28)) == date(2025, 10, 11)
    assert AfterQuarterTasks(13).due("2025Q2", CAL, None) is None  # tasks not all complete
    # 威海 第二十八条: by the 2nd of the month after the quarter's tasks are complete.
    assert _due(MonthAfterQuarterTasks(2), "2025Q2", date(2025, 6, 20)) == date(2025, 7, 2)
    assert _due(MonthAfterQuarterTasks(2), "2025Q2", date(2025, 7, 3)) == date(2025, 8, 2)
    assert _due(MonthAfterQuarterTasks(2), "2025Q4", date(2025, 12, 15)) == date(2026, 1, 2)
    # 南山 四（二）2 "3 月份之前": the last day of February; 衢州 一（四） "12月底前…下一年度".
    assert _due(OnDay(2, 0), "2024") == date(2024, 2, 29)
    assert _due(OnDay(2, 0), "2025") == date(2025, 2, 28)
    assert _due(OnDay(12, 31, years_after=-1), "2027") == date(2026, 12, 31)
    assert _due(OnDay(1, 5, years_after=1), "2025") == date(2026, 1, 5)
    # 南山 五（三）1: the end of the quarter's second month.
    assert _due(MonthOfQuarter(2), "2025Q3") == date(2025, 8, 31)
    # A year without a published schedule: counted on weekdays and said so.
    assert BeforeQuarterEnds(5).due("2028Q1", CAL).provisional  # type: ignore[union-attr]


def _rules(policy: str) -> DeadlineRules:
    return DeadlineRules(CAL, publication_deadline(active_policy(policy).policy), policy)


def _complete(store: Store, task_id: str, day: date) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(tasks).where(tasks.c.task_id == task_id)
                     .values(completed_on=day, status="已完成"))


def _draw(store: Store, period: str, revealed: str, matter: str = "M01") -> None:
    with store.engine.begin() as conn:
        conn.execute(draws.insert().values(
            label=f"440305/{period}/{matter}/KEY", region_code="440305", period=period,
            matter_code=matter, category="KEY", algorithm="ssj-draw-v1", k=1, candidates="[]",
            candidates_hash="0" * 64, inspector_candidates='{"inspectors": [], "groupSize": 2}',
            inspector_candidates_hash="0" * 64, commitment="0" * 64, secret="0" * 64,
            committed_at=revealed, revealed_at=revealed))


def _nanshan(store: Store) -> dict[str, list[str]]:
    """南山: 2025Q2 tasks all complete on 2025-06-30; 2025Q3 ten checks, done over the quarter."""
    w = World(store, "440305")
    keys = w.subjects(14, "重点管理")
    q2 = [w.result(keys[0], date(2025, 6, 10)), w.result(keys[1], date(2025, 6, 30))]
    for task_id, day in zip(q2, (date(2025, 6, 10), date(2025, 6, 30)), strict=True):
        _complete(store, task_id, day)
    q3 = [w.result(u, d) for u, d in zip(keys[2:8], (
        date(2025, 7, 3), date(2025, 7, 20), date(2025, 7, 31), date(2025, 8, 5),
        date(2025, 8, 28), date(2025, 9, 2)), strict=True)]
    for uscc in keys[8:12]:
        w.assigned(uscc, Quarter(2025, 3))
    _draw(store, "2025Q3", "2025-06-20T10:00:00+08:00")
    return {"keys": keys, "q2": q2, "q3": q3}


def test_nanshans_calendar_says_what_is_done_late_or_due(store: Store) -> None:
    _nanshan(store)
    active = active_policy("nanshan")
    with store.engine.begin() as conn:
        record_document(conn, kind="ledger", document="ledger", period="2025Q2",
                        policy="nanshan", region="440305", produced_on=date(2025, 7, 10),
                        produced_at="2025-07-10T09:00:00+08:00", files=[], content_hash="x")
    items = deployment_calendar(store, active.policy, CAL, date(2025, 9, 26), region="440305",
                                first=Quarter(2025, 2), last=Quarter(2025, 4))
    found = {(i.declared.key, i.period): i for i in items}
    ledger = found[("ledger", "2025Q2")]
    assert (ledger.due.due, ledger.status, ledger.done_on) == (  # type: ignore[union-attr]
        date(2025, 7, 13), "done", date(2025, 7, 10))
    assert found[("ledger", "2025Q3")].status == "waiting"  # Q3's tasks are not all complete
    drawn = found[("next-quarter-draw", "2025Q3")]
    assert (drawn.due.due, drawn.status) == (date(2025, 6, 23), "done")  # type: ignore[union-attr]
    missing = found[("next-quarter-draw", "2025Q4")]
    assert (missing.due.due, missing.status) == (date(2025, 9, 24), "overdue")  # type: ignore[union-attr]
    # 五（三）1 30 %, 60 %, 100 %: of the 10 checks of 2025Q3, 3 done by 31 July (30 %: met),
    # 5 by 31 August (50 % < 60 %: short), the quarter still running on 26 September.
    assert found[("progress-1", "2025Q3")].status == "met"
    assert found[("progress-2", "2025Q3")].status == "short"
    assert "5 of 10 checks" in found[("progress-2", "2025Q3")].detail
    assert found[("progress-3", "2025Q3")].status == "open"
    joint = found[("joint-tasks", "2025")]
    assert (joint.due.due, joint.status) == (date(2025, 10, 31), "open")  # type: ignore[union-attr]
    summary = found[("annual-summary", "2025")]
    assert (summary.due.due, summary.declared.to) == (date(2025, 12, 1), "执法支队")  # type: ignore[union-attr]


def _context(store: Store, policy: str, region: str, today: date) -> Context:
    return Context(store, active_policy(policy), _rules(policy), today, region,
                   "深圳市生态环境局南山管理局", None)


def test_the_ledger_lists_every_check_and_counts_as_produced(store: Store,
                                                             tmp_path: Path) -> None:
    named = _nanshan(store)
    with store.engine.begin() as conn:
        conn.execute(publications.insert().values(
            task_id=named["q2"][0], uscc=named["keys"][0], inspected_on=date(2025, 6, 10),
            result_code="01", status="published", due_provisional=False,
            published_on=date(2025, 6, 20), updated_at="2025-06-20T00:00:00+08:00"))
    withhold_result(store, f"{named['q2'][1]}/{named['keys'][1]}", reason="涉及国家秘密",
                    approved_by="局长", recorded_by="test")
    [made] = produce(_context(store, "nanshan", "440305", date(2025, 7, 8)), "ledger", "2025Q2",
                     directory=tmp_path)
    html = (tmp_path / "ledger-2025Q2.html").read_text(encoding="utf-8")
    assert "2025Q2 季度任务台账" in html and "due 2025-07-13" in html and "五（二）2" in html
    assert "已公示 2025-06-20" in html and "不予公开" in html and "未发现问题" in html
    sheet = load_workbook(tmp_path / "ledger-2025Q2.xlsx")["季度任务台账"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 2
    assert rows[0][11].date() == date(2025, 6, 10)  # a real date cell, not text
    assert {r[13] for r in rows} == {"已公示 2025-06-20", "不予公开"}
    with store.engine.connect() as conn:
        kept = conn.execute(select(statutory_documents)).one()
    assert (kept.kind, kept.document, kept.period) == ("ledger", "ledger", "2025Q2")
    assert made.declared is not None and made.declared.clause == "五（二）2"


def test_nanshan_writes_both_of_its_annual_documents(store: Store, tmp_path: Path) -> None:
    _nanshan(store)
    ctx = _context(store, "nanshan", "440305", date(2025, 11, 20))
    made = produce(ctx, "annual", "2025", html=tmp_path / "annual.html")
    assert [(m.key, [p.name for p in m.written.paths]) for m in made] == [
        ("joint-summary", ["annual-joint-summary.html"]),
        ("annual-summary", ["annual-annual-summary.html"])]
    summary = (tmp_path / "annual-annual-summary.html").read_text(encoding="utf-8")
    assert "2025年度全年双随机监管工作总结" in summary and "下一年度工作思路" in summary
    assert "due 2025-12-01 → 执法支队" in summary
    one = produce(ctx, "annual", "2025", document="joint-summary", xlsx=tmp_path / "j.xlsx")
    assert [p.name for p in one[0].written.paths] == ["j.xlsx"]


def test_weihai_statistics_per_category(store: Store, tmp_path: Path) -> None:
    w = World(store, "371002")
    keys = w.subjects(8, "重点管理")
    general = w.subjects(100, "登记管理")
    task_ids = [w.result(keys[0], date(2025, 5, 6), "02", category="KEY"),
                w.result(keys[1], date(2025, 5, 7), "03", category="KEY"),
                w.result(general[0], date(2025, 5, 8), "01", category="GENERAL")]
    for task_id in task_ids:
        _complete(store, task_id, date(2025, 5, 8))
    ctx = Context(store, active_policy("weihai"), _rules("weihai"), date(2025, 7, 1),
                  "371002", "威海市生态环境局环翠分局", None)
    [made] = produce(ctx, "statistics", "2025Q2", xlsx=tmp_path / "s.xlsx")
    sheet = load_workbook(tmp_path / "s.xlsx")["统计表"]
    header = [c.value for c in sheet[1]]
    rows = {r[2]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)}
    key = rows["重点监管对象"]
    # 第十四条（一） 25 % of 8 = 2 required; two checks, one 责令整改 (02), one 立案 (03).
    assert (key["对象数"], key["应抽查"], key["已检查"], key["发现问题"], key["立案"]) == (8, 2, 2, 2, 1)
    assert rows["一般监管对象"]["发现问题"] == 0
    assert rows[None]["已检查"] == 3  # the total row
    assert made.title == "2025Q2 “双随机、一公开”监管情况统计表"


def test_the_report_commands(sqlite_store: Store, tmp_path: Path) -> None:
    _nanshan(sqlite_store)
    env = {"SSJ_DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "SSJ_POLICY": "nanshan", "SSJ_REGION_CODE": "440305"}
    runner = CliRunner()
    out = runner.invoke(cli, ["report", "ledger", "--period", "2025Q2", "--html",
                              str(tmp_path / "l.html"), "--json"], env=env)
    assert out.exit_code == 0, out.output
    [shown] = orjson.loads(out.stdout)
    assert shown["files"] == [str((tmp_path / "l.html").resolve())]
    assert shown["clause"] == "五（二）2"
    bad = runner.invoke(cli, ["report", "annual", "--period", "2025Q1"], env=env)
    assert bad.exit_code == 2
    deadlines = runner.invoke(cli, ["report", "deadlines", "--json"], env=env)
    assert deadlines.exit_code == 0, deadlines.output
    keys = {i["key"] for i in orjson.loads(deadlines.stdout)["statutory"]}
    assert {"next-quarter-draw", "ledger", "joint-tasks", "annual-summary"} <= keys
    text = runner.invoke(cli, ["report", "deadlines"], env=env)
    assert "statutory dates — policy nanshan" in text.output


@pytest.mark.parametrize("policy", ["weihai", "yiyang", "yangcheng", "nanshan", "quzhou-city",
                                    "quzhou-county"])
def test_every_policy_declares_its_dates_with_words_of_its_text(policy: str) -> None:
    from policy_world import assert_cited_in_source

    from ssj_policies._common import source_text

    built = active_policy(policy).policy
    module = {"quzhou-city": "quzhou", "quzhou-county": "quzhou"}.get(policy, policy)
    source = __import__(f"ssj_policies.{module}", fromlist=["SOURCE"]).SOURCE
    assert assert_cited_in_source(built, source_text(source)) > 0  # type: ignore[arg-type]
    expected = {"weihai": {"annual-plan", "statistics", "annual-report"},
                "yiyang": {"annual-plan"}, "yangcheng": {"joint-report"},
                "nanshan": {"next-quarter-draw", "progress-1", "progress-2", "progress-3",
                            "ledger", "sea-outfalls", "joint-tasks", "joint-summary",
                            "annual-summary"},
                "quzhou-city": {"annual-plan", "next-quarter-draw"},
                "quzhou-county": {"annual-plan", "next-quarter-draw"}}[policy]
    assert {d.key for d in built.statutory_dates} == expected  # type: ignore[attr-defined]


def test_compliance_shows_nanshans_progress_within_the_quarter(store: Store) -> None:
    from ssj_bridge.report.compliance import compliance_report, render_text

    _nanshan(store)
    report = compliance_report(store, active_policy("nanshan"), Quarter(2025, 3),
                               _rules("nanshan"), today=date(2025, 9, 26), region="440305")
    assert [(p.by, p.done, p.checks, p.status) for p in report.progress] == [
        (date(2025, 7, 31), 3, 10, "met"), (date(2025, 8, 31), 5, 10, "short"),
        (date(2025, 9, 30), 6, 10, "open")]
    assert "progress by 2025-08-31: 5 of 10 checks done (50%), target 60% (五（三）1) — short" in (
        render_text(report))


def test_each_sync_warns_of_a_filing_date_nearing_or_passed(store: Store) -> None:
    from structlog.testing import capture_logs

    from ssj_bridge.features.statutory import log_warnings

    World(store, "371002").subjects(3, "重点管理")
    policy = active_policy("weihai").policy
    with capture_logs() as logs:
        # 2027-01-06: the plan of 2027 is due on 15 January (第六条), 7 working days on.
        assert log_warnings(store, policy, CAL, date(2027, 1, 6), region="371002") >= 1
    said = [e["what"] for e in logs if e["event"] == "statutory date"]
    assert "年度“双随机、一公开”抽查工作计划 2027 (第六条): due-soon, due 2027-01-15 to 市生态环境局" in said
    with capture_logs() as logs:
        log_warnings(store, policy, CAL, date(2027, 1, 20), region="371002")
    assert any("2027 (第六条): overdue" in e["what"] for e in logs if "what" in e)
