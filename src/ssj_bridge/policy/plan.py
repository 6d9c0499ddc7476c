"""Obligations for a quarter: each category's population, required count, what is done, and the
quarter's share (policies/README.md, "Common rules" and "Drawing a quarter").

- population: the category's active subjects of the region as classified for the quarter; a
  subject the policy leaves out of routine draws is in none. Where a policy lets a library
  overlap the others (a separate SPECIAL library), its subjects count in each library they are in.
- required: `Obligation.required` (ceil of ratio × population or k × inspectors, at most the
  population; full coverage: the population).
- done: distinct subjects of the category with a recorded result (`inspectedOn`) in the
  obligation's period, whatever the matter and whoever drew the task.
- need this quarter: ceil(max(0, required − covered) ÷ quarters of the period left, this one
  included), covered = inspected in the period or assigned in one of its tasks still open.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect, select

from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import Category, TaskStatus
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.policy.classify import (
    ActivePolicy,
    category_members,
    classification_day,
    classify_unless_classified,
    subject_facts,
)
from ssj_bridge.policy.rules import Note, NoteKind, Obligation
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, results, tasks

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


# -- what the store says ----------------------------------------------------------------------


def certified_inspectors(store: Store, region: str | None) -> int:
    """Active, certified (non-auxiliary) inspectors of the region."""
    return sum(1 for person in inspectors(store, region) if person.certified)


def _has_table(store: Store, name: str) -> bool:
    return inspect(store.engine).has_table(name)


def inspected_subjects(store: Store, start: date, end: date) -> set[str]:
    """USCCs with a recorded result inspected in start..end (any matter, whoever drew the task).

    A store without a results table (not migrated to the tasks-and-results schema) has none:
    the empty set, so `done` is 0 until results are recorded.
    """
    if not _has_table(store, results.name):
        return set()
    stmt = select(results.c.uscc).where(results.c.inspected_on >= start,
                                        results.c.inspected_on <= end).distinct()
    with store.engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


def open_assignments(store: Store, quarters: Sequence[Quarter]) -> set[str]:
    """USCCs assigned in a task of one of `quarters` that is not complete (none without tasks)."""
    if not quarters or not (_has_table(store, tasks.name) and _has_table(store, assignments.name)):
        return set()
    stmt = (select(assignments.c.uscc)
            .join(tasks, tasks.c.task_id == assignments.c.task_id)
            .where(tasks.c.period.in_([q.label for q in quarters]),
                   tasks.c.status != TaskStatus.COMPLETED.value)
            .distinct())
    with store.engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


# -- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObligationStatus:
    """One obligation in the asked quarter: its period, population, required, done, covered."""

    obligation: Obligation
    period: str
    start: date
    end: date
    population: int
    required: int
    done: int
    covered: int
    quarters_left: int

    @property
    def need(self) -> int:
        """What the asked quarter must add for this obligation."""
        return quarter_need(self.required, self.covered, self.quarters_left)

    def as_json(self) -> dict[str, Any]:
        """`{"per", "required", "done", "rule"}` (interface.md); `rule` is the clause."""
        return {"per": self.obligation.per.value, "required": self.required, "done": self.done,
                "rule": self.obligation.clause}


@dataclass(frozen=True)
class CategoryPlan:
    """A category in the quarter: its population and its obligations."""

    category: Category
    population: int
    obligations: tuple[ObligationStatus, ...]

    @property
    def need(self) -> int:
        """The quarter's draw for the category before candidates are counted (largest need)."""
        return max((o.need for o in self.obligations), default=0)

    def k(self, candidates: int) -> int:
        """The quarter's draw size given the number of candidates ("Drawing a quarter")."""
        return quarter_k((o.need for o in self.obligations), candidates)


@dataclass(frozen=True)
class Plan:
    """The quarter's plan under a policy."""

    quarter: Quarter
    policy: str
    locality: str
    region: str | None
    inspectors: int
    categories: tuple[CategoryPlan, ...]
    notes: tuple[Note, ...]
    # The subjects each population counts (reports intersect them with what was done).
    members: Mapping[Category, set[str]] = field(default_factory=dict, repr=False,
                                                 compare=False)

    def as_json(self) -> dict[str, Any]:
        """interface.md's shape, plus the advisory notes under `notes`."""
        return {
            "period": self.quarter.label,
            "policy": self.policy,
            "inspectors": self.inspectors,
            "categories": {c.category.value: {"population": c.population,
                                              "obligations": [o.as_json() for o in c.obligations]}
                           for c in self.categories},
            "notes": [{"text": n.text, "clause": n.clause} for n in self.notes],
        }


def make_plan(store: Store, active: ActivePolicy, quarter: Quarter, *,
              region: str | None = None) -> Plan:
    """The plan of `quarter`: classifies the quarter first when nobody has yet."""
    classify_unless_classified(store, active, quarter, region=region)
    members: dict[Category, set[str]] = {c: set() for c in active.policy.categories}
    for category, who in category_members(store, active.name, quarter, region=region).items():
        members.setdefault(category, set()).update(who)
    obligations = active.policy.obligations()
    scoped = _scoped_members(store, quarter, obligations, members)
    staff = certified_inspectors(store, region)
    by_period: dict[Per, tuple[set[str], set[str]]] = {}
    for per in {o.per for o in obligations}:
        start, end = quarter.span(per)
        by_period[per] = (inspected_subjects(store, start, end),
                          open_assignments(store, quarter.quarters_of(per)))
    categories = []
    for category, who in members.items():
        lines = []
        for obligation in (o for o in obligations if o.category is category):
            start, end = quarter.span(obligation.per)
            population = scoped.get(id(obligation), who)
            inspected = by_period[obligation.per][0] & population
            assigned = by_period[obligation.per][1] & population
            lines.append(ObligationStatus(
                obligation, quarter.period_label(obligation.per), start, end, len(population),
                obligation.required(len(population), staff), len(inspected),
                len(inspected | assigned), quarter.quarters_to_end(obligation.per)))
        categories.append(CategoryPlan(category, len(who), tuple(lines)))
    notes = tuple(n for n in active.policy.notes if n.kind is NoteKind.ADVISORY)
    return Plan(quarter, active.name, active.policy.locality, region, staff, tuple(categories),
                notes, members)


def _scoped_members(store: Store, quarter: Quarter, obligations: Sequence[Obligation],
                    members: dict[Category, set[str]]) -> dict[int, set[str]]:
    """Members of obligations narrowed to part of their category (by the subjects' facts)."""
    scoped = [o for o in obligations if o.applies_to is not None]
    if not scoped:
        return {}
    everyone = set().union(*(members.get(o.category, set()) for o in scoped))
    facts = {f.uscc: f for f in subject_facts(store, classification_day(quarter), quarter,
                                              usccs=everyone)}
    narrowed: dict[int, set[str]] = {}
    for obligation in scoped:
        test = obligation.applies_to
        assert test is not None
        narrowed[id(obligation)] = {u for u in members.get(obligation.category, set())
                                    if u in facts and test(facts[u])}
    return narrowed


# -- showing it -------------------------------------------------------------------------------


def plan_table(plan: Plan) -> Table:
    """The plan as a rich table: one row per obligation, grouped by category."""
    where = f" · region {plan.region}" if plan.region else ""
    table = Table(title=f"{plan.quarter.label} · {plan.policy} ({plan.locality}){where} · "
                        f"{plan.inspectors} certified inspectors",
                  title_justify="left")
    table.add_column("category", no_wrap=True)
    table.add_column("population", justify="right")
    table.add_column("period", no_wrap=True)
    table.add_column("share", no_wrap=True)
    table.add_column("rule", ratio=1, overflow="fold")
    table.add_column("clause", no_wrap=True)
    table.add_column("required", justify="right")
    table.add_column("done", justify="right")
    table.add_column("this quarter", justify="right")
    for category in plan.categories:
        label = f"{category.category.value} {CATEGORY_NAMES[category.category]}"
        if not category.obligations:
            table.add_row(label, str(category.population), "", "", "(no obligation)", "", "", "", "")
        for index, line in enumerate(category.obligations):
            ob = line.obligation
            scope = f" of {ob.scope} ({line.population})" if ob.scope else ""
            table.add_row(label if index == 0 else "", str(category.population) if index == 0 else "",
                          f"{ob.per.value} {line.period}", f"{ob.describe_value()}{scope}", ob.rule,
                          ob.clause, str(line.required), str(line.done), str(line.need),
                          end_section=index == len(category.obligations) - 1)
    return table


def print_plan(plan: Plan, console: Console) -> None:
    """The table, then the advisory notes (which change no count)."""
    console.print(plan_table(plan))
    if plan.notes:
        console.print("advisory (no count changes):")
        for note in plan.notes:
            console.print(f"  • {note.text} ({note.clause})", markup=False)


def plan_text(plan: Plan, width: int = 140) -> str:
    """The printed plan as plain text (the demo's output)."""
    buffer = io.StringIO()
    print_plan(plan, Console(file=buffer, width=width, force_terminal=False, color_system=None))
    return buffer.getvalue()
