"""The compliance report's figures against a store built by hand, its JSON and text, the
`report compliance` and `report breaks` commands, and the breaks' CSV and XLSX export."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from policy_world import active_policy
from report_support import HOSTILE_NAME, Q2, REGION, TODAY, Quarter2, build

from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.report.breaks_export import COLUMNS, break_rows, export_breaks, write_csv
from ssj_bridge.report.compliance import compliance_report, obligation_status, render_text, run_counts
from ssj_bridge.report.html import render_html
from ssj_bridge.store import Store

CLI = Path(sys.executable).with_name("ssj-bridge")


def report_of(store: Store, world: Quarter2, **options: int):  # type: ignore[no-untyped-def]
    return compliance_report(store, world.active, Q2, world.rules, today=TODAY, region=REGION,
                             authority="威海市生态环境局", **options)


def test_quotas_count_required_drawn_and_inspected_per_category(store: Store) -> None:
    """drawn: assigned in a task of the quarter, whoever drew it; inspected: a result in the
    quarter; done: in the obligation's period (SPECIAL's half-year includes Q1)."""
    world = build(store)
    report = report_of(store, world)
    figures = {c.category.value: (c.population, c.drawn, c.inspected,
                                  [(o.per, o.period, o.required, o.done, o.status)
                                   for o in c.obligations])
               for c in report.categories}
    assert figures == {
        # k0 (own task), k1 (open task), k2 (the province's task); k3 only in Q1.
        "KEY": (4, 3, 2, [("quarter", "2025Q2", 1, 2, "met")]),
        "SIMPLIFIED": (3, 0, 0, [("quarter", "2025Q2", 1, 0, "short")]),
        "GENERAL": (5, 2, 2, [("quarter", "2025Q2", 1, 2, "met")]),
        "SPECIAL": (1, 0, 0, [("half-year", "2025H1", 1, 1, "met")]),
    }
    assert report.obligation_counts() == {"met": 3, "short": 1, "open": 0}
    assert report.inspectors == 2


def test_publication_rate_and_timeliness_cover_the_quarters_results(store: Store) -> None:
    """4 results in Q2: k0 on time, k2 late, g0 pending, g1 never queued → rate 2/4, on time 1/2."""
    world = build(store)
    pub = report_of(store, world).publication
    assert (pub.results, pub.published, pub.on_time, pub.late, pub.pending, pub.rejected,
            pub.not_queued) == (4, 2, 1, 1, 1, 0, 1)
    assert (pub.rate, pub.timeliness) == (0.5, 0.5)
    calendar = world.rules.calendar
    assert pub.days_to_publication == tuple(sorted((
        calendar.working_days_between(date(2025, 4, 10), date(2025, 4, 11)),
        calendar.working_days_between(date(2025, 5, 20), date(2025, 7, 25)))))
    assert pub.days_to_publication[0] == 1 and pub.deadline_days == 20


def test_overdue_lists_the_quarters_publications_past_due_and_counts_the_others(store: Store) -> None:
    world = build(store)
    report = report_of(store, world)
    assert [(i.uscc, i.status) for i in report.overdue] == [(world.general[0], "pending")]
    item = report.overdue[0]
    due = world.rules.due(date(2025, 5, 5), date(2025, 5, 5))
    assert due is not None and item.due == due.due
    assert item.working_days == world.rules.calendar.working_days_between(due.due, TODAY)
    assert item.name == HOSTILE_NAME
    assert report.overdue_other_periods == 1  # k3's, of 2025Q1


def test_breaks_open_by_kind_and_the_trend_of_the_last_runs(store: Store) -> None:
    world = build(store)
    figures = report_of(store, world).breaks
    assert figures.open == 2
    assert {k: n for k, n in figures.open_by_kind.items() if n} == {
        "field_mismatch": 1, "missing_in_store": 1}
    assert figures.by_place == (("permit", "permit", "field_mismatch", 1),
                                ("permit", "permit", "missing_in_store", 1))
    assert [b.key for b in figures.items] == ["P-A", "P-B"]  # longest open first
    assert figures.items[0].fields["validTo"] == {"store": "2026-01-01", "platform": "2026-02-01"}
    # Oldest first; the run still going (no summary yet) is left out.
    assert [(r.run_id, r.total, r.failed) for r in figures.runs] == [
        (1, 2, ()), (2, 2, ()), (3, 2, ("credit",))]
    assert [r.run_id for r in report_of(store, world, runs=2).breaks.runs] == [2, 3]
    assert len(report_of(store, world, break_rows=1).breaks.items) == 1


def test_obligation_status_is_open_until_the_period_ends() -> None:
    assert obligation_status(5, 5, date(2025, 6, 30), date(2025, 5, 1)) == "met"
    assert obligation_status(5, 4, date(2025, 6, 30), date(2025, 6, 30)) == "open"
    assert obligation_status(5, 4, date(2025, 6, 30), date(2025, 7, 1)) == "short"
    assert obligation_status(0, 0, date(2025, 6, 30), date(2025, 7, 1)) == "met"


def test_run_counts_sum_every_entity_and_ignore_what_is_not_a_count() -> None:
    run = run_counts(7, "2025-08-01T09:00:00+08:00", {
        "permit": {"status": "reconciled", "error": None,
                   "permit": {"matched": 3, "stale": 2}, "holder": {"stale": 1, "matched": 9}},
        "province": {"status": "failed", "error": "unreachable"}, "odd": "text"})
    assert run.counts["stale"] == 3 and run.total == 3 and run.failed == ("province",)


def test_json_has_the_documented_shape(store: Store) -> None:
    world = build(store)
    shape = json.loads(json.dumps(report_of(store, world).as_json()))
    assert set(shape) == {"period", "policy", "locality", "region", "authority", "generatedAt",
                          "today", "inspectors", "obligations", "categories", "publication",
                          "overdue", "overdueOtherPeriods", "breaks", "notes", "calendar",
                          "provisionalYears", "matters", "closedAt", "corrections", "joint",
                          "progress"}
    assert set(shape["matters"]["M01"]) == {"name", "objectKind", "inspectors", "categories",
                                            "regions"}
    assert shape["matters"]["M01"]["categories"]["KEY"] == shape["categories"]["KEY"]
    assert (shape["period"], shape["policy"], shape["region"]) == ("2025Q2", "weihai", "371000")
    assert shape["generatedAt"].endswith("+08:00")
    key = shape["categories"]["KEY"]
    assert (key["name"], key["population"], key["drawn"], key["inspected"]) == (
        "重点监管对象", 4, 3, 2)
    assert key["obligations"][0] | {"text": None} == {
        "per": "quarter", "period": "2025Q2", "start": "2025-04-01", "end": "2025-06-30",
        "rule": "第十四条（一）", "text": None, "share": "25%", "scope": None, "population": 4,
        "required": 1, "done": 2, "achievement": 2.0, "status": "met"}
    pub = shape["publication"]
    assert (pub["rate"], pub["timeliness"], pub["notQueued"]) == (0.5, 0.5, 1)
    assert pub["daysToPublication"][0] == {"workingDays": 1, "count": 1}
    assert shape["overdue"][0]["workingDaysLate"] > 0
    assert shape["breaks"]["openByKind"]["field_mismatch"] == 1
    assert [r["total"] for r in shape["breaks"]["runs"]] == [2, 2, 2]


def test_text_report_names_every_category_and_what_is_short(store: Store) -> None:
    world = build(store)
    text = "\n".join(render_text(report_of(store, world)))
    assert "obligations: 3 met, 1 short, 0 open" in text
    assert "SIMPLIFIED 简化监管对象: population 3, drawn 0, inspected 0" in text
    assert "2 of 4 results published (50%)" in text
    assert "breaks open: 2 (missing in the store 1, fields differ 1)" in text


def test_html_escapes_what_the_store_holds_and_needs_no_network(store: Store) -> None:
    world = build(store)
    page = render_html(report_of(store, world))
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in page
    # Nothing is fetched: no external reference, and the CSP forbids any.
    for reference in ("http://", "https://", "//cdn", "@import", "url("):
        assert reference not in page
    assert "default-src 'none'" in page
    assert page.count('<figure class="bars"') == 3  # quotas, publication, breaks
    for anchor in ('id="summary"', 'id="t-quotas"', 'id="t-overdue"', 'id="t-breaks"'):
        assert anchor in page


# -- the commands -----------------------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """ssj-bridge in a clean environment (no SSJ_* of the caller), from an empty directory."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_") or k == "SSJ_LANGUAGE"}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, cwd=tmp_path,
                          env={**clean, **env}, timeout=120, check=False)


def test_report_compliance_command_writes_json_and_html_without_secrets(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    store = Store(f"sqlite:///{database}")
    store.migrate()
    build(store)
    store.dispose()
    secrets = {"SSJ_PERMIT__BASE_URL": "http://127.0.0.1:9/permit",
               "SSJ_PERMIT__APP_ID": "app-id-visible-nowhere",
               "SSJ_PERMIT__APP_SECRET": "s3cret-permit-value",
               "SSJ_CREDIT__API_KEY": "credit-key-value-42",
               "SSJ_PUBLICITY__TOKEN": "publicity-token-value"}
    env = {"SSJ_DATABASE_URL": f"sqlite:///{database}", "SSJ_POLICY": "weihai",
           "SSJ_REGION_CODE": REGION, "SSJ_ORG_NAME": "威海市生态环境局", **secrets}
    page = tmp_path / "out" / "compliance.html"
    done = run_cli(tmp_path, "report", "compliance", "--period", "2025Q2", "--json",
                   "--html", str(page), **env)
    assert done.returncode == 0, done.stderr
    shape = json.loads(done.stdout)  # the path goes to stderr: stdout stays JSON
    assert shape["categories"]["KEY"]["drawn"] == 3
    assert f"report: {page.resolve()}" in done.stderr
    html = page.read_text(encoding="utf-8")
    assert "威海市生态环境局" in html and "2025Q2" in html
    for value in secrets.values():
        assert value not in done.stdout and value not in html and value not in done.stderr
    text = run_cli(tmp_path, "report", "compliance", "--period", "2025Q2", **env)
    assert text.returncode == 0 and "compliance 2025Q2 — policy weihai" in text.stdout
    bad = run_cli(tmp_path, "report", "compliance", "--period", "2025-06", **env)
    assert bad.returncode == 2 and "YYYYQn" in bad.stderr


def test_report_breaks_command_writes_csv_and_xlsx(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    store = Store(f"sqlite:///{database}")
    store.migrate()
    build(store)
    store.dispose()
    env = {"SSJ_DATABASE_URL": f"sqlite:///{database}"}
    done = run_cli(tmp_path, "report", "breaks", **env)
    assert done.returncode == 0, done.stderr
    assert [r["key"] for r in csv.DictReader(io.StringIO(done.stdout.removeprefix("\ufeff")))] == [
        "P-A", "P-B"]
    target = tmp_path / "breaks.xlsx"
    done = run_cli(tmp_path, "report", "breaks", "--format", "xlsx", "--out", str(target), "--all",
                   **env)
    assert done.returncode == 0 and "3 breaks written" in done.stdout
    assert load_workbook(target)["breaks"].max_row == 4
    refused = run_cli(tmp_path, "report", "breaks", "--format", "xlsx", **env)
    assert refused.returncode == 2 and "--out" in refused.stderr


# -- breaks as files --------------------------------------------------------------------------


def test_breaks_csv_has_one_row_per_open_break_and_keeps_formulas_as_text(store: Store,
                                                                         tmp_path: Path) -> None:
    build(store)
    target = tmp_path / "breaks.csv"
    assert export_breaks(store, "csv", target) == 2
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets then read the Chinese right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS)
    first = rows[0]
    assert (first["platform"], first["key"], first["kind"], first["status"], first["runsOpen"]) == (
        "permit", "P-A", "field_mismatch", "open", "3")
    assert "validTo: 2026-01-01 → 2026-02-01" in first["differences"]
    assert "orgName: 甲公司 → =HYPERLINK" in first["differences"]
    assert rows[1]["differences"] == ""
    assert "fields" not in rows[0]  # no JSON in a cell: the XLSX has a sheet of fields
    everything = io.StringIO()
    assert export_breaks(store, "csv", everything, include_resolved=True) == 3
    resolved = [r for r in csv.DictReader(io.StringIO(everything.getvalue().removeprefix("\ufeff")))
                if r["status"] == "resolved"]
    assert [(r["key"], r["resolvedAt"], r["repairedAt"]) for r in resolved] == [
        ("P-C", "2025-08-01T09:00:00+08:00", "2025-07-31T10:00:00+08:00")]


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted() -> None:
    out = io.StringIO()
    write_csv([{"platform": "permit", "key": "=1+2", "kind": "@SUM(A1)", "runsOpen": -1}], out)
    row = next(csv.DictReader(io.StringIO(out.getvalue().removeprefix("\ufeff"))))
    assert (row["key"], row["kind"], row["runsOpen"]) == ("'=1+2", "'@SUM(A1)", "-1")


def test_breaks_xlsx_has_a_sheet_of_breaks_and_one_of_fields(store: Store, tmp_path: Path) -> None:
    build(store)
    target = tmp_path / "breaks.xlsx"
    assert export_breaks(store, "xlsx", target) == 2
    book = load_workbook(target)
    assert book.sheetnames == ["breaks", "fields"]
    sheet = book["breaks"]
    header = [c.value for c in sheet[1]]
    assert header == list(COLUMNS)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(v[0], v[2], v[3], v[8]) for v in values] == [
        ("permit", "P-A", "field_mismatch", 3), ("permit", "P-B", "missing_in_store", 1)]
    fields = book["fields"]
    per_field = {row[5].value: row for row in fields.iter_rows(min_row=2)}
    assert set(per_field) == {"validTo", "orgName"}
    formula_like = per_field["orgName"][7]
    assert formula_like.value == '=HYPERLINK("x")' and formula_like.data_type == "s"


def test_breaks_in_chinese_name_their_kinds_and_keep_dates_as_dates(store: Store,
                                                                   tmp_path: Path) -> None:
    from ssj_bridge.i18n import use_language

    build(store)
    target = tmp_path / "breaks.xlsx"
    with use_language("zh"):
        export_breaks(store, "xlsx", target)
    book = load_workbook(target)
    assert book.sheetnames == ["差异", "字段"]
    sheet = book["差异"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["平台", "数据类型", "主键", "差异类型", "状态"]
    first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert (first["平台"], first["差异类型"], first["状态"]) == ("排污许可平台", "字段不一致", "未解决")
    assert isinstance(first["首次发现"], datetime)
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.orientation == "landscape"


def test_break_rows_read_in_a_stable_order(store: Store) -> None:
    build(store)
    assert [r["key"] for r in break_rows(store, include_resolved=True)] == ["P-A", "P-B", "P-C"]


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_export_breaks_refuses_what_it_cannot_write(sqlite_store: Store, fmt: str) -> None:
    with pytest.raises(ValueError):
        export_breaks(sqlite_store, fmt, io.StringIO())


def test_a_store_with_nothing_recorded_reports_zeros_and_says_so(sqlite_store: Store) -> None:
    """No subject, result, publication or reconciliation yet: no division by zero, no chart
    without data, and the page says what is missing."""
    report = compliance_report(sqlite_store, active_policy("weihai"), Q2, DeadlineRules.default(),
                               today=TODAY, region=REGION)
    assert [(c.category.value, c.population, c.drawn, c.inspected) for c in report.categories] == [
        ("KEY", 0, 0, 0), ("SIMPLIFIED", 0, 0, 0), ("GENERAL", 0, 0, 0), ("SPECIAL", 0, 0, 0)]
    assert report.obligation_counts() == {"met": 4, "short": 0, "open": 0}  # 0 required
    assert (report.publication.rate, report.publication.timeliness) == (None, None)
    assert report.breaks.open == 0 and report.breaks.runs == ()
    page = render_html(report)
    assert page.count('<figure class="bars"') == 1  # only the quotas: no result, no run
    assert "尚未进行数据核对" in page and "尚无 2025Q2 的检查结果记录" in page
    assert json.loads(json.dumps(report.as_json()))["publication"]["rate"] is None
