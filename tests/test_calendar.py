"""Working days: the official holiday calendar, adjusted working days, and the holiday file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ssj_bridge.errors import ConfigurationError, ExitCode
from ssj_bridge.model.calendar import (
    DaySource,
    WorkingCalendar,
    load_holiday_file,
    package_covers,
)

# A holiday schedule for 2027 written for these tests (not the official one, which is not
# published yet): New Year 1 Jan–3 Jan; Spring Festival 6–12 Feb, with Sunday 14 Feb worked.
HOLIDAYS_2027 = """
[2027]
source = "test schedule"
holidays = ["2027-01-01..2027-01-03", "2027-02-06..2027-02-12"]
workdays = ["2027-02-14"]
"""


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load(None)


def test_the_day_itself_is_not_counted(calendar: WorkingCalendar) -> None:
    # Monday 2025-06-09 + 1 working day is Tuesday; + 0 is the day itself.
    assert calendar.add_working_days(date(2025, 6, 9), 1).due == date(2025, 6, 10)
    assert calendar.add_working_days(date(2025, 6, 9), 0).due == date(2025, 6, 9)
    # Friday + 1 skips the weekend.
    assert calendar.add_working_days(date(2025, 6, 13), 1).due == date(2025, 6, 16)


def test_deadline_across_national_day_2025_counts_holidays_and_adjusted_working_days(
        calendar: WorkingCalendar) -> None:
    """Task complete Friday 2025-09-26; 20 working days; checked by hand:

    2025 National Day and Mid-Autumn: 1–8 Oct off; Sunday 28 Sep and Saturday 11 Oct worked.
    Sat 27 Sep off · Sun 28 Sep (调休) 1 · Mon 29 Sep 2 · Tue 30 Sep 3 · 1–8 Oct off ·
    Thu 9 Oct 4 · Fri 10 Oct 5 · Sat 11 Oct (调休) 6 · 13–17 Oct 7–11 · 20–24 Oct 12–16 ·
    Mon 27 Oct 17 · Tue 28 Oct 18 · Wed 29 Oct 19 · Thu 30 Oct 20 → due 2025-10-30.
    Counting Monday–Friday only would give Friday 2025-10-24, four working days too early.
    """
    due = calendar.add_working_days(date(2025, 9, 26), 20)
    assert due.due == date(2025, 10, 30)
    assert due.provisional is False
    assert calendar.is_working_day(date(2025, 9, 28))  # a Sunday worked instead
    assert not calendar.is_working_day(date(2025, 10, 8))  # a Wednesday off


def test_deadline_across_spring_festival_2026(calendar: WorkingCalendar) -> None:
    """Task complete Tuesday 2026-02-10; 南山's 18 working days and the default 20; by hand:

    2026 Spring Festival: 15–23 Feb off; Saturdays 14 Feb and 28 Feb worked.
    Wed 11 Feb 1 · Thu 12 Feb 2 · Fri 13 Feb 3 · Sat 14 Feb (调休) 4 · 15–23 Feb off ·
    Tue 24 Feb 5 · 25 Feb 6 · 26 Feb 7 · Fri 27 Feb 8 · Sat 28 Feb (调休) 9 · 2–6 Mar 10–14 ·
    Mon 9 Mar 15 · 10 Mar 16 · 11 Mar 17 · Thu 12 Mar 18 → due 2026-03-12 (18 days);
    Fri 13 Mar 19 · Mon 16 Mar 20 → due 2026-03-16 (20 days).
    """
    assert calendar.add_working_days(date(2026, 2, 10), 18).due == date(2026, 3, 12)
    assert calendar.add_working_days(date(2026, 2, 10), 20).due == date(2026, 3, 16)


def test_package_coverage_is_checked_per_year() -> None:
    assert package_covers(2025) and package_covers(2026)
    assert not package_covers(2027)


def test_deadline_into_a_year_nobody_covers_is_provisional(calendar: WorkingCalendar) -> None:
    """Task complete Friday 2026-12-18, 20 working days, 2027 in neither package nor file:

    21–25 Dec 1–5 · 28–31 Dec 6–9 · 2027 counted Monday–Friday: Fri 1 Jan 10 · 4–8 Jan 11–15 ·
    11–15 Jan 16–20 → 2027-01-15, provisional (1 January is certainly a holiday).
    """
    assert calendar.source(2027) is DaySource.WEEKDAYS
    due = calendar.add_working_days(date(2026, 12, 18), 20)
    assert (due.due, due.provisional, due.uncovered_years) == (date(2027, 1, 15), True, (2027,))


def test_deadline_into_2027_is_exact_once_the_holiday_file_covers_it(tmp_path: Path) -> None:
    """The same deadline with the test 2027 schedule: 1 Jan is off, so 31 Dec is day 9,
    4–8 Jan 10–14, 11–15 Jan 15–19, Mon 18 Jan 20 → 2027-01-18, exact."""
    path = tmp_path / "holidays.toml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    calendar = WorkingCalendar.load(path)
    assert calendar.source(2027) is DaySource.FILE
    due = calendar.add_working_days(date(2026, 12, 18), 20)
    assert (due.due, due.provisional) == (date(2027, 1, 18), False)
    assert calendar.is_working_day(date(2027, 2, 14))  # the Sunday worked (调休)
    assert not calendar.is_working_day(date(2027, 2, 8))  # a Monday off


def test_a_deadline_within_a_covered_year_is_not_provisional_because_a_later_year_is_missing(
        calendar: WorkingCalendar) -> None:
    due = calendar.add_working_days(date(2026, 11, 2), 20)
    assert due.due == date(2026, 11, 30)
    assert not due.provisional


def test_the_package_wins_over_the_file_for_years_it_carries(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text('[2025]\nholidays = ["2025-06-10"]\n', encoding="utf-8")
    calendar = WorkingCalendar.load(path)
    assert calendar.source(2025) is DaySource.PACKAGE
    assert calendar.is_working_day(date(2025, 6, 10))


def test_the_bundled_holiday_file_has_no_2027_entries() -> None:
    assert 2027 not in WorkingCalendar.load(None).schedules


def test_a_csv_holiday_file_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("date,kind,name\n2027-01-01..2027-01-03,holiday,元旦\n"
                    "2027-02-14,班,春节调休\n2027-02-06..2027-02-12,休,春节\n", encoding="utf-8")
    [schedule] = load_holiday_file(path).values()
    assert schedule.year == 2027
    assert date(2027, 2, 14) in schedule.workdays and date(2027, 2, 8) in schedule.holidays


@pytest.mark.parametrize(("text", "names"), [
    ('[2027]\nholidays = ["2027-13-01"]\n', "2027-13-01"),
    ('[2027]\nholidays = ["2028-01-01"]\n', "not in 2027"),
    ('[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-01"]\n', "both"),
    ('[2027]\nworkdays = ["2027-02-14"]\n', "lists no holidays"),
    ("[next]\nholidays = []\n", "'next'"),
    ("[2027\n", "not valid TOML"),
])
def test_a_malformed_holiday_file_is_a_configuration_error_naming_the_setting(
        tmp_path: Path, text: str, names: str) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        WorkingCalendar.load(path)
    assert caught.value.setting == "SSJ_HOLIDAYS_FILE"
    assert caught.value.exit_code == ExitCode.CONFIGURATION
    assert names in str(caught.value) and str(path) in str(caught.value)


def test_working_days_between_counts_after_start_up_to_end(calendar: WorkingCalendar) -> None:
    # From Thu 2025-10-30 to Thu 2025-11-06: 31 Oct, 3–6 Nov.
    assert calendar.working_days_between(date(2025, 10, 30), date(2025, 11, 6)) == 5
    assert calendar.working_days_between(date(2025, 11, 6), date(2025, 10, 30)) == -5
    assert calendar.working_days_between(date(2025, 10, 30), date(2025, 10, 30)) == 0
