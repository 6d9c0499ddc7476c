"""The deadline calendar: every date the locality's policy declares (`policy.statutory`), each
period's due date, and what the store shows done — an annual plan filed (`plan file`), the
quarter drawn (draws run), a document produced (`report ledger|statistics|annual`), joint tasks
complete with their share, a share of the quarter's checks done by a month's end.

Statuses: `done` (on or before the due date), `late` (after it), `overdue` (not done, due date
passed), `due-soon` (due within the asked working days), `open` (due later), `waiting` (the due
date counts from the quarter's tasks, not all complete yet); a progress date is `met`, `short`
(its month ended below the share) or `open`. Dates counted in working days across a year no
published holiday schedule covers are provisional (ssj_bridge.model.calendar).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, inspect, select

from ssj_bridge.i18n import N_, _
from ssj_bridge.model import TaskStatus
from ssj_bridge.model.calendar import DueDate, WorkingCalendar
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.policy.joint import MET, joint_figures
from ssj_bridge.policy.rules import Policy, statutory_dates
from ssj_bridge.policy.statutory import Duty, StatutoryDate
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    assignments,
    draws,
    plan_filings,
    results,
    statutory_documents,
    tasks,
)

DONE, LATE, OVERDUE, DUE_SOON, OPEN, WAITING, SHORT = (
    "done", "late", "overdue", "due-soon", "open", "waiting", "short")

# What this module says (one place, to translate).
TEXT = {
    "filed": N_("filed {day} to {to} by {by}"),
    "drawn": N_("drawn {day}"),
    "produced": N_("produced {day}"),
    "joint": N_("{n} joint plan(s): {states}"),
    "waiting": N_("due {rule}: the quarter's tasks are not all complete"),
    "progress": N_("{done} of {total} checks of the quarter done ({rate}), target {share}"),
    "nothing": N_("nothing recorded yet"),
}


@dataclass(frozen=True)
class CalendarItem:
    """One statutory date for one period: when due, where it stands, and what shows it."""

    declared: StatutoryDate
    period: str
    due: DueDate | None
    status: str
    done_on: date | None = None
    detail: str = ""

    @property
    def open(self) -> bool:
        """Still to be done (or short)."""
        return self.status in (OVERDUE, DUE_SOON, OPEN, WAITING, SHORT)

    def as_json(self) -> dict[str, Any]:
        """camelCase, dates ISO."""
        item = self.declared
        return {"key": item.key, "duty": item.duty.value, "title": item.title,
                "period": self.period, "due": self.due.due.isoformat() if self.due else None,
                "dueProvisional": bool(self.due and self.due.provisional),
                "rule": item.due.describe(), "clause": item.clause, "to": item.to or None,
                "reading": item.reading or None, "status": self.status,
                "doneOn": self.done_on.isoformat() if self.done_on else None,
                "detail": self.detail}

    def line(self) -> str:
        """One line for a terminal."""
        from rich.cells import cell_len

        from ssj_bridge.model import words

        due = self.due.due.isoformat() + ("*" if self.due.provisional else "") if self.due else "—"
        to = f" → {self.declared.to}" if self.declared.to else ""
        state = words.status(self.status)
        state += " " * max(0, 9 - cell_len(state))
        return (f"{self.period:<7} {due:<11} {state} {self.declared.title}{to} "
                f"({self.declared.clause}): {self.detail}")


def statutory_calendar(store: Store, policy: Policy | None, calendar: WorkingCalendar,
                       today: date, *, within: int = 5, first: Quarter | None = None,
                       last: Quarter | None = None, region: str | None = None,
                       own_org: str | None = None, routine: str | None = "M01",
                       counts_toward: Callable[[str | None], str | None] | None = None
                       ) -> list[CalendarItem]:
    """Every declared date of the periods from `first` to `last` (default: the quarter before
    today's to the one after; years from the first's to the last's), by due date."""
    declared = statutory_dates(policy)
    if not declared or not inspect(store.engine).has_table(plan_filings.name):
        return []
    current = Quarter.of(today)
    first = first or current.previous()
    last = last or current.next()
    until = calendar.add_working_days(today, within).due
    counts_toward = counts_toward or (lambda code: code)
    joint_states: dict[int, list[str]] = {}
    found: list[CalendarItem] = []
    with store.engine.connect() as conn:
        for item in declared:
            for period in item.periods(first, last):
                done_on, detail, due, status = None, "", None, ""
                tasks_done = (quarter_tasks_done(conn, Quarter.parse(period), own_org)
                              if item.per is not Per.YEAR else None)
                due = item.due.due(period, calendar, tasks_done)
                if item.duty is Duty.MONTHLY_PROGRESS:
                    found.append(_progress(conn, item, period, due, today, own_org))
                    continue
                if item.duty is Duty.JOINT_TASKS:
                    year = int(period)
                    if year not in joint_states:
                        joint_states[year] = _joint_states(store, policy, today, counts_toward,
                                                           year)
                    states = joint_states[year]
                    if states and all(s == MET for s in states):
                        done_on = _last_joint_task_done(conn, year)
                    detail = (_said("joint").format(n=len(states), states=", ".join(states))
                              if states else _said("nothing"))
                else:
                    done_on, detail = _evidence(conn, item, period, region, routine)
                status = _status(due, done_on, today, until)
                if status == WAITING:
                    detail = _said("waiting").format(rule=rule_words(item.due))
                found.append(CalendarItem(item, period, due, status, done_on,
                                          detail or _said("nothing")))
    return sorted(found, key=lambda i: (i.due.due if i.due else date.max, i.period,
                                        i.declared.key))


def _status(due: DueDate | None, done_on: date | None, today: date, until: date) -> str:
    if due is None:
        return DONE if done_on is not None else WAITING
    if done_on is not None:
        return DONE if done_on <= due.due else LATE
    if due.due < today:
        return OVERDUE
    return DUE_SOON if due.due <= until else OPEN


def _evidence(conn: Connection, item: StatutoryDate, period: str, region: str | None,
              routine: str | None) -> tuple[date | None, str]:
    """When the store shows the duty done for the period, and how."""
    if item.duty is Duty.ANNUAL_PLAN:
        stmt = select(plan_filings).where(plan_filings.c.year == int(period))
        if region:
            stmt = stmt.where(plan_filings.c.region_code == region)
        row = conn.execute(stmt.order_by(plan_filings.c.filed_on, plan_filings.c.id)).first()
        if row is None:
            return None, ""
        return row.filed_on, _said("filed").format(day=row.filed_on, to=row.filed_to,
                                                  by=row.filed_by)
    if item.duty in (Duty.NEXT_QUARTER_DRAW, Duty.MATTER_DRAW):
        matter = item.matter or routine
        periods = ([period] if item.per is not Per.YEAR
                   else [Quarter(int(period), n).label for n in range(1, 5)])
        stmt = select(func.min(draws.c.revealed_at)).where(
            draws.c.period.in_(periods), draws.c.revealed_at.is_not(None))
        if matter:
            stmt = stmt.where(draws.c.matter_code == matter)
        if region:
            stmt = stmt.where(draws.c.region_code == region)
        moment = conn.execute(stmt).scalar()
        if moment is None:
            return None, ""
        day = date.fromisoformat(str(moment)[:10])
        return day, _said("drawn").format(day=day)
    stmt = select(func.min(statutory_documents.c.produced_on)).where(
        statutory_documents.c.document == item.key, statutory_documents.c.period == period)
    if region:
        stmt = stmt.where(statutory_documents.c.region_code == region)
    produced: date | None = conn.execute(stmt).scalar()
    if produced is None:
        return None, ""
    return produced, _said("produced").format(day=produced)


def quarter_tasks_done(conn: Connection, quarter: Quarter, drawn_by: str | None = None
                       ) -> date | None:
    """The day the quarter's last task was complete (of `drawn_by`, when given); None while a
    task of it is not, or when it has none."""
    stmt = select(tasks.c.status, tasks.c.completed_on).where(tasks.c.period == quarter.label)
    if drawn_by:
        stmt = stmt.where(tasks.c.drawn_by == drawn_by)
    rows = list(conn.execute(stmt))
    if not rows or any(r.status != TaskStatus.COMPLETED.value or r.completed_on is None
                       for r in rows):
        return None
    last: date = max(r.completed_on for r in rows)
    return last


def quarter_progress(conn: Connection, quarter: Quarter, by: date,
                     drawn_by: str | None = None) -> tuple[int, int]:
    """(checks done by `by`, checks drawn) of the quarter's tasks (of `drawn_by`)."""
    stmt = (select(assignments.c.task_id, assignments.c.uscc, results.c.inspected_on)
            .select_from(assignments.join(tasks, tasks.c.task_id == assignments.c.task_id)
                         .outerjoin(results, (results.c.task_id == assignments.c.task_id)
                                    & (results.c.uscc == assignments.c.uscc)))
            .where(tasks.c.period == quarter.label))
    if drawn_by:
        stmt = stmt.where(tasks.c.drawn_by == drawn_by)
    rows = list(conn.execute(stmt))
    done = sum(1 for r in rows if r.inspected_on is not None and r.inspected_on <= by)
    return done, len(rows)


def _progress(conn: Connection, item: StatutoryDate, period: str, due: DueDate | None,
              today: date, own_org: str | None) -> CalendarItem:
    assert due is not None and item.share is not None
    done, total = quarter_progress(conn, Quarter.parse(period), due.due, own_org)
    rate = done / total if total else None
    met = total > 0 and done >= item.share * total  # exact: 3 of 10 is 30 %
    status = "met" if met else (SHORT if due.due < today else OPEN)
    detail = _said("progress").format(done=done, total=total,
                                     rate=f"{rate:.0%}" if rate is not None else "–",
                                     share=f"{float(item.share):.0%}")
    return CalendarItem(item, period, due, status, None, detail)


def _joint_states(store: Store, policy: Policy | None, today: date,
                  counts_toward: Callable[[str | None], str | None], year: int) -> list[str]:
    figures = joint_figures(store, policy, today, counts_toward,
                            (date(year, 1, 1), date(year, 12, 31)))
    return [f"{f.plan.plan_id} {f.status}" if f.status != MET else MET for f in figures]


def _last_joint_task_done(conn: Connection, year: int) -> date | None:
    periods = [Quarter(year, n).label for n in range(1, 5)]
    done: date | None = conn.execute(select(func.max(tasks.c.completed_on)).where(
        tasks.c.joint_plan.is_not(None), tasks.c.period.in_(periods))).scalar()
    return done


def warnings_of(items: Sequence[CalendarItem]) -> list[str]:
    """One sentence per date overdue, short or due soon (what `sync` logs, `plan --year` says)."""
    found = []
    for item in items:
        if item.status in (OVERDUE, DUE_SOON, SHORT):
            due = item.due.due.isoformat() if item.due else "?"
            declared = item.declared
            found.append(f"{declared.title} {item.period} ({declared.clause}): {item.status}, "
                         f"due {due}" + (f" to {declared.to}" if declared.to else ""))
    return found


def record_document(conn: Connection, *, kind: str, document: str, period: str, policy: str,
                    region: str, produced_on: date, produced_at: str, files: Sequence[str],
                    content_hash: str) -> None:
    """Note that a statutory document was produced (its deadline then shows it done)."""
    import orjson

    conn.execute(statutory_documents.insert().values(
        kind=kind, document=document, period=period, policy=policy, region_code=region,
        produced_on=produced_on, produced_at=produced_at,
        files=orjson.dumps(list(files)).decode(), content_hash=content_hash))


def deployment_calendar(store: Store, policy: Policy | None, calendar: WorkingCalendar,
                        today: date, *, within: int = 5, region: str | None = None,
                        own_org: str | None = None, first: Quarter | None = None,
                        last: Quarter | None = None) -> list[CalendarItem]:
    """`statutory_calendar` with the deployment's matter list (its routine matter, and the
    matter each task counts toward)."""
    from ssj_bridge.policy.matters import effective_matters, matter_of_task, routine_matter

    if policy is None:
        return []
    matters = effective_matters(store, policy)
    routine = routine_matter(matters)
    return statutory_calendar(store, policy, calendar, today, within=within, first=first,
                              last=last, region=region, own_org=own_org,
                              routine=routine.code if routine else None,
                              counts_toward=lambda code: matter_of_task(matters, code))


def log_warnings(store: Store, policy: Policy | None, calendar: WorkingCalendar, today: date,
                 *, region: str | None = None, own_org: str | None = None,
                 within: int = 10) -> int:
    """Log a warning for each statutory date overdue, short or due within `within` working
    days (after each sync, so a cron log shows a filing deadline nearing); returns how many."""
    import structlog

    log = structlog.get_logger("ssj_bridge.features.statutory")
    said = warnings_of(deployment_calendar(store, policy, calendar, today, within=within,
                                           region=region, own_org=own_org))
    for sentence in said:
        log.warning("statutory date", what=sentence)
    return len(said)


def _said(key: str) -> str:
    """`TEXT[key]` in the language in force."""
    return _(TEXT[key])


def rule_words(rule: Any) -> str:
    """A due-date rule in the language in force (`describe()` keeps the words the annual plan
    files, so they do not change with the reader's language)."""
    from ssj_bridge.policy.statutory import (
        AfterQuarterTasks,
        BeforeQuarterEnds,
        MonthAfterQuarterTasks,
        MonthOfQuarter,
        OnDay,
    )

    if isinstance(rule, MonthAfterQuarterTasks):
        return _("by day {day} of the month after the quarter's tasks are complete").format(
            day=rule.day)
    if isinstance(rule, AfterQuarterTasks):
        return (_("{days} working days after the quarter's tasks are complete") if rule.working
                else _("{days} calendar days after the quarter's tasks are complete")).format(
            days=rule.days)
    if isinstance(rule, BeforeQuarterEnds):
        return _("{days} working days before the quarter before it ends").format(
            days=rule.working_days)
    if isinstance(rule, MonthOfQuarter):
        return _("by the end of the quarter's month {month}").format(month=rule.month)
    if isinstance(rule, OnDay) and rule.years_after in (-1, 0, 1):
        day = f"{rule.day}日" if rule.day else "底"
        return {0: _("by {month}月{day} of the year"), 1: _("by {month}月{day} of the year after"),
                -1: _("by {month}月{day} of the year before")}[rule.years_after].format(
            month=rule.month, day=day)
    return str(rule.describe())
