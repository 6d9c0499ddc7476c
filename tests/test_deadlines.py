"""Deadline tracking: overdue, due soon, published late, provisional due dates, and the policy."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from publicity_support import (
    add_subjects,
    add_task,
    exchange,
    people,
    publication_rows,
    record,
)
from sqlalchemy import update
from structlog.testing import capture_logs

from ssj_bridge.cli import cli
from ssj_bridge.features.deadlines import (
    DEFAULT_PUBLICATION,
    DeadlineRules,
    render_text,
    report_deadlines,
)
from ssj_bridge.model import beijing_today
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.settings import Settings
from ssj_bridge.store import Store
from ssj_bridge.store.schema import publications
from ssj_bridge.sync import run_sync

RULES = DeadlineRules(WorkingCalendar.load(None))
HOLIDAYS_2027 = '[2027]\nholidays = ["2027-01-01..2027-01-03"]\n'


def task(store: Store, task_id: str, who: list[tuple[str, str]], day: date,
         period: str) -> None:
    add_task(store, task_id, [u for u, _ in who], period=period)
    for uscc, _ in who:
        record(store, task_id, uscc, day)


def published(store: Store, uscc: str, on: date) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(publications).where(publications.c.uscc == uscc).values(
            status="published", published_on=on))


def test_report_lists_overdue_due_soon_and_published_late_per_period(store: Store) -> None:
    """Today Monday 2025-11-03, 5 working days ahead (until Monday 2025-11-10):

    A complete 2025-09-26 → due 2025-10-30 (across National Day), unpublished: overdue by 2
    working days (31 Oct, 3 Nov). B complete 2025-10-10 → Sat 11 Oct (调休) 1, 13–17 Oct 6,
    20–24 11, 27–31 16, 3–6 Nov 20 → due 2025-11-06: due within, 3 working days left.
    C like A but published 2025-11-03: 2 working days late. D complete 2025-10-20 → due
    2025-11-17: not listed. E half inspected: awaiting completion. F published on time.
    """
    a, b, c, d, e1, e2, f = who = people(7)
    add_subjects(store, who)
    task(store, "371000-2025Q3-0001", [a], date(2025, 9, 26), "2025Q3")
    task(store, "371000-2025Q4-0001", [b], date(2025, 10, 10), "2025Q4")
    task(store, "371000-2025Q3-0002", [c], date(2025, 9, 26), "2025Q3")
    task(store, "371000-2025Q4-0002", [d], date(2025, 10, 20), "2025Q4")
    add_task(store, "371000-2025Q4-0003", [e1[0], e2[0]], period="2025Q4")
    record(store, "371000-2025Q4-0003", e1[0], date(2025, 10, 9))
    task(store, "371000-2025Q3-0003", [f], date(2025, 9, 26), "2025Q3")
    published(store, c[0], date(2025, 11, 3))
    published(store, f[0], date(2025, 10, 30))

    report = report_deadlines(store, RULES, date(2025, 11, 3), within=5)
    shape = report.as_json()
    assert shape["withinUntil"] == "2025-11-10"
    assert shape["summary"] == {"publications": 6, "published": 2, "publishedOnTime": 1,
                                "publishedLate": 1, "overdue": 1, "dueWithin": 1,
                                "awaitingCompletion": 1, "provisional": 0, "withheld": 0}
    q3, q4 = shape["periods"]
    assert (q3["period"], q4["period"]) == ("2025Q3", "2025Q4")
    [overdue] = q3["overdue"]
    assert (overdue["uscc"], overdue["due"], overdue["workingDaysLate"], overdue["name"]) == (
        a[0], "2025-10-30", 2, a[1])
    [late] = q3["publishedLate"]
    assert (late["uscc"], late["publishedOn"], late["workingDaysLate"]) == (c[0], "2025-11-03", 2)
    [soon] = q4["dueWithin"]
    assert (soon["uscc"], soon["due"], soon["workingDaysLeft"]) == (b[0], "2025-11-06", 3)
    assert q4["overdue"] == q4["publishedLate"] == q3["dueWithin"] == []
    text = "\n".join(render_text(report))
    assert "overdue (1)" in text and "due 2025-10-30  2 working days late" in text
    assert "published 2025-11-03, 2 working days late" in text
    assert "published on time" not in text
    everything = report_deadlines(store, RULES, date(2025, 11, 3), within=5, list_on_time=True)
    [on_time] = everything.as_json()["periods"][0]["publishedOnTime"]
    assert (on_time["uscc"], on_time["due"], on_time["publishedOn"]) == (
        f[0], "2025-10-30", "2025-10-30")


def test_a_due_date_in_a_year_without_a_schedule_is_provisional_until_the_file_covers_it(
        store: Store, tmp_path: Path) -> None:
    """Complete Friday 2026-12-18; 20 working days run into 2027 (see test_calendar):
    provisional 2027-01-15 while no schedule covers 2027, exact 2027-01-18 once the holiday
    file has 1–3 January off."""
    [who] = people(1)
    add_subjects(store, [who])
    task(store, "371000-2026Q4-0001", [who], date(2026, 12, 18), "2026Q4")
    report = report_deadlines(store, RULES, date(2027, 1, 20), within=5)
    [period] = report.as_json()["periods"]
    [overdue] = period["overdue"]
    assert (overdue["due"], overdue["dueProvisional"]) == ("2027-01-15", True)
    assert report.as_json()["provisionalYears"] == [2027]
    assert report.as_json()["summary"]["provisional"] == 1
    text = "\n".join(render_text(report))
    assert "due 2027-01-15*" in text and "* provisional: no published holiday schedule for 2027" in text
    row = publication_rows(store)[who[0]]
    assert (row["due"], row["due_provisional"]) == (date(2027, 1, 15), True)

    path = tmp_path / "holidays.toml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    exact = report_deadlines(store, DeadlineRules(WorkingCalendar.load(path)), date(2027, 1, 20))
    [period] = exact.as_json()["periods"]
    [overdue] = period["overdue"]
    assert (overdue["due"], overdue["dueProvisional"], overdue["workingDaysLate"]) == (
        "2027-01-18", False, 2)
    assert exact.as_json()["provisionalYears"] == []
    assert publication_rows(store)[who[0]]["due_provisional"] is False


def test_the_policy_sets_the_working_days_nanshan_18() -> None:
    host = load_plugins()
    nanshan = DeadlineRules.from_settings(Settings(policy="nanshan"), host)
    assert (nanshan.deadline.days, nanshan.deadline.clause) == (18, "五（三）2")
    # Spring Festival 2026, checked by hand in test_calendar: 18 days → 2026-03-12.
    due = nanshan.due(date(2026, 2, 10), date(2026, 2, 9))
    assert due is not None and due.due == date(2026, 3, 12)
    weihai = DeadlineRules.from_settings(Settings(policy="weihai"), host)
    assert weihai.deadline.days == 20 and weihai.policy == "weihai"
    assert DeadlineRules.from_settings(Settings(), host).deadline == DEFAULT_PUBLICATION
    assert "20 working days after the task is complete" in DeadlineRules.default().describe()


def test_report_deadlines_command_prints_json_and_text(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(database)
    store.migrate()
    old, recent = who = people(2)
    add_subjects(store, who)
    today = beijing_today()
    task(store, "371000-T-0001", [old], today - timedelta(days=70), "2025Q1")
    task(store, "371000-T-0002", [recent], today - timedelta(days=1), "2025Q1")
    store.dispose()
    monkeypatch.setenv("SSJ_DATABASE_URL", database)
    monkeypatch.delenv("SSJ_POLICY", raising=False)
    runner = CliRunner()
    as_json = runner.invoke(cli, ["report", "deadlines", "--within", "40", "--json"])
    assert as_json.exit_code == 0, as_json.output
    shape = orjson.loads(as_json.output.strip().splitlines()[-1])
    assert (shape["summary"]["overdue"], shape["summary"]["dueWithin"]) == (1, 1)
    assert shape["rule"]["days"] == 20 and shape["today"] == today.isoformat()
    text = runner.invoke(cli, ["report", "deadlines"])
    assert text.exit_code == 0 and "overdue (1)" in text.output
    assert "371000-T-0001" in text.output and "371000-T-0002" not in text.output


def test_sync_logs_each_overdue_publication_and_warns_with_their_count(store: Store) -> None:
    stuck, fine = who = people(2)
    add_subjects(store, who)
    task(store, "371000-2025Q2-0001", who, date(2025, 6, 3), "2025Q2")  # due 2025-07-01
    with exchange() as ex:
        ex.sim.unregister(stuck[0])
        with capture_logs() as logs:
            report = run_sync(ex.settings(store), store, load_plugins(), only=["publicity"])
    assert int(report.exit) == 3  # one publication refused and set aside
    warnings = [e for e in logs if e["event"] == "publication overdue"]
    assert [(w["uscc"], w["due"], w["error_code"]) for w in warnings] == [
        (stuck[0], "2025-07-01", "E102")]
    assert warnings[0]["log_level"] == "info"
    [summary] = [e for e in logs if e["event"] == "publications overdue"]
    assert summary["log_level"] == "warning" and summary["count"] == 1
    assert publication_rows(store)[fine[0]]["published_on"] == beijing_today()
