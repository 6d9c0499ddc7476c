"""Working days in mainland China: weekends, public holidays and adjusted working days (调休).

Where a year's days come from, in this order:

1. the maintained `chinesecalendar` package (import name `chinese_calendar`), for every year it
   carries (it raises NotImplementedError for the others; coverage is checked per year);
2. the holiday file (setting SSJ_HOLIDAYS_FILE; default: the bundled `data/holidays.toml`),
   which a data manager extends with a year once 国务院办公厅 publishes that year's schedule;
3. otherwise Monday to Friday — and every date counted across such a year is *provisional*:
   `DueDate.provisional` is True and reports say so. A year is never silently counted as plain
   weekdays.

Deadlines read "…之日起 N 个工作日内": the day itself is not counted, and the due date is the
Nth working day after it (`WorkingCalendar.add_working_days`).

The holiday file (TOML; a CSV with columns `date,kind[,name]` is read too) holds one table per
year; dates are TOML dates or `YYYY-MM-DD` strings, and `A..B` names a range, both ends included:

    [2027]
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = ["2027-01-01", "2027-02-06..2027-02-12"]   # days off, weekends in them included
    workdays = ["2027-02-14"]                             # weekend days worked instead (调休)

A year present in the file counts as published in full. Years the package carries are taken
from the package; the same year in the file is then ignored.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import chinese_calendar

from ssj_bridge.errors import ConfigurationError

SETTING = "SSJ_HOLIDAYS_FILE"
_CSV_KINDS = {"holiday": "holidays", "休": "holidays", "workday": "workdays", "班": "workdays"}


class DaySource(StrEnum):
    """Where the working-day status of a year comes from."""

    PACKAGE = "chinesecalendar"
    FILE = "holiday file"
    WEEKDAYS = "weekdays only (provisional)"


@dataclass(frozen=True)
class YearSchedule:
    """One year of the holiday file: days off and adjusted working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""


@dataclass(frozen=True)
class DueDate:
    """A computed due date; `provisional` when it was counted across a year with no schedule."""

    due: date
    provisional: bool = False
    uncovered_years: tuple[int, ...] = ()


@cache
def package_covers(year: int) -> bool:
    """True when the installed chinesecalendar carries the official schedule of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """Working days from the package, then the holiday file, then (provisionally) weekdays."""

    def __init__(self, schedules: Mapping[int, YearSchedule] | None = None,
                 file: Path | None = None) -> None:
        self.schedules = dict(schedules or {})
        self.file = file
        # The package answers a day in tens of microseconds; deadlines ask the same days often.
        self._days: dict[date, bool] = {}
        self._dues: dict[tuple[date, int], DueDate] = {}

    @classmethod
    def load(cls, holidays_file: Path | None = None) -> WorkingCalendar:
        """The calendar with `holidays_file` (None: the bundled default file)."""
        if holidays_file is None:
            bundled = resources.files("ssj_bridge") / "data" / "holidays.toml"
            return cls(parse_holidays(bundled.read_text(encoding="utf-8"), "bundled holidays.toml"))
        return cls(load_holiday_file(holidays_file), holidays_file)

    def source(self, year: int) -> DaySource:
        """Where the days of `year` come from."""
        if package_covers(year):
            return DaySource.PACKAGE
        if year in self.schedules:
            return DaySource.FILE
        return DaySource.WEEKDAYS

    def exact(self, year: int) -> bool:
        """True when `year` follows a published schedule (package or file)."""
        return self.source(year) is not DaySource.WEEKDAYS

    def is_working_day(self, day: date) -> bool:
        """True on a working day (a Saturday worked instead of a holiday included)."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: date) -> bool:
        source = self.source(day.year)
        if source is DaySource.PACKAGE:
            return bool(chinese_calendar.is_workday(day))
        if source is DaySource.FILE:
            schedule = self.schedules[day.year]
            if day in schedule.workdays:
                return True
            if day in schedule.holidays:
                return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> DueDate:
        """The `days`-th working day after `start` (`start` itself is not counted).

        Provisional when any day counted lies in a year with no published schedule.
        """
        if days < 0:
            raise ValueError(f"working days {days} is negative")
        due = self._dues.get((start, days))
        if due is None:
            due = self._dues[(start, days)] = _add_working_days(self, start, days)
        return due

    def add_days(self, start: date, days: int, *, working: bool = True) -> DueDate:
        """`days` working days after `start`, or calendar days when `working` is False."""
        if working:
            return self.add_working_days(start, days)
        return DueDate(start + timedelta(days=days))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def uncovered(self, years: Iterable[int]) -> list[int]:
        """The years among `years` that no published schedule covers."""
        return sorted({y for y in years if not self.exact(y)})

    def describe(self) -> str:
        """Which years come from where (report footers)."""
        file_years = ", ".join(str(y) for y in sorted(self.schedules)) or "none"
        where = str(self.file) if self.file else "bundled holidays.toml"
        return f"chinesecalendar {chinese_calendar.__version__}; holiday file {where}: {file_years}"


def _add_working_days(calendar: WorkingCalendar, start: date, days: int) -> DueDate:
    day = start
    counted = 0
    uncovered: set[int] = set()
    while counted < days:
        day += timedelta(days=1)
        if not calendar.exact(day.year):
            uncovered.add(day.year)
        if calendar.is_working_day(day):
            counted += 1
    return DueDate(day, bool(uncovered), tuple(sorted(uncovered)))


# -- the holiday file -------------------------------------------------------------------------


def load_holiday_file(path: Path) -> dict[int, YearSchedule]:
    """Read SSJ_HOLIDAYS_FILE (TOML, or CSV by its suffix); errors name the file and the value."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{SETTING}: cannot read {path}: {exc.strerror}", SETTING) from None
    if path.suffix.lower() == ".csv":
        return parse_holiday_csv(text, str(path))
    return parse_holidays(text, str(path))


def parse_holidays(text: str, where: str) -> dict[int, YearSchedule]:
    """The year tables of a TOML holiday file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(where, f"is not valid TOML: {exc}") from None
    schedules: dict[int, YearSchedule] = {}
    for key, table in data.items():
        if not (key.isdigit() and len(key) == 4) or not isinstance(table, dict):
            raise _error(where, f"entry {key!r} is not a year table like [2027]")
        year = int(key)
        unknown = set(table) - {"holidays", "workdays", "source"}
        if unknown:
            raise _error(where, f"[{year}] has unknown keys {sorted(unknown)} "
                                "(known: holidays, workdays, source)")
        holidays = _dates(table.get("holidays", []), year, "holidays", where)
        workdays = _dates(table.get("workdays", []), year, "workdays", where)
        schedules[year] = _schedule(year, holidays, workdays, str(table.get("source", "")), where)
    return schedules


def parse_holiday_csv(text: str, where: str) -> dict[int, YearSchedule]:
    """The years of a CSV holiday file: `date,kind[,name]`, kind holiday/workday (or 休/班)."""
    found: dict[int, dict[str, set[date]]] = {}
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not {"date", "kind"} <= set(reader.fieldnames):
        raise _error(where, "needs the columns date,kind (and optionally name)")
    for number, row in enumerate(reader, start=2):
        kind = _CSV_KINDS.get((row.get("kind") or "").strip().lower())
        if kind is None:
            raise _error(where, f"row {number}: kind {row.get('kind')!r} is not one of "
                                "holiday, workday, 休, 班")
        for day in _expand(row.get("date") or "", f"row {number}", where):
            found.setdefault(day.year, {"holidays": set(), "workdays": set()})[kind].add(day)
    return {year: _schedule(year, days["holidays"], days["workdays"], "", where)
            for year, days in found.items()}


def _schedule(year: int, holidays: set[date], workdays: set[date], source: str,
              where: str) -> YearSchedule:
    both = holidays & workdays
    if both:
        raise _error(where, f"[{year}] {min(both)} is listed both as a holiday and a workday")
    if not holidays:
        raise _error(where, f"[{year}] lists no holidays; add the year only once its schedule "
                            "is published")
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), source)


def _dates(values: Any, year: int, name: str, where: str) -> set[date]:
    if not isinstance(values, list):
        raise _error(where, f"[{year}] {name} must be a list of dates")
    days: set[date] = set()
    for value in values:
        for day in _expand(value, f"[{year}] {name}", where):
            if day.year != year:
                raise _error(where, f"[{year}] {name}: {day} is not in {year}")
            days.add(day)
    return days


def _expand(value: Any, field: str, where: str) -> list[date]:
    if isinstance(value, date):
        return [value]
    text = str(value).strip()
    first, _, last = text.partition("..")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise _error(where, f"{field}: {value!r} is not a date YYYY-MM-DD or a range "
                            "YYYY-MM-DD..YYYY-MM-DD") from None
    if end < start:
        raise _error(where, f"{field}: range {text!r} ends before it starts")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _error(where: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"{SETTING}: {where} {problem}", SETTING)
