"""Drawn tasks as the commands print them, with names masked until the inspection starts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from ssj_bridge.draw.masking import names_visible, shown_person, shown_subject
from ssj_bridge.model import Task
from ssj_bridge.store import Store
from ssj_bridge.store.schema import inspectors, subjects


def _names(store: Store, usccs: Iterable[str], ids: Iterable[str]) -> tuple[dict[str, str],
                                                                             dict[str, str]]:
    wanted_subjects, wanted_people = sorted(set(usccs)), sorted(set(ids))
    with store.engine.connect() as conn:
        subject_names = {r.uscc: r.name for r in conn.execute(
            select(subjects.c.uscc, subjects.c.name).where(subjects.c.uscc.in_(wanted_subjects)))}
        people = {r.inspector_id: r.name for r in conn.execute(
            select(inspectors.c.inspector_id, inspectors.c.name)
            .where(inspectors.c.inspector_id.in_(wanted_people)))}
    return subject_names, people


def task_lines(store: Store, tasks: Sequence[Task], unmask: bool = False) -> list[str]:
    """One heading per task, then one line per assignment: USCC, name, mode, inspectors.

    Names are masked (`威海某化工**公司`, `张*`) until the task is 检查中, unless `unmask`.
    """
    subject_names, people = _names(
        store, (a.uscc for t in tasks for a in t.assignments),
        (i for t in tasks for a in t.assignments for i in a.inspector_ids))
    lines: list[str] = []
    for task in tasks:
        visible = names_visible(task.status.value, unmask)
        label = task.draw_proof.label if task.draw_proof else ""
        lines.append(f"{task.task_id}  {label}  {task.status.value}  "
                     f"{task.planned_start}..{task.planned_end}  {task.name}")
        for a in task.assignments:
            members = ", ".join(f"{i} {shown_person(people.get(i), visible)}".rstrip()
                                for i in a.inspector_ids)
            lines.append(f"  {a.uscc}  {shown_subject(subject_names.get(a.uscc), visible)}  "
                         f"{a.mode.value}  {members}")
    return lines
