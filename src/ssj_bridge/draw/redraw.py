"""Redraws: one inspector leaves a group after the draw (回避), recorded so `verify` replays it.

A conflict of interest declared after a draw — on the roster (`conflicts`) or by the data
manager at `draw redraw` — never reopens the draw: only the inspector concerned is replaced,
by a seat drawn from the redraw's own stream (contracts/draw/README.md, "Redraws"), and the
redraw is recorded in `draws.redraws` with who could not take the seat at that moment.
`draw run` applies such redraws itself for conflicts declared between the commit and the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import structlog
from sqlalchemy import select, update

from ssj_bridge.draw.joint import joint_inspectors
from ssj_bridge.draw.matching import (
    Group,
    MatchingInfeasible,
    MatchingInputs,
    Redraw,
    redraw_inspector,
    redraw_stream,
)
from ssj_bridge.draw.records import (
    DRAW_LOCK,
    TASKS_PLATFORM,
    draw_of_task,
    save_departments,
    save_groups,
)
from ssj_bridge.draw.sampler import seed as derive_seed
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.tasks import TASK_ENTITY, load_tasks
from ssj_bridge.i18n import N_
from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import Inspector, beijing_now, iso_beijing, normalise_code
from ssj_bridge.outbox.queue import enqueue
from ssj_bridge.policy.rules import ReplacementRule
from ssj_bridge.store import SYNC_LOCK, Store
from ssj_bridge.store.schema import assignments, results, tasks

log = structlog.get_logger("ssj_bridge.draw")

# Recorded in the draw as written here (the draw record is data); shown through `_()`.
CONFLICT_REASON = N_("回避: conflict of interest declared after the draw")
RETIRED_REASON = N_("no longer active on the roster")


@dataclass(frozen=True)
class RosterNow:
    """The roster as it stands when a redraw is decided: who is active, who declared what."""

    active: frozenset[str]
    conflicts: dict[str, frozenset[str]]

    @classmethod
    def of(cls, people: Sequence[Inspector]) -> RosterNow:
        """From the stored roster (retired people included)."""
        return cls(frozenset(p.inspector_id for p in people if p.active),
                   {p.inspector_id: frozenset(p.conflicts) for p in people})

    def unavailable_for(self, uscc: str, inputs: MatchingInputs) -> tuple[str, ...]:
        """Inspector candidates who cannot take a seat in `uscc`'s group now."""
        blocked: set[str] | frozenset[str] = self._conflicted.get(uscc, frozenset())
        if not blocked and inputs.candidate_ids <= self.active:
            return ()  # the common case, answered without walking the candidates
        return tuple(i for i in inputs.inspector_ids if i not in self.active or i in blocked)

    @cached_property
    def _conflicted(self) -> dict[str, set[str]]:
        """USCC → who declared a conflict with it."""
        found: dict[str, set[str]] = {}
        for person, usccs in self.conflicts.items():
            for uscc in usccs:
                found.setdefault(uscc, set()).add(person)
        return found


def declined(redraws: Sequence[Redraw], uscc: str) -> list[str]:
    """Inspectors earlier redraws took out of `uscc`'s group."""
    return [r.replaced for r in redraws if r.uscc == uscc]


def redraw_one(secret_hex: str, witness: str, label: str, groups: Sequence[Group],
               redraws: Sequence[Redraw], inputs: MatchingInputs, uscc: str, replaced: str,
               reason: str, unavailable: Sequence[str], at: str,
               approved_by: str | None = None) -> tuple[list[Group], Redraw]:
    """Replace one inspector of one group; return the new groups and the redraw to record."""
    seq = len(redraws) + 1
    seed = derive_seed(bytes.fromhex(secret_hex), witness)
    stream = redraw_stream(seed, label, inputs.inspector_candidates_hash, seq)
    others = tuple(i for i in unavailable if i != replaced)
    updated, chosen = redraw_inspector(stream, groups, uscc, replaced, inputs, others,
                                       declined(redraws, uscc))
    return updated, Redraw(seq, uscc, replaced, chosen, reason, others, at, approved_by)


def resolve_roster_changes(secret_hex: str, witness: str, label: str, groups: Sequence[Group],
                           redraws: Sequence[Redraw], inputs: MatchingInputs, roster: RosterNow,
                           at: str) -> tuple[list[Group], list[Redraw]]:
    """Redraw every member who has since declared a conflict with their subject or retired.

    Groups are taken in order, members in seat order; a replacement who is unavailable as
    well is itself replaced by the next redraw.
    """
    current, recorded = list(groups), list(redraws)
    changed = True
    while changed:
        changed = False
        for group in current:
            blocked = roster.unavailable_for(group.uscc, inputs)
            member = next((i for i in group.inspector_ids if i in blocked), None)
            if member is None:
                continue
            reason = CONFLICT_REASON if member in roster.active else RETIRED_REASON
            current, entry = redraw_one(secret_hex, witness, label, current, recorded, inputs,
                                        group.uscc, member, reason, blocked, at)
            recorded.append(entry)
            changed = True
            break
    return current, recorded


def redraw_task(store: Store, task_id: str, uscc: str, inspector_id: str,
                reason: str = CONFLICT_REASON, *, approved_by: str | None = None,
                rule: ReplacementRule | None = None) -> Redraw:
    """`draw redraw`: replace `inspector_id` in `uscc`'s group of the task, and record it.

    In one transaction: the draw's groups and redraws (with who approved it), the assignment,
    and the task queued again for the provincial platform. InputRefused when the task has no
    local draw, the subject is not in it or already inspected, the inspector is not in its
    group, or the policy's `rule` asks for an approver and none is given.
    """
    approved_by = (approved_by or "").strip() or None
    if rule is not None and approved_by is None:
        raise InputRefused(f"replacing a drawn inspector needs the approval of {rule.approver} "
                           f"({rule.clause}): give --approved-by NAME")
    code = normalise_code(uscc)
    with store.lock(SYNC_LOCK), store.lock(DRAW_LOCK):  # the task is queued again
        roster = RosterNow.of(inspectors(store, active_only=False))
        with store.engine.begin() as conn:
            draw = draw_of_task(conn, task_id)
            if draw is None or not draw.revealed or draw.groups is None:
                raise InputRefused(f"task {task_id}: no local draw to redraw from (drawn elsewhere, "
                                   f"or not in the store)")
            group = next((g for g in draw.groups if g.uscc == code), None)
            if group is None:
                raise InputRefused(f"task {task_id}: subject {code} is not among its assignments")
            department = next((d for d in draw.departments
                               if any(g.uscc == code and inspector_id in g.inspector_ids
                                      for g in d.groups or ())), None)
            if inspector_id not in group.inspector_ids and department is None:
                members = joint_inspectors(draw.groups, draw.departments)[code]
                raise InputRefused(f"task {task_id}: inspector {inspector_id} is not in the group "
                                   f"of subject {code} ({', '.join(members)})")
            inspected = conn.execute(select(results.c.result_id).where(
                results.c.task_id == task_id, results.c.uscc == code)).first()
            if inspected is not None:
                raise InputRefused(f"task {task_id}: subject {code} is already inspected; its "
                                   f"group can no longer change")
            now = iso_beijing(beijing_now())
            witness = draw.witness_entropy or ""
            own, others = list(draw.groups), list(draw.departments)
            try:
                if department is None:
                    blocked = set(roster.unavailable_for(code, draw.matching))
                    own, entry = redraw_one(draw.secret, witness, draw.label, own, draw.redraws,
                                            draw.matching, code, inspector_id, reason,
                                            sorted(blocked), now, approved_by)
                    save_groups(conn, draw.id, own, [*draw.redraws, entry])
                else:
                    # The department's own stream and record (draw.joint).
                    blocked = set(roster.unavailable_for(code, department.matching))
                    groups, entry = redraw_one(draw.secret, witness,
                                               department.label(draw.label),
                                               list(department.groups or ()), department.redraws,
                                               department.matching, code, inspector_id, reason,
                                               sorted(blocked), now, approved_by)
                    others = [replace(d, groups=tuple(groups), redraws=(*d.redraws, entry))
                              if d.org_code == department.org_code else d for d in others]
                    save_departments(conn, draw.id, others)
            except MatchingInfeasible as exc:
                raise InputRefused(f"task {task_id}: {exc}; nothing was changed") from None
            conn.execute(update(assignments).where(
                assignments.c.task_id == task_id, assignments.c.uscc == code).values(
                inspector_ids=";".join(joint_inspectors(own, others)[code])))
            conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(update_time=now))
            [task] = load_tasks(conn, [task_id])
            order = {u: i for i, u in enumerate(draw.selected or [])}
            ordered = sorted(task.assignments, key=lambda a: order.get(a.uscc, len(order)))
            task = task.model_copy(update={"assignments": ordered})
            enqueue(conn, TASKS_PLATFORM, TASK_ENTITY, task_id,
                    task.model_dump(mode="json", by_alias=True))
    log.info("inspector redrawn", taskId=task_id, uscc=code, replaced=inspector_id,
             replacement=entry.replacement, seq=entry.seq, reason=reason,
             approvedBy=approved_by)
    return entry
