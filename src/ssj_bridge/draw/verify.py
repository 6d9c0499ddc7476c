"""`draw verify TASK_ID`: re-derive a task's draw from the store alone and compare.

Checked, each a named difference when it fails: the secret against the commitment; the
candidates (normalised) against candidatesHash; the inspector candidates against their hash;
the label against the draw's region, period, matter and category; k; `witnessed` against the
witness's text; the selection re-derived from secret, witness, label and candidates; the
groups re-derived from the same seed and the matching inputs fixed at the commit, with the
recorded redraws replayed; every group's rules; and the task as stored (drawProof,
assignments and their inspectors) against the draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ssj_bridge.draw.joint import Department, joint_inspectors, verify_departments
from ssj_bridge.draw.matching import (
    Group,
    apply_redraws,
    group_problems,
    match_inspectors,
    matching_stream,
)
from ssj_bridge.draw.records import DrawRecord, draw_label, draw_of_task
from ssj_bridge.draw.redraw import RosterNow, declined
from ssj_bridge.draw.sampler import (
    ALGORITHM,
    candidates_hash,
    commitment,
    draw_subjects,
    normalise_candidates,
    seed,
)
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.tasks import load_tasks
from ssj_bridge.i18n import N_, _
from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import AssignmentStatus, Task
from ssj_bridge.store import Store


@dataclass
class Verification:
    """The outcome of verifying one task: differences (empty: it matches) and notes."""

    task_id: str
    label: str
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    # What was compared, in order: (what, the value checked); `draw verify` prints them.
    compared: list[tuple[str, str]] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)  # a joint draw's others

    def saw(self, what: str, value: object) -> None:
        """Note one thing compared and the value it was compared at."""
        self.compared.append((what, str(value)))

    @property
    def ok(self) -> bool:
        """True when everything re-derived matches what is stored."""
        return not self.differences


def verify_task(store: Store, task_id: str) -> Verification:
    """Re-derive the draw behind `task_id` (module docstring).

    InputRefused when the store holds no such task, or no local draw for it (a task drawn on
    the platform carries only the platform's proof).
    """
    with store.engine.connect() as conn:
        draw = draw_of_task(conn, task_id)
        found = load_tasks(conn, [task_id])
    task = found[0] if found else None
    if draw is None:
        if task is None:
            raise InputRefused(_("task {task}: not in the store").format(task=task_id))
        proof = task.draw_proof
        if proof is None or not proof.verifiable:
            how = (_("with the platform's own algorithm {algorithm!r}").format(
                       algorithm=proof.algorithm) if proof is not None
                   else _("without a draw proof"))
            raise InputRefused(_("task {task} cannot be verified here: it was drawn on the "
                                 "platform by {by} {how}; only {algorithm} draws are re-derived "
                                 "(ask the level that drew it for its own check)").format(
                task=task_id, by=task.drawn_by, how=how, algorithm=ALGORITHM))
        raise InputRefused(_("task {task}: drawn by {by} ({algorithm}); the store holds no local "
                             "draw of it to re-derive").format(task=task_id, by=task.drawn_by,
                                                               algorithm=proof.algorithm))
    result = Verification(task_id, draw.label)
    _check_draw(draw, result)
    if task is None:
        result.differences.append(f"task {task_id} is missing from the store's tasks")
    else:
        _check_task(draw, task, result)
    _note_roster_changes(store, draw, task, result)
    return result


def _check_draw(draw: DrawRecord, result: Verification) -> None:
    diff = result.differences.append
    if draw.algorithm != ALGORITHM:
        diff(f"algorithm is {draw.algorithm!r}, this implementation verifies {ALGORITHM}")
    expected_label = draw_label(draw.stratum_region, draw.period, draw.matter_code,
                                draw.category, draw.part, draw.directed)
    if draw.label != expected_label:
        diff(f"label is {draw.label!r}, the draw's region, period, matter and category give "
             f"{expected_label!r}")
    result.saw(_compared("label"), draw.label)
    result.saw(_compared("algorithm"), draw.algorithm)
    if draw.directed:
        result.saw(_compared("directed"), _("{scope} (in the label the picks are drawn with; "
                                            "task drawMode 定向)").format(scope=draw.directed))
    if normalise_candidates(draw.candidates) != draw.candidates:
        diff("candidates are not upper case, sorted and unique as committed")
        return
    if candidates_hash(draw.candidates) != draw.candidates_hash:
        diff(f"candidates hash to {candidates_hash(draw.candidates)}, the commit recorded "
             f"candidatesHash {draw.candidates_hash}")
    result.saw(_compared("candidates"),
               _("{count} candidates, SHA-256 {digest}").format(count=len(draw.candidates),
                                                                 digest=draw.candidates_hash))
    if draw.matching.inspector_candidates_hash != draw.inspector_candidates_hash:
        diff(f"inspector candidates hash to {draw.matching.inspector_candidates_hash}, the "
             f"commit recorded {draw.inspector_candidates_hash}")
    result.saw(_compared("inspectors"), _("{count} inspector candidates, SHA-256 {digest}").format(
        count=len(draw.inspector_candidates), digest=draw.inspector_candidates_hash))
    if not 1 <= draw.k <= len(draw.candidates):
        diff(f"k={draw.k} is out of range for {len(draw.candidates)} candidates")
        return
    result.saw(_compared("k"), _("{k} of {count}").format(k=draw.k, count=len(draw.candidates)))
    secret = _secret_bytes(draw.secret)
    if secret is None:
        diff("secret is not 32 bytes of hex")
        return
    if commitment(secret) != draw.commitment:
        diff(f"SHA-256 of the secret is {commitment(secret)}, the commitment recorded before "
             f"the draw is {draw.commitment}")
    else:
        result.saw(_compared("commitment"), _("{commitment} = SHA-256 of the revealed secret")
                   .format(commitment=draw.commitment))
    if not draw.revealed:
        diff("the draw was never run (no revealedAt)")
        return
    witness = draw.witness_entropy or ""
    if draw.witnessed is not (witness != ""):
        diff(f"witnessed is {draw.witnessed} but the witness text is "
             f"{'empty' if witness == '' else 'not empty'}")
    result.saw(_compared("witness"), f"{witness!r}" + ("" if witness else _(" (unwitnessed)")))
    result.saw(_compared("seed"), seed(secret, witness).hex())
    selected = draw_subjects(secret, witness, draw.label, draw.candidates, draw.k)
    result.selected = selected
    if selected != draw.selected:
        diff(f"selection re-derived {selected}, stored {draw.selected}")
    result.saw(_compared("picks"), ", ".join(selected))
    try:
        base = match_inspectors(matching_stream(seed(secret, witness), draw.label,
                                                draw.inspector_candidates_hash),
                                selected, draw.matching)
    except ValueError as exc:
        diff(f"matching cannot be re-derived: {exc}")
        return
    groups, problems = apply_redraws(seed(secret, witness), draw.label, base, draw.matching,
                                     draw.redraws)
    result.differences.extend(problems)
    result.groups = groups
    stored = [g.as_json() for g in draw.groups or []]
    if [g.as_json() for g in groups] != stored:
        diff(f"groups re-derived {_groups_text(groups)}, stored {_groups_text(draw.groups or [])}")
    result.saw(_compared("groups"), _groups_text(groups))
    for redraw in draw.redraws:
        approval = (_(", approved by {who}").format(who=redraw.approved_by)
                    if redraw.approved_by else "")
        result.saw(_compared("redraw"), f"{redraw.seq}: {redraw.uscc} {redraw.replaced} → "
                                       f"{redraw.replacement} ({redraw.reason}{approval})")
    for group in groups:
        result.differences.extend(group_problems(group, draw.matching,
                                                 declined(draw.redraws, group.uscc)))
    if draw.departments:
        derived, problems = verify_departments(seed(secret, witness), draw.label, selected,
                                               draw.departments)
        result.differences.extend(problems)
        result.departments = derived
        for department in derived:
            result.saw(_compared("department").format(org=department.org_code),
                       _("{count} candidates, SHA-256 {digest}; groups {groups}").format(
                           count=len(department.matching.inspectors),
                           digest=department.inspector_candidates_hash,
                           groups=_groups_text(list(department.groups or ()))))


def _check_task(draw: DrawRecord, task: Task, result: Verification) -> None:
    diff = result.differences.append
    proof = task.draw_proof
    if proof is None:
        diff("the task carries no drawProof")
        return
    expected: dict[str, Any] = {
        "algorithm": draw.algorithm, "label": draw.label, "k": draw.k,
        "candidatesHash": draw.candidates_hash, "commitment": draw.commitment,
        "witnessEntropy": draw.witness_entropy, "secret": draw.secret}
    shown = proof.model_dump(by_alias=True)
    for name, value in expected.items():
        if shown.get(name) != value:
            diff(f"task drawProof.{name} is {shown.get(name)!r}, the draw recorded {value!r}")
    result.saw(_compared("proof"), ", ".join(expected))
    held = {a.uscc: a for a in task.assignments}
    members = joint_inspectors(result.groups, result.departments)
    wanted: dict[str, Group | None] = {g.uscc: g for g in result.groups}
    if not wanted:
        wanted = dict.fromkeys(draw.selected or [])
    if set(held) != set(wanted):
        diff(f"task assignments are {sorted(held)}, the draw selected {sorted(wanted)}")
    for uscc, group in wanted.items():
        assignment = held.get(uscc)
        if group is None or assignment is None:
            continue
        if tuple(assignment.inspector_ids) != members[uscc]:
            diff(f"task assignment {uscc} has inspectors {assignment.inspector_ids}, the draw "
                 f"gives {list(members[uscc])}")
        if assignment.mode.value != group.mode:
            diff(f"task assignment {uscc} is {assignment.mode.value}, the draw gives {group.mode}")


def _note_roster_changes(store: Store, draw: DrawRecord, task: Task | None,
                         result: Verification) -> None:
    """Members of groups still to inspect who have since declared a conflict (or retired).

    Not a mismatch — the draw is as it was made — but a redraw the data manager should ask for.
    """
    if not draw.groups or task is None:
        return
    waiting = {a.uscc for a in task.assignments if a.status is AssignmentStatus.PENDING}
    roster = RosterNow.of(inspectors(store, active_only=False))
    for group in draw.groups:
        if group.uscc not in waiting:
            continue
        blocked = set(roster.unavailable_for(group.uscc, draw.matching))
        for member in group.inspector_ids:
            if member in blocked:
                result.notes.append(
                    f"inspector {member} can no longer inspect {group.uscc} (conflict declared "
                    f"or retired since the draw): run `draw redraw {result.task_id} --uscc "
                    f"{group.uscc} --inspector {member}`")


# What `draw verify` says it compared (one place, to translate).
COMPARED = {
    "label": N_("label"), "algorithm": N_("algorithm"), "candidates": N_("candidates"),
    "inspectors": N_("inspector candidates"), "k": N_("k"), "commitment": N_("commitment"),
    "witness": N_("witness text"), "seed": N_("seed"), "picks": N_("picks (re-derived in order)"),
    "groups": N_("groups (re-derived)"), "redraw": N_("redraw"), "proof": N_("task drawProof fields"),
    "directed": N_("directed scope (定向)"), "department": N_("department {org}"),
}


def _secret_bytes(text: str) -> bytes | None:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def _groups_text(groups: list[Group]) -> str:
    return "; ".join(f"{g.uscc}: {','.join(g.inspector_ids)}" for g in groups)


def _compared(key: str) -> str:
    """`COMPARED[key]` in the language in force."""
    return _(COMPARED[key])
