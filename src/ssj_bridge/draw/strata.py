"""The strata of a draw commit: for one matter and quarter, each line of its plan (the region,
or each district where districts keep their own obligations) and each category, the candidates
and k — with the parts a category may need beside its main draw.

Candidates of a category in a line (policies/README.md, "Candidates", per matter):
- its members (every subject of the library, also where a policy lets libraries overlap —
  衢州's SPECIAL library: a subject in KEY and SPECIAL is a candidate of both);
- less those a policy exclusion takes out at the deployment's level (e.g. inspected this year
  and found clean), its exempt categories excepted;
- less those covered in the quarter by a task of this matter (inspected, or assigned in a
  task still open);
- where the category has a full-coverage obligation, less those already covered in its period;
- less those at the policy's yearly check limit (pollution sources; SPECIAL never).
k is the plan's need for the line and category ("Drawing a quarter"), or `--count` (per line).

Parts beside the main draw, each its own draw (label suffix) in the same commit:
- `/<scope>` — **forced coverage**: where a full-coverage obligation covers part of the
  category (阳城 三 "所有重点排污单位"), the uncovered units of that part that the remaining
  quarters cannot otherwise cover — max(0, uncovered − (quarters left after this one) × k) —
  are drawn among the part's uncovered units first (in the last quarter: all of them); the
  main draw takes the rest of k from the other candidates.
- `/taken-back` — **the fallback**: when the candidates fall short of k because the policy's
  optional exclusions or the period's coverage left them out (威海 第十八条 "原则上可剔除",
  益阳 四（二）2 "每季度至少…25%"), the main draw takes every remaining candidate and the
  shortfall is drawn among the subjects taken back, in the text's order — the exclusions as the
  policy lists them, then those covered earlier in the period — and the commit says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ssj_bridge.draw.candidates import checks_in_year, covered_in, past_results
from ssj_bridge.draw.records import draw_label
from ssj_bridge.draw.sampler import normalise_candidates
from ssj_bridge.errors import InputRefused
from ssj_bridge.i18n import _, language
from ssj_bridge.model import Category, words
from ssj_bridge.model.matters import MatterSpec, deployment_level
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.directed import DirectedScope
from ssj_bridge.policy.plan import CategoryPlan, MatterPlan, Quota, RegionPlan
from ssj_bridge.policy.rules import Policy, SubjectFacts

FactsOf = Callable[[Sequence[str]], Mapping[str, SubjectFacts]]
TAKEN_BACK = "taken-back"


@dataclass(frozen=True)
class DrawScope:
    """What narrows a commit beyond its matter and strata, recorded with each of its draws.

    `directed` (a 定向 draw's scope, `policy.directed`; recorded in its canonical form and
    carried by each draw's label) and `joint` (a joint plan's id: each other department draws
    its own inspectors, `draw.joint`); a plain commit has neither.
    """

    directed: str | None = None
    joint: str | None = None


@dataclass
class Stratum:
    """One draw of a commit: the line's region, the category, the part, candidates and k."""

    region: str
    category: str
    part: str | None
    candidates: list[str]
    k: int
    members: int
    left_out: dict[str, int] = field(default_factory=dict)
    taken_back: dict[str, int] = field(default_factory=dict)
    mode: str | None = None
    directed: str | None = None

    def label(self, period: str, matter: str) -> str:
        """`<region>/<period>/<matter>/<CATEGORY>[/定向:<scope>][/<part>]`
        (contracts/draw/README.md)."""
        return draw_label(self.region, period, matter, self.category, self.part, self.directed)

    def scope_json(self, scope: DrawScope) -> dict[str, Any]:
        """What `draws.scope` records of the stratum."""
        return {"region": self.region, "part": self.part, "directed": scope.directed,
                "joint": scope.joint}


@dataclass(frozen=True)
class Skipped:
    """A line's category the commit does not draw, and why."""

    region: str
    category: str
    reason: str


@dataclass
class _Steps:
    """The candidate steps of one category in one line: who each step left out, in order."""

    remaining: list[str]
    left_out: dict[str, int] = field(default_factory=dict)
    # (reason, subjects) the fallback may take back, in the order to take them back
    optional: list[tuple[str, set[str]]] = field(default_factory=list)
    at_limit: set[str] = field(default_factory=set)  # never taken back

    def drop(self, reason: str, gone: set[str], *, optional: bool = False) -> None:
        kept = [u for u in self.remaining if u not in gone]
        removed = {u for u in self.remaining if u in gone}
        if removed:
            self.left_out[reason] = self.left_out.get(reason, 0) + len(removed)
            if optional:
                self.optional.append((reason, removed))
        self.remaining = kept


@dataclass
class StrataInputs:
    """What every stratum of a commit reads from the store once."""

    policy: Policy
    quarter: Quarter
    matter: MatterSpec
    own_org: str | None
    level: str
    facts_of: FactsOf | None
    history: Mapping[str, Sequence[Any]]
    in_quarter: set[str]
    checks: Counter[str]
    conn: Connection
    modes: Mapping[str, str]
    counted: Callable[[str | None], bool]
    # A directed draw: its scope's canonical text and the subjects in it.
    directed: str | None = None
    in_scope: frozenset[str] | None = None

    _covered: dict[str, set[str]] = field(default_factory=dict)

    def covered(self, quota: Quota) -> set[str]:
        """Covered in the quota's period by this matter's tasks (read once per period)."""
        if quota.per.value not in self._covered:
            start, end = self.quarter.span(quota.per)
            self._covered[quota.per.value] = covered_in(
                self.conn, start, end, [q.label for q in self.quarter.quarters_of(quota.per)],
                self.counted)
        return self._covered[quota.per.value]


def strata_inputs(conn: Connection, policy: Policy, quarter: Quarter, matter: MatterSpec,
                  plan: MatterPlan, region: str, own_org: str | None, facts_of: FactsOf | None,
                  modes: Mapping[str, str], counted: Callable[[str | None], bool],
                  directed: DirectedScope | None = None) -> StrataInputs:
    """Read once what the strata of a commit need (and, for a directed draw, who is in its
    scope on the facts that classify the quarter)."""
    everyone = sorted({k for line in plan.lines for c in line.categories for k in c.members})
    history = past_results(conn, everyone) if matter.pollution_sources else {}
    checks = (checks_in_year(conn, quarter.year)
              if policy.check_limit is not None and matter.pollution_sources else Counter())
    in_scope = None
    if directed is not None:
        if facts_of is None:
            raise InputRefused(f"--directed: matter {matter.code} draws {matter.object_kind}; a "
                               f"directed scope (designations, credit-risk classes) applies to "
                               f"matters of 排污单位")
        facts = facts_of(everyone)
        in_scope = frozenset(u for u in everyone if u in facts and directed.holds(facts[u]))
    return StrataInputs(policy, quarter, matter, own_org, deployment_level(region), facts_of,
                        history, covered_in(conn, quarter.start, quarter.end, [quarter.label],
                                            counted), checks, conn, modes, counted,
                        directed.text() if directed is not None else None, in_scope)


def line_strata(inputs: StrataInputs, line: RegionPlan, region: str,
                counts: Mapping[str, int]) -> tuple[list[Stratum], list[Skipped]]:
    """Every draw of one line's categories (module docstring)."""
    drawn: list[Stratum] = []
    skipped: list[Skipped] = []
    libraries: dict[str, tuple[Category, ...]] = {}
    for category in line.categories:
        if isinstance(category.category, Category):
            for key in category.members:
                libraries[key] = (*libraries.get(key, ()), category.category)
    for category in line.categories:
        made, why = _category_strata(inputs, category, line.region or region, counts, libraries)
        for stratum in made:
            stratum.directed = inputs.directed
        drawn += made
        if why is not None:
            skipped.append(why)
    return drawn, skipped


def _category_strata(inputs: StrataInputs, plan: CategoryPlan, region: str,
                     counts: Mapping[str, int], libraries: Mapping[str, tuple[Category, ...]]
                     ) -> tuple[list[Stratum], Skipped | None]:
    key = plan.key
    steps = _candidate_steps(inputs, plan, libraries)
    mode = inputs.matter.mode_of(key)
    mode_text = mode.value if mode is not None else None
    if key in counts:
        k = counts[key]
        if k == 0:
            return [], Skipped(region, key, "--count 0")
        if k > len(steps.remaining):
            raise InputRefused(_("--count {key}={k}: too few candidates, the category has "
                                 "{count} in {region} ({left_out})").format(
                key=key, k=k, count=len(steps.remaining), region=region,
                left_out=_left_out_text(plan, steps)))
        return [_stratum(region, key, None, steps.remaining, k, plan, steps, mode_text)], None
    if not plan.obligations:
        return [], Skipped(region, key, _("no obligation for the category"))
    need = plan.need
    if need == 0:
        return [], Skipped(region, key, _("nothing more to draw this quarter"))
    parts: list[Stratum] = []
    forced = _forced_part(inputs, plan, steps, need, region, mode_text)
    if forced is not None:
        parts.append(forced)
        need -= forced.k
    for weighted in _weighted_parts(plan, steps, need, region, mode_text):
        parts.append(weighted)
        need -= weighted.k
    if need > 0 and len(steps.remaining) < need:
        back, used = _take_back(inputs, steps, need)
        if steps.remaining:
            parts.append(_stratum(region, key, None, steps.remaining, len(steps.remaining), plan,
                                  steps, mode_text))
        short = need - len(steps.remaining)
        if back:
            taken = normalise_candidates(back)
            parts.append(Stratum(region, key, TAKEN_BACK, taken, min(short, len(taken)),
                                 plan.population, dict(steps.left_out), used, mode_text))
        if not parts:
            return [], Skipped(region, key, _("needs {need} this quarter but has no candidates "
                                              "({left_out})").format(
                need=plan.need, left_out=_left_out_text(plan, steps)))
        return parts, None
    if need > 0:
        parts.append(_stratum(region, key, None, steps.remaining, need, plan, steps, mode_text))
    return parts, None


def _stratum(region: str, category: str, part: str | None, candidates: Sequence[str], k: int,
             plan: CategoryPlan, steps: _Steps, mode: str | None) -> Stratum:
    return Stratum(region, category, part, normalise_candidates(candidates), k, plan.population,
                   dict(steps.left_out), {}, mode)


OUT_OF_SCOPE = "outside the directed scope"


def _candidate_steps(inputs: StrataInputs, plan: CategoryPlan,
                     libraries: Mapping[str, tuple[Category, ...]]) -> _Steps:
    policy = inputs.policy
    steps = _Steps(sorted(plan.members))
    if inputs.in_scope is not None:
        steps.drop(f"{OUT_OF_SCOPE} {inputs.directed}",
                   {u for u in steps.remaining if u not in inputs.in_scope})
    if inputs.matter.pollution_sources:
        for exclusion in policy.draw_exclusions:
            if not exclusion.applies_at(inputs.level):
                continue
            # In Chinese the policy's own words, where it quotes them.
            words_of = (exclusion.quote if exclusion.quote and language() == "zh"
                        else exclusion.rule)
            steps.drop(f"{exclusion.clause} {words_of}",
                       {u for u in steps.remaining
                        if exclusion.excludes(inputs.history.get(u, []), libraries.get(u, ()),
                                              inputs.quarter, inputs.own_org)}, optional=True)
    steps.drop(_("covered this quarter"), inputs.in_quarter)
    for status in plan.obligations:
        quota = status.obligation
        if not quota.full_coverage:
            continue
        gone = {u for u in steps.remaining if u in inputs.covered(quota)}
        if quota.applies_to is not None and inputs.facts_of is not None and gone:
            facts = inputs.facts_of(sorted(gone))
            gone = {u for u in gone if u in facts and quota.applies_to(facts[u])}
        covered = {"quarter": _("{clause} covered in its quarter"),
                   "half-year": _("{clause} covered in its half-year"),
                   "year": _("{clause} covered in its year")}[quota.per.value]
        steps.drop(covered.format(clause=quota.clause), gone, optional=True)
    limit = policy.check_limit
    if limit is not None and inputs.matter.pollution_sources:
        steps.at_limit = {u for u in plan.members if limit.binds(libraries.get(u, ()))
                          and inputs.checks[u] >= limit.per_year}
        steps.drop(_("{clause} at the limit of {count} checks a year").format(
            clause=limit.clause, count=limit.per_year), steps.at_limit)
    return steps


def _forced_part(inputs: StrataInputs, plan: CategoryPlan, steps: _Steps, need: int,
                 region: str, mode: str | None) -> Stratum | None:
    """The units of a scoped full-coverage obligation the remaining quarters cannot cover."""
    for status in plan.obligations:
        quota = status.obligation
        if not (quota.full_coverage and quota.applies_to is not None and quota.scope):
            continue
        if inputs.facts_of is None or not steps.remaining:
            continue
        facts = inputs.facts_of(steps.remaining)
        uncovered = [u for u in steps.remaining if u in facts and quota.applies_to(facts[u])]
        later = status.quarters_left - 1
        forced = max(0, len(uncovered) - later * need)
        if forced == 0:
            continue
        steps.remaining = [u for u in steps.remaining if u not in set(uncovered)]
        return Stratum(region, plan.key, quota.scope, normalise_candidates(uncovered),
                       min(forced, len(uncovered)), plan.population, dict(steps.left_out), {},
                       mode)
    return None


def _weighted_parts(plan: CategoryPlan, steps: _Steps, need: int, region: str,
                    mode: str | None) -> list[Stratum]:
    """Each ratio weight's subjects drawn as a part of their own, at what their scaled ratio
    still needs this quarter (module docstring of `policy.plan`, `weight_groups`); they leave
    the main draw, which takes the rest of k from the others."""
    status = next((o for o in plan.obligations if o.weighted_groups), None)
    if status is None:
        return []
    made = []
    for group in status.weighted_groups:
        candidates = [u for u in steps.remaining if u in group.members]
        k = min(group.need(status.quarters_left), len(candidates), max(0, need))
        steps.remaining = [u for u in steps.remaining if u not in group.members]
        if k > 0:
            made.append(Stratum(region, plan.key, group.name, normalise_candidates(candidates), k,
                                plan.population, dict(steps.left_out), {}, mode))
            need -= k
    return made


def _take_back(inputs: StrataInputs, steps: _Steps, need: int) -> tuple[set[str], dict[str, int]]:
    """Subjects the optional steps left out, taken back in order until the need is met; and
    how many each step gave back."""
    back: set[str] = set()
    used: dict[str, int] = {}
    for reason, who in steps.optional:
        more = who - set(steps.remaining) - inputs.in_quarter - steps.at_limit - back
        if more:
            back |= more
            used[reason] = len(more)
        if len(steps.remaining) + len(back) >= need:
            break
    return back, used


def _left_out_parts(members: int, left_out: Mapping[str, int]) -> list[str]:
    return [_("{count} in the category").format(count=members),
            *(_("{count} left out: {reason}").format(count=n, reason=reason)
              for reason, n in left_out.items())]


def _left_out_text(plan: CategoryPlan, steps: _Steps) -> str:
    return words.clauses(_left_out_parts(plan.population, steps.left_out))


def describe_left_out(stratum: Stratum) -> str:
    """What the steps left out and what was taken back, for the operator."""
    parts = _left_out_parts(stratum.members, stratum.left_out)
    parts += [_("taken back: {reason} ({count})").format(reason=reason, count=n)
              for reason, n in stratum.taken_back.items()]
    return words.clauses(parts)
