"""`plan --year YYYY`: the annual plan (年度抽查计划) per matter and quarter, and its filing.

The texts ask for it before the year (衢州 一（四） "每年12月底前…确定下一年度被抽查单位数量（家次）…
报上级环保部门备案"), or at its start (威海 第六条 "于每年1月15日前报市生态环境局", 益阳 四（一） "年初").

- basis: the plan of the year's first quarter once it has started (read from its snapshot once
  closed), else the plan of today's quarter — today's facts, library and roster, the year not
  yet begun;
- per matter, per line (the region, or each district that keeps its own obligations) and per
  category: the population, each obligation with its required count in each of its periods of
  the year (a quarter's, a half-year's, the year's), and the expected draws of each quarter:
  "Drawing a quarter" (policies/README.md) played through the year as if each quarter drew
  exactly its need — k = the largest need, each drawn subject counting toward every
  obligation of the category — and the year's 家次, their sum;
- departments: the matter's own, else the drawing authority; joint plans of the year with their
  expected joint checks (share × the expected checks of their matters in their period);
- deadlines: every statutory date of the policy due in the year (a date that counts from the
  quarter's tasks is shown at the earliest it can fall: the tasks complete on the quarter's last
  day), the quarter-by-quarter progress targets where the policy sets them, and the
  publication and results-entry rules;
- filing: the policy's filing date and every recorded filing (`plan file`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select

from ssj_bridge.errors import InputRefused
from ssj_bridge.features.deadlines import DeadlineRules, describe_deadline
from ssj_bridge.i18n import N_, _, pgettext
from ssj_bridge.intake.joint import JointPlan, share_text, stored_joint_plans
from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.model.calendar import WorkingCalendar
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.joint import plan_deadline
from ssj_bridge.policy.plan import (
    CategoryPlan,
    MatterPlan,
    RegionPlan,
    category_name,
    make_plan,
    quarter_need,
)
from ssj_bridge.policy.rules import statutory_dates
from ssj_bridge.policy.statutory import AfterQuarterTasks, Duty, MonthAfterQuarterTasks
from ssj_bridge.store import Store
from ssj_bridge.store.schema import plan_filings

# Words the plan prints (one place, to translate).
TEXT = {
    "title": "{year}年度“双随机、一公开”抽查工作计划",
    "basis_future": N_("populations, roster and library as of {day} ({period}), the year not begun"),
    "basis_started": N_("populations, roster and library of {period}"),
    "earliest": N_("at the earliest"),
    "not_filed": N_("not filed yet"),
    "filed": N_("filed {day} to {to} by {by}"),
    "no_filing_date": N_("the policy's text sets no filing date"),
}


@dataclass(frozen=True)
class QuotaYear:
    """One obligation over the year: its rule and the required count of each of its periods."""

    rule: str
    clause: str
    share: str
    per: Per
    scope: str | None
    required: dict[str, int]
    weights: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """`{"per", "share", "rule", "text", "required": {PERIOD: n}}`."""
        shown: dict[str, Any] = {"per": self.per.value, "share": self.share, "rule": self.clause,
                                 "text": self.rule, "scope": self.scope,
                                 "required": dict(self.required)}
        if self.weights:
            shown["weights"] = list(self.weights)
        return shown


@dataclass(frozen=True)
class CategoryYear:
    """A category of one line over the year: population, obligations, expected draws."""

    key: str
    name: str
    population: int
    quotas: tuple[QuotaYear, ...]
    expected: dict[str, int]

    @property
    def total(self) -> int:
        """The year's expected checks (家次)."""
        return sum(self.expected.values())

    def as_json(self) -> dict[str, Any]:
        """`{"name", "population", "obligations", "expected": {QUARTER: n}, "year"}`."""
        return {"name": self.name, "population": self.population,
                "obligations": [q.as_json() for q in self.quotas],
                "expected": dict(self.expected), "year": self.total}


@dataclass(frozen=True)
class LineYear:
    """The region, or one district keeping its own obligations."""

    region: str | None
    inspectors: int
    categories: tuple[CategoryYear, ...]

    def expected(self, quarter: str) -> int:
        """Expected checks of the quarter over the line's categories."""
        return sum(c.expected.get(quarter, 0) for c in self.categories)

    def as_json(self) -> dict[str, Any]:
        """`{"inspectors", "categories"}`."""
        return {"inspectors": self.inspectors,
                "categories": {c.key: c.as_json() for c in self.categories}}


@dataclass(frozen=True)
class MatterYear:
    """A matter over the year: its lines, departments and joint plans."""

    code: str
    name: str
    object_kind: str
    level: str
    modes: tuple[str, ...]
    departments: tuple[str, ...]
    joint_plans: tuple[str, ...]
    whole: LineYear
    regions: tuple[LineYear, ...]
    quarters: tuple[str, ...]

    @property
    def lines(self) -> tuple[LineYear, ...]:
        """The lines the expected checks add up over: the districts', or the region's."""
        return self.regions or (self.whole,)

    def expected(self, quarter: str) -> int:
        """Expected checks of the quarter."""
        return sum(line.expected(quarter) for line in self.lines)

    @property
    def total(self) -> int:
        """The year's expected checks (家次)."""
        return sum(self.expected(q) for q in self.quarters)

    def as_json(self) -> dict[str, Any]:
        """Name, object kind, level, departments, joint plans, lines, expected per quarter."""
        return {"name": self.name, "objectKind": self.object_kind, "level": self.level,
                "modes": list(self.modes), "departments": list(self.departments),
                "jointPlans": list(self.joint_plans), **self.whole.as_json(),
                "regions": {r.region: r.as_json() for r in self.regions if r.region},
                "expected": {q: self.expected(q) for q in self.quarters}, "year": self.total}


@dataclass(frozen=True)
class DateOfYear:
    """A statutory date due in the year (or, for a date counted from tasks, its earliest)."""

    key: str
    duty: str
    title: str
    period: str
    due: date | None
    earliest: bool
    provisional: bool
    rule: str
    clause: str
    to: str
    reading: str

    def as_json(self) -> dict[str, Any]:
        """camelCase, dates ISO."""
        return {"key": self.key, "duty": self.duty, "title": self.title, "period": self.period,
                "due": self.due.isoformat() if self.due else None,
                "earliest": self.earliest, "dueProvisional": self.provisional,
                "rule": self.rule, "clause": self.clause, "to": self.to or None,
                "reading": self.reading or None}


@dataclass(frozen=True)
class JointYear:
    """A joint plan of the year: its departments, matters, share, deadline, expected checks."""

    plan: JointPlan
    deadline: date
    deadline_clause: str
    expected_checks: int
    required_joint: int

    def as_json(self) -> dict[str, Any]:
        """The plan with its deadline and expected checks."""
        return {**self.plan.as_json(), "deadline": self.deadline.isoformat(),
                "deadlineRule": self.deadline_clause or None,
                "expectedChecks": self.expected_checks, "requiredJoint": self.required_joint}


@dataclass(frozen=True)
class Filing:
    """A recorded filing of the annual plan."""

    filed_on: date
    filed_to: str
    filed_by: str
    filed_at: str
    content_hash: str

    def as_json(self) -> dict[str, Any]:
        """camelCase."""
        return {"filedOn": self.filed_on.isoformat(), "filedTo": self.filed_to,
                "filedBy": self.filed_by, "filedAt": self.filed_at,
                "contentHash": self.content_hash}


@dataclass(frozen=True)
class AnnualPlan:
    """The annual plan of a year under the policy (module docstring)."""

    year: int
    policy: str
    locality: str
    region: str | None
    authority: str | None
    basis: str
    basis_text: str
    made_on: date
    inspectors: int
    matters: tuple[MatterYear, ...]
    dates: tuple[DateOfYear, ...]
    joint: tuple[JointYear, ...]
    progress: dict[str, tuple[tuple[date, str, int], ...]]
    rules: tuple[str, ...]
    filing_due: DateOfYear | None
    filings: tuple[Filing, ...] = field(default=())
    notes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def quarters(self) -> tuple[str, ...]:
        """`2027Q1` … `2027Q4`."""
        return tuple(Quarter(self.year, n).label for n in range(1, 5))

    @property
    def title(self) -> str:
        """年度计划's title."""
        return TEXT["title"].format(year=self.year)

    def expected(self, quarter: str) -> int:
        """Every matter's expected checks of the quarter."""
        return sum(m.expected(quarter) for m in self.matters)

    @property
    def total(self) -> int:
        """The year's expected checks (家次) over every matter."""
        return sum(m.total for m in self.matters)

    def dates_in(self, quarter: str) -> list[DateOfYear]:
        """The dates falling due in the quarter (a date not yet fixed: those of its period)."""
        return [d for d in self.dates
                if (d.due is not None and Quarter.of(d.due).label == quarter)
                or (d.due is None and d.period == quarter)]

    def filing_text(self) -> str:
        """Where the filing stands, in words."""
        if self.filings:
            first = self.filings[0]
            return _said("filed").format(day=first.filed_on, to=first.filed_to,
                                           by=first.filed_by)
        return _said("not_filed") if self.filing_due else _said("no_filing_date")

    def basis_words(self) -> str:
        """`basis_text` in the language in force (the plan keeps it as made)."""
        for key in ("basis_started", "basis_future"):
            template = TEXT[key]
            values = {"period": self.basis, "day": self.made_on.isoformat()}
            if self.basis_text == template.format(**values):
                return _(template).format(**values)
        return self.basis_text

    def as_json(self, *, with_filings: bool = True) -> dict[str, Any]:
        """The plan as `plan --year --json` prints it (what `plan file` keeps, without the
        filings themselves)."""
        shown: dict[str, Any] = {
            "year": self.year, "policy": self.policy, "locality": self.locality,
            "region": self.region, "authority": self.authority, "title": self.title,
            "basis": {"period": self.basis, "text": self.basis_text,
                      "madeOn": self.made_on.isoformat()},
            "inspectors": self.inspectors,
            "matters": {m.code: m.as_json() for m in self.matters},
            "quarters": {q: {"expected": self.expected(q),
                             "progress": [{"by": d.isoformat(), "share": s, "expected": n}
                                          for d, s, n in self.progress.get(q, ())],
                             "deadlines": [d.key for d in self.dates_in(q)]}
                         for q in self.quarters},
            "yearTotal": self.total,
            "deadlines": [d.as_json() for d in self.dates],
            "joint": [j.as_json() for j in self.joint],
            "rules": list(self.rules),
            "filingDue": self.filing_due.as_json() if self.filing_due else None,
            "notes": [{"text": t, "clause": c} for t, c in self.notes],
        }
        if with_filings:
            shown["filings"] = [f.as_json() for f in self.filings]
        return shown


# -- building ---------------------------------------------------------------------------------


def annual_plan(store: Store, active: ActivePolicy, year: int, rules: DeadlineRules, *,
                today: date, region: str | None = None, authority: str | None = None,
                own_org: str | None = None) -> AnnualPlan:
    """The annual plan of `year` (module docstring)."""
    if not 2000 <= year <= 2100:
        raise InputRefused(f"--year {year}: not a year of this century")
    first = Quarter(year, 1)
    started = first.start <= today
    basis = first if started else Quarter.of(today)
    plan = make_plan(store, active, basis, region=region, own_org=own_org)
    quarters = [Quarter(year, n) for n in range(1, 5)]
    with store.engine.connect() as conn:
        plans = [p for p in stored_joint_plans(conn)
                 if p.period.overlaps(date(year, 1, 1), date(year, 12, 31))]
    matters = tuple(_matter_year(m, quarters, plans, own_org or authority or "")
                    for m in plan.matters)
    calendar = rules.calendar
    dates = tuple(_dates(active, year, calendar))
    filing_due = next((d for d in dates if d.duty == Duty.ANNUAL_PLAN.value), None)
    joint = tuple(_joint_year(p, matters, active, calendar) for p in plans)
    progress = _progress(active, quarters, matters, calendar)
    rules_text = [f"publication: {describe_deadline(rules.deadline)}"]
    if rules.results_entry is not None:
        rules_text.append(f"results entry: {describe_deadline(rules.results_entry)}")
    return AnnualPlan(
        year, active.name, active.policy.locality, region, authority, basis.label,
        (TEXT["basis_started"].format(period=basis.label) if started
         else TEXT["basis_future"].format(day=today.isoformat(), period=basis.label)),
        today, plan.inspectors, matters, dates, joint, progress, tuple(rules_text), filing_due,
        tuple(filings(store, year, region)), tuple((n.text, n.clause) for n in plan.notes))


def _matter_year(matter: MatterPlan, quarters: Sequence[Quarter], plans: Sequence[JointPlan],
                 authority: str) -> MatterYear:
    spec = matter.matter
    joint = tuple(p.plan_id for p in plans if spec.code in p.matter_codes)
    departments = spec.departments or ((authority,) if authority else ())
    modes = tuple(dict.fromkeys(r.mode.value for r in spec.rules if r.mode is not None))
    whole = _line_year(matter.whole, quarters)
    regions = tuple(_line_year(r, quarters) for r in matter.regions)
    return MatterYear(spec.code, spec.name, spec.object_kind, spec.level, modes, departments,
                      joint, whole, regions, tuple(q.label for q in quarters))


def _line_year(line: RegionPlan, quarters: Sequence[Quarter]) -> LineYear:
    return LineYear(line.region, line.inspectors,
                    tuple(_category_year(c, quarters) for c in line.categories))


def _category_year(category: CategoryPlan, quarters: Sequence[Quarter]) -> CategoryYear:
    quotas = []
    for status in category.obligations:
        quota = status.obligation
        periods = dict.fromkeys(q.period_label(quota.per) for q in quarters)
        quotas.append(QuotaYear(quota.rule, quota.clause, quota.describe_value(), quota.per,
                                quota.scope, dict.fromkeys(periods, status.required),
                                tuple(g.as_json() for g in status.groups)))
    return CategoryYear(category.key, category_name(category.category), category.population,
                        tuple(quotas), expected_draws(category, quarters))


def expected_draws(category: CategoryPlan, quarters: Sequence[Quarter]) -> dict[str, int]:
    """Each quarter's draw if every quarter drew exactly its need (module docstring)."""
    covered: dict[tuple[int, str], int] = {}
    expected: dict[str, int] = {}
    for quarter in quarters:
        needs = []
        for index, status in enumerate(category.obligations):
            per = status.obligation.per
            key = (index, quarter.period_label(per))
            needs.append(quarter_need(status.required, covered.get(key, 0),
                                      quarter.quarters_to_end(per)))
        k = min(max(needs, default=0), category.population)
        expected[quarter.label] = k
        for index, status in enumerate(category.obligations):
            key = (index, quarter.period_label(status.obligation.per))
            covered[key] = covered.get(key, 0) + k
    return expected


def _dates(active: ActivePolicy, year: int, calendar: WorkingCalendar) -> list[DateOfYear]:
    found = []
    first, last = Quarter(year, 1), Quarter(year, 4)
    for item in statutory_dates(active.policy):
        if item.duty is Duty.MONTHLY_PROGRESS:
            continue  # shown as each quarter's progress targets
        for period in item.periods(first, last):
            earliest = isinstance(item.due, AfterQuarterTasks | MonthAfterQuarterTasks)
            done_on = Quarter.parse(period).end if earliest else None
            due = item.due.due(period, calendar, done_on)
            found.append(DateOfYear(item.key, item.duty.value, item.title, period,
                                    due.due if due else None, earliest,
                                    bool(due and due.provisional), item.due.describe(),
                                    item.clause, item.to, item.reading))
    return sorted(found, key=lambda d: (d.due or date.max, d.period, d.key))


def _joint_year(plan: JointPlan, matters: Sequence[MatterYear], active: ActivePolicy,
                calendar: WorkingCalendar) -> JointYear:
    quarters = {q.label for q in plan.period.quarters()}
    expected = sum(m.expected(q) for m in matters if m.code in plan.matter_codes
                   for q in m.quarters if q in quarters)
    deadline, clause = plan_deadline(plan, active.policy, calendar)
    required = max(1, math.ceil(plan.share * expected)) if expected else 0
    return JointYear(plan, deadline, clause, expected, required)


def _progress(active: ActivePolicy, quarters: Sequence[Quarter], matters: Sequence[MatterYear],
              calendar: WorkingCalendar) -> dict[str, tuple[tuple[date, str, int], ...]]:
    targets = [d for d in statutory_dates(active.policy) if d.duty is Duty.MONTHLY_PROGRESS
               and d.share is not None]
    found: dict[str, tuple[tuple[date, str, int], ...]] = {}
    for quarter in quarters:
        total = sum(m.expected(quarter.label) for m in matters)
        rows = []
        for target in targets:
            due = target.due.due(quarter.label, calendar)
            assert due is not None and target.share is not None
            rows.append((due.due, share_text(target.share), math.ceil(target.share * total)))
        if rows:
            found[quarter.label] = tuple(rows)
    return found


# -- filing -----------------------------------------------------------------------------------


def filings(store: Store, year: int, region: str | None) -> list[Filing]:
    """The recorded filings of the year's plan, first first."""
    stmt = select(plan_filings).where(plan_filings.c.year == year)
    if region:
        stmt = stmt.where(plan_filings.c.region_code == region)
    with store.engine.connect() as conn:
        rows = list(conn.execute(stmt.order_by(plan_filings.c.filed_on, plan_filings.c.id)))
    return [Filing(r.filed_on, r.filed_to, r.filed_by, r.filed_at, r.content_hash) for r in rows]


@dataclass(frozen=True)
class FilingResult:
    """A filing recorded: when, to whom, by whom, the plan's hash, and against the due date."""

    filing: Filing
    due: date | None
    late_days: int

    def text(self, year: int) -> str:
        """In words."""
        head = _("annual plan {year} filed {day} to {to} by {by} (plan SHA-256 {digest}…)").format(
            year=year, day=self.filing.filed_on, to=self.filing.filed_to, by=self.filing.filed_by,
            digest=self.filing.content_hash[:16])
        if self.due is None:
            return head + "; " + _said("no_filing_date")
        if self.late_days > 0:
            return head + _("; {days} days after its due date {due}").format(
                days=self.late_days, due=self.due)
        return head + _("; on time (due {due})").format(due=self.due)


def file_plan(store: Store, plan: AnnualPlan, *, to: str, by: str, filed_on: date,
              region: str) -> FilingResult:
    """Record that `plan` was filed with `to` by `by` on `filed_on`, keeping the plan as filed."""
    to, by = to.strip(), by.strip()
    if not to:
        raise InputRefused("--to is required: whom the plan was filed with")
    if not by:
        raise InputRefused("--by is required: who filed it")
    content = orjson.dumps(plan.as_json(with_filings=False), option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(content).hexdigest()
    now = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        conn.execute(plan_filings.insert().values(
            year=plan.year, policy=plan.policy, region_code=region, filed_to=to, filed_by=by,
            filed_on=filed_on, filed_at=now, content=content.decode(), content_hash=digest))
    due = plan.filing_due.due if plan.filing_due else None
    late = (filed_on - due).days if due else 0
    return FilingResult(Filing(filed_on, to, by, now, digest), due, late)


def expected_rows(plan: AnnualPlan) -> list[dict[str, Any]]:
    """One row per matter, line and category (the XLSX sheet and the HTML table)."""
    rows = []
    for matter in plan.matters:
        for line in (matter.whole, *matter.regions) if matter.regions else (matter.whole,):
            district = line.region if line in matter.regions else ""
            for category in line.categories:
                rules = "；".join(f"{q.share}{'（' + q.scope + '）' if q.scope else ''} "
                                 f"{q.per.value} {q.clause}" for q in category.quotas)
                rows.append({"matter": matter.code, "matterName": matter.name,
                             "objectKind": matter.object_kind, "region": district,
                             "category": category.key, "categoryName": category.name,
                             "population": category.population, "rules": rules,
                             **{q: category.expected.get(q, 0) for q in plan.quarters},
                             "year": category.total,
                             "departments": "；".join(matter.departments),
                             "modes": "；".join(matter.modes)})
    return rows


def _pad(text: str, width: int) -> str:
    """`text` cut or padded to `width` terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len, set_cell_size

    return set_cell_size(text, width) if cell_len(text) != width else text


def plan_lines(plan: AnnualPlan) -> list[str]:
    """The plan for a terminal: each matter's quarters, the deadlines, the filing."""
    head = "  ".join(q[-2:] for q in plan.quarters)
    lines = [_("{title} — policy {policy} ({locality})").format(
                 title=plan.title, policy=plan.policy, locality=plan.locality)
             + (_(", region {region}").format(region=plan.region) if plan.region else ""),
             _("basis: {basis}; {count} certified inspectors").format(
                 basis=plan.basis_words(), count=plan.inspectors),
             f"{_pad(pgettext('annual', 'matter'), 34)} {head}  {pgettext('annual', 'year')}"]
    for matter in plan.matters:
        counts = "  ".join(f"{matter.expected(q):>2}" for q in plan.quarters)
        lines.append(f"{_pad(matter.code + ' ' + matter.name, 34)} {counts}  {matter.total:>4}")
    counts = "  ".join(f"{plan.expected(q):>2}" for q in plan.quarters)
    lines.append(f"{_pad(_('all matters (家次)'), 34)} {counts}  {plan.total:>4}")
    if plan.dates:
        lines.append(_("dates:"))
        for item in plan.dates:
            when = item.due.isoformat() if item.due else "—"
            mark = f" ({_said('earliest')})" if item.earliest else ""
            lines.append(f"  {when}{mark}  {item.title} {item.period} ({item.clause})"
                         + (f" → {item.to}" if item.to else ""))
    for joint in plan.joint:
        lines.append(_("joint {plan} {name}: {required} of {expected} expected checks jointly "
                       "({share}), by {deadline}").format(
            plan=joint.plan.plan_id, name=joint.plan.name, required=joint.required_joint,
            expected=joint.expected_checks, share=share_text(joint.plan.share),
            deadline=joint.deadline))
    lines.append(_("filing: {text}").format(text=plan.filing_text()))
    return lines


def _said(key: str) -> str:
    """`TEXT[key]` in the language in force."""
    return _(TEXT[key])
