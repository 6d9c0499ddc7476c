"""The dates a locality's text fixes around the draws, as a policy declares them.

Each `StatutoryDate` names a duty (an annual plan filed, the next quarter drawn, a ledger, a
statistics table or a report produced, joint tasks complete, a share of the quarter's checks
done by a month's end), the clause and words it rests on, whom it goes to, and a due rule:

- `OnDay(month, day, years_after)` — a day of the year (威海 第六条 "于每年1月15日前"; 衢州
  一（四） "每年12月底前…下一年度": the year before, `years_after=-1`); `day=0` is the month's
  last day;
- `BeforeQuarterEnds(n)` — for the quarter being drawn, the n-th working day before the last
  day of the quarter before it, that day itself not counted (南山 五（二）1 "于当季结束前5个工作日
  完成下一季度的任务抽查");
- `AfterQuarterTasks(n, working)` — n calendar or working days after the day the quarter's last
  task is complete, that day not counted (南山 五（二）2 "在双随机检查任务全部结束后13个自然日内");
- `MonthAfterQuarterTasks(day)` — that day of the month after the one in which the quarter's
  tasks are complete (威海 第二十八条 "每季度随机抽查任务完成后的次月2日前");
- `MonthOfQuarter(n)` — the last day of the quarter's n-th month (南山 五（三）1 "季度内各月的完成率
  依次为30%、60%、100%", with `share`).

"…日前" is read as "on or before that day". The core knows no locality: the plugins declare
their dates; `ssj_bridge.features.statutory` finds what the store shows done.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Protocol

from ssj_bridge.model.calendar import DueDate, WorkingCalendar
from ssj_bridge.model.periods import Per, Quarter


class Duty(StrEnum):
    """What must be done by a statutory date."""

    ANNUAL_PLAN = "annual-plan"  # the annual plan filed (`plan file`)
    NEXT_QUARTER_DRAW = "next-quarter-draw"  # the quarter's routine draw run before it starts
    MATTER_DRAW = "matter-draw"  # a matter's draw of the year run (南山 入海排污口)
    MONTHLY_PROGRESS = "monthly-progress"  # a share of the quarter's checks done
    LEDGER = "ledger"  # the quarter's task ledger produced (`report ledger`)
    STATISTICS = "statistics"  # the quarter's statistics table produced (`report statistics`)
    ANNUAL_REPORT = "annual-report"  # the year's report produced (`report annual`)
    JOINT_TASKS = "joint-tasks"  # every joint task of the year complete, the share met
    JOINT_REPORT = "joint-report"  # the year's joint report produced (`report annual`)


# The duties a `report` command produces, by command.
DOCUMENTS = {"ledger": (Duty.LEDGER,), "statistics": (Duty.STATISTICS,),
             "annual": (Duty.ANNUAL_REPORT, Duty.JOINT_REPORT)}


class DueRule(Protocol):
    """When a duty of one period is due."""

    def due(self, period: str, calendar: WorkingCalendar,
            tasks_done: date | None = None) -> DueDate | None:
        """The due date for `period` (`YYYY` or `YYYYQn`); None while it cannot be known
        (it counts from the quarter's tasks, not all complete yet)."""
        ...

    def describe(self) -> str:
        """The rule in words."""
        ...


@dataclass(frozen=True)
class OnDay:
    """A day of the period's year (or of a year before or after it); day 0: the month's last."""

    month: int
    day: int
    years_after: int = 0

    def due(self, period: str, calendar: WorkingCalendar,
            tasks_done: date | None = None) -> DueDate | None:
        """The day in the period's year plus `years_after`."""
        year = _year(period) + self.years_after
        day = self.day or months.monthrange(year, self.month)[1]
        return DueDate(date(year, self.month, day))

    def describe(self) -> str:
        """`by 1月15日 of the year` …"""
        day = f"{self.day}日" if self.day else "底"
        which = {0: "of the year", 1: "of the year after", -1: "of the year before"}.get(
            self.years_after, f"{self.years_after:+d} years")
        return f"by {self.month}月{day} {which}"


@dataclass(frozen=True)
class BeforeQuarterEnds:
    """The quarter being drawn: the n-th working day before the last day of the one before."""

    working_days: int

    def due(self, period: str, calendar: WorkingCalendar,
            tasks_done: date | None = None) -> DueDate | None:
        """Counted back from the previous quarter's last day (not counted itself)."""
        return working_days_before(calendar, Quarter.parse(period).previous().end,
                                   self.working_days)

    def describe(self) -> str:
        """`…5 working days before the quarter before it ends`."""
        return f"{self.working_days} working days before the quarter before it ends"


@dataclass(frozen=True)
class AfterQuarterTasks:
    """n calendar (or working) days after the day the quarter's last task is complete."""

    days: int
    working: bool = False

    def due(self, period: str, calendar: WorkingCalendar,
            tasks_done: date | None = None) -> DueDate | None:
        """None until every task of the quarter is complete."""
        if tasks_done is None:
            return None
        return calendar.add_days(tasks_done, self.days, working=self.working)

    def describe(self) -> str:
        """`13 calendar days after the quarter's tasks are complete`."""
        unit = "working" if self.working else "calendar"
        return f"{self.days} {unit} days after the quarter's tasks are complete"


@dataclass(frozen=True)
class MonthAfterQuarterTasks:
    """That day of the month after the month in which the quarter's tasks are complete."""

    day: int

    def due(self, period: str, calendar: WorkingCalendar,
            tasks_done: date | None = None) -> DueDate | None:
        """None until every task of the quarter is complete."""
        if tasks_done is None:
            return None
        first = (tasks_done.replace(day=1) + timedelta(days=32)).replace(day=1)
        return DueDate(first.replace(day=self.day))

    def describe(self) -> str:
        """`by the 2nd of the month after the quarter's tasks are complete`."""
        return f"by day {self.day} of the month after the quarter's tasks are complete"


@dataclass(frozen=True)
class MonthOfQuarter:
    """The last day of the quarter's n-th month."""

    month: int

    def due(self, period: str, calendar: WorkingCalendar,
            tasks_done: date | None = None) -> DueDate | None:
        """The month's last day."""
        quarter = Quarter.parse(period)
        month = quarter.start.month + self.month - 1
        return DueDate(date(quarter.year, month, months.monthrange(quarter.year, month)[1]))

    def describe(self) -> str:
        """`by the end of the quarter's 1st month`."""
        return f"by the end of the quarter's month {self.month}"


@dataclass(frozen=True)
class StatutoryDate:
    """A date the locality's text fixes: what (`duty`, `title`), for which periods (`per`),
    when (`due`), under which clause and words, to whom; `reading` says how an open text is
    read ("年初"), `matter` names the matter of a matter draw, `share` the checks of a progress
    date. `key` tells apart two dates of one duty (南山's two annual documents)."""

    key: str
    duty: Duty
    title: str
    per: Per
    due: DueRule
    clause: str
    quote: str = ""
    to: str = ""
    reading: str = ""
    matter: str | None = None
    share: Fraction | None = None

    def periods(self, first: Quarter, last: Quarter) -> list[str]:
        """The periods from `first` to `last` it recurs in (`YYYYQn` or `YYYY`)."""
        if self.per is Per.YEAR:
            return [str(y) for y in range(first.year, last.year + 1)]
        found, quarter = [], first
        while quarter <= last:
            found.append(quarter.label)
            quarter = quarter.next()
        return found


def working_days_before(calendar: WorkingCalendar, day: date, count: int) -> DueDate:
    """The `count`-th working day before `day` (`day` itself not counted)."""
    current, counted, uncovered = day, 0, set()
    while counted < count:
        current -= timedelta(days=1)
        if not calendar.exact(current.year):
            uncovered.add(current.year)
        if calendar.is_working_day(current):
            counted += 1
    return DueDate(current, bool(uncovered), tuple(sorted(uncovered)))


def _year(period: str) -> int:
    return int(period[:4])
