"""Obligations for a quarter, per matter and, where districts keep their own, per district:
each category's population, required count, what is done, and the quarter's share
(policies/README.md, "Common rules" and "Drawing a quarter").

- matters: every matter of the deployment's list (`policy.matters.effective_matters`). A
  matter of `排污单位` takes the policy's categories (and, where it `follows_policy`, the
  policy's obligations); a matter of an object library counts the objects of its kind, per
  sub-kind its rules name.
- lines: the deployment's region; and, when a city deployment draws a county-level matter
  (`strata_apply`), one line per district, each with its own population, inspectors and
  obligations — the city's line is then their sum (威海 第十四条 "各区市…本行政区域内").
- population: the category's active subjects (or valid objects) of the line's region as
  classified for the quarter; a subject the policy leaves out of routine draws is in none;
  an overlapping library (a separate SPECIAL library) counts each subject in each library.
- inspectors: active, certified, 在编在岗 (unstated counts as so) inspectors of the line's own
  region — the drawing level's staff, not the levels below it (衢州 一（四）).
- required: ceil of ratio × population or k × inspectors (at most the population), or the
  population for full coverage; for a matter's own rule the largest of its ratio, per-inspector
  number and least count.
- done: distinct subjects with a result inspected in the obligation's period, of a task that
  counts toward the matter (its own code; a task of a code not on the list counts toward the
  routine matter, as a higher level's routine task does), who are in the population or were
  drawn in the category (an inspection counts toward the category it was drawn in, whatever
  the subject became since). Where the policy says so (益阳 五（三）), only published results.
- need this quarter: ceil(max(0, required − covered) ÷ quarters of the period left, this one
  included), covered = done, or assigned in one of the period's tasks still open.
A quarter that has ended and was closed (`policy.snapshots`) is read from its snapshot:
populations, members, inspectors and required counts as they stood at the close.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect, select

from ssj_bridge.intake.joint import other_departments, stored_joint_plans
from ssj_bridge.intake.objects import library_objects
from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import Category, Inspector, PublicationStatus, TaskStatus, words
from ssj_bridge.model.matters import ALL, MatterRule, MatterSpec, strata_apply
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.policy.classify import (
    ActivePolicy,
    Weighted,
    category_members,
    classification_day,
    classify_unless_classified,
    ratio_weights_of,
    subject_facts,
)
from ssj_bridge.policy.joint import JointFigures, joint_figures
from ssj_bridge.policy.matters import effective_matters, matter_of_task
from ssj_bridge.policy.rules import (
    CATEGORY_ORDER,
    Note,
    NoteKind,
    Obligation,
    ObligationKind,
    Policy,
    RatioWeight,
    SubjectFacts,
    done_when_published,
    ratio_weights,
)
from ssj_bridge.policy.snapshots import Snapshot, load_snapshot
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    assignments,
    joint_plans,
    publications,
    results,
    tasks,
)

CATEGORY_NAMES = {Category.KEY: "重点监管对象", Category.SIMPLIFIED: "简化监管对象",
                  Category.GENERAL: "一般监管对象", Category.SPECIAL: "特殊监管对象"}


# -- the pure rules ---------------------------------------------------------------------------


def quarter_need(required: int, covered: int, quarters_left: int) -> int:
    """What this quarter must add for one obligation: ceil(max(0, required − covered) ÷ quarters left)."""
    if quarters_left < 1:
        raise ValueError(f"quarters left must be at least 1, not {quarters_left}")
    return math.ceil(max(0, required - covered) / quarters_left)


def quarter_k(needs: Iterable[int], candidates: int) -> int:
    """A category's draw size for the quarter: the largest need of its obligations, at most the
    number of candidates (0: the category is not drawn)."""
    return max(0, min(max(needs, default=0), candidates))


def category_key(category: Category | str) -> str:
    """`KEY`, `ALL`, `报告书`: a category as plan JSON and draw labels name it."""
    return category.value if isinstance(category, Category) else category


def category_name(category: Category | str) -> str:
    """The category's Chinese name (重点监管对象 …), or the sub-kind as the matter names it."""
    if isinstance(category, Category):
        return CATEGORY_NAMES[category]
    return "全部" if category == ALL else category


@dataclass(frozen=True)
class Quota:
    """An obligation as the plan counts it: one of the policy's, or a rule of a matter.

    `ratio` is set for a ratio of the whole category that the policy's ratio weights may scale
    (`weighted`: the category is weighted).
    """

    required_of: Callable[[int, int], int] = field(compare=False)
    per: Per
    rule: str
    clause: str
    share: str
    scope: str | None = None
    full_coverage: bool = False
    applies_to: Callable[[SubjectFacts], bool] | None = field(default=None, compare=False)
    ratio: Fraction | None = None
    weighted: bool = False

    def required(self, population: int, inspectors: int) -> int:
        """The least number to inspect in the period."""
        return self.required_of(population, inspectors)

    def describe_value(self) -> str:
        """`25%`, `2.5 × inspectors`, `all` …"""
        return self.share

    @classmethod
    def of_obligation(cls, obligation: Obligation,
                      weights: Sequence[RatioWeight] = ()) -> Quota:
        """A policy obligation (weighted when a ratio weight scales its category's ratio)."""
        ratio = (obligation.value if obligation.kind is ObligationKind.RATIO
                 and obligation.applies_to is None else None)
        weighted = ratio is not None and any(w.applies_to(obligation.category) for w in weights)
        return cls(obligation.required, obligation.per, obligation.rule, obligation.clause,
                   obligation.describe_value(), obligation.scope,
                   obligation.kind is ObligationKind.FULL_COVERAGE, obligation.applies_to,
                   ratio, weighted)

    @classmethod
    def of_rule(cls, rule: MatterRule, matter: MatterSpec) -> Quota:
        """A rule of a matter's own."""
        return cls(rule.required, rule.period, f"{matter.object_kind} {category_name(rule.category)}",
                   rule.basis, rule.describe(),
                   full_coverage=rule.ratio == 1)


# -- what the store says ----------------------------------------------------------------------


def drawing_level_inspectors(roster: Iterable[Inspector], region: str | None) -> int:
    """Active, certified, 在编在岗 inspectors of exactly `region` (the drawing level's staff)."""
    return sum(1 for p in roster if p.active and p.certified and p.on_establishment
               and (region is None or p.region_code == region))


def certified_inspectors(store: Store, region: str | None) -> int:
    """Active, certified, 在编在岗 inspectors of the region's own level."""
    return drawing_level_inspectors(inspectors(store), region)


def _has_table(store: Store, name: str) -> bool:
    return inspect(store.engine).has_table(name)


@dataclass(frozen=True)
class Visit:
    """A result or an open assignment: whose, when, of which matter and drawn in which category."""

    key: str
    matter: str | None
    category: str | None
    day: date | None = None
    period: str | None = None
    published: bool = False
    recorded_at: str = ""


@dataclass
class Activity:
    """The year's results and open assignments, with the matter and category of their task.

    Each (matter, period) is filtered once: a plan asks the same for every line and category.
    """

    results: list[Visit]
    open_assigned: list[Visit]
    _seen: dict[tuple[Any, ...], list[Visit]] = field(default_factory=dict, repr=False)

    def inspected(self, matter: str | None, start: date, end: date, published_only: bool
                  ) -> list[Visit]:
        """Results of the matter inspected in start..end (published ones only, when asked)."""
        key = ("inspected", matter, start, end, published_only)
        if key not in self._seen:
            self._seen[key] = [v for v in self.results if (matter is None or v.matter == matter)
                               and v.day is not None and start <= v.day <= end
                               and (v.published or not published_only)]
        return self._seen[key]

    def assigned(self, matter: str | None, periods: Iterable[str]) -> list[Visit]:
        """Open assignments of the matter in tasks of `periods`."""
        wanted = tuple(sorted(set(periods)))
        key = ("assigned", matter, wanted)
        if key not in self._seen:
            self._seen[key] = [v for v in self.open_assigned
                               if (matter is None or v.matter == matter) and v.period in wanted]
        return self._seen[key]


def year_activity(store: Store, quarter: Quarter,
                  counts_toward: Callable[[str | None], str | None]) -> Activity:
    """Results and open assignments of the quarter's year (a result whose task the store does
    not hold counts toward the routine matter); `counts_toward` maps a task's matter code."""
    if not (_has_table(store, results.name) and _has_table(store, tasks.name)):
        return Activity([], [])
    start, end = quarter.span(Per.YEAR)
    periods = [q.label for q in quarter.quarters_of(Per.YEAR)]
    with store.engine.connect() as conn:
        # A result withheld on purpose (涉及保密…, "可不予公开") is done as a published one is.
        published = {(r.task_id, r.uscc) for r in conn.execute(
            select(publications.c.task_id, publications.c.uscc).where(
                publications.c.status.in_((PublicationStatus.PUBLISHED.value,
                                           PublicationStatus.WITHHELD.value)),
                publications.c.inspected_on >= start, publications.c.inspected_on <= end))}
        found = [Visit(r.uscc, counts_toward(r.matter_code), r.category, r.inspected_on,
                       r.period, (r.task_id, r.uscc) in published, r.recorded_at or "")
                 for r in conn.execute(
                     select(results.c.task_id, results.c.uscc, results.c.inspected_on,
                            results.c.recorded_at, tasks.c.matter_code, tasks.c.category,
                            tasks.c.period)
                     .select_from(results.outerjoin(tasks, tasks.c.task_id == results.c.task_id))
                     .where(results.c.inspected_on >= start, results.c.inspected_on <= end))]
        assigned = [Visit(r.uscc, counts_toward(r.matter_code), r.category, period=r.period)
                    for r in conn.execute(
                        select(assignments.c.uscc, tasks.c.matter_code, tasks.c.category,
                               tasks.c.period)
                        .join(tasks, tasks.c.task_id == assignments.c.task_id)
                        .where(tasks.c.period.in_(periods),
                               tasks.c.status != TaskStatus.COMPLETED.value))]
    return Activity(found, assigned)


def inspected_subjects(store: Store, start: date, end: date) -> set[str]:
    """Keys with a recorded result inspected in start..end (any matter, whoever drew the task).

    A store without a results table (not migrated to the tasks-and-results schema) has none.
    """
    if not _has_table(store, results.name):
        return set()
    stmt = select(results.c.uscc).where(results.c.inspected_on >= start,
                                        results.c.inspected_on <= end).distinct()
    with store.engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightGroup:
    """The subjects of a weighted category that one ratio weight scales (`name`, `factor`), or
    the rest (factor 1, no name): how many there are, must be inspected, are covered."""

    name: str
    factor: Fraction
    rule: str
    clause: str
    population: int
    required: int
    covered: int
    members: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def need(self, quarters_left: int) -> int:
        """What the quarter must add among these subjects."""
        return quarter_need(self.required, self.covered, quarters_left)

    def as_json(self) -> dict[str, Any]:
        """`{"name", "factor", "rule", "population", "required"}`."""
        return {"name": self.name or None, "factor": _decimal_text(self.factor),
                "rule": self.clause or None, "population": self.population,
                "required": self.required}


def _decimal_text(value: Fraction) -> str:
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def weight_groups(ratio: Fraction, members: set[str], weighted: Mapping[str, Weighted],
                  covered: set[str], base_required: int) -> tuple[tuple[WeightGroup, ...], int]:
    """The weight groups of a category and its weighted required count: each weight's subjects
    at ceil(min(1, ratio × factor) × their number), the rest at ceil(ratio × theirs), and in all
    never fewer than `base_required` (the text's own "不低于" count; the rest make up the gap)."""
    by_name: dict[str, list[str]] = {}
    kinds: dict[str, Weighted] = {}
    rest = []
    for key in sorted(members):
        found = weighted.get(key)
        if found is None or found.factor == 1:
            rest.append(key)
        else:
            by_name.setdefault(found.name, []).append(key)
            kinds.setdefault(found.name, found)
    groups = []
    for name in sorted(by_name, key=lambda n: (-kinds[n].factor, n)):
        who = by_name[name]
        scaled = min(Fraction(1), ratio * kinds[name].factor)
        groups.append(WeightGroup(name, kinds[name].factor, kinds[name].rule, kinds[name].clause,
                                  len(who), min(len(who), math.ceil(scaled * len(who))),
                                  len(covered & set(who)), frozenset(who)))
    weighted_total = sum(g.required for g in groups)
    rest_required = min(len(rest), max(math.ceil(ratio * len(rest)),
                                       base_required - weighted_total))
    groups.append(WeightGroup("", Fraction(1), "", "", len(rest), rest_required,
                              len(covered & set(rest)), frozenset(rest)))
    return tuple(groups), weighted_total + rest_required


@dataclass(frozen=True)
class ObligationStatus:
    """One obligation in the asked quarter: its period, population, required, done, covered.

    `after_close`: of `done`, the results recorded after the quarter closed (corrections).
    `groups`: for a weighted ratio, each weight's subjects and the rest (`weight_groups`).
    """

    obligation: Quota
    period: str
    start: date
    end: date
    population: int
    required: int
    done: int
    covered: int
    quarters_left: int
    after_close: int = 0
    groups: tuple[WeightGroup, ...] = ()

    @property
    def need(self) -> int:
        """What the asked quarter must add for this obligation."""
        return quarter_need(self.required, self.covered, self.quarters_left)

    @property
    def weighted_groups(self) -> tuple[WeightGroup, ...]:
        """The groups a ratio weight scales (the rest left out)."""
        return tuple(g for g in self.groups if g.name)

    def as_json(self) -> dict[str, Any]:
        """`{"per", "required", "done", "rule"}` (interface.md); `rule` is the clause; a
        weighted ratio adds `weights`."""
        shown: dict[str, Any] = {"per": self.obligation.per.value, "required": self.required,
                                 "done": self.done, "rule": self.obligation.clause}
        if self.weighted_groups:
            shown["weights"] = [g.as_json() for g in self.groups]
        return shown


@dataclass(frozen=True)
class CategoryPlan:
    """A category (or object sub-kind) in the quarter: its population and its obligations."""

    category: Category | str
    population: int
    obligations: tuple[ObligationStatus, ...]
    members: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def key(self) -> str:
        """`KEY`, `ALL`, `报告书` …"""
        return category_key(self.category)

    @property
    def need(self) -> int:
        """The quarter's draw for the category before candidates are counted (largest need)."""
        return max((o.need for o in self.obligations), default=0)

    def k(self, candidates: int) -> int:
        """The quarter's draw size given the number of candidates ("Drawing a quarter")."""
        return quarter_k((o.need for o in self.obligations), candidates)

    def as_json(self) -> dict[str, Any]:
        """`{"population", "obligations"}`."""
        return {"population": self.population,
                "obligations": [o.as_json() for o in self.obligations]}


@dataclass(frozen=True)
class RegionPlan:
    """One line of a matter's plan: the deployment's region, or one of its districts."""

    region: str | None
    inspectors: int
    categories: tuple[CategoryPlan, ...]

    def category(self, key: str) -> CategoryPlan | None:
        """The category of that key, if the line has it."""
        return next((c for c in self.categories if c.key == key), None)

    def categories_json(self) -> dict[str, Any]:
        """`{CATEGORY: {"population", "obligations"}}`."""
        return {c.key: c.as_json() for c in self.categories}


@dataclass(frozen=True)
class MatterPlan:
    """A matter in the quarter: the deployment's line and, where districts keep their own
    obligations, each district's line (the deployment's line is then their sum)."""

    matter: MatterSpec
    whole: RegionPlan
    regions: tuple[RegionPlan, ...] = ()

    @property
    def lines(self) -> tuple[RegionPlan, ...]:
        """The lines a draw takes its strata from: the districts, or the whole region."""
        return self.regions or (self.whole,)

    def as_json(self) -> dict[str, Any]:
        """interface.md, "Additions (2026-12)": name, objectKind, categories, regions."""
        return {"name": self.matter.name, "objectKind": self.matter.object_kind,
                "categories": self.whole.categories_json(),
                "regions": {r.region: {"categories": r.categories_json()}
                            for r in self.regions if r.region is not None}}


@dataclass(frozen=True)
class Plan:
    """The quarter's plan under a policy: the routine matter's categories, and every matter."""

    quarter: Quarter
    policy: str
    locality: str
    region: str | None
    inspectors: int
    categories: tuple[CategoryPlan, ...]
    notes: tuple[Note, ...]
    matters: tuple[MatterPlan, ...] = ()
    closed_at: str | None = None  # the quarter's snapshot, when it is read from one
    # The joint cross-department plans running in the quarter and where they stand
    # (`policy.joint`; set by `with_joint`).
    joint: tuple[JointFigures, ...] = ()

    def matter(self, code: str) -> MatterPlan | None:
        """The plan of one matter."""
        return next((m for m in self.matters if m.matter.code == code), None)

    def as_json(self) -> dict[str, Any]:
        """interface.md's shape (top-level `categories`: M01's), `matters`, advisory `notes`."""
        return {
            "period": self.quarter.label,
            "policy": self.policy,
            "inspectors": self.inspectors,
            "categories": {c.key: c.as_json() for c in self.categories},
            "matters": {m.matter.code: m.as_json() for m in self.matters},
            "notes": [{"text": n.text, "clause": n.clause} for n in self.notes],
            **({"closedAt": self.closed_at} if self.closed_at else {}),
            **({"joint": [j.as_json() for j in self.joint]} if self.joint else {}),
        }

    def with_joint(self, store: Store, policy: Policy, today: date) -> Plan:
        """The plan with the joint plans of its quarter and where they stand."""
        codes = [m.matter for m in self.matters]
        found = joint_figures(store, policy, today, lambda code: matter_of_task(codes, code),
                              (self.quarter.start, self.quarter.end))
        return replace(self, joint=tuple(found))


def make_plan(store: Store, active: ActivePolicy, quarter: Quarter, *,
              region: str | None = None, matter: str | None = None,
              snapshot: Snapshot | bool | None = True,
              inspectors_by_region: Mapping[str, int] | None = None,
              own_org: str | None = None) -> Plan:
    """The plan of `quarter` (of one matter, when asked): classifies the quarter first when
    nobody has yet. A closed quarter is read from its snapshot (`snapshot=False`: computed
    afresh, as when the quarter is being closed); `inspectors_by_region` overrides the roster
    counts (the counts recorded while the quarter ran)."""
    frozen = (load_snapshot(store, quarter, active.name, region) if snapshot is True
              else snapshot or None)
    matters = effective_matters(store, active.policy)
    wanted = [m for m in matters if matter is None or m.code == matter]
    if matter is not None and not wanted:
        from ssj_bridge.policy.matters import find_matter

        find_matter(matters, matter)
    builder = _Builder(store, active, quarter, region, matters, frozen, inspectors_by_region,
                       own_org)
    plans = tuple(builder.matter_plan(m) for m in wanted)
    routine = next((p for p in plans if p.matter.follows_policy), None)
    top = routine.whole if routine is not None else RegionPlan(region, builder.inspectors(region),
                                                               ())
    notes = tuple(n for n in active.policy.notes if n.kind is NoteKind.ADVISORY)
    return Plan(quarter, active.name, active.policy.locality, region, top.inspectors,
                top.categories, notes, plans, frozen.closed_at if frozen else None)


class _Builder:
    """Gathers what every matter's plan reads once, then builds each matter's lines."""

    def __init__(self, store: Store, active: ActivePolicy, quarter: Quarter, region: str | None,
                 matters: Sequence[MatterSpec], frozen: Snapshot | None,
                 inspectors_by_region: Mapping[str, int] | None,
                 own_org: str | None = None) -> None:
        self.store, self.active, self.quarter, self.region = store, active, quarter, region
        self.matters = matters
        self.frozen = frozen
        self.counts = dict(inspectors_by_region or {})
        # Other departments' people (joint plans) are never the drawing level's inspectors.
        others: frozenset[str] = frozenset()
        if _has_table(store, joint_plans.name):
            with store.engine.connect() as conn:
                others = other_departments(stored_joint_plans(conn), own_org)
        self.roster = [p for p in inspectors(store) if (p.org_code or "").upper() not in others]
        self.published_only = bool(done_when_published(active.policy))
        self.activity = year_activity(store, quarter, lambda code: matter_of_task(matters, code))
        self._sources: dict[Category | str, dict[str, str]] | None = None
        self.weights = ratio_weights(active.policy)
        self._weighted: dict[str, Weighted] | None = None

    def weighted(self) -> dict[str, Weighted]:
        """The quarter's subjects a ratio weight applies to (read once)."""
        if self._weighted is None:
            self._weighted = (ratio_weights_of(self.store, self.active.name, self.quarter)
                              if self.weights else {})
        return self._weighted

    # -- inputs -------------------------------------------------------------------------------

    def inspectors(self, region: str | None) -> int:
        """The line region's drawing-level inspectors (recorded counts win)."""
        if region is not None and region in self.counts:
            return self.counts[region]
        return drawing_level_inspectors(self.roster, region)

    def sources(self) -> dict[Category | str, dict[str, str]]:
        """Pollution sources of the region per library: USCC → its region code."""
        if self._sources is None:
            self._sources = self._classified_members()
        return self._sources

    def _classified_members(self) -> dict[Category | str, dict[str, str]]:
        classify_unless_classified(self.store, self.active, self.quarter, region=self.region)
        members: dict[Category | str, dict[str, str]] = {
            c: {} for c in self.active.policy.categories}
        members[ALL] = {}
        for category, who in category_members(self.store, self.active.name, self.quarter,
                                              region=self.region).items():
            members.setdefault(category, {}).update(who)
            members[ALL].update(who)
        return members

    def objects(self, kind: str, category: str) -> dict[str, str]:
        """Keys of the kind's objects valid in the quarter, of the sub-kind: key → region."""
        with self.store.engine.connect() as conn:
            found = library_objects(conn, kind, self.region)
        return {o.key: o.region_code for o in found
                if o.valid_during(self.quarter.start, self.quarter.end)
                and (category == ALL or o.subkind == category)}

    # -- building -----------------------------------------------------------------------------

    def matter_plan(self, matter: MatterSpec) -> MatterPlan:
        """The matter's lines (module docstring)."""
        categories = self._categories(matter)
        districts = sorted({place for _, (who, _) in categories.items() for place in who.values()})
        # Units registered at the city itself are a stratum of their own — unless they are all.
        if strata_apply(matter, self.region) and districts and districts != [self.region]:
            lines = tuple(self._line(matter, categories, district) for district in districts)
            return MatterPlan(matter, _sum_lines(self.region, lines), lines)
        return MatterPlan(matter, self._line(matter, categories, None))

    def _categories(self, matter: MatterSpec
                    ) -> dict[Category | str, tuple[dict[str, str], list[Quota]]]:
        """Each category of the matter: its members (key → region) and its quotas."""
        found: dict[Category | str, tuple[dict[str, str], list[Quota]]] = {}
        if matter.pollution_sources:
            sources = self.sources()
            if matter.follows_policy:
                for category in self.active.policy.categories:
                    found[category] = (sources.get(category, {}), [
                        Quota.of_obligation(o, self.weights)
                        for o in self.active.policy.obligations() if o.category is category])
            for rule in matter.rules:
                if rule.follows_policy:
                    continue
                named: Category | str = Category(rule.category) if rule.category != ALL else ALL
                _, quotas = found.setdefault(named, (sources.get(named, {}), []))
                if rule.has_quota:
                    quotas.append(Quota.of_rule(rule, matter))
        else:
            for key in matter.categories:
                found[key] = (self.objects(matter.object_kind, key),
                              [Quota.of_rule(r, matter) for r in matter.rules_of(key)
                               if r.has_quota])
        policy_first = [c for c in CATEGORY_ORDER if c in found]
        return {c: found[c] for c in [*policy_first, *(c for c in found if c not in policy_first)]}

    def _line(self, matter: MatterSpec,
              categories: Mapping[Category | str, tuple[dict[str, str], list[Quota]]],
              district: str | None) -> RegionPlan:
        where = district or self.region
        staff = self.inspectors(where)
        lines = []
        # Drawn in a category, whatever it became since: counted where it lies.
        sources_here = ({k for k, place in self.sources().get(ALL, {}).items()
                         if district is None or place == district}
                        if matter.pollution_sources else set())
        for category, (members, quotas) in categories.items():
            who = {k for k, place in members.items()
                   if district is None or place == district}
            frozen = self._frozen(matter, where, category)
            if frozen is not None:
                who = set(frozen["members"])
                staff = int(frozen.get("inspectors", staff))
            drawn_here = sources_here if matter.pollution_sources else who
            statuses = tuple(self._status(matter, category, quota, index, who, staff, frozen,
                                          drawn_here)
                             for index, quota in enumerate(quotas))
            population = len(who)
            lines.append(CategoryPlan(category, population, statuses, frozenset(who)))
        return RegionPlan(where, staff, tuple(lines))

    def _frozen(self, matter: MatterSpec, region: str | None,
                category: Category | str) -> dict[str, Any] | None:
        if self.frozen is None:
            return None
        return self.frozen.line(matter.code, region, category_key(category))

    def _status(self, matter: MatterSpec, category: Category | str, quota: Quota, index: int,
                who: set[str], staff: int, frozen: Mapping[str, Any] | None,
                drawn_here: set[str]) -> ObligationStatus:
        quarter = self.quarter
        start, end = quarter.span(quota.per)
        population = who
        if quota.applies_to is not None:
            population = self._scoped(quota, who)
        key = category_key(category)

        def counts(visit: Visit) -> bool:
            return visit.key in population or (visit.category == key and quota.applies_to is None
                                               and visit.key in drawn_here)

        results = self.activity.inspected(matter.code, start, end, self.published_only)
        done_keys = {v.key for v in results if counts(v)}
        open_keys = {v.key for v in self.activity.assigned(
            matter.code, [q.label for q in quarter.quarters_of(quota.per)]) if counts(v)}
        required = quota.required(len(population), staff)
        groups: tuple[WeightGroup, ...] = ()
        if quota.weighted and quota.ratio is not None and frozen is None:
            groups, required = weight_groups(quota.ratio, population, self.weighted(),
                                             done_keys | open_keys, required)
            if not any(g.name for g in groups):
                groups = ()
        after = 0
        if frozen is not None:
            kept = frozen.get("required") or []
            required = int(kept[index]) if index < len(kept) else required
            closed_at = self.frozen.closed_at if self.frozen else None
            if closed_at:
                before = {v.key for v in results if v.recorded_at <= closed_at}
                after = len(done_keys - before)
        return ObligationStatus(quota, quarter.period_label(quota.per), start, end,
                                len(population), required, len(done_keys),
                                len(done_keys | open_keys), quarter.quarters_to_end(quota.per),
                                after, groups)

    def _scoped(self, quota: Quota, who: set[str]) -> set[str]:
        test = quota.applies_to
        assert test is not None
        facts = {f.uscc: f for f in subject_facts(self.store, classification_day(self.quarter),
                                                  self.quarter, usccs=sorted(who))}
        return {u for u in who if u in facts and test(facts[u])}


def _sum_lines(region: str | None, lines: Sequence[RegionPlan]) -> RegionPlan:
    """The deployment's line as the sum of its districts' lines (their inspectors too)."""
    keys: dict[str, CategoryPlan] = {}
    for line in lines:
        for category in line.categories:
            keys.setdefault(category.key, category)
    summed = []
    for key, first in keys.items():
        parts = [c for line in lines if (c := line.category(key)) is not None]
        statuses = []
        for index, status in enumerate(first.obligations):
            same = [p.obligations[index] for p in parts if index < len(p.obligations)]
            statuses.append(ObligationStatus(
                status.obligation, status.period, status.start, status.end,
                sum(s.population for s in same), sum(s.required for s in same),
                sum(s.done for s in same), sum(s.covered for s in same), status.quarters_left,
                sum(s.after_close for s in same)))
        summed.append(CategoryPlan(first.category, sum(p.population for p in parts),
                                   tuple(statuses), frozenset().union(*(p.members for p in parts))))
    return RegionPlan(region, sum(line.inspectors for line in lines), tuple(summed))


# -- showing it -------------------------------------------------------------------------------


def plan_table(plan: Plan, matter: MatterPlan | None = None,
               line: RegionPlan | None = None) -> Table:
    """One line of a matter (the routine matter's deployment line by default) as a rich table:
    one row per obligation, grouped by category.

    Readable at 80 columns and when piped: the numbers never shrink (each column is at least
    as wide as its heading and its widest number), the words wrap instead of vanishing, and
    the rules' text is printed under the table (`rule_lines`), not squeezed into a column.
    """
    from ssj_bridge.i18n import _, pgettext

    shown = _shown(plan, matter, line)
    table = Table(title=_table_title(plan, matter, shown), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, expand=False, padding=(0, 1, 0, 0))
    rows: list[list[str]] = []
    for category in shown.categories:
        label = _category_label(category)
        if not category.obligations:
            rows.append([label, str(category.population), "", "", _("(no obligation)"),
                         "", "", ""])
        for index, entry in enumerate(category.obligations):
            ob = entry.obligation
            rows.append([label if index == 0 else "",
                         str(category.population) if index == 0 else "",
                         words.period(entry.period), f"{ob.describe_value()}{_scope(entry)}",
                         ob.clause, str(entry.required), str(entry.done), str(entry.need)])
    headings = [(pgettext("plan", "category"), "left"), (pgettext("plan", "subjects"), "right"),
                (pgettext("plan", "period"), "left"), (pgettext("plan", "share"), "left"),
                (pgettext("plan", "clause"), "left"),
                (pgettext("plan", "required"), "right"), (pgettext("plan", "done"), "right"),
                (pgettext("plan", "to draw"), "right")]
    for column, (heading, justify) in enumerate(headings):
        numbers = justify == "right"
        widest = max((cell_len(part) for row in rows for part in row[column].split("\n")),
                     default=0)
        table.add_column(heading, justify=justify,  # type: ignore[arg-type]
                         no_wrap=numbers, overflow="fold",
                         min_width=(max(cell_len(heading), widest) if numbers or column == 0
                                    else min(widest, 10)))
    section_ends = {i for i, row in enumerate(rows) if i + 1 == len(rows) or rows[i + 1][0]}
    for index, row in enumerate(rows):
        table.add_row(*row, end_section=index in section_ends)
    return table


def _shown(plan: Plan, matter: MatterPlan | None, line: RegionPlan | None) -> RegionPlan:
    return line or (matter.whole if matter else RegionPlan(plan.region, plan.inspectors,
                                                           plan.categories))


def _table_title(plan: Plan, matter: MatterPlan | None, shown: RegionPlan) -> str:
    from ssj_bridge.i18n import _

    where = _(" · region {region}").format(region=shown.region) if shown.region else ""
    what = f"{matter.matter.code} {matter.matter.name} · " if matter else ""
    closed = (_(" · closed {day}").format(day=plan.closed_at[:10]) if plan.closed_at else "")
    return _("{period} · {matter}{policy} ({locality}){where} · {count} certified "
             "inspectors{closed}").format(
        period=words.period(plan.quarter.label), matter=what, policy=plan.policy,
        locality=plan.locality, where=where, count=shown.inspectors, closed=closed)


def _category_label(category: CategoryPlan) -> str:
    """`重点监管对象` over `KEY`; an object sub-kind by its own name; ALL in words."""
    if category.category == ALL:
        return f"{words.category(ALL)}\n{ALL}"
    name = category_name(category.category)
    return name if name == category.key else f"{name}\n{category.key}"


def _scope(entry: ObligationStatus) -> str:
    from ssj_bridge.i18n import _

    scope = entry.obligation.scope
    text = (_(" of {scope} ({population})").format(scope=scope, population=entry.population)
            if scope else "")
    return text + "".join(_(" · {name} ×{factor}: {required} of {population}").format(
        name=g.name, factor=_decimal_text(g.factor), required=g.required, population=g.population)
        for g in entry.weighted_groups)


def plan_lines(plan: Plan, matter: MatterPlan | None = None,
               line: RegionPlan | None = None) -> list[str]:
    """The table's content as lines, for a terminal too narrow for the table."""
    from ssj_bridge.i18n import _

    shown = _shown(plan, matter, line)
    lines = [_table_title(plan, matter, shown)]
    for category in shown.categories:
        name, _sep, code = _category_label(category).partition("\n")
        for entry in category.obligations:
            lines.append(_("{name} {code} ({population}): {period} {share} ({clause}) required "
                           "{required}, done {done}, this quarter {need}").format(
                name=name, code=code or category.key, population=category.population,
                period=words.period(entry.period),
                share=f"{entry.obligation.describe_value()}{_scope(entry)}",
                clause=entry.obligation.clause, required=entry.required, done=entry.done,
                need=entry.need))
    return lines


def rule_lines(plan: Plan, matter: MatterPlan | None = None) -> list[str]:
    """Each obligation's rule in words, by category and clause (printed under the table)."""
    shown = _shown(plan, matter, None)
    return [f"  {c.key} {entry.obligation.clause}: {entry.obligation.rule}"
            for c in shown.categories for entry in c.obligations]


def print_plan(plan: Plan, console: Console) -> None:
    """Every matter's table (and its districts' tables), the rules' text of each matter, then
    the advisory notes (which change no count)."""
    from ssj_bridge.i18n import _, language

    shown: list[tuple[MatterPlan | None, list[RegionPlan | None]]] = (
        [(m, [None, *m.regions]) for m in plan.matters] or [(None, [None])])
    for matter, lines in shown:
        for line in lines:
            _print_table(plan, matter, line, console)
        rules = rule_lines(plan, matter)
        if rules:
            console.print(_("rules:"), markup=False)
            for text in rules:
                console.print(text, markup=False)
    for joint in plan.joint:
        console.print(joint.line(), markup=False)
    if plan.notes:
        console.print(_("advisory (no count changes):"), markup=False)
        for note in plan.notes:
            # In Chinese the policy's own words, where the policy quotes them.
            text = note.quote if note.quote and language() == "zh" else note.text
            console.print(f"  • {text} ({note.clause})", markup=False)


def _print_table(plan: Plan, matter: MatterPlan | None, line: RegionPlan | None,
                 console: Console) -> None:
    table = plan_table(plan, matter, line)
    # Each column's least width, its padding and the box's separator, and the box's edge.
    least = sum(column.min_width or 1 for column in table.columns) + 2 * len(table.columns) + 1
    if least <= console.width:
        console.print(table)
    else:  # narrower than the table can be: one line per obligation, wrapped by the terminal
        for text in plan_lines(plan, matter, line):
            console.print(text, markup=False)


def plan_text(plan: Plan, width: int = 140) -> str:
    """The printed plan as plain text (the demo's output)."""
    buffer = io.StringIO()
    print_plan(plan, Console(file=buffer, width=width, force_terminal=False, color_system=None))
    return buffer.getvalue()
