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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from sqlalchemy import inspect, select

from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import Category, TaskStatus, region_within
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.policy.classify import ActivePolicy, classification_day, ensure_classified, subject_facts
from ssj_bridge.policy.rules import Note, NoteKind, Obligation
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, results, subjects, tasks

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
    stored = ensure_classified(store, active, quarter, region=region)
    with store.engine.connect() as conn:
        live = {row.uscc for row in conn.execute(select(subjects.c.uscc, subjects.c.region_code,
                                                        subjects.c.active))
                if row.active and (region is None or region_within(row.region_code, region))}
    members: dict[Category, set[str]] = {c: set() for c in active.policy.categories}
    for uscc, classification in stored.items():
        if uscc in live:
            for category in classification.categories:
                members.setdefault(category, set()).add(uscc)
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
                notes)


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
    """The plan as a rich table: one row per obligation, grouped by category.

    Readable at 80 columns and when piped: the numbers never shrink (each column is at least
    as wide as its heading and its widest number), the words wrap instead of vanishing, and
    the rules' text is printed under the table (`rule_lines`), not squeezed into a column.
    """
    from ssj_bridge.i18n import _, pgettext
    from ssj_bridge.model import words

    where = _(" · region {region}").format(region=plan.region) if plan.region else ""
    table = Table(title=_("{period} · {policy} ({locality}){where} · {count} certified inspectors")
                  .format(period=words.period(plan.quarter.label), policy=plan.policy,
                          locality=plan.locality, where=where, count=plan.inspectors),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, expand=False,
                  padding=(0, 1, 0, 0))
    rows: list[list[str]] = []
    for category in plan.categories:
        label = f"{CATEGORY_NAMES[category.category]}\n{category.category.value}"
        if not category.obligations:
            rows.append([label, str(category.population), "", "", _("(no obligation)"),
                         "", "", ""])
        for index, line in enumerate(category.obligations):
            ob = line.obligation
            scope = (_(" of {scope} ({population})").format(scope=ob.scope,
                                                              population=line.population)
                     if ob.scope else "")
            rows.append([label if index == 0 else "",
                         str(category.population) if index == 0 else "",
                         words.period(line.period), f"{ob.describe_value()}{scope}", ob.clause,
                         str(line.required), str(line.done), str(line.need)])
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


def plan_lines(plan: Plan) -> list[str]:
    """The table's content as lines, for a terminal too narrow for the table."""
    from ssj_bridge.i18n import _
    from ssj_bridge.model import words

    lines = [str(plan_table(plan).title)]
    for category in plan.categories:
        for line in category.obligations:
            lines.append(_("{name} {code} ({population}): {period} {share} ({clause}) required "
                           "{required}, done {done}, this quarter {need}").format(
                name=CATEGORY_NAMES[category.category], code=category.category.value,
                population=category.population, period=words.period(line.period),
                share=line.obligation.describe_value(), clause=line.obligation.clause,
                required=line.required, done=line.done, need=line.need))
    return lines


def rule_lines(plan: Plan) -> list[str]:
    """Each obligation's rule in words, by category and clause (printed under the table)."""
    return [f"  {c.category.value} {line.obligation.clause}: {line.obligation.rule}"
            for c in plan.categories for line in c.obligations]


def print_plan(plan: Plan, console: Console) -> None:
    """The table, the rules' text, then the advisory notes (which change no count)."""
    from ssj_bridge.i18n import _, language

    table = plan_table(plan)
    # Each column's least width, its padding and the box's separator, and the box's edge.
    least = sum(column.min_width or 1 for column in table.columns) + 2 * len(table.columns) + 1
    if least <= console.width:
        console.print(table)
    else:  # narrower than the table can be: one line per obligation, wrapped by the terminal
        for line in plan_lines(plan):
            console.print(line, markup=False)
    rules = rule_lines(plan)
    if rules:
        console.print(_("rules:"), markup=False)
        for line in rules:
            console.print(line, markup=False)
    if plan.notes:
        console.print(_("advisory (no count changes):"), markup=False)
        for note in plan.notes:
            # In Chinese the policy's own words, where the policy quotes them.
            text = note.quote if note.quote and language() == "zh" else note.text
            console.print(f"  • {text} ({note.clause})", markup=False)


def plan_text(plan: Plan, width: int = 140) -> str:
    """The printed plan as plain text (the demo's output)."""
    buffer = io.StringIO()
    print_plan(plan, Console(file=buffer, width=width, force_terminal=False, color_system=None))
    return buffer.getvalue()
