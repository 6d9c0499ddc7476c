"""`draw commit`: fix each stratum's candidates, k and inspectors, and commit to a secret.

One commit takes one matter of the deployment's list and the quarter. Its strata
(`draw.strata`): each line of the matter's plan — the region, or each district where a city
draws for districts that keep their own obligations — and each category of it (with the
forced-coverage and taken-back parts a category may need). For each stratum (draw.md,
step 1): the candidates, k by the plan's "Drawing a quarter" unless the operator gives it, the
inspector candidates (active inspectors of the stratum's region and of the drawing level, with
what matching reads of them) and the commitment. One fresh 32-byte secret serves every
stratum of the commit, so its commitment covers all of them; each draw keeps its own label,
so each verifies on its own exactly as draw.md says. A stratum with k = 0 is not drawn.
Everything is stored in `draws` in one transaction; what is printed for the witnesses never
includes the secret.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import orjson
import structlog
from sqlalchemy import Connection, select

from ssj_bridge.draw.expertise import matter_expertise
from ssj_bridge.draw.joint import PARTNER_GROUP, Department, DepartmentRosters, department_rosters
from ssj_bridge.draw.matching import InspectorProfile, MatchingInputs, shortfall
from ssj_bridge.draw.records import DRAW_LOCK, dumps, pending_draws
from ssj_bridge.draw.sampler import ALGORITHM, candidates_hash, commitment, new_secret
from ssj_bridge.draw.strata import (
    DrawScope,
    Skipped,
    Stratum,
    describe_left_out,
    line_strata,
    strata_inputs,
)
from ssj_bridge.errors import InputRefused
from ssj_bridge.i18n import _, pgettext
from ssj_bridge.intake.joint import JointPlan, other_departments, stored_joint_plans
from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import Category, InspectionMode, Inspector, TaskStatus, beijing_now
from ssj_bridge.model.matters import MatterSpec
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import (
    ActivePolicy,
    classification_day,
    classify_unless_classified,
    inspection_modes,
    subject_facts,
)
from ssj_bridge.policy.directed import DirectedScope, parse_directed
from ssj_bridge.policy.matters import effective_matters, find_matter, matter_of_task
from ssj_bridge.policy.plan import MatterPlan, category_key, make_plan
from ssj_bridge.policy.rules import Policy, SubjectFacts
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, draws, tasks

log = structlog.get_logger("ssj_bridge.draw")

# The provincial platform accepts no on-site assignment with fewer than two inspectors.
MIN_GROUP = 2
_CATEGORIES = {c.value for c in Category}


@dataclass(frozen=True)
class Committed:
    """What is shown to the witnesses for one draw (never the secret)."""

    draw_id: int
    label: str
    category: Category | str
    k: int
    candidates: int
    candidates_hash: str
    inspector_candidates: int
    inspector_candidates_hash: str
    commitment: str
    region: str = ""
    part: str | None = None
    note: str = ""
    # A joint draw's other departments: (orgCode, inspector candidates, their hash).
    departments: tuple[tuple[str, int, str], ...] = ()

    def as_json(self) -> dict[str, object]:
        """The commitment as `draw commit` prints it."""
        shown: dict[str, object] = {
            "label": self.label, "k": self.k, "candidatesHash": self.candidates_hash,
            "inspectorCandidatesHash": self.inspector_candidates_hash,
            "commitment": self.commitment}
        if self.departments:
            shown["departments"] = [{"orgCode": org, "inspectorCandidatesHash": digest}
                                    for org, _, digest in self.departments]
        return shown


# A line's category the commit leaves out, and why (`region`, `category`, `reason`).
NotDrawn = Skipped


@dataclass
class CommitReport:
    """The draws committed for one matter and quarter, and the strata not drawn."""

    period: str
    matter_code: str
    committed: list[Committed] = field(default_factory=list)
    not_drawn: list[Skipped] = field(default_factory=list)
    replaced: int = 0  # draws of an earlier commitment not run, replaced with a reason


def group_size(policy: Policy) -> int:
    """The policy's least group size, never below the platform's two."""
    size = policy.group_size.min_inspectors if policy.group_size is not None else MIN_GROUP
    return max(MIN_GROUP, size)


def open_load(conn: Connection) -> Counter[str]:
    """Assignments each inspector holds in tasks not yet complete (their workload)."""
    load: Counter[str] = Counter()
    rows = conn.execute(select(assignments.c.inspector_ids)
                        .join(tasks, tasks.c.task_id == assignments.c.task_id)
                        .where(tasks.c.status != TaskStatus.COMPLETED.value))
    for row in rows:
        load.update(i for i in (row.inspector_ids or "").split(";") if i)
    return load


def matching_inputs(roster: Sequence[Inspector], candidates: Sequence[str], size: int,
                    expertise: Sequence[str], modes: Mapping[str, str],
                    load: Mapping[str, int]) -> MatchingInputs:
    """The matching inputs fixed with a draw: each inspector's profile as of now."""
    wanted = set(candidates)
    profiles = tuple(InspectorProfile(
        p.inspector_id, p.certified, frozenset(e.value for e in p.expertise),
        frozenset(c for c in p.conflicts if c in wanted), int(load.get(p.inspector_id, 0)),
        auxiliary=p.auxiliary)
        for p in sorted(roster, key=lambda p: p.inspector_id))
    return MatchingInputs(profiles, size, tuple(expertise),
                          {u: m for u, m in modes.items() if u in wanted})


def stratum_roster(roster: Sequence[Inspector], stratum_region: str,
                   region_code: str) -> list[Inspector]:
    """Who may be matched in a stratum: everyone of the region when it is the deployment's;
    for a district drawn by the city, the district's staff and the drawing level's own."""
    if stratum_region == region_code:
        return list(roster)
    return [p for p in roster
            if p.region_code.startswith(_prefix(stratum_region)) or p.region_code == region_code]


def _prefix(region: str) -> str:
    return region.rstrip("0") if region.endswith("00") else region


@dataclass
class Prepared:
    """A matter's plan and the inputs of its strata, gathered before the commit's transaction
    (classifying and planning may write to the store)."""

    store: Store
    active: ActivePolicy
    quarter: Quarter
    region_code: str
    matters: tuple[MatterSpec, ...]
    matter: MatterSpec
    own_org: str | None
    given: Mapping[str, int]
    modes: dict[str, str]
    plan: MatterPlan
    directed: DirectedScope | None = None
    joint: JointPlan | None = None
    others: frozenset[str] = frozenset()  # other departments' org codes (joint plans)

    def counted(self, code: str | None) -> bool:
        """Whether a task of matter `code` counts toward this matter."""
        return matter_of_task(self.matters, code) == self.matter.code

    def facts_of(self, usccs: Sequence[str]) -> dict[str, SubjectFacts]:
        """Subjects' facts for obligations scoped to part of a category."""
        return {f.uscc: f for f in subject_facts(self.store, classification_day(self.quarter),
                                                  self.quarter, usccs=usccs)}

    def strata(self, conn: Connection) -> tuple[list[Stratum], list[Skipped]]:
        """Every stratum of the commit, and the lines' categories not drawn."""
        inputs = strata_inputs(conn, self.active.policy, self.quarter, self.matter, self.plan,
                               self.region_code, self.own_org,
                               self.facts_of if self.matter.pollution_sources else None,
                               self.modes, self.counted, self.directed)
        drawn: list[Stratum] = []
        skipped: list[Skipped] = []
        for line in self.plan.lines:
            made, passed = line_strata(inputs, line, self.region_code, self.given)
            drawn += made
            skipped += passed
        return drawn, skipped

    def bureau_roster(self, roster: Sequence[Inspector]) -> list[Inspector]:
        """The bureau's own people: the roster less other departments' (joint plans)."""
        return [p for p in roster if (p.org_code or "").upper() not in self.others]

    def modes_of(self, stratum: Stratum) -> dict[str, str]:
        """Inspection modes other than 现场: the policy's per subject, the matter rule's."""
        if stratum.mode is None:
            return self.modes
        return {**self.modes, **dict.fromkeys(stratum.candidates, stratum.mode)}


def prepare(store: Store, active: ActivePolicy, quarter: Quarter, region_code: str,
            matter_code: str, own_org: str | None,
            counts: Mapping[Category | str, int] | None = None,
            directed: DirectedScope | None = None, joint: str | None = None) -> Prepared:
    """Classify the quarter when needed, plan the matter and check `counts` against it; for a
    joint draw, check the plan covers the matter and quarter and names the bureau."""
    matters = effective_matters(store, active.policy)
    matter = find_matter(matters, matter_code)
    with store.engine.connect() as conn:
        plans = stored_joint_plans(conn)
    plan_of = _joint_plan(plans, joint, matter, quarter, own_org) if joint else None
    given = {category_key(c): n for c, n in (counts or {}).items()}
    modes: dict[str, str] = {}
    if matter.pollution_sources:
        classify_unless_classified(store, active, quarter, region=region_code)
        modes = {u: mode.value for u, mode in inspection_modes(store, active.name,
                                                                quarter).items()
                 if mode is not InspectionMode.ON_SITE}
    plan = make_plan(store, active, quarter, region=region_code, matter=matter.code,
                     own_org=own_org)
    matter_plan = plan.matter(matter.code)
    assert matter_plan is not None
    _check_counts(matter, [c.key for c in matter_plan.whole.categories], given)
    return Prepared(store, active, quarter, region_code, matters, matter, own_org, given, modes,
                    matter_plan, directed, plan_of, other_departments(plans, own_org))


def _joint_plan(plans: Sequence[JointPlan], plan_id: str, matter: MatterSpec, quarter: Quarter,
                own_org: str | None) -> JointPlan:
    """The joint plan `plan_id`; InputRefused when it does not cover the draw."""
    plan = next((p for p in plans if p.plan_id == plan_id), None)
    if plan is None:
        known = ", ".join(p.plan_id for p in plans) or "none; load them with `joint import`"
        raise InputRefused(f"--joint {plan_id}: no such joint plan ({known})")
    if matter.code not in plan.matter_codes:
        raise InputRefused(f"--joint {plan_id}: the plan covers matters "
                           f"{', '.join(plan.matter_codes)}, not {matter.code}")
    if not plan.period.overlaps(quarter.start, quarter.end):
        raise InputRefused(f"--joint {plan_id}: the plan runs {plan.period.text}, which "
                           f"{quarter.label} is outside")
    if not own_org or own_org.upper() not in plan.departments:
        raise InputRefused(f"--joint {plan_id}: SSJ_ORG_CODE {own_org} is not one of the plan's "
                           f"departments ({', '.join(plan.departments)})")
    return plan


def commit_draws(store: Store, active: ActivePolicy, *, region_code: str, quarter: Quarter,
                 matter_code: str, own_org: str | None,
                 counts: Mapping[Category | str, int] | None = None,
                 scope: DrawScope | None = None, reason: str | None = None,
                 replace: bool = False) -> CommitReport:
    """Commit one draw per stratum of the matter whose k is not 0 (module docstring).

    `counts` (`--count CATEGORY=N`) sets k per line; InputRefused, with nothing stored, when a
    given count is not a category of the matter or exceeds a stratum's candidates, or when the
    inspectors cannot form the groups.

    Safety (nothing stored when refused): a commit of the matter and quarter that has not been
    run yet is replaced only with `replace` and a `reason`; a count below what the plan needs
    this quarter needs a `reason`. Both reasons are recorded with every draw of the commit.
    """
    scope = scope or DrawScope()
    reason = (reason or "").strip() or None
    directed = _directed(scope.directed)
    with store.lock(DRAW_LOCK):
        replaced = _check_replacement(store, region_code, quarter, matter_code, replace, reason)
        prepared = prepare(store, active, quarter, region_code, matter_code, own_org, counts,
                           directed, scope.joint)
        roster = prepared.bureau_roster(inspectors(store, region_code))
        rosters = (department_rosters(inspectors(store), prepared.joint.departments,
                                      (own_org or "").upper())
                   if prepared.joint is not None else None)
        report = CommitReport(quarter.label, matter_code)
        # Microseconds: one commit's rows share this time and it tells them from a commit
        # made again within the same second (records.pending_draws).
        now = beijing_now().isoformat(timespec="microseconds")
        size, expertise = group_size(active.policy), matter_expertise(prepared.matter)
        secret = new_secret()  # one commitment covers every stratum of the commit
        with store.engine.begin() as conn:
            load = open_load(conn)
            drawn, report.not_drawn = prepared.strata(conn)
            below = _below_need(prepared)
            if below and reason is None:
                raise InputRefused("--count below what the plan needs this quarter ("
                                   + "; ".join(below) + "): give --reason TEXT to draw fewer; "
                                   "the reason is recorded with the draw")
            recorded = {**({"replaces": replaced, "replaceReason": reason} if replaced else {}),
                        **({"countReason": reason, "belowNeed": below} if below else {}),
                        **({"directed": directed.text()} if directed is not None else {}),
                        **({"departments": list(prepared.joint.departments),
                            "ownRole": rosters.own_role}
                           if prepared.joint is not None and rosters is not None else {})}
            for stratum in drawn:
                counted = stratum.category in prepared.given
                report.committed.append(_commit_stratum(
                    conn, stratum, prepared.matter, quarter, region_code, scope, counted,
                    secret, now, stratum_roster(roster, stratum.region, region_code), size,
                    expertise, prepared.modes_of(stratum), load, recorded, rosters))
        report.replaced = len(replaced)
    for item in report.committed:
        log.info("draw committed", label=item.label, k=item.k, candidates=item.candidates,
                 candidatesHash=item.candidates_hash, commitment=item.commitment)
    return report


def _directed(text: str | None) -> DirectedScope | None:
    if text is None:
        return None
    try:
        return parse_directed(text)
    except ValueError as exc:
        raise InputRefused(f"--directed {text!r}: {exc}") from None


def _check_replacement(store: Store, region_code: str, quarter: Quarter, matter_code: str,
                       replace: bool, reason: str | None) -> list[int]:
    """The draws of a commit not run yet that this commit would replace; InputRefused unless
    the replacement is asked for with a reason (a second commit must not pass unseen)."""
    with store.engine.connect() as conn:
        waiting = pending_draws(conn, region_code, quarter.label, matter_code)
    if not waiting:
        if replace:
            raise InputRefused(f"--replace: no commit of {quarter.label} {matter_code} is waiting "
                               f"to be run in region {region_code}")
        return []
    when = waiting[0].committed_at
    if not replace:
        raise InputRefused(f"{quarter.label} {matter_code} was committed at {when} and not run yet "
                           f"({len(waiting)} draws, commitment {waiting[0].commitment}); "
                           f"committing again replaces that commitment: give --replace "
                           f"--reason TEXT, or run it with `draw run`")
    if reason is None:
        raise InputRefused("--replace needs --reason TEXT: why the commitment of "
                           f"{when} is replaced (recorded with the new draws)")
    return [d.id for d in waiting]


def _below_need(prepared: Prepared) -> list[str]:
    """`REGION CATEGORY: k=N, the plan needs M` for each given count below the line's need."""
    below = []
    for line in prepared.plan.lines:
        for category in line.categories:
            given = prepared.given.get(category.key)
            if given is None or given >= category.need:
                continue
            region = line.region or prepared.region_code
            below.append(f"{region} {category.key}: k={given}, the plan needs {category.need}")
    return below


def _check_counts(matter: MatterSpec, known: Sequence[str], given: Mapping[str, int]) -> None:
    strangers = [c for c in given if c not in known]
    if strangers:
        raise InputRefused(_("--count {given}: not a category of matter {matter} ({known})")
                           .format(given=", ".join(strangers), matter=matter.code,
                                   known=", ".join(known) or pgettext("category", "none")))
    negative = [f"{c}={n}" for c, n in given.items() if n < 0]
    if negative:
        raise InputRefused(_("--count {given}: a count is 0 or more").format(
            given=", ".join(negative)))


def _commit_stratum(conn: Connection, stratum: Stratum, matter: MatterSpec, quarter: Quarter,
                    region_code: str, scope: DrawScope, counted: bool, secret: bytes, now: str,
                    roster: Sequence[Inspector], size: int, expertise: Sequence[str],
                    modes: Mapping[str, str], load: Mapping[str, int],
                    recorded: Mapping[str, object],
                    rosters: DepartmentRosters | None = None) -> Committed:
    label = stratum.label(quarter.label, matter.code)
    inputs = matching_inputs(roster, stratum.candidates, size, expertise, modes, load)
    on_site = any(inputs.mode_of(u) == InspectionMode.ON_SITE.value for u in stratum.candidates)
    problem = shortfall(inputs, on_site=on_site)
    if problem is not None:
        raise InputRefused(_("{label}: too few inspectors in region {region}: {problem}").format(
            label=label, region=stratum.region, problem=problem))
    departments = []
    for org, role, people in (rosters.others if rosters is not None else ()):
        theirs = matching_inputs(people, stratum.candidates, PARTNER_GROUP, (), modes, load)
        problem = shortfall(theirs, on_site=on_site)
        if problem is not None:
            raise InputRefused(_("{label}: department {org} (roster orgCode) cannot join every "
                                 "group: {problem}").format(label=label, org=org, problem=problem))
        departments.append(Department(org, role, theirs))
    chash = candidates_hash(stratum.candidates)
    promise = commitment(secret)
    inserted = conn.execute(draws.insert().values(
        label=label, region_code=region_code, period=quarter.label, matter_code=matter.code,
        category=stratum.category, algorithm=ALGORITHM, k=stratum.k,
        candidates=dumps(stratum.candidates), candidates_hash=chash,
        inspector_candidates=dumps(inputs.as_json()),
        inspector_candidates_hash=inputs.inspector_candidates_hash, commitment=promise,
        secret=secret.hex(), committed_at=now, redraws="[]",
        scope=orjson.dumps({**stratum.scope_json(scope),
                            **({"count": stratum.k} if counted else {}), **recorded}).decode(),
        departments=dumps([d.as_json() for d in departments]) if departments else None)
    ).inserted_primary_key
    assert inserted is not None
    category: Category | str = (Category(stratum.category) if stratum.category in _CATEGORIES
                                else stratum.category)
    return Committed(int(inserted[0]), label, category, stratum.k, len(stratum.candidates),
                     chash, len(inputs.inspectors), inputs.inspector_candidates_hash, promise,
                     stratum.region, stratum.part,
                     describe_left_out(stratum) if stratum.part else "",
                     tuple((d.org_code, len(d.matching.inspectors), d.inspector_candidates_hash)
                           for d in departments))
