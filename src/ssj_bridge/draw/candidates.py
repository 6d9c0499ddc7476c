"""A category's candidates for a quarter's draw (policies/README.md, "Candidates").

The active subjects of the region whose primary category for the period is the category, less
- those a policy exclusion takes out (e.g. inspected this year and found clean), its exempt
  categories excepted;
- those covered in the quarter: inspected in it, or assigned in a task of it still open;
- where the category has a full-coverage obligation, those already covered in its period;
- those at the policy's yearly check limit (subjects in an exempt library, e.g. SPECIAL, never).
The result is upper case, sorted, without duplicates: the list the draw commits to.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from ssj_bridge.draw.sampler import normalise_candidates
from ssj_bridge.model import Category, TaskStatus
from ssj_bridge.model.identifiers import region_prefix
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.rules import ObligationKind, PastResult, Policy, SubjectFacts
from ssj_bridge.store.schema import assignments, classifications, results, subjects, tasks
from ssj_bridge.store.upsert import list_parameter, listed

FactsOf = Callable[[Sequence[str]], Mapping[str, SubjectFacts]]


@dataclass(frozen=True)
class Member:
    """A classified, active subject of the region: its libraries for the period."""

    uscc: str
    category: Category | None
    categories: tuple[Category, ...]


@dataclass
class CandidateList:
    """One category's candidates, and how many subjects each step left out (for the operator)."""

    category: Category
    candidates: list[str]
    members: int
    left_out: dict[str, int] = field(default_factory=dict)


def members_of(conn: Connection, period: str, region_code: str) -> list[Member]:
    """Every active subject of the region classified for the period, in USCC order."""
    rows = conn.execute(
        select(classifications.c.uscc, classifications.c.category, classifications.c.categories)
        .join(subjects, subjects.c.uscc == classifications.c.uscc)
        .where(classifications.c.period == period, subjects.c.active.is_(True),
               subjects.c.region_code.startswith(region_prefix(region_code), autoescape=True))
        .order_by(classifications.c.uscc)).all()
    return [Member(uscc, *_placement(category, categories)) for uscc, category, categories in rows]


@functools.cache
def _placement(category: str | None, categories: str | None
               ) -> tuple[Category | None, tuple[Category, ...]]:
    """A stored classification's primary category and libraries (a few distinct values)."""
    return (Category(category) if category else None,
            tuple(Category(c) for c in (categories or "").split(";") if c))


def covered_in(conn: Connection, start: date, end: date, periods: Iterable[str]) -> set[str]:
    """Subjects inspected between start and end, or assigned in a still-open task of `periods`.

    Whatever the matter and whoever drew the task (a higher level's tasks count too).
    """
    inspected = set(conn.execute(select(results.c.uscc).where(
        results.c.inspected_on >= start, results.c.inspected_on <= end)).scalars())
    open_assigned = set(conn.execute(
        select(assignments.c.uscc).join(tasks, tasks.c.task_id == assignments.c.task_id)
        .where(tasks.c.period.in_(sorted(set(periods))),
               tasks.c.status != TaskStatus.COMPLETED.value)).scalars())
    return inspected | open_assigned


def checks_in_year(conn: Connection, year: int) -> Counter[str]:
    """Checks of each subject in the year: results inspected in it, plus open assignments of
    the year's tasks that have no result yet (a check already planned counts)."""
    counts: Counter[str] = Counter()
    done: set[tuple[str, str]] = set()
    for row in conn.execute(select(results.c.task_id, results.c.uscc).where(
            results.c.inspected_on >= date(year, 1, 1),
            results.c.inspected_on <= date(year, 12, 31))):
        done.add((row.task_id, row.uscc))
        counts[row.uscc] += 1
    periods = [Quarter(year, n).label for n in range(1, 5)]
    for row in conn.execute(
            select(assignments.c.task_id, assignments.c.uscc)
            .join(tasks, tasks.c.task_id == assignments.c.task_id)
            .where(tasks.c.period.in_(periods), tasks.c.status != TaskStatus.COMPLETED.value)):
        if (row.task_id, row.uscc) not in done:
            counts[row.uscc] += 1
    return counts


def past_results(conn: Connection, usccs: Iterable[str]) -> dict[str, list[PastResult]]:
    """Every recorded result of the subjects, with who drew its task, oldest first."""
    dialect = conn.dialect.name
    found: dict[str, list[PastResult]] = {}
    rows = conn.execute(
        select(results.c.uscc, results.c.inspected_on, results.c.result_code, tasks.c.drawn_by)
        .select_from(results.outerjoin(tasks, tasks.c.task_id == results.c.task_id))
        .where(listed(dialect, results.c.uscc, "usccs"))
        .order_by(results.c.uscc, results.c.inspected_on),
        {"usccs": list_parameter(dialect, sorted(set(usccs)))}).all()
    for uscc, inspected_on, result_code, drawn_by in rows:
        found.setdefault(uscc, []).append(PastResult(uscc, inspected_on, result_code, drawn_by))
    return found


def quarter_candidates(conn: Connection, policy: Policy, quarter: Quarter, region_code: str,
                       categories: Iterable[Category], own_org: str | None,
                       facts_of: FactsOf | None = None) -> dict[Category, CandidateList]:
    """Each category's candidates for the quarter (module docstring), with what was left out.

    `facts_of` gives the subjects' facts for obligations scoped to part of a category (e.g.
    every 重点排污单位 once a year); without it such an obligation is read as unscoped.
    """
    members = members_of(conn, quarter.label, region_code)
    history = past_results(conn, [m.uscc for m in members])
    in_quarter = covered_in(conn, quarter.start, quarter.end, [quarter.label])
    checks = checks_in_year(conn, quarter.year) if policy.check_limit is not None else Counter()
    return {category: _category_candidates(conn, policy, quarter, category, members, history,
                                           in_quarter, checks, own_org, facts_of)
            for category in categories}


def _category_candidates(conn: Connection, policy: Policy, quarter: Quarter, category: Category,
                         everyone: Sequence[Member], history: Mapping[str, list[PastResult]],
                         in_quarter: set[str], checks: Counter[str], own_org: str | None,
                         facts_of: FactsOf | None) -> CandidateList:
    # A subject in several libraries (衢州's SPECIAL overlaps KEY and GENERAL) is drawn under
    # its primary category only, so one commit never puts it in two draws of the quarter.
    members = [m for m in everyone if m.category is category]
    libraries = {m.uscc: m.categories for m in members}
    remaining = [m.uscc for m in members]
    left_out: dict[str, int] = {}

    def drop(reason: str, gone: set[str]) -> None:
        nonlocal remaining
        kept = [u for u in remaining if u not in gone]
        if len(kept) < len(remaining):
            left_out[reason] = left_out.get(reason, 0) + len(remaining) - len(kept)
        remaining = kept

    for exclusion in policy.draw_exclusions:
        drop(f"{exclusion.clause} {exclusion.rule}",
             {u for u in remaining if exclusion.excludes(history.get(u, []), libraries[u],
                                                         quarter, own_org)})
    drop("covered this quarter", in_quarter)
    for obligation in policy.obligations():
        if obligation.category is not category or obligation.kind is not ObligationKind.FULL_COVERAGE:
            continue
        start, end = quarter.span(obligation.per)
        covered = covered_in(conn, start, end, [q.label for q in quarter.quarters_of(obligation.per)])
        gone = {u for u in remaining if u in covered}
        if obligation.applies_to is not None and facts_of is not None and gone:
            facts = facts_of(sorted(gone))
            gone = {u for u in gone if u in facts and obligation.applies_to(facts[u])}
        drop(f"{obligation.clause} covered in its {obligation.per.value}", gone)
    limit = policy.check_limit
    if limit is not None:
        drop(f"{limit.clause} at the limit of {limit.per_year} checks a year",
             {u for u in remaining if limit.binds(libraries[u]) and checks[u] >= limit.per_year})
    return CandidateList(category, normalise_candidates(remaining), len(members), left_out)
