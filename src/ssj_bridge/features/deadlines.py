"""Deadlines: publication (the policy's rule, when a task — or a quarter's tasks — is complete,
due dates, what is late) and the entry of results (entered late against the policy's rule).

policies/README.md, "Deadlines": "…之日起 N 个工作日内" — the day itself is not counted and the
result is due on the Nth working day after it. A task is complete on the latest `inspectedOn`
of its assignments once every assignment has a result, or when the platform marks it 已完成.
Publication is due 20 working days after the task is complete (企业信息公示暂行条例) unless the
policy sets another deadline (its `deadlines` of kind PUBLICATION).

A due date counted across a year that no published holiday schedule covers is provisional
(ssj_bridge.model.calendar); it is stored so (`publications.due_provisional`) and reported so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, select, update

from ssj_bridge.features.withholding import withheld_results
from ssj_bridge.model import PublicationStatus, TaskStatus, beijing_now, iso_beijing
from ssj_bridge.model.calendar import DueDate, WorkingCalendar
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.rules import CountedFrom, Deadline, DeadlineKind, Policy
from ssj_bridge.store.schema import (
    assignments,
    publications,
    result_versions,
    results,
    subjects,
    tasks,
)

if TYPE_CHECKING:
    from ssj_bridge.plugins.host import PluginHost
    from ssj_bridge.settings import Settings
    from ssj_bridge.store import Store

log = structlog.get_logger("ssj_bridge.features.deadlines")

DEFAULT_PUBLICATION = Deadline(DeadlineKind.PUBLICATION, 20, CountedFrom.TASK_COMPLETE,
                               clause="第七条", document="企业信息公示暂行条例")
DEFAULT_WITHIN = 5


def publication_deadline(policy: Policy | None) -> Deadline:
    """The policy's publication deadline, or the default of 20 working days."""
    if policy is not None:
        for deadline in policy.deadlines:
            if deadline.kind == DeadlineKind.PUBLICATION:
                return deadline
    return DEFAULT_PUBLICATION


def describe_deadline(deadline: Deadline) -> str:
    """`20 working days after the task is complete (企业信息公示暂行条例 第七条)`."""
    from ssj_bridge.i18n import _

    texts = {CountedFrom.TASK_COMPLETE: (_("{days} working days after the task is complete"),
                                         _("{days} days after the task is complete")),
             CountedFrom.QUARTER_COMPLETE: (
                 _("{days} working days after the quarter's tasks are complete"),
                 _("{days} days after the quarter's tasks are complete")),
             CountedFrom.INSPECTION: (_("{days} working days after the inspection"),
                                      _("{days} days after the inspection"))}
    working, calendar = texts[CountedFrom(deadline.counted_from)]
    text = working if deadline.working_days else calendar
    source = " ".join(part for part in (deadline.document, deadline.clause) if part)
    return text.format(days=deadline.days) + (f" ({source})" if source else "")


def results_entry_deadline(policy: Policy | None) -> Deadline | None:
    """The policy's results-entry deadline (阳城 六, 衢州 二（二）), if it sets one."""
    if policy is not None:
        for deadline in policy.deadlines:
            if deadline.kind == DeadlineKind.RESULTS_ENTRY:
                return deadline
    return None


@dataclass(frozen=True)
class DeadlineRules:
    """The calendar, the publication deadline and the results-entry deadline in force."""

    calendar: WorkingCalendar
    deadline: Deadline = DEFAULT_PUBLICATION
    policy: str | None = None
    results_entry: Deadline | None = None

    @classmethod
    def default(cls) -> DeadlineRules:
        """The default deadline on the bundled holiday file."""
        return cls(WorkingCalendar.load(None))

    @classmethod
    def from_settings(cls, settings: Settings, host: PluginHost | None) -> DeadlineRules:
        """SSJ_HOLIDAYS_FILE and the publication deadline of SSJ_POLICY.

        A policy that is not installed leaves the default deadline, with a warning: the
        deadline is reported, not silently changed.
        """
        calendar = WorkingCalendar.load(settings.holidays_file)
        if not settings.policy or host is None:
            return cls(calendar)
        spec = host.policies.get(settings.policy)
        if spec is None:
            log.warning("policy not installed; publication deadlines use the default",
                        policy=settings.policy, deadline=describe_deadline(DEFAULT_PUBLICATION))
            return cls(calendar)
        try:
            policy = spec.factory()
        except Exception as exc:
            log.warning("policy failed to load; publication deadlines use the default",
                        policy=settings.policy, error=f"{type(exc).__name__}: {exc}")
            return cls(calendar)
        return cls(calendar, publication_deadline(policy), settings.policy,
                   results_entry_deadline(policy))

    def due(self, completed_on: date | None, inspected_on: date) -> DueDate | None:
        """When a result of a task completed on `completed_on` is due (None: not yet counting).

        For a deadline counted from the quarter's completion, `completed_on` is the day the
        last task of the quarter was complete.
        """
        start = (inspected_on if self.deadline.counted_from == CountedFrom.INSPECTION
                 else completed_on)
        if start is None:
            return None
        return self.calendar.add_days(start, self.deadline.days,
                                      working=self.deadline.working_days)

    def describe(self) -> str:
        """The rule in words (report headers)."""
        return describe_deadline(self.deadline)


# -- task completion ----------------------------------------------------------------------------


def task_completions(conn: Connection, task_ids: Iterable[str]) -> dict[str, date | None]:
    """The day each task was complete, or None while a drawn subject has no result yet.

    Once every assignment has a result, the day is the latest `inspectedOn` of them; a task
    the platform marks 已完成 before that is complete on its recorded `completed_on` (else the
    latest `inspectedOn`, else the day of its update). A task the store does not hold (its
    results came alone) counts as complete on the latest `inspectedOn` known: a deadline
    counted from it can only be early, never late.
    """
    wanted = sorted(set(task_ids))
    found: dict[str, date | None] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start:start + 900]
        inspected: dict[str, dict[str, date]] = {}
        for row in conn.execute(select(results.c.task_id, results.c.uscc,
                                       results.c.inspected_on).where(results.c.task_id.in_(chunk))):
            inspected.setdefault(row.task_id, {})[row.uscc] = row.inspected_on
        drawn: dict[str, set[str]] = {}
        for member in conn.execute(select(assignments.c.task_id, assignments.c.uscc).where(
                assignments.c.task_id.in_(chunk))):
            drawn.setdefault(member.task_id, set()).add(member.uscc)
        known = {row.task_id: row for row in conn.execute(
            select(tasks.c.task_id, tasks.c.status, tasks.c.completed_on, tasks.c.update_time)
            .where(tasks.c.task_id.in_(chunk)))}
        for task_id in chunk:
            done = inspected.get(task_id, {})
            latest = max(done.values(), default=None)
            task = known.get(task_id)
            members = drawn.get(task_id, set())
            if task is not None and members and members <= set(done):
                found[task_id] = max(done[u] for u in members)
            elif task is not None and (task.completed_on is not None
                                       or task.status == TaskStatus.COMPLETED.value):
                found[task_id] = task.completed_on or latest or _day(task.update_time)
            elif task is not None and members:
                found[task_id] = None
            else:
                found[task_id] = latest
    return found


def quarter_completions(conn: Connection, completions: Mapping[str, date | None]
                        ) -> dict[str, date | None]:
    """Each task's quarter completion: the day the last task of its quarter, drawn by the same
    authority, was complete (None while one of them is not)."""
    info = {row.task_id: (row.period, row.drawn_by) for row in conn.execute(
        select(tasks.c.task_id, tasks.c.period, tasks.c.drawn_by)
        .where(tasks.c.task_id.in_(sorted(completions))))} if completions else {}
    groups = sorted(set(info.values()))
    members: dict[tuple[str, str], list[str]] = {}
    for period, drawn_by in groups:
        members[(period, drawn_by)] = list(conn.execute(select(tasks.c.task_id).where(
            tasks.c.period == period, tasks.c.drawn_by == drawn_by)).scalars())
    every = task_completions(conn, [t for ids in members.values() for t in ids])
    done: dict[tuple[str, str], date | None] = {}
    for group, ids in members.items():
        days = [every.get(t) for t in ids]
        done[group] = None if any(d is None for d in days) else max(d for d in days if d)
    return {task_id: (done[info[task_id]] if task_id in info else day)
            for task_id, day in completions.items()}


def _day(moment: str | None) -> date | None:
    return date.fromisoformat(moment[:10]) if moment else None


# -- stored due dates ---------------------------------------------------------------------------


def refresh_due_dates(conn: Connection, rules: DeadlineRules,
                      task_ids: Iterable[str] | None = None) -> int:
    """Recompute completion and due date of the publications (of `task_ids`, or all).

    Run when a result is recorded, before each relay and each report, so a task completed on
    the platform, a new policy deadline or a holiday file that now covers a year shows at once.
    Returns the number of rows changed.
    """
    stmt = select(publications.c.task_id, publications.c.uscc, publications.c.inspected_on,
                  publications.c.completed_on, publications.c.due,
                  publications.c.due_provisional).where(
        publications.c.status != PublicationStatus.WITHHELD.value)  # never due
    if task_ids is not None:
        wanted = sorted(set(task_ids))
        rows = [row for start in range(0, len(wanted), 900) for row in conn.execute(
            stmt.where(publications.c.task_id.in_(wanted[start:start + 900])))]
    else:
        rows = list(conn.execute(stmt))
    completions = task_completions(conn, [row.task_id for row in rows])
    if rules.deadline.counted_from == CountedFrom.QUARTER_COMPLETE:
        completions = quarter_completions(conn, completions)
    now = iso_beijing(beijing_now())
    changed = 0
    for row in rows:
        completed_on = completions.get(row.task_id)
        due = rules.due(completed_on, row.inspected_on)
        values = {"completed_on": completed_on, "due": due.due if due else None,
                  "due_provisional": bool(due and due.provisional)}
        if (row.completed_on, row.due, bool(row.due_provisional)) == tuple(values.values()):
            continue
        conn.execute(update(publications).where(
            publications.c.task_id == row.task_id, publications.c.uscc == row.uscc).values(
            **values, updated_at=now))
        changed += 1
    return changed


# -- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineItem:
    """One publication in the deadline report."""

    task_id: str
    uscc: str
    name: str | None
    period: str
    inspected_on: date
    completed_on: date | None
    due: date | None  # None: published before its task was complete
    provisional: bool
    status: str
    published_on: date | None
    error_code: str | None
    error_message: str | None
    working_days: int  # late by (overdue, published late) or left (due within)

    def as_json(self, days_field: str) -> dict[str, Any]:
        """camelCase, dates ISO."""
        return {"taskId": self.task_id, "uscc": self.uscc, "name": self.name,
                "inspectedOn": self.inspected_on.isoformat(),
                "completedOn": _iso(self.completed_on), "due": _iso(self.due),
                "dueProvisional": self.provisional, "status": self.status,
                "publishedOn": _iso(self.published_on), "errorCode": self.error_code,
                "errorMessage": self.error_message, days_field: self.working_days}


@dataclass
class DeadlineReport:
    """Publications overdue, due within N working days, and published late, per period."""

    today: date
    within: int
    within_until: date
    rules: DeadlineRules
    overdue: list[DeadlineItem] = field(default_factory=list)
    due_soon: list[DeadlineItem] = field(default_factory=list)
    published_late: list[DeadlineItem] = field(default_factory=list)
    # Listed only when asked for (`--all`); otherwise counted.
    on_time: list[DeadlineItem] = field(default_factory=list)
    total: int = 0
    published: int = 0
    published_on_time: int = 0
    awaiting_completion: int = 0
    provisional: int = 0
    provisional_years: list[int] = field(default_factory=list)
    listing_on_time: bool = False
    # Kept out of publication on purpose (`results withhold`): never due, never overdue.
    withheld: list[DeadlineItem] = field(default_factory=list)
    withheld_why: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # Results entered after the policy's results-entry deadline, and how many were in time.
    entered_late: list[EntryItem] = field(default_factory=list)
    entered_in_time: int = 0

    def periods(self) -> list[str]:
        """Every period with something listed, in order."""
        return sorted({i.period for i in (*self.overdue, *self.due_soon, *self.published_late,
                                          *self.on_time)})

    def in_period(self, period: str) -> dict[str, list[DeadlineItem]]:
        """The lists of one period (`publishedOnTime` only when on-time items are listed)."""
        lists = {"overdue": self.overdue, "dueWithin": self.due_soon,
                 "publishedLate": self.published_late}
        if self.listing_on_time:
            lists["publishedOnTime"] = self.on_time
        return {kind: [i for i in items if i.period == period] for kind, items in lists.items()}

    def as_json(self) -> dict[str, Any]:
        """The shape of `report deadlines --json`."""
        days_field = {"overdue": "workingDaysLate", "dueWithin": "workingDaysLeft",
                      "publishedLate": "workingDaysLate", "publishedOnTime": "workingDaysEarly"}
        deadline = self.rules.deadline
        return {
            "today": self.today.isoformat(), "within": self.within,
            "withinUntil": self.within_until.isoformat(),
            "rule": {"policy": self.rules.policy, "days": deadline.days,
                     "workingDays": deadline.working_days,
                     "countedFrom": deadline.counted_from.value, "clause": deadline.clause,
                     "document": deadline.document, "text": self.rules.describe()},
            "calendar": self.rules.calendar.describe(),
            "provisionalYears": self.provisional_years,
            "summary": {"publications": self.total, "published": self.published,
                        "publishedOnTime": self.published_on_time,
                        "publishedLate": len(self.published_late),
                        "overdue": len(self.overdue), "dueWithin": len(self.due_soon),
                        "awaitingCompletion": self.awaiting_completion,
                        "provisional": self.provisional, "withheld": len(self.withheld)},
            "periods": [{"period": period, **{
                kind: [i.as_json(days_field[kind]) for i in items]
                for kind, items in self.in_period(period).items()}}
                for period in self.periods()],
            "resultsEntry": self.entry_json(),
            "withheld": [{"taskId": i.task_id, "uscc": i.uscc, "name": i.name,
                          "inspectedOn": i.inspected_on.isoformat(),
                          **(self.withheld_why.get((i.task_id, i.uscc)) or {})}
                         for i in self.withheld],
        }

    def entry_json(self) -> dict[str, Any] | None:
        """The results-entry deadline and the results entered after it (None without one)."""
        entry = self.rules.results_entry
        if entry is None:
            return None
        return {"rule": {"days": entry.days, "workingDays": entry.working_days,
                         "countedFrom": entry.counted_from.value, "clause": entry.clause,
                         "text": describe_deadline(entry)},
                "enteredInTime": self.entered_in_time,
                "enteredLate": [i.as_json() for i in self.entered_late]}


@dataclass(frozen=True)
class EntryItem:
    """A result entered after its results-entry deadline."""

    task_id: str
    uscc: str
    inspected_on: date
    due: date
    entered_on: date
    working_days: int

    def as_json(self) -> dict[str, Any]:
        """camelCase, dates ISO."""
        return {"taskId": self.task_id, "uscc": self.uscc,
                "inspectedOn": self.inspected_on.isoformat(), "due": self.due.isoformat(),
                "enteredOn": self.entered_on.isoformat(), "workingDaysLate": self.working_days}


def results_entry(conn: Connection, rules: DeadlineRules) -> tuple[list[EntryItem], int]:
    """Results entered after `rules.results_entry` (counted from the inspection), and how many
    were entered in time. A result is entered when the platform first recorded it (its
    `updateTime` while at version 1), else when the store first recorded it."""
    entry = rules.results_entry
    if entry is None:
        return [], 0
    first = {(r.task_id, r.uscc): r.recorded_at for r in conn.execute(
        select(result_versions.c.task_id, result_versions.c.uscc, result_versions.c.recorded_at)
        .where(result_versions.c.version == 1))}
    late: list[EntryItem] = []
    in_time = 0
    for row in conn.execute(select(results.c.task_id, results.c.uscc, results.c.inspected_on,
                                   results.c.version, results.c.update_time,
                                   results.c.recorded_at)
                            .order_by(results.c.inspected_on, results.c.task_id, results.c.uscc)):
        moment = (row.update_time if row.version == 1 and row.update_time
                  else first.get((row.task_id, row.uscc)) or row.recorded_at)
        entered = _day(moment)
        if entered is None:
            continue
        due = rules.calendar.add_days(row.inspected_on, entry.days, working=entry.working_days).due
        if entered > due:
            late.append(EntryItem(row.task_id, row.uscc, row.inspected_on, due, entered,
                                  rules.calendar.working_days_between(due, entered)))
        else:
            in_time += 1
    return late, in_time


def deadline_report(conn: Connection, rules: DeadlineRules, today: date,
                    within: int = DEFAULT_WITHIN, *, list_on_time: bool = False) -> DeadlineReport:
    """Classify every stored publication against its due date as of `today` (Beijing)."""
    calendar = rules.calendar
    until = calendar.add_working_days(today, within)
    report = DeadlineReport(today, within, until.due, rules, listing_on_time=list_on_time)
    uncovered: set[int] = set(until.uncovered_years)
    for row in _publication_rows(conn):
        report.total += 1
        published = row.status == PublicationStatus.PUBLISHED.value
        report.published += published

        def item(days: int, row: Any = row) -> DeadlineItem:
            return DeadlineItem(row.task_id, row.uscc, row.name,
                                row.period or Quarter.of(row.inspected_on).label,
                                row.inspected_on, row.completed_on, row.due,
                                bool(row.due_provisional), row.status, row.published_on,
                                row.error_code, row.error_message, days)

        if row.status == PublicationStatus.WITHHELD.value:
            report.withheld.append(item(0))
            continue

        if row.due is None:
            # Not due yet (the task is not complete): published now is published in time.
            report.awaiting_completion += not published
            if published:
                report.published_on_time += 1
                if list_on_time:
                    report.on_time.append(item(0))
            continue
        if row.due_provisional:
            report.provisional += 1
            uncovered.update(calendar.uncovered(range(
                (row.completed_on or row.inspected_on).year, row.due.year + 1)))
        if published:
            if row.published_on is not None and row.published_on > row.due:
                report.published_late.append(
                    item(calendar.working_days_between(row.due, row.published_on)))
            else:
                report.published_on_time += 1
                if list_on_time:
                    report.on_time.append(item(calendar.working_days_between(
                        row.published_on or row.due, row.due)))
        elif row.due < today:
            report.overdue.append(item(calendar.working_days_between(row.due, today)))
        elif row.due <= until.due:
            report.due_soon.append(item(calendar.working_days_between(today, row.due)))
    report.provisional_years = sorted(uncovered)
    report.entered_late, report.entered_in_time = results_entry(conn, rules)
    report.withheld_why = {key: {"reason": w.reason, "approvedBy": w.approved_by}
                           for key, w in withheld_results(conn).items()}
    return report


def _publication_rows(conn: Connection) -> Iterator[Any]:
    stmt = (select(publications, subjects.c.name, tasks.c.period)
            .select_from(publications.outerjoin(subjects, subjects.c.uscc == publications.c.uscc)
                         .outerjoin(tasks, tasks.c.task_id == publications.c.task_id))
            .order_by(publications.c.due, publications.c.task_id, publications.c.uscc))
    yield from conn.execute(stmt)


def overdue_warnings(store: Store, rules: DeadlineRules, today: date) -> int:
    """Log each overdue publication (info, for the collector) and one warning with their count
    (what a person at a terminal sees: `report deadlines` lists them); returns how many."""
    with store.engine.connect() as conn:
        report = deadline_report(conn, rules, today, 0)
    for entry in report.overdue:
        log.info("publication overdue", task_id=entry.task_id, uscc=entry.uscc,
                 due=_iso(entry.due), provisional=entry.provisional,
                 working_days_late=entry.working_days, status=entry.status,
                 error_code=entry.error_code)
    if report.overdue:
        log.warning("publications overdue", count=len(report.overdue),
                    see="ssj-bridge report deadlines")
    return len(report.overdue)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def provisional_note(years: Mapping[int, Any] | Iterable[int]) -> str:
    """The sentence reports print under provisional due dates."""
    from ssj_bridge.i18n import _

    listed = ", ".join(str(y) for y in sorted(years))
    return _("* provisional: no published holiday schedule for {years} in chinesecalendar or "
             "the holiday file (SSJ_HOLIDAYS_FILE); counted as Monday–Friday until the file "
             "covers it").format(years=listed)


def render_text(report: DeadlineReport) -> list[str]:
    """The report as lines for a terminal; provisional due dates carry `*` and a note."""
    from ssj_bridge.i18n import _, ngettext
    from ssj_bridge.model import words

    policy = _(", policy {policy}").format(policy=report.rules.policy) if report.rules.policy else ""
    lines = [_("publication deadlines on {today} — {rule}{policy}").format(
                 today=report.today, rule=report.rules.describe(), policy=policy),
             _("publications {total}: published {published} (on time {on_time}, late {late}), "
               "overdue {overdue}, due within {within} working days (until {until}) {due_soon}, "
               "awaiting task completion {awaiting}, withheld {withheld}").format(
                 total=report.total, published=report.published,
                 on_time=report.published_on_time, late=len(report.published_late),
                 overdue=len(report.overdue), within=report.within, until=report.within_until,
                 due_soon=len(report.due_soon), awaiting=report.awaiting_completion,
                 withheld=len(report.withheld))]
    headings = {"overdue": _("overdue"),
                "dueWithin": _("due within {within} working days").format(within=report.within),
                "publishedLate": _("published late"), "publishedOnTime": _("published on time")}
    for period in report.periods():
        lines += ["", words.period(period)]
        for kind, items in report.in_period(period).items():
            if not items:
                continue
            lines.append(f"  {headings[kind]} ({len(items)})")
            lines += [f"    {_line(kind, i)}" for i in items]
    if not report.periods():
        lines += ["", _("nothing overdue, due soon or published late")]
    if report.withheld:
        lines += ["", _("withheld from publication, not due ({count})").format(
            count=len(report.withheld))]
        for i in report.withheld:
            why = report.withheld_why.get((i.task_id, i.uscc)) or {}
            lines.append("  " + _("{task}  {uscc}  {name}  inspected {inspected}  {reason} "
                                  "(approved by {by})").format(
                task=i.task_id, uscc=i.uscc, name=i.name or "?", inspected=i.inspected_on,
                reason=why.get("reason", ""), by=why.get("approvedBy", "?")))
    if report.provisional_years:
        lines += ["", provisional_note(report.provisional_years)]
    entry = report.rules.results_entry
    if entry is not None:
        lines += ["", _("results entry — {rule}: {in_time} entered in time, {late} late").format(
            rule=describe_deadline(entry), in_time=report.entered_in_time,
            late=len(report.entered_late))]
        lines += ["  " + _("{task}  {uscc}  inspected {inspected}  due {due}  entered {entered}, "
                           "{days} late").format(
                      task=i.task_id, uscc=i.uscc, inspected=i.inspected_on, due=i.due,
                      entered=i.entered_on,
                      days=ngettext("{n} working day", "{n} working days", i.working_days)
                      .format(n=i.working_days))
                  for i in report.entered_late[:50]]
    return lines


def _line(kind: str, item: DeadlineItem) -> str:
    from ssj_bridge.i18n import _, ngettext

    mark = "*" if item.provisional else ""
    days = ngettext("{n} working day", "{n} working days", item.working_days).format(
        n=item.working_days)
    tail = {"overdue": _("{days} late").format(days=days),
            "dueWithin": _("{days} left").format(days=days),
            "publishedLate": _("published {date}, {days} late").format(date=item.published_on,
                                                                        days=days),
            "publishedOnTime": _("published {date}").format(date=item.published_on)}[kind]
    name = item.name or "?"
    if item.due is None:
        return _("{task}  {uscc}  {name}  inspected {inspected}  not due yet (task not complete)"
                 "  {tail}").format(task=item.task_id, uscc=item.uscc, name=name,
                                    inspected=item.inspected_on, tail=tail)
    error = f"  [{item.status} {item.error_code}]" if item.error_code and kind == "overdue" else ""
    return _("{task}  {uscc}  {name}  inspected {inspected}  due {due}{mark}  {tail}").format(
        task=item.task_id, uscc=item.uscc, name=name, inspected=item.inspected_on, due=item.due,
        mark=mark, tail=tail) + error


def report_deadlines(store: Store, rules: DeadlineRules, today: date,
                     within: int = DEFAULT_WITHIN, *, list_on_time: bool = False
                     ) -> DeadlineReport:
    """Bring the stored due dates up to date, then report (`report deadlines`)."""
    with store.engine.begin() as conn:
        refresh_due_dates(conn, rules)
        return deadline_report(conn, rules, today, within, list_on_time=list_on_time)
