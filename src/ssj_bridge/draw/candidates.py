"""What the candidate steps of a draw read from the store (`draw.strata` applies them):
coverage in a period, checks of a year, and each subject's past results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from sqlalchemy import Connection, select

from ssj_bridge.model import TaskStatus
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.rules import PastResult, SubjectFacts
from ssj_bridge.store.schema import assignments, results, tasks
from ssj_bridge.store.upsert import list_parameter, listed

FactsOf = Callable[[Sequence[str]], Mapping[str, SubjectFacts]]


def covered_in(conn: Connection, start: date, end: date, periods: Iterable[str],
               counted: Callable[[str | None], bool] | None = None) -> set[str]:
    """Subjects inspected between start and end, or assigned in a still-open task of `periods`.

    Whoever drew the task (a higher level's tasks count too); of the tasks whose matter code
    `counted` accepts (a result whose task the store does not hold has the code None), or of
    every task without it.
    """
    inspected = {row.uscc for row in conn.execute(
        select(results.c.uscc, tasks.c.matter_code)
        .select_from(results.outerjoin(tasks, tasks.c.task_id == results.c.task_id))
        .where(results.c.inspected_on >= start, results.c.inspected_on <= end))
        if counted is None or counted(row.matter_code)}
    open_assigned = {row.uscc for row in conn.execute(
        select(assignments.c.uscc, tasks.c.matter_code)
        .join(tasks, tasks.c.task_id == assignments.c.task_id)
        .where(tasks.c.period.in_(sorted(set(periods))),
               tasks.c.status != TaskStatus.COMPLETED.value))
        if counted is None or counted(row.matter_code)}
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
