"""`report compliance --period YYYYQn`: the quarter's figures, gathered from the store.

What each figure means (the HTML report's footer repeats it for the reader):

- matters and lines: every matter of the deployment's list; where districts keep their own
  obligations (a city drawing county-level matters), each district's line, and the city's
  line as their sum — an obligation counts met, short or open per district;
- population, required, done: per obligation whose period contains the quarter, as `plan`
  computes them (ssj_bridge.policy.plan): a closed quarter from its snapshot, with what was
  recorded after the close told apart;
- drawn: distinct subjects of the category assigned in a task of the quarter (`tasks.period`)
  that counts toward the matter, whoever drew it and wherever it came from;
- inspected: distinct subjects of the category with a result inspected in the quarter for it;
- an obligation is `met` once done ≥ required, `short` when its period has ended without,
  `open` while it runs;
- publication rate: results inspected in the quarter that are published ÷ all of them (every
  recorded result is published, 双随机、一公开), less those withheld on purpose (`results
  withhold`, counted apart: never owed, never overdue); timeliness: those published on or before
  their due date ÷ those published (a result published before its task was complete had no
  due date yet, so it was on time);
- days to publication: working days from the task's completion to the publication;
- overdue: publications of the quarter past their due date today (ssj_bridge.features.deadlines);
- breaks: reconciliation breaks open now, by kind, and the counts of the last runs
  (`recon_runs.summary`);
- joint: each joint cross-department plan running in the quarter, its checks made jointly
  against its share and deadline (ssj_bridge.policy.joint);
- progress: where the policy sets shares of the quarter's checks to be done by each month's end
  (南山 五（三）1), the checks of the quarter's tasks inspected by then.

Settings other than the policy, the region and the authority's name never reach the report:
no URL, key or secret is read here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, select

from ssj_bridge.features.deadlines import DeadlineItem, DeadlineRules, deadline_report, refresh_due_dates
from ssj_bridge.features.statutory import quarter_progress
from ssj_bridge.model import Category, PublicationStatus, beijing_now, iso_beijing
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.model.matters import MatterSpec
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.joint import JointFigures
from ssj_bridge.policy.matters import matter_of_task
from ssj_bridge.policy.plan import (
    MatterPlan,
    Plan,
    RegionPlan,
    category_key,
    category_name,
    make_plan,
)
from ssj_bridge.policy.rules import Policy, statutory_dates
from ssj_bridge.policy.snapshots import corrections
from ssj_bridge.policy.statutory import Duty
from ssj_bridge.reconcile.diff import KINDS
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    assignments,
    breaks,
    publications,
    recon_runs,
    results,
    tasks,
)

MET, SHORT, OPEN = "met", "short", "open"
ROUTINE_LABEL = "M01"  # the routine matter's obligations are labelled by category alone
RUNS = 12  # reconciliation runs in the trend
BREAK_ROWS = 1000  # open breaks listed one by one; the export has them all


# -- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObligationFigures:
    """One obligation of a category: what the policy requires in its period and what is done."""

    category: Category | str
    per: str
    period: str
    start: date
    end: date
    rule: str
    clause: str
    share: str
    scope: str | None
    population: int
    required: int
    done: int
    status: str
    region: str | None = None
    matter: str | None = None
    category_key: str | None = None
    after_close: int = 0  # of done: results recorded after the quarter closed

    @property
    def label(self) -> str:
        """`KEY`; `M07 ALL` for another matter; `371003 KEY` for a district's line."""
        parts = [self.matter if self.matter and self.matter != ROUTINE_LABEL else "",
                 self.region or "", self.category_key or category_key(self.category)]
        return " ".join(p for p in parts if p)

    @property
    def achievement(self) -> float | None:
        """done ÷ required (None when nothing is required)."""
        return self.done / self.required if self.required else None

    def as_json(self) -> dict[str, Any]:
        """camelCase, dates ISO."""
        return {"per": self.per, "period": self.period, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "rule": self.clause, "text": self.rule,
                "share": self.share, "scope": self.scope, "population": self.population,
                "required": self.required, "done": self.done,
                "achievement": _ratio(self.achievement), "status": self.status,
                **({"doneAfterClose": self.after_close} if self.after_close else {})}


@dataclass(frozen=True)
class CategoryFigures:
    """A category in the quarter: its population, drawn and inspected subjects, obligations."""

    category: Category | str
    population: int
    drawn: int
    inspected: int
    obligations: tuple[ObligationFigures, ...]

    @property
    def name(self) -> str:
        """The category's Chinese name (重点监管对象 …), or the object sub-kind."""
        return category_name(self.category)

    @property
    def key(self) -> str:
        """`KEY`, `ALL`, `报告书` …"""
        return category_key(self.category)

    def as_json(self) -> dict[str, Any]:
        """`{"name", "population", "drawn", "inspected", "obligations"}`."""
        return {"name": self.name, "population": self.population, "drawn": self.drawn,
                "inspected": self.inspected,
                "obligations": [o.as_json() for o in self.obligations]}


@dataclass(frozen=True)
class LineFigures:
    """One line of a matter: the deployment's region, or one district with its obligations."""

    region: str | None
    inspectors: int
    categories: tuple[CategoryFigures, ...]

    def as_json(self) -> dict[str, Any]:
        """`{"inspectors", "categories"}`."""
        return {"inspectors": self.inspectors,
                "categories": {c.key: c.as_json() for c in self.categories}}


@dataclass(frozen=True)
class MatterFigures:
    """A matter in the quarter: the deployment's line and each district's line."""

    code: str
    name: str
    object_kind: str
    whole: LineFigures
    regions: tuple[LineFigures, ...]

    @property
    def obligations(self) -> list[ObligationFigures]:
        """Every obligation the matter's status turns on: the districts' where they keep their
        own (a city's sum can hide a district that falls short), else the region's."""
        lines = self.regions or (self.whole,)
        return [o for line in lines for c in line.categories for o in c.obligations]

    def as_json(self) -> dict[str, Any]:
        """Like `plan --json`'s matters: name, objectKind, categories, regions."""
        return {"name": self.name, "objectKind": self.object_kind,
                "inspectors": self.whole.inspectors,
                "categories": {c.key: c.as_json() for c in self.whole.categories},
                "regions": {r.region: r.as_json() for r in self.regions if r.region}}


@dataclass(frozen=True)
class PublicationFigures:
    """Publication of the results inspected in the quarter."""

    rule: str
    deadline_days: int
    results: int
    published: int
    on_time: int
    late: int
    pending: int
    rejected: int
    not_queued: int
    awaiting_completion: int
    days_to_publication: tuple[int, ...]
    withheld: int = 0  # kept out of publication on purpose: neither owed nor overdue

    @property
    def rate(self) -> float | None:
        """published ÷ results to publish (withheld ones are not; None when none is)."""
        owed = self.results - self.withheld
        return self.published / owed if owed else None

    @property
    def timeliness(self) -> float | None:
        """published on time ÷ published (None when nothing is published)."""
        return self.on_time / self.published if self.published else None

    def as_json(self) -> dict[str, Any]:
        """Counts, the two ratios and the distribution of days to publication."""
        spread = Counter(self.days_to_publication)
        return {"rule": self.rule, "deadlineDays": self.deadline_days, "results": self.results,
                "published": self.published, "publishedOnTime": self.on_time,
                "publishedLate": self.late, "pending": self.pending, "rejected": self.rejected,
                "notQueued": self.not_queued, "awaitingCompletion": self.awaiting_completion,
                "withheld": self.withheld,
                "rate": _ratio(self.rate), "timeliness": _ratio(self.timeliness),
                "daysToPublication": [{"workingDays": d, "count": spread[d]}
                                      for d in sorted(spread)]}


@dataclass(frozen=True)
class BreakRun:
    """One reconciliation run's break counts, summed over platforms and entities."""

    run_id: int
    run_at: str
    counts: Mapping[str, int]
    failed: tuple[str, ...]

    @property
    def total(self) -> int:
        """Breaks of every kind."""
        return sum(self.counts.values())

    def as_json(self) -> dict[str, Any]:
        """`{"runId", "runAt", "counts", "total", "failed"}`."""
        return {"runId": self.run_id, "runAt": self.run_at, "counts": dict(self.counts),
                "total": self.total, "failed": list(self.failed)}


@dataclass(frozen=True)
class OpenBreak:
    """A break open now, with its history."""

    platform: str
    entity: str
    key: str
    kind: str
    fields: Mapping[str, Any]
    first_seen: str
    last_seen: str
    runs_open: int
    repaired_at: str | None

    def as_json(self) -> dict[str, Any]:
        """As `reconcile --json` lists a break, plus lastSeen and repairedAt."""
        return {"platform": self.platform, "entity": self.entity, "key": self.key,
                "kind": self.kind, "fields": dict(self.fields), "firstSeen": self.first_seen,
                "lastSeen": self.last_seen, "runsOpen": self.runs_open,
                "repairedAt": self.repaired_at}


@dataclass(frozen=True)
class BreakFigures:
    """Breaks open now by kind and by platform and entity, the first of them, and the trend."""

    open_by_kind: Mapping[str, int]
    by_place: tuple[tuple[str, str, str, int], ...]  # (platform, entity, kind, count)
    items: tuple[OpenBreak, ...]
    runs: tuple[BreakRun, ...]  # oldest first

    @property
    def open(self) -> int:
        """Breaks open now."""
        return sum(self.open_by_kind.values())

    def as_json(self) -> dict[str, Any]:
        """`{"open", "openByKind", "byPlatform", "items", "itemsListed", "runs"}`."""
        return {"open": self.open, "openByKind": dict(self.open_by_kind),
                "byPlatform": [{"platform": p, "entity": e, "kind": k, "count": n}
                               for p, e, k, n in self.by_place],
                "items": [b.as_json() for b in self.items], "itemsListed": len(self.items),
                "runs": [r.as_json() for r in self.runs]}


@dataclass(frozen=True)
class ProgressFigures:
    """A share of the quarter's checks to be done by a day: what was, and whether it held."""

    by: date
    share: Fraction
    done: int
    checks: int
    status: str
    clause: str

    def as_json(self) -> dict[str, Any]:
        """camelCase."""
        return {"by": self.by.isoformat(), "share": float(self.share), "done": self.done,
                "checks": self.checks, "status": self.status, "rule": self.clause}

    def line(self) -> str:
        """One line for a terminal."""
        from ssj_bridge.i18n import _
        from ssj_bridge.model import words

        rate = f"{self.done / self.checks:.0%}" if self.checks else "–"
        return _("progress by {by}: {done} of {checks} checks done ({rate}), target {share} "
                 "({clause}) — {status}").format(
            by=self.by, done=self.done, checks=self.checks, rate=rate,
            share=f"{float(self.share):.0%}", clause=self.clause,
            status=words.status(self.status))


def progress_figures(conn: Connection, policy: Policy, quarter: Quarter, today: date,
                     drawn_by: str | None) -> tuple[ProgressFigures, ...]:
    """The policy's progress targets of the quarter (none when it sets none)."""
    found = []
    for item in statutory_dates(policy):
        if item.duty is not Duty.MONTHLY_PROGRESS or item.share is None:
            continue
        due = item.due.due(quarter.label, WorkingCalendar.load(None))
        assert due is not None
        done, checks = quarter_progress(conn, quarter, due.due, drawn_by)
        met = checks > 0 and done >= item.share * checks
        found.append(ProgressFigures(due.due, item.share, done, checks,
                                     MET if met else (SHORT if due.due < today else OPEN),
                                     item.clause))
    return tuple(found)


@dataclass(frozen=True)
class ComplianceReport:
    """The quarter's compliance under the policy: quotas, publication, overdue, breaks."""

    period: str
    policy: str
    locality: str
    region: str | None
    authority: str | None
    generated_at: str
    today: date
    inspectors: int
    categories: tuple[CategoryFigures, ...]
    publication: PublicationFigures
    overdue: tuple[DeadlineItem, ...]
    overdue_other_periods: int
    breaks: BreakFigures
    notes: tuple[tuple[str, str], ...]  # advisory (text, clause)
    calendar: str
    provisional_years: tuple[int, ...] = field(default=())
    matters: tuple[MatterFigures, ...] = field(default=())
    closed_at: str | None = None
    corrections: tuple[dict[str, Any], ...] = field(default=())
    joint: tuple[JointFigures, ...] = field(default=())
    # The quarter's progress targets (南山 五（三）1 30 %, 60 %, 100 % by each month's end).
    progress: tuple[ProgressFigures, ...] = field(default=())

    @property
    def obligations(self) -> list[ObligationFigures]:
        """Every obligation of every matter (per district where districts keep their own)."""
        if self.matters:
            return [o for m in self.matters for o in m.obligations]
        return [o for c in self.categories for o in c.obligations]

    def obligation_counts(self) -> dict[str, int]:
        """How many obligations are met, short, open."""
        found = Counter(o.status for o in self.obligations)
        return {status: found[status] for status in (MET, SHORT, OPEN)}

    def as_json(self) -> dict[str, Any]:
        """The shape of `report compliance --json`."""
        return {
            "period": self.period, "policy": self.policy, "locality": self.locality,
            "region": self.region, "authority": self.authority,
            "generatedAt": self.generated_at, "today": self.today.isoformat(),
            "inspectors": self.inspectors,
            "obligations": self.obligation_counts(),
            "categories": {c.key: c.as_json() for c in self.categories},
            "matters": {m.code: m.as_json() for m in self.matters},
            "closedAt": self.closed_at, "corrections": list(self.corrections),
            "joint": [j.as_json() for j in self.joint],
            "progress": [p.as_json() for p in self.progress],
            "publication": self.publication.as_json(),
            "overdue": [i.as_json("workingDaysLate") for i in self.overdue],
            "overdueOtherPeriods": self.overdue_other_periods,
            "breaks": self.breaks.as_json(),
            "notes": [{"text": t, "clause": c} for t, c in self.notes],
            "calendar": self.calendar, "provisionalYears": list(self.provisional_years),
        }


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# -- gathering --------------------------------------------------------------------------------


def compliance_report(store: Store, active: ActivePolicy, quarter: Quarter, rules: DeadlineRules,
                      *, today: date, region: str | None = None, authority: str | None = None,
                      runs: int = RUNS, break_rows: int = BREAK_ROWS,
                      own_org: str | None = None) -> ComplianceReport:
    """Gather the quarter's figures (classifies the quarter first when nobody has yet)."""
    plan = make_plan(store, active, quarter, region=region, own_org=own_org).with_joint(
        store, active.policy, today)
    matters = tuple(matter_figures(store, plan, matter, quarter, today) for matter in plan.matters)
    routine = next((m for m, p in zip(matters, plan.matters, strict=True)
                    if p.matter.follows_policy), None)
    categories = routine.whole.categories if routine is not None else ()
    with store.engine.begin() as conn:
        refresh_due_dates(conn, rules)
        deadlines = deadline_report(conn, rules, today, 0)
        publication = publication_figures(conn, rules, quarter)
        break_figures = break_figures_of(conn, runs, break_rows)
        progress = progress_figures(conn, active.policy, quarter, today, own_org)
    overdue = tuple(i for i in deadlines.overdue if i.period == quarter.label)
    return ComplianceReport(
        period=quarter.label, policy=active.name, locality=active.policy.locality, region=region,
        authority=authority, generated_at=iso_beijing(beijing_now()), today=today,
        inspectors=plan.inspectors, categories=categories, publication=publication,
        overdue=overdue, overdue_other_periods=len(deadlines.overdue) - len(overdue),
        breaks=break_figures, notes=tuple((n.text, n.clause) for n in plan.notes),
        calendar=rules.calendar.describe(),
        provisional_years=tuple(deadlines.provisional_years), matters=matters,
        closed_at=plan.closed_at, corrections=tuple(corrections(store, quarter)),
        joint=plan.joint, progress=progress)


def matter_figures(store: Store, plan: Plan, matter: MatterPlan, quarter: Quarter,
                   today: date) -> MatterFigures:
    """A matter's lines with what was drawn and inspected in the quarter for it."""
    codes = {m.matter.code: m.matter for m in plan.matters}
    spec = matter.matter
    drawn = quarter_keys(store, quarter, spec.code, tuple(codes.values()), inspected=False)
    inspected = quarter_keys(store, quarter, spec.code, tuple(codes.values()), inspected=True)

    def line(entry: RegionPlan) -> LineFigures:
        figures = []
        for category in entry.categories:
            who = category.members
            obligations = tuple(ObligationFigures(
                category=category.category, per=o.obligation.per.value, period=o.period,
                start=o.start, end=o.end, rule=o.obligation.rule, clause=o.obligation.clause,
                share=o.obligation.describe_value(), scope=o.obligation.scope,
                population=o.population, required=o.required, done=o.done,
                status=obligation_status(o.required, o.done, o.end, today),
                region=entry.region if entry in matter.regions else None,
                matter=spec.code, category_key=category.key, after_close=o.after_close)
                for o in category.obligations)
            figures.append(CategoryFigures(category.category, category.population,
                                           len(drawn & who), len(inspected & who), obligations))
        return LineFigures(entry.region, entry.inspectors, tuple(figures))

    return MatterFigures(spec.code, spec.name, spec.object_kind, line(matter.whole),
                         tuple(line(r) for r in matter.regions))


def quarter_keys(store: Store, quarter: Quarter, matter: str, matters: Sequence[MatterSpec],
                 *, inspected: bool) -> set[str]:
    """Keys drawn (assigned in a task of the quarter) or inspected in the quarter, for the
    tasks that count toward `matter`."""
    if inspected:
        stmt = (select(results.c.uscc, tasks.c.matter_code)
                .select_from(results.outerjoin(tasks, tasks.c.task_id == results.c.task_id))
                .where(results.c.inspected_on >= quarter.start,
                       results.c.inspected_on <= quarter.end))
    else:
        stmt = (select(assignments.c.uscc, tasks.c.matter_code)
                .join(tasks, tasks.c.task_id == assignments.c.task_id)
                .where(tasks.c.period == quarter.label))
    with store.engine.connect() as conn:
        return {row.uscc for row in conn.execute(stmt)
                if matter_of_task(matters, row.matter_code) == matter}


def obligation_status(required: int, done: int, end: date, today: date) -> str:
    """`met` once done ≥ required; else `short` after the period's last day, `open` before."""
    if done >= required:
        return MET
    return SHORT if end < today else OPEN


def publication_figures(conn: Connection, rules: DeadlineRules,
                        quarter: Quarter) -> PublicationFigures:
    """Publication of the results inspected in the quarter (a result nobody queued counts)."""
    stmt = (select(results.c.task_id, results.c.uscc, publications.c.status,
                   publications.c.due, publications.c.published_on,
                   publications.c.completed_on)
            .select_from(results.outerjoin(publications, and_(
                publications.c.task_id == results.c.task_id,
                publications.c.uscc == results.c.uscc)))
            .where(results.c.inspected_on >= quarter.start, results.c.inspected_on <= quarter.end))
    counts: Counter[str] = Counter()
    days: list[int] = []
    for row in conn.execute(stmt):
        counts["results"] += 1
        if row.status is None:
            counts["not_queued"] += 1
        elif row.status == PublicationStatus.PUBLISHED.value:
            counts["published"] += 1
            late = row.due is not None and row.published_on is not None and row.published_on > row.due
            counts["late" if late else "on_time"] += 1
            if row.completed_on is not None and row.published_on is not None:
                days.append(max(0, rules.calendar.working_days_between(row.completed_on,
                                                                       row.published_on)))
        else:
            counts[row.status] += 1
        if row.status not in (PublicationStatus.PUBLISHED.value,
                              PublicationStatus.WITHHELD.value) and row.due is None:
            counts["awaiting"] += 1
    return PublicationFigures(
        rule=rules.describe(), deadline_days=rules.deadline.days, results=counts["results"],
        published=counts["published"], on_time=counts["on_time"], late=counts["late"],
        pending=counts[PublicationStatus.PENDING.value],
        rejected=counts[PublicationStatus.REJECTED.value], not_queued=counts["not_queued"],
        awaiting_completion=counts["awaiting"], days_to_publication=tuple(sorted(days)),
        withheld=counts[PublicationStatus.WITHHELD.value])


def break_figures_of(conn: Connection, runs: int = RUNS,
                     limit: int = BREAK_ROWS) -> BreakFigures:
    """Breaks open now (by kind, by platform and entity, the longest-open first) and the trend."""
    still_open = breaks.c.resolved_at.is_(None)
    by_kind = {kind: 0 for kind in KINDS}
    places = []
    for row in conn.execute(
            select(breaks.c.platform, breaks.c.entity, breaks.c.kind, func.count().label("n"))
            .where(still_open).group_by(breaks.c.platform, breaks.c.entity, breaks.c.kind)
            .order_by(breaks.c.platform, breaks.c.entity, breaks.c.kind)):
        by_kind[row.kind] = by_kind.get(row.kind, 0) + int(row.n)
        places.append((row.platform, row.entity, row.kind, int(row.n)))
    items = tuple(OpenBreak(row.platform, row.entity, row.key, row.kind,
                            orjson.loads(row.fields) if row.fields else {}, row.first_seen,
                            row.last_seen, row.runs_open, row.repaired_at)
                  for row in conn.execute(
                      select(breaks).where(still_open)
                      .order_by(breaks.c.runs_open.desc(), breaks.c.platform, breaks.c.entity,
                                breaks.c.kind, breaks.c.key).limit(limit)))
    recent = list(conn.execute(select(recon_runs).where(recon_runs.c.summary.is_not(None))
                               .order_by(recon_runs.c.id.desc()).limit(runs)))
    trend = tuple(run_counts(row.id, row.run_at, orjson.loads(row.summary))
                  for row in reversed(recent))
    return BreakFigures(by_kind, tuple(places), items, trend)


def run_counts(run_id: int, run_at: str, summary: Mapping[str, Any]) -> BreakRun:
    """A run's summary (`reconcile --json`'s `summary`) as counts per kind."""
    counts = {kind: 0 for kind in KINDS}
    failed = []
    for platform, status in summary.items():
        if not isinstance(status, Mapping):
            continue
        if status.get("status") == "failed":
            failed.append(platform)
        for entity in _entities(status):
            for kind in KINDS:
                counts[kind] += int(entity.get(kind) or 0)
    return BreakRun(run_id, run_at, counts, tuple(failed))


def _entities(status: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    return (value for value in status.values() if isinstance(value, Mapping))


# -- the report as text -----------------------------------------------------------------------


def percent_text(value: float | None) -> str:
    """`87.5%`, or `–` when there is nothing to divide."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def render_text(report: ComplianceReport) -> list[str]:
    """The report as lines for a terminal (the HTML report has the tables and charts)."""
    from ssj_bridge.i18n import _, pgettext
    from ssj_bridge.model import words
    from ssj_bridge.reconcile.words import kind

    period = words.period(report.period)
    where = _(", region {region}").format(region=report.region) if report.region else ""
    counts = report.obligation_counts()
    pub = report.publication
    lines = [_("compliance {period} — policy {policy} ({locality}){where}, {inspectors} certified "
               "inspectors; as of {today}").format(
                 period=period, policy=report.policy, locality=report.locality, where=where,
                 inspectors=report.inspectors, today=report.today),
             _("obligations: {met} met, {short} short, {open} open").format(
                 met=counts[MET], short=counts[SHORT], open=counts[OPEN]), ""]
    if report.closed_at:
        lines.append(_("closed {when}: populations, inspectors and required counts as they stood "
                       "then; {count} corrections since").format(
            when=report.closed_at, count=len(report.corrections)))
    shown = report.matters or (MatterFigures("", "", "", LineFigures(report.region,
                                                                      report.inspectors,
                                                                      report.categories), ()),)
    for matter in shown:
        if matter.code:
            lines.append(_("{code} {name} ({kind})").format(code=matter.code, name=matter.name,
                                                            kind=matter.object_kind))
        for line in (matter.whole, *matter.regions):
            if line is not matter.whole:
                lines.append("  " + _("district {region} ({count} inspectors)").format(
                    region=line.region, count=line.inspectors))
            lines += _category_lines(line, "    " if line is not matter.whole else "  ", period)
        lines.append("")
    lines += [joint.line() for joint in report.joint]
    lines += [item.line() for item in report.progress]
    if report.joint or report.progress:
        lines.append("")
    lines += [_("publication ({rule}): {published} of {results} results published ({rate}), "
                "on time {on_time} ({timeliness}), late {late}, pending {pending}, refused "
                "{refused}, not queued {not_queued}").format(
        rule=pub.rule, published=pub.published, results=pub.results, rate=percent_text(pub.rate),
        on_time=pub.on_time, timeliness=percent_text(pub.timeliness), late=pub.late,
        pending=pub.pending, refused=pub.rejected, not_queued=pub.not_queued)
        + (_("; withheld from publication {count} (not owed, not overdue)").format(
            count=pub.withheld) if pub.withheld else "")]
    lines.append(_("overdue in {period}: {count}").format(period=period, count=len(report.overdue))
                 + (_(" (other periods: {count})").format(count=report.overdue_other_periods)
                    if report.overdue_other_periods else ""))
    lines += ["  " + _("{task}  {uscc}  {name}  due {due}  {days} working days late").format(
        task=i.task_id, uscc=i.uscc, name=i.name or "?", due=i.due, days=i.working_days)
        for i in report.overdue[:20]]
    kinds = (", ".join(f"{kind(k)} {n}" for k, n in report.breaks.open_by_kind.items() if n)
             or pgettext("breaks", "none"))
    lines += ["", _("breaks open: {count} ({kinds})").format(count=report.breaks.open, kinds=kinds)]
    if report.breaks.runs:
        lines.append(_("last runs: {runs}").format(runs=", ".join(
            f"{r.run_at[:16]} {r.total}" for r in report.breaks.runs)))
    return lines


def _category_lines(line: LineFigures, indent: str, period: str) -> list[str]:
    from ssj_bridge.i18n import _
    from ssj_bridge.model import words

    lines = []
    for category in line.categories:
        name = (f"{category.key} {category.name}" if category.name != category.key
                else category.key)
        lines.append(indent + _("{category}: population {population}, drawn {drawn}, "
                                "inspected {inspected} in {period}").format(
            category=name, population=category.population, drawn=category.drawn,
            inspected=category.inspected, period=period))
        for o in category.obligations:
            scope = _(" of {scope}").format(scope=o.scope) if o.scope else ""
            late = (_(" ({count} recorded after the close)").format(count=o.after_close)
                    if o.after_close else "")
            lines.append(indent + "  " + _("{per} {period} {share}{scope} ({clause}): required "
                                           "{required}, done {done}{late} — {status}").format(
                per=words.per(o.per), period=words.period(o.period), share=o.share, scope=scope,
                clause=o.clause, required=o.required, done=o.done, late=late,
                status=words.status(o.status)))
    return lines


def kinds_of(runs: Sequence[BreakRun]) -> list[str]:
    """The break kinds seen in any of `runs`, in KINDS order (chart legends)."""
    return [k for k in KINDS if any(r.counts.get(k) for r in runs)]
