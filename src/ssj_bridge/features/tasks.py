"""Inspection tasks in the store: how a listed task is written, its lifecycle, `export tasks`.

A task is drawn locally (and pushed) or drawn on the provincial platform by any level; both
arrive here through the platform's listing. The store keeps who drew it (`origin`: `local`
for the tasks this deployment drew and pushed, `platform` for the others) and moves it along
已抽取 → 检查中 → 已完成 as results arrive, never back: the platform's status and the results
held locally each push a task forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, delete, or_, select, update

from ssj_bridge.model import (
    Assignment,
    AssignmentStatus,
    DrawMode,
    DrawProof,
    InspectionMode,
    PublicationStatus,
    Task,
    TaskStatus,
    iso_beijing,
)
from ssj_bridge.model.compared import TASK_FIELDS, task_fields
from ssj_bridge.outbox.queue import PENDING, enqueue
from ssj_bridge.plugins.registry import Enricher, Registry
from ssj_bridge.reconcile.diff import MISSING_ON_PLATFORM
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord
from ssj_bridge.store import Store
from ssj_bridge.store.canonical import Writer
from ssj_bridge.store.schema import (
    assignments,
    draws,
    outbox,
    publications,
    results,
    uscc_allowlist,
)
from ssj_bridge.store.schema import tasks as tasks_table

LOCAL = "local"
PLATFORM = "platform"
KEPT_LOCAL = "kept-local"  # drawn here, never pushed: its objects have no USCC
TASK_ENTITY = "task"  # the outbox entity of a locally drawn task on its way to the platform
TASKS_PLATFORM = "province"  # the platform role tasks are pushed to and listed by

_TASK_ORDER = list(TaskStatus)  # 已抽取, 检查中, 已完成
_ASSIGNMENT_ORDER = list(AssignmentStatus)  # 待检查, 已检查, 已公示
_CHUNK = 500


def task_row(task: Task) -> dict[str, Any]:
    """A listed task as a row of `tasks`.

    `category` and `completed_on` are left out: the first is known only to a local draw, the
    second is derived (refresh_tasks), so an update keeps both. `origin` is settled after the
    write, once the store can tell whether the task is one of its own.
    """
    return {
        "task_id": task.task_id,
        "name": task.name,
        "region_code": task.region_code,
        "matter_code": task.matter_code,
        "drawn_by": task.drawn_by,
        "draw_mode": task.draw_mode.value,
        "period": task.period,
        "planned_start": task.planned_start,
        "planned_end": task.planned_end,
        "draw_proof": (orjson.dumps(task.draw_proof.model_dump(mode="json", by_alias=True))
                       .decode() if task.draw_proof is not None else None),
        "status": task.status.value,
        "origin": PLATFORM,
        "update_time": iso_beijing(task.update_time) if task.update_time else None,
    }


def _after_tasks(conn: Connection, written: Sequence[Task]) -> None:
    ids = [t.task_id for t in written]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        # Ours: drawn here (a draw names the task) or pushed from here (the outbox holds it).
        ours = or_(tasks_table.c.task_id.in_(select(draws.c.task_id).where(
                       draws.c.task_id.in_(chunk))),
                   tasks_table.c.task_id.in_(select(outbox.c.key).where(
                       outbox.c.entity == TASK_ENTITY, outbox.c.key.in_(chunk))))
        conn.execute(update(tasks_table).where(tasks_table.c.task_id.in_(chunk), ours)
                     .values(origin=LOCAL))
        conn.execute(delete(assignments).where(assignments.c.task_id.in_(chunk)))
    rows = [{"task_id": t.task_id, "uscc": a.uscc, "inspector_ids": ";".join(a.inspector_ids),
             "mode": a.mode.value, "status": a.status.value}
            for t in written for a in _unique(t.assignments)]
    if rows:
        conn.execute(assignments.insert(), rows)
    refresh_tasks(conn, ids)


def _unique(items: Sequence[Assignment]) -> list[Assignment]:
    return list({a.uscc: a for a in items}.values())




def refresh_tasks(conn: Connection, task_ids: Iterable[str]) -> None:
    """Move tasks and their assignments forward from the results and publications held.

    An assignment with a result is 已检查, with a published result 已公示; a task with some
    results is 检查中, with a result for every assignment 已完成. Nothing moves back. A
    completed task's `completed_on` is its latest inspection date (or, when the platform
    marked it complete before any result arrived here, the date of that update).
    """
    wanted = sorted(set(task_ids))
    for start in range(0, len(wanted), _CHUNK):
        _refresh_chunk(conn, wanted[start:start + _CHUNK])


def _refresh_chunk(conn: Connection, ids: list[str]) -> None:
    inspected: dict[tuple[str, str], date] = {
        (r.task_id, r.uscc): r.inspected_on for r in conn.execute(
            select(results.c.task_id, results.c.uscc, results.c.inspected_on)
            .where(results.c.task_id.in_(ids)))}
    published = {(r.task_id, r.uscc) for r in conn.execute(
        select(publications.c.task_id, publications.c.uscc).where(
            publications.c.task_id.in_(ids),
            publications.c.status == PublicationStatus.PUBLISHED.value))}
    per_task: dict[str, list[tuple[str, str]]] = {}
    for row in conn.execute(select(assignments.c.task_id, assignments.c.uscc,
                                   assignments.c.status).where(assignments.c.task_id.in_(ids))):
        key = (row.task_id, row.uscc)
        status = row.status
        if key in inspected:
            status = _later(_ASSIGNMENT_ORDER, status, AssignmentStatus.INSPECTED.value)
        if key in published:
            status = _later(_ASSIGNMENT_ORDER, status, AssignmentStatus.PUBLISHED.value)
        if status != row.status:
            conn.execute(update(assignments).where(assignments.c.task_id == row.task_id,
                                                   assignments.c.uscc == row.uscc)
                         .values(status=status))
        per_task.setdefault(row.task_id, []).append(key)
    for task in conn.execute(select(tasks_table.c.task_id, tasks_table.c.status,
                                    tasks_table.c.update_time, tasks_table.c.completed_on)
                             .where(tasks_table.c.task_id.in_(ids))):
        keys = per_task.get(task.task_id, [])
        done = [inspected[k] for k in keys if k in inspected]
        derived = (TaskStatus.COMPLETED if keys and len(done) == len(keys) else
                   TaskStatus.IN_PROGRESS if done else TaskStatus.DRAWN)
        status = _later(_TASK_ORDER, task.status, derived.value)
        completed_on = task.completed_on
        if status == TaskStatus.COMPLETED.value:
            completed_on = max(done) if done else (completed_on or _date_of(task.update_time))
        if (status, completed_on) != (task.status, task.completed_on):
            conn.execute(update(tasks_table).where(tasks_table.c.task_id == task.task_id)
                         .values(status=status, completed_on=completed_on))


def _later(order: Sequence[str], current: str, candidate: str) -> str:
    """The later of two lifecycle states (an unknown state never replaces a known one)."""
    if current not in order:
        return candidate
    return candidate if order.index(candidate) > order.index(current) else current


def _date_of(moment: str | None) -> date | None:
    return datetime.fromisoformat(moment).date() if moment else None


def load_tasks(conn: Connection, task_ids: Iterable[str] | None = None) -> list[Task]:
    """Tasks with their assignments, as canonical records, ordered by period then taskId."""
    stmt = select(tasks_table).order_by(tasks_table.c.period, tasks_table.c.task_id)
    wanted = sorted(set(task_ids)) if task_ids is not None else None
    found: list[Task] = []
    # Codes a data manager allowed are valid here as they were when the task was written.
    context = {"allowed_usccs": frozenset(conn.execute(select(uscc_allowlist.c.uscc)).scalars())}
    chunks = ([wanted[i:i + _CHUNK] for i in range(0, len(wanted), _CHUNK)]
              if wanted is not None else [None])
    for chunk in chunks:
        task_rows = list(conn.execute(stmt if chunk is None else
                                      stmt.where(tasks_table.c.task_id.in_(chunk))))
        groups: dict[str, list[Assignment]] = {}
        assignment_stmt = select(assignments).order_by(assignments.c.task_id, assignments.c.uscc)
        if chunk is not None:
            assignment_stmt = assignment_stmt.where(assignments.c.task_id.in_(chunk))
        kept = {row.task_id for row in task_rows if row.origin == KEPT_LOCAL}
        for a in conn.execute(assignment_stmt):
            values = {"uscc": a.uscc, "inspector_ids": [i for i in a.inspector_ids.split(";") if i],
                      "mode": a.mode, "status": a.status}
            groups.setdefault(a.task_id, []).append(
                _kept_assignment(values) if a.task_id in kept
                else Assignment.model_validate(values, context=context))
        for row in task_rows:
            build = _kept_task if row.task_id in kept else Task.model_validate
            found.append(build({
                "task_id": row.task_id, "name": row.name, "region_code": row.region_code,
                "matter_code": row.matter_code, "drawn_by": row.drawn_by,
                "draw_mode": row.draw_mode, "period": row.period,
                "planned_start": row.planned_start, "planned_end": row.planned_end,
                "draw_proof": (DrawProof.model_validate(orjson.loads(row.draw_proof))
                               if row.draw_proof else None),
                "assignments": groups.get(row.task_id, []), "status": row.status,
                "update_time": row.update_time}, context=context))
    return found


def _kept_assignment(values: dict[str, Any]) -> Assignment:
    """An assignment of a kept-local task: its subject may be an objectId, not a USCC."""
    return Assignment.model_construct(**{**values, "mode": InspectionMode(values["mode"]),
                                         "status": AssignmentStatus(values["status"])})


def _kept_task(values: dict[str, Any], context: Any = None) -> Task:
    """A kept-local task as drawn (checked when it was drawn; its subjects need not be USCCs)."""
    del context
    update = values.get("update_time")
    return Task.model_construct(**{
        **values, "draw_mode": DrawMode(values["draw_mode"]),
        "status": TaskStatus(values["status"]),
        "update_time": datetime.fromisoformat(update) if isinstance(update, str) else update})


def task_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The Task of the provincial platform's profile, field for field (interface.md)."""
    with store.engine.connect() as conn:
        for task in load_tasks(conn):
            yield task.model_dump(mode="json", by_alias=True)


# -- reconciliation --------------------------------------------------------------------------------
#
# What is compared is what a draw decides: the task's identity, its proof and each subject with
# its inspectors and mode. The statuses are left out: both sides move them forward on their own
# (a publication makes an assignment 已公示 only where it is published).

def _stored_tasks(store: Store) -> Iterator[StoreRecord]:
    """Every task in the store; a local one still on its way to the platform is in flight."""
    with store.engine.connect() as conn:
        ids = list(conn.execute(select(tasks_table.c.task_id).order_by(tasks_table.c.task_id))
                   .scalars())
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            pending = set(conn.execute(select(outbox.c.key).where(
                outbox.c.platform == TASKS_PLATFORM, outbox.c.entity == TASK_ENTITY,
                outbox.c.status == PENDING,
                outbox.c.key.in_(chunk))).scalars())
            local = set(conn.execute(select(tasks_table.c.task_id).where(
                tasks_table.c.task_id.in_(chunk), tasks_table.c.origin == LOCAL)).scalars())
            kept = set(conn.execute(select(tasks_table.c.task_id).where(
                tasks_table.c.task_id.in_(chunk), tasks_table.c.origin == KEPT_LOCAL)).scalars())
            for task in load_tasks(conn, [t for t in chunk if t not in kept]):
                record = task.model_dump(mode="json", by_alias=True)
                yield StoreRecord(task.task_id, task_fields(record),
                                  iso_beijing(task.update_time) if task.update_time else None,
                                  in_flight=task.task_id in pending,
                                  owned=task.task_id in local)


def _push_again(conn: Connection, task_id: str) -> bool:
    """Queue a locally drawn task again as the store holds it (a platform that lost it)."""
    origin = conn.execute(select(tasks_table.c.origin).where(
        tasks_table.c.task_id == task_id)).scalar()
    if origin != LOCAL:
        return False
    [task] = load_tasks(conn, [task_id])
    record = task.model_dump(mode="json", by_alias=True)
    record.pop("updateTime", None)  # the platform stamps a task it takes
    return enqueue(conn, TASKS_PLATFORM, TASK_ENTITY, task_id, record, force=True) is not None


def register(registry: Registry) -> None:
    """Tasks: how a listed one is stored, reconciled and repaired, and `export tasks`."""
    registry.add_writer(Task, Writer(tasks_table, ("task_id",), task_row, _after_tasks))
    registry.add_entity(EntitySpec(
        role=TASKS_PLATFORM, entity=TASK_ENTITY, fields=TASK_FIELDS, expected=_stored_tasks,
        owned=True, repair=_push_again, repairable=frozenset((MISSING_ON_PLATFORM,)),
        source_hint="a task drawn by another level is settled on the provincial platform (the "
                    "next sync takes what it lists); a pushed task is never changed there "
                    "(40902): compare `ssj-bridge export tasks` with the platform's and draw "
                    "again as a new task if the local draw is the right one"))
    registry.add_exporter("tasks", task_rows)
    registry.add_enricher("tasks", joint_departments)


def joint_departments(store: Store) -> Enricher:
    """Adds `departments` (lead first) and `jointPlan` to each exported joint task."""
    with store.engine.connect() as conn:
        joint = {row.task_id: (row.departments, row.joint_plan) for row in conn.execute(
            select(tasks_table.c.task_id, tasks_table.c.departments, tasks_table.c.joint_plan)
            .where(tasks_table.c.joint_plan.is_not(None)))}

    def enrich(_store: Store, item: dict[str, Any]) -> dict[str, Any]:
        found = joint.get(item["taskId"])
        if found is not None:
            item["departments"] = [d for d in (found[0] or "").split(";") if d]
            item["jointPlan"] = found[1]
        return item

    return enrich
