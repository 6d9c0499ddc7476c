"""`draw run`: take the witness's text, reveal, draw, match inspectors and create the tasks.

For each committed draw of the matter and quarter (the newest commit of each label): the
candidates and inspector candidates are read again from the store and must hash as committed,
else the whole run is refused (InputRefused, exit 65) and nothing is written. Then, in ONE
transaction: the subjects are drawn (sampler), the groups matched (matching), members who have
declared a conflict since the commit redrawn (redraw), and per draw one task is written to
`tasks` + `assignments` (its region the stratum's: a district, when the city draws for it),
queued in the outbox for the provincial platform, and the draw row completed (witness,
selection, groups, taskId, revealedAt). A task of objects known by their objectId (no USCC) is
kept local: the platform takes tasks of USCCs only (province.md, Task).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from sqlalchemy import Connection, select, update

from ssj_bridge.draw.commit import prepare, stratum_roster
from ssj_bridge.draw.joint import department_rosters, joint_inspectors, match_departments
from ssj_bridge.draw.matching import Group, MatchingInfeasible, match_inspectors, matching_stream
from ssj_bridge.draw.records import (
    DRAW_LOCK,
    TASKS_PLATFORM,
    DrawRecord,
    departments_json,
    dumps,
    groups_json,
    pending_draws,
    redraws_json,
    revealed_draws,
)
from ssj_bridge.draw.redraw import RosterNow, resolve_roster_changes
from ssj_bridge.draw.sampler import candidates_hash, draw_subjects, seed
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.tasks import KEPT_LOCAL, LOCAL, TASK_ENTITY, task_row
from ssj_bridge.i18n import _
from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import (
    Assignment,
    AssignmentStatus,
    Category,
    DrawMode,
    DrawProof,
    InspectionMode,
    Task,
    TaskStatus,
    beijing_now,
    beijing_today,
    iso_beijing,
    uscc_problem,
    words,
)
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import enqueue
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.directed import parse_directed
from ssj_bridge.policy.matters import effective_matters, find_matter
from ssj_bridge.policy.plan import category_name
from ssj_bridge.store import SYNC_LOCK, Store
from ssj_bridge.store.schema import assignments, draws, tasks, uscc_allowlist

log = structlog.get_logger("ssj_bridge.draw")

MAX_SEQUENCE = 9999


@dataclass
class RunReport:
    """The tasks one `draw run` created, and whether a witness took part."""

    period: str
    matter_code: str
    witness_entropy: str
    tasks: list[Task] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)  # taskId → category
    kept_local: list[str] = field(default_factory=list)  # tasks not pushed (objects without USCC)

    @property
    def witnessed(self) -> bool:
        """False for a draw made without a witness's text (the empty string)."""
        return self.witness_entropy != ""


def run_draws(store: Store, active: ActivePolicy, *, region_code: str, quarter: Quarter,
              matter_code: str, witness: str, drawn_by: str, org_name: str | None = None,
              today: date | None = None) -> RunReport:
    """Reveal and draw every pending commit of the matter and quarter (module docstring)."""
    matter = find_matter(effective_matters(store, active.policy), matter_code)
    today = today or beijing_today()
    report = RunReport(quarter.label, matter_code, witness)
    # The tasks are queued for the platform: not while a sync (or a repair) is sending.
    with store.lock(SYNC_LOCK), store.lock(DRAW_LOCK):
        with store.engine.connect() as conn:
            pending = pending_draws(conn, region_code, quarter.label, matter_code)
        if not pending:
            with store.engine.connect() as conn:
                drawn = revealed_draws(conn, region_code, quarter.label, matter_code)
            if drawn:
                tasks_text = ", ".join(d.task_id or "?" for d in drawn[:8])
                more = (_(" and {count} more").format(count=len(drawn) - 8)
                        if len(drawn) > 8 else "")
                raise InputRefused(_("draw run {period} {matter}: already drawn at {when} (tasks "
                                     "{tasks}{more}); nothing was drawn again. `draw verify "
                                     "TASK_ID` re-derives a task; to draw more, `draw commit` "
                                     "again").format(
                    period=quarter.label, matter=matter_code, when=drawn[-1].revealed_at,
                    tasks=tasks_text, more=more))
            raise InputRefused(_("draw run {period} {matter}: no draw is committed for region "
                                 "{region}; run `draw commit` first").format(
                period=quarter.label, matter=matter_code, region=region_code))
        _refuse_changed_inputs(store, active, pending, region_code, quarter, matter_code,
                               drawn_by)
        roster = RosterNow.of(inspectors(store, active_only=False))
        moment = beijing_now()
        with store.engine.begin() as conn:
            allowed = frozenset(conn.execute(select(uscc_allowlist.c.uscc)).scalars())
            sequence = _last_sequence(conn, region_code, quarter)
            for draw in pending:
                sequence += 1
                if sequence > MAX_SEQUENCE:
                    raise InputRefused(_("{label}: task numbers of {prefix} are used up (the "
                                         "last is {last})").format(
                        label=draw.label, prefix=f"{region_code}-{quarter.label}",
                        last=MAX_SEQUENCE))
                task_id = f"{region_code}-{quarter.label}-{sequence:04d}"
                name = _task_name(org_name, quarter, matter.name, draw, region_code)
                task, kept = _reveal(conn, draw, witness, task_id, roster, moment, drawn_by, name,
                                     _planned_start(quarter, today), quarter.end, allowed)
                report.tasks.append(task)
                report.categories[task_id] = draw.category
                if kept:
                    report.kept_local.append(task_id)
    for task in report.tasks:
        log.info("draw revealed", taskId=task.task_id,
                 label=task.draw_proof.label if task.draw_proof else None,
                 k=len(task.assignments), witnessed=report.witnessed,
                 keptLocal=task.task_id in report.kept_local)
    return report


def _refuse_changed_inputs(store: Store, active: ActivePolicy, pending: Sequence[DrawRecord],
                           region_code: str, quarter: Quarter, matter_code: str,
                           own_org: str | None) -> None:
    """InputRefused naming every draw whose candidates or inspectors no longer hash the same."""
    counts = {d.category: int(d.scope["count"]) for d in pending if "count" in d.scope}
    first = pending[0]
    directed = parse_directed(first.directed) if first.directed else None
    prepared = prepare(store, active, quarter, region_code, matter_code, own_org, counts,
                       directed, first.joint)
    roster = prepared.bureau_roster(inspectors(store, region_code))
    theirs = ({org: candidates_hash(sorted(p.inspector_id for p in people))
               for org, _, people in department_rosters(
                   inspectors(store), prepared.joint.departments,
                   (own_org or "").upper()).others}
              if prepared.joint is not None else {})
    changed: list[str] = []
    with store.engine.connect() as conn:
        strata, _skipped = prepared.strata(conn)
    now = {s.label(quarter.label, matter_code): s for s in strata}
    for draw in pending:
        stratum = now.get(draw.label)
        if stratum is None:
            changed.append(_("{label}: no longer a stratum of the matter's draw").format(
                label=draw.label))
            continue
        now_hash = candidates_hash(stratum.candidates)
        if now_hash != draw.candidates_hash:
            gone = sorted(set(draw.candidates) - set(stratum.candidates))
            new = sorted(set(stratum.candidates) - set(draw.candidates))
            changed.append(_("{label}: candidates now hash {now}, committed {then} ({gone} "
                             "left, {joined} joined)").format(
                label=draw.label, now=now_hash, then=draw.candidates_hash, gone=len(gone),
                joined=len(new)))
        # Python's order, as at the commit: a database's collation need not be byte order.
        roster_hash = candidates_hash(sorted(
            p.inspector_id for p in stratum_roster(roster, stratum.region, region_code)))
        if roster_hash != draw.inspector_candidates_hash:
            changed.append(_("{label}: inspector candidates now hash {now}, committed {then}")
                           .format(label=draw.label, now=roster_hash,
                                   then=draw.inspector_candidates_hash))
        for department in draw.departments:
            now_theirs = theirs.get(department.org_code)
            if now_theirs != department.inspector_candidates_hash:
                changed.append(_("{label}: department {org}'s inspector candidates now hash "
                                 "{now}, committed {then}").format(
                    label=draw.label, org=department.org_code, now=now_theirs,
                    then=department.inspector_candidates_hash))
    if changed:
        raise InputRefused(_("the inputs changed since the commit, nothing was drawn; commit "
                             "again: {changes}").format(changes=words.clauses(changed)))


def _last_sequence(conn: Connection, region_code: str, quarter: Quarter) -> int:
    """The highest task number of the region and quarter so far (tasks, and draws' taskIds)."""
    prefix = f"{region_code}-{quarter.label}-"
    known = list(conn.execute(select(tasks.c.task_id).where(tasks.c.task_id.like(prefix + "%")))
                 .scalars())
    known += list(conn.execute(select(draws.c.task_id).where(draws.c.task_id.like(prefix + "%")))
                  .scalars())
    numbers = [int(t[len(prefix):]) for t in known if t and t[len(prefix):].isdigit()]
    return max(numbers, default=0)


def _reveal(conn: Connection, draw: DrawRecord, witness: str, task_id: str, roster: RosterNow,
            moment: datetime, drawn_by: str, name: str, start: date, end: date,
            allowed: frozenset[str]) -> tuple[Task, bool]:
    """Draw, match and write the task; True beside it when the task is kept local (an object
    without a USCC: the provincial platform takes tasks of USCCs only)."""
    now = iso_beijing(moment)
    secret = bytes.fromhex(draw.secret)
    selected = draw_subjects(secret, witness, draw.label, draw.candidates, draw.k)
    inputs = draw.matching
    try:
        groups = match_inspectors(matching_stream(seed(secret, witness), draw.label,
                                                  draw.inspector_candidates_hash),
                                  selected, inputs)
        groups, redraws = resolve_roster_changes(draw.secret, witness, draw.label, groups, [],
                                                 inputs, roster, now)
        departments = match_departments(seed(secret, witness), draw.label, selected,
                                        draw.departments)
    except MatchingInfeasible as exc:
        raise InputRefused(_("{label}: too few inspectors: {problem}; nothing was drawn").format(
            label=draw.label, problem=exc)) from None
    kept = any(uscc_problem(key) is not None and key not in allowed for key in selected)
    members = joint_inspectors(groups, departments)
    task = _task(draw, task_id, witness, groups, drawn_by, name, start, end, moment, kept, members)
    joint = ({"departments": ";".join(draw.scope.get("departments") or ()),
              "joint_plan": draw.joint} if draw.joint else {})
    conn.execute(tasks.insert().values(**{**task_row(task), "origin": KEPT_LOCAL if kept else LOCAL,
                                          "category": draw.category, **joint}))
    conn.execute(assignments.insert(), [
        {"task_id": task_id, "uscc": a.uscc, "inspector_ids": ";".join(a.inspector_ids),
         "mode": a.mode.value, "status": a.status.value} for a in task.assignments])
    if not kept:
        enqueue(conn, TASKS_PLATFORM, TASK_ENTITY, task_id,
                task.model_dump(mode="json", by_alias=True))
    done = conn.execute(update(draws).where(draws.c.id == draw.id, draws.c.revealed_at.is_(None))
                        .values(witness_entropy=witness, witnessed=witness != "",
                                selected=dumps(selected), groups=groups_json(groups),
                                redraws=redraws_json(redraws), task_id=task_id, revealed_at=now,
                                departments=departments_json(departments)))
    if done.rowcount != 1:
        raise InputRefused(_("{label}: the draw was run meanwhile by another command").format(
            label=draw.label))
    return task, kept


def _task(draw: DrawRecord, task_id: str, witness: str, groups: Sequence[Group], drawn_by: str,
          name: str, start: date, end: date, moment: datetime, kept: bool,
          members: Mapping[str, Sequence[str]]) -> Task:
    proof = DrawProof(algorithm=draw.algorithm, label=draw.label, k=draw.k,
                      candidates_hash=draw.candidates_hash, commitment=draw.commitment,
                      witness_entropy=witness, secret=draw.secret)
    # An object known by its objectId is no USCC: such a task is recorded as drawn, unchecked.
    make = Assignment.model_construct if kept else Assignment
    return (Task.model_construct if kept else Task)(
        task_id=task_id, name=name, region_code=draw.stratum_region, matter_code=draw.matter_code,
        drawn_by=drawn_by,
        draw_mode=DrawMode.TARGETED if draw.directed else DrawMode.UNTARGETED,
        period=draw.period, planned_start=start, planned_end=end, draw_proof=proof,
        assignments=[make(uscc=g.uscc, inspector_ids=list(members.get(g.uscc, g.inspector_ids)),
                          mode=InspectionMode(g.mode), status=AssignmentStatus.PENDING)
                     for g in groups],
        status=TaskStatus.DRAWN, update_time=moment)


def _task_name(org_name: str | None, quarter: Quarter, matter_name: str, draw: DrawRecord,
               region_code: str) -> str:
    who = f"{org_name} " if org_name else ""
    where = f"{draw.stratum_region} " if draw.stratum_region != region_code else ""
    part = f"，{draw.part}" if draw.part else ""
    part += f"，{NAMES['directed']}：{draw.directed}" if draw.directed else ""
    kind = NAMES["joint"] if draw.joint else ""
    return (f"{who}{quarter.label} {matter_name}（{where}{category_name(_category(draw.category))}"
            f"{part}）{kind}双随机抽查")


# Words of task names (one place, to translate).
NAMES = {"directed": "定向", "joint": "跨部门联合"}


def _category(name: str) -> Category | str:
    return Category(name) if name in {c.value for c in Category} else name


def _planned_start(quarter: Quarter, today: date) -> date:
    """Today when it lies in the quarter, else the quarter's first day (or last, once past)."""
    return min(max(today, quarter.start), quarter.end)
