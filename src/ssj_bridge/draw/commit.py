"""`draw commit`: fix each category's candidates, k and inspectors, and commit to a secret.

For every category of the policy (draw.md, step 1): the candidates (candidates.py), k by the
plan's "Drawing a quarter" unless the operator gives it, the inspector candidates (active
inspectors of the region, with what matching reads of them), a fresh 32-byte secret and its
commitment. A category with k = 0 is not drawn. Everything is stored in `draws` in one
transaction; what is printed for the witnesses never includes the secret.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Connection, select

from ssj_bridge.draw.candidates import CandidateList, quarter_candidates
from ssj_bridge.draw.expertise import matter_expertise
from ssj_bridge.draw.matching import InspectorProfile, MatchingInputs, shortfall
from ssj_bridge.draw.records import DRAW_LOCK, draw_label, dumps
from ssj_bridge.draw.sampler import ALGORITHM, candidates_hash, commitment, new_secret
from ssj_bridge.errors import InputRefused
from ssj_bridge.intake.queries import inspectors
from ssj_bridge.model import Category, InspectionMode, Inspector, TaskStatus, beijing_now
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import (
    ActivePolicy,
    classification_day,
    classify_unless_classified,
    inspection_modes,
    subject_facts,
)
from ssj_bridge.policy.plan import CategoryPlan, make_plan
from ssj_bridge.policy.rules import Matter, Policy, SubjectFacts
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, draws, tasks

log = structlog.get_logger("ssj_bridge.draw")

# The provincial platform accepts no on-site assignment with fewer than two inspectors.
MIN_GROUP = 2


@dataclass(frozen=True)
class Committed:
    """What is shown to the witnesses for one draw (never the secret)."""

    draw_id: int
    label: str
    category: Category
    k: int
    candidates: int
    candidates_hash: str
    inspector_candidates: int
    inspector_candidates_hash: str
    commitment: str

    def as_json(self) -> dict[str, object]:
        """The commitment as `draw commit` prints it."""
        return {"label": self.label, "k": self.k, "candidatesHash": self.candidates_hash,
                "inspectorCandidatesHash": self.inspector_candidates_hash,
                "commitment": self.commitment}


@dataclass(frozen=True)
class NotDrawn:
    """A category the commit leaves out, and why."""

    category: Category
    reason: str


@dataclass
class CommitReport:
    """The draws committed for one matter and quarter, and the categories not drawn."""

    period: str
    matter_code: str
    committed: list[Committed] = field(default_factory=list)
    not_drawn: list[NotDrawn] = field(default_factory=list)


def find_matter(policy: Policy, matter_code: str) -> Matter:
    """The policy's matter of that code; InputRefused listing the codes otherwise."""
    for matter in policy.matters:
        if matter.code == matter_code:
            return matter
    codes = ", ".join(m.code for m in policy.matters) or "none"
    raise InputRefused(f"matter {matter_code!r} is not in the {policy.name} policy's list "
                       f"of 抽查事项 ({codes})")


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
        frozenset(c for c in p.conflicts if c in wanted), int(load.get(p.inspector_id, 0)))
        for p in sorted(roster, key=lambda p: p.inspector_id))
    return MatchingInputs(profiles, size, tuple(expertise),
                          {u: m for u, m in modes.items() if u in wanted})


def commit_draws(store: Store, active: ActivePolicy, *, region_code: str, quarter: Quarter,
                 matter_code: str, own_org: str | None,
                 counts: Mapping[Category, int] | None = None) -> CommitReport:
    """Commit one draw per category of the policy whose k is not 0 (module docstring).

    InputRefused, with nothing stored, when a given count is not a category of the policy or
    exceeds the category's candidates, or when the inspectors cannot form the groups.
    """
    policy = active.policy
    counts = dict(counts or {})
    matter = find_matter(policy, matter_code)
    strangers = [c.value for c in counts if c not in policy.categories]
    if strangers:
        raise InputRefused(f"--count {', '.join(strangers)}: not a category of the {policy.name} "
                           f"policy ({', '.join(c.value for c in policy.categories)})")
    negative = [f"{c.value}={n}" for c, n in counts.items() if n < 0]
    if negative:
        raise InputRefused(f"--count {', '.join(negative)}: a count is 0 or more")
    with store.lock(DRAW_LOCK):
        classify_unless_classified(store, active, quarter, region=region_code)
        modes = {u: mode.value for u, mode in inspection_modes(store, active.name,
                                                                quarter).items()
                 if mode is not InspectionMode.ON_SITE}
        plan = {c.category: c for c in make_plan(store, active, quarter, region=region_code)
                .categories}
        roster = inspectors(store, region_code)
        report = CommitReport(quarter.label, matter_code)
        # Microseconds: one commit's rows share this time and it tells them from a commit
        # made again within the same second (records.pending_draws).
        now = beijing_now().isoformat(timespec="microseconds")
        size, expertise = group_size(policy), matter_expertise(matter)

        def facts_of(usccs: Sequence[str]) -> dict[str, SubjectFacts]:
            return {f.uscc: f for f in subject_facts(store, classification_day(quarter), quarter,
                                                      usccs=usccs)}

        with store.engine.begin() as conn:
            load = open_load(conn)
            lists = quarter_candidates(conn, policy, quarter, region_code, policy.categories,
                                       own_org, facts_of)
            for category, listed in lists.items():
                k = _k(listed, counts, plan.get(category))
                if isinstance(k, NotDrawn):
                    report.not_drawn.append(k)
                    continue
                label = draw_label(region_code, quarter.label, matter_code, category.value)
                inputs = matching_inputs(roster, listed.candidates, size, expertise, modes, load)
                on_site = any(inputs.mode_of(u) == InspectionMode.ON_SITE.value
                              for u in listed.candidates)
                problem = shortfall(inputs, on_site=on_site)
                if problem is not None:
                    raise InputRefused(f"{label}: too few inspectors in region {region_code}: "
                                       f"{problem}")
                report.committed.append(_store_commit(conn, label, region_code, quarter,
                                                      matter_code, category, k, listed, inputs,
                                                      now))
    for item in report.committed:
        log.info("draw committed", label=item.label, k=item.k, candidates=item.candidates,
                 candidatesHash=item.candidates_hash, commitment=item.commitment)
    return report


def _k(listed: CandidateList, counts: Mapping[Category, int],
       plan: CategoryPlan | None) -> int | NotDrawn:
    category, n = listed.category, len(listed.candidates)
    if category in counts:
        k = counts[category]
        if k > n:
            raise InputRefused(
                f"--count {category.value}={k}: too few candidates, the category has {n} "
                f"({_left_out_text(listed)})")
        return k if k > 0 else NotDrawn(category, "--count 0")
    if plan is None:
        return NotDrawn(category, "no obligation of the policy for the category")
    k = plan.k(n)
    if k > 0:
        return k
    if plan.need > 0:
        return NotDrawn(category, f"needs {plan.need} this quarter but has no candidates "
                                  f"({_left_out_text(listed)})")
    return NotDrawn(category, "nothing more to draw this quarter")


def _left_out_text(listed: CandidateList) -> str:
    parts = [f"{listed.members} in the category"]
    parts += [f"{n} left out: {reason}" for reason, n in listed.left_out.items()]
    return "; ".join(parts)


def _store_commit(conn: Connection, label: str, region_code: str, quarter: Quarter,
                  matter_code: str, category: Category, k: int, listed: CandidateList,
                  inputs: MatchingInputs, now: str) -> Committed:
    secret = new_secret()
    chash = candidates_hash(listed.candidates)
    icash = inputs.inspector_candidates_hash
    promise = commitment(secret)
    inserted = conn.execute(draws.insert().values(
        label=label, region_code=region_code, period=quarter.label, matter_code=matter_code,
        category=category.value, algorithm=ALGORITHM, k=k, candidates=dumps(listed.candidates),
        candidates_hash=chash, inspector_candidates=dumps(inputs.as_json()),
        inspector_candidates_hash=icash, commitment=promise, secret=secret.hex(),
        committed_at=now, redraws="[]")).inserted_primary_key
    assert inserted is not None
    return Committed(int(inserted[0]), label, category, k, len(listed.candidates), chash,
                     len(inputs.inspectors), icash, promise)
