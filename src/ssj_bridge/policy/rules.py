"""What a locality policy is to the core: facts in, a decision and obligations out.

A policy plugin registers a `PolicySpec`; its `factory()` returns an object implementing the
`Policy` protocol — usually a `RuleBook`, a declarative list of rules each citing its clause.
The core never names a locality: it builds `SubjectFacts` from the store, asks the policy for a
`Decision`, and reads the policy's obligations, limits, deadlines and draw exclusions.

Common rules the core applies to every policy (policies/README.md, "Common rules"):
- a subject without a valid permit or registration is in no category;
- a `指定类别` designation in force wins over every rule of the policy (`decide`);
- ratios round up: required = ceil(X% × population) or ceil(k × inspectors), at most the population.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

from ssj_bridge.model import Category, CreditTier, InspectionMode, ManagementClass, RiskClass, Tag
from ssj_bridge.model.matters import MatterSpec
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.plugins.hookspecs import API_VERSION
from ssj_bridge.policy.statutory import StatutoryDate

# The order categories are listed in (plan tables, JSON, `categories` of a subject).
CATEGORY_ORDER = (Category.KEY, Category.SIMPLIFIED, Category.GENERAL, Category.SPECIAL)

Evidence = Mapping[str, Any]


def percent(text: str) -> Fraction:
    """An exact ratio from a percentage as the text writes it: percent("12.5") == 1/8."""
    return Fraction(text) / 100


# -- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignationFact:
    """One stored designation of a subject (interface.md, "Subject designations")."""

    tag: str
    value: str | None = None
    since: date | None = None
    until: date | None = None
    source: str | None = None

    def holds_on(self, day: date) -> bool:
        """In force on `day` (both bounds inclusive, an empty bound open)."""
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)

    def overlaps(self, start: date, end: date) -> bool:
        """In force on some day of start..end."""
        return (self.since is None or self.since <= end) and (self.until is None or start <= self.until)

    def evidence(self) -> dict[str, Any]:
        """The designation as the facts behind a rule (JSON-ready)."""
        return {"tag": self.tag, "value": self.value,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "source": self.source}


@dataclass(frozen=True)
class SubjectFacts:
    """Everything a policy may decide a subject's categories from, as of the day `on`.

    `history` holds every stored designation (in force or not); `complaints_in_quarter` is the
    sum of the `投诉` values whose since..until lies inside the quarter being classified.
    """

    uscc: str
    region_code: str
    on: date
    industry_code: str | None = None
    management_class: ManagementClass | None = None
    key_discharge_unit: bool = False
    active: bool = True
    credit_tier: CreditTier = CreditTier.UNRATED
    credit_level: str | None = None  # the province's own word, e.g. 环保警示企业
    credit_scheme: str | None = None
    credit_year: int | None = None
    risk_class: RiskClass | None = None
    complaints_in_quarter: int = 0
    history: tuple[DesignationFact, ...] = ()
    # The complaints of the quarter before: the list a text compiles before drawing the quarter
    # (南山 一是 and 五（二）1, 衢州 一（四）: the next quarter is drawn before it starts).
    complaints_before_draw: int = 0

    @cached_property
    def designations(self) -> dict[str, tuple[str, ...]]:
        """Tags in force on `on` → their values ('' for a tag without a value)."""
        found: dict[str, list[str]] = {}
        for item in self.history:
            if item.holds_on(self.on):
                found.setdefault(item.tag, []).append(item.value or "")
        return {tag: tuple(values) for tag, values in found.items()}

    @property
    def positive_list(self) -> bool:
        """On the 监督执法正面清单 (tag `正面清单` in force)."""
        return Tag.POSITIVE_LIST.value in self.designations

    @property
    def industry_section(self) -> str | None:
        """GB/T 4754 section letter of the industry code (`H` for H6110)."""
        return self.industry_code[0].upper() if self.industry_code else None

    def in_force(self, tag: str) -> list[DesignationFact]:
        """The designations of `tag` in force on `on`, latest `since` first."""
        items = [d for d in self.history if d.tag == tag and d.holds_on(self.on)]
        return sorted(items, key=lambda d: d.since or date.min, reverse=True)

    # Evidence helpers: each returns the facts behind a rule when it holds, else None.

    def tag(self, tag: str, values: Sequence[str] | None = None) -> Evidence | None:
        """A designation of `tag` in force (with one of `values`, when given)."""
        for item in self.in_force(tag):
            if values is None or (item.value or "") in values:
                return item.evidence()
        return None

    def tag_within(self, tag: str, start: date) -> Evidence | None:
        """A designation of `tag` in force on some day from `start` to `on`."""
        items = [d for d in self.history if d.tag == tag and d.overlaps(start, self.on)]
        if not items:
            return None
        latest = max(items, key=lambda d: d.since or date.min)
        return {**latest.evidence(), "window": f"{start.isoformat()}..{self.on.isoformat()}"}

    def permit_class(self, *classes: ManagementClass) -> Evidence | None:
        """The strictest valid permit class is one of `classes`."""
        if self.management_class in classes:
            return {"managementClass": self.management_class.value}
        return None

    def key_discharge(self) -> Evidence | None:
        """Listed in the 重点排污单位名录."""
        return {"keyDischargeUnit": True} if self.key_discharge_unit else None

    def credit(self, *tiers: CreditTier) -> Evidence | None:
        """The credit evaluation in force is one of `tiers`."""
        if self.credit_tier in tiers:
            return self.credit_evidence()
        return None

    def credit_at_least_as_bad_as(self, tier: CreditTier) -> Evidence | None:
        """The credit evaluation in force is `tier` or worse (UNRATED never is)."""
        if self.credit_tier.at_least_as_bad_as(tier):
            return self.credit_evidence()
        return None

    def credit_evidence(self) -> dict[str, Any]:
        """The credit evaluation in force, as facts."""
        return {"creditTier": self.credit_tier.value, "creditLevel": self.credit_level,
                "scheme": self.credit_scheme, "year": self.credit_year}

    def complaints_at_least(self, threshold: int) -> Evidence | None:
        """At least `threshold` complaints in the quarter."""
        if self.complaints_in_quarter >= threshold:
            return {"complaintsInQuarter": self.complaints_in_quarter, "threshold": threshold}
        return None

    def complaints_before_draw_at_least(self, threshold: int) -> Evidence | None:
        """At least `threshold` complaints in the quarter before (the list compiled before the
        quarter's draw)."""
        if self.complaints_before_draw >= threshold:
            return {"complaintsInQuarterBefore": self.complaints_before_draw,
                    "threshold": threshold}
        return None

    def tag_dated_within(self, tag: str, start: date) -> Evidence | None:
        """A designation of `tag` dated (its `since`, else its `until`) from `start` to `on`.

        For a fact that happened on a day, such as a penalty: a row left open (no `until`)
        does not stay in force past the window. A row with neither date cannot be placed and
        counts while it is in force.
        """
        for item in sorted(self.history, key=lambda d: d.since or d.until or date.min,
                           reverse=True):
            if item.tag != tag:
                continue
            when = item.since or item.until
            if (when is None and item.holds_on(self.on)) or (
                    when is not None and start <= when <= self.on):
                return {**item.evidence(), "window": f"{start.isoformat()}..{self.on.isoformat()}"}
        return None


# -- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a subject is (or is not) in a category: the rule, its clause and the facts behind it.

    `category` None: a reason for being left out. `outranked`: the rule held but another took
    precedence (kept so `explain` can say so).
    """

    category: Category | None
    rule: str
    clause: str
    facts: Evidence = field(default_factory=dict)
    outranked: bool = False
    quote: str = ""  # the words of the text the rule rests on
    mode: InspectionMode | None = None  # set on the reason of a mode rule (e.g. 非现场)
    # Set on the reason of a ratio weight: the factor the category's ratio is scaled by for the
    # subject, and the weight's short name (the part of the draw it is drawn in).
    weight: Fraction | None = None
    weight_name: str = ""

    def as_json(self) -> dict[str, Any]:
        """`{category, rule, clause, facts}` (+ `quote`, `outranked` when set), as stored."""
        item: dict[str, Any] = {"category": self.category.value if self.category else None,
                                "rule": self.rule, "clause": self.clause, "facts": dict(self.facts)}
        if self.quote:
            item["quote"] = self.quote
        if self.outranked:
            item["outranked"] = True
        if self.mode is not None:
            item["mode"] = self.mode.value
        if self.weight is not None:
            item["weight"] = str(self.weight)
            item["weightName"] = self.weight_name
        return item

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Reason:
        """Back from `as_json`."""
        category = item.get("category")
        return cls(Category(category) if category else None, item["rule"], item["clause"],
                   dict(item.get("facts") or {}), bool(item.get("outranked", False)),
                   str(item.get("quote") or ""),
                   InspectionMode(item["mode"]) if item.get("mode") else None,
                   Fraction(item["weight"]) if item.get("weight") else None,
                   str(item.get("weightName") or ""))


@dataclass(frozen=True)
class Decision:
    """A subject's categories for a period: its primary category, every library it is in, why."""

    category: Category | None
    categories: tuple[Category, ...] = ()
    reasons: tuple[Reason, ...] = ()
    excluded_from_routine_draws: bool = False
    excluded_because: str | None = None
    inspection_mode: InspectionMode | None = None  # e.g. 非现场 for positive-list KEY units


# -- obligations and policy-level facts -------------------------------------------------------


class ObligationKind(StrEnum):
    """How an obligation's required count is worked out."""

    RATIO = "ratio"  # ceil(value × population)
    PER_INSPECTOR = "per-inspector"  # ceil(value × inspectors), at most the population
    FULL_COVERAGE = "full-coverage"  # every subject once in the period


@dataclass(frozen=True)
class Obligation:
    """How many subjects of a category must be inspected in each quarter, half-year or year.

    `scope` narrows the obligation to part of the category (`applies_to` decides membership),
    e.g. "every 重点排污单位 once a year" inside a KEY category that also holds other units.
    """

    category: Category
    per: Per
    kind: ObligationKind
    value: Fraction
    rule: str
    clause: str
    quote: str = ""
    scope: str | None = None
    applies_to: Callable[[SubjectFacts], bool] | None = field(default=None, compare=False)

    def required(self, population: int, inspectors: int) -> int:
        """The least number of subjects to inspect in the period (policies/README.md rounding)."""
        if self.kind is ObligationKind.FULL_COVERAGE:
            return population
        base = inspectors if self.kind is ObligationKind.PER_INSPECTOR else population
        return min(population, math.ceil(self.value * base))

    def describe_value(self) -> str:
        """`25%`, `2.5 × inspectors` or `all` (in the language in force)."""
        from ssj_bridge.i18n import _, pgettext

        if self.kind is ObligationKind.FULL_COVERAGE:
            return pgettext("share", "all")
        if self.kind is ObligationKind.RATIO:
            return f"{_decimal(self.value * 100)}%"
        return _("{value} × inspectors").format(value=_decimal(self.value))


def _decimal(value: Fraction) -> str:
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class CheckLimit:
    """At most `per_year` checks of one subject a year; subjects in an `exempt` category have none."""

    per_year: int
    exempt: frozenset[Category]
    clause: str
    quote: str = ""

    def binds(self, categories: Sequence[Category]) -> bool:
        """True when the limit applies to a subject in these categories (exempt in any: not)."""
        return not (set(categories) & self.exempt)


@dataclass(frozen=True)
class GroupSize:
    """At least `min_inspectors` inspectors per check."""

    min_inspectors: int
    clause: str
    quote: str = ""


class ConflictAction(StrEnum):
    """What happens when a drawn inspector has a conflict of interest with the subject."""

    REDRAW = "redraw"  # draw another inspector at random
    SWAP_OR_REDRAW = "swap-or-redraw"  # swap subjects with another inspector, or draw another


@dataclass(frozen=True)
class ConflictRule:
    """How conflicts of interest (回避) are handled."""

    action: ConflictAction
    clause: str
    quote: str = ""


@dataclass(frozen=True)
class ExpertiseRule:
    """Each matter of a check gets at least one inspector from the matching field."""

    clause: str
    quote: str = ""


@dataclass(frozen=True)
class ReplacementRule:
    """A drawn inspector is replaced after the draw only with `approver`'s approval, recorded
    with the replacement (威海 第二十一条 "经本单位分管负责同志同意后，可调整更换")."""

    approver: str
    clause: str
    quote: str = ""


class DeadlineKind(StrEnum):
    """What must happen by a deadline."""

    PUBLICATION = "publication"
    RESULTS_ENTRY = "results-entry"


class CountedFrom(StrEnum):
    """The day a deadline counts from (that day itself not counted)."""

    TASK_COMPLETE = "task-complete"
    INSPECTION = "inspection"
    # The day the last task of the task's quarter is complete (威海 第二十二条 "每季度随机抽查任务
    # 完成后"): nothing of the quarter is due before all of it is done.
    QUARTER_COMPLETE = "quarter-complete"


@dataclass(frozen=True)
class Deadline:
    """`days` working (or calendar) days after `counted_from`; `document` when not the policy's own."""

    kind: DeadlineKind
    days: int
    counted_from: CountedFrom
    clause: str
    quote: str = ""
    working_days: bool = True
    document: str = ""


class NoteKind(StrEnum):
    """Advisory notes change no count; procedure notes say how a step is carried out."""

    ADVISORY = "advisory"
    PROCEDURE = "procedure"


@dataclass(frozen=True)
class Note:
    """A clause with no number to compute: shown beside the plan, never changing a count."""

    text: str
    clause: str
    quote: str = ""
    kind: NoteKind = NoteKind.ADVISORY


@dataclass(frozen=True)
class Matter:
    """An 抽查事项 of the policy's list; M01 (routine supervision) serves the obligations."""

    code: str
    name: str
    clause: str
    optional: bool = True


@dataclass(frozen=True)
class PastResult:
    """A recorded inspection result of a subject, as draw exclusions look at it."""

    uscc: str
    inspected_on: date
    result_code: str
    drawn_by: str | None = None  # org code of whoever drew the task


ExclusionTest = Callable[[Sequence[PastResult], Quarter, str | None], bool]


@dataclass(frozen=True)
class DrawExclusion:
    """Subjects a policy takes out of a quarter's candidates (e.g. inspected and found clean).

    `test(results of the subject, quarter, own org code)` says whether it is excluded; subjects
    in an `exempt` category never are.
    """

    name: str
    rule: str
    clause: str
    test: ExclusionTest = field(compare=False)
    exempt: frozenset[Category] = frozenset()
    quote: str = ""
    enabled: bool = True
    # The deployment levels (`city`, `county`) at which it applies; empty: at every level.
    levels: frozenset[str] = frozenset()

    def applies_at(self, level: str) -> bool:
        """True when the exclusion applies to a deployment of this level."""
        return self.enabled and (not self.levels or level in self.levels)

    def excludes(self, results: Sequence[PastResult], categories: Sequence[Category],
                 quarter: Quarter, own_org: str | None) -> bool:
        """True when this exclusion takes the subject out of the quarter's candidates."""
        if not self.enabled or set(categories) & self.exempt:
            return False
        return self.test(results, quarter, own_org)


@runtime_checkable
class Policy(Protocol):
    """What the core asks of a locality policy."""

    @property
    def name(self) -> str:
        """The policy's name, as SSJ_POLICY names it."""
        ...

    @property
    def locality(self) -> str:
        """The locality whose text the policy implements."""
        ...

    @property
    def precedence(self) -> tuple[Category, ...]:
        """Categories in the order a subject is placed in them."""
        ...

    @property
    def check_limit(self) -> CheckLimit | None:
        """Checks of one subject a year, when limited."""
        ...

    @property
    def group_size(self) -> GroupSize | None:
        """Least inspectors per check, when the text sets one."""
        ...

    @property
    def conflict(self) -> ConflictRule | None:
        """How a conflict of interest is handled, when the text says."""
        ...

    @property
    def expertise(self) -> ExpertiseRule | None:
        """Whether each matter needs an inspector of its field."""
        ...

    @property
    def deadlines(self) -> tuple[Deadline, ...]:
        """Results-entry and publication deadlines."""
        ...

    @property
    def notes(self) -> tuple[Note, ...]:
        """Advisory and procedure notes (no count changes)."""
        ...

    @property
    def matters(self) -> tuple[Matter, ...]:
        """The 抽查事项 list; M01 first."""
        ...

    @property
    def draw_exclusions(self) -> tuple[DrawExclusion, ...]:
        """Who is taken out of a quarter's candidates."""
        ...

    @property
    def categories(self) -> tuple[Category, ...]:
        """The categories the policy uses, in CATEGORY_ORDER."""
        ...

    def classify(self, facts: SubjectFacts, quarter: Quarter) -> Decision:
        """The subject's categories for the quarter, each with the rule and clause behind it."""
        ...

    def obligations(self) -> list[Obligation]:
        """Every obligation of the policy, whatever its period."""
        ...


@dataclass(frozen=True)
class PolicySpec:
    """A locality policy as a plugin registers it: a name, the locality, and a factory.

    `region` is the locality's region code and `authority` its environment authority's
    (USCC, name), where the plugin knows them: `demo` runs a policy's locality from them.
    `example` marks the plugin's worked example, which a bare `demo` runs.
    """

    name: str
    locality: str
    factory: Callable[[], Policy]
    version: str = "0"
    description: str = ""
    region: str | None = None
    authority: tuple[str, str] | None = None
    example: bool = False
    api: str = API_VERSION  # the ssj_bridge.api version the policy was written for


# -- the declarative rule book ----------------------------------------------------------------


RuleTest = Callable[[SubjectFacts], Evidence | None]


@dataclass(frozen=True)
class Rule:
    """Puts a subject in `category` when `test` returns the facts behind it.

    A `fallback` rule ("all others") is tried only when no other rule placed the subject.
    """

    category: Category
    rule: str
    clause: str
    test: RuleTest = field(compare=False)
    quote: str = ""
    fallback: bool = False


@dataclass(frozen=True)
class Exclusion:
    """Leaves a subject out of the library or of routine draws unless it is in an `unless` category."""

    rule: str
    clause: str
    test: RuleTest = field(compare=False)
    unless: frozenset[Category] = frozenset()
    quote: str = ""


@dataclass(frozen=True)
class ModeRule:
    """Subjects of `category` for which `test` holds are inspected in `mode` (e.g. 非现场)."""

    category: Category
    mode: InspectionMode
    rule: str
    clause: str
    test: RuleTest = field(compare=False)
    quote: str = ""


@dataclass(frozen=True)
class RatioWeight:
    """Scales the per-quarter ratio of `categories` (every category when empty) by `factor` for
    the subjects `test` picks — a risk class, a tag (阳城 三 "对低风险、一般风险、较高风险、高风险
    企业分别递加比例抽查", 威海 第十五条 "应提高抽查比例").

    The first weight that holds for a subject applies. A weighted category is drawn in parts:
    each weight's subjects as a part of their own (`name` labels it), at ceil(ratio × factor ×
    their number); the category still draws at least ceil(ratio × population) in all.
    """

    name: str
    factor: Fraction
    rule: str
    clause: str
    test: RuleTest = field(compare=False)
    categories: frozenset[Category] = frozenset()
    quote: str = ""

    def applies_to(self, category: Category | None) -> bool:
        """Whether the weight scales `category`'s ratio."""
        return category is not None and (not self.categories or category in self.categories)


@dataclass(frozen=True)
class RuleBook:
    """A policy written as rules: the usual shape of a locality plugin.

    Classification: every rule is tried (fallback rules only when no other held); an exclusion
    that holds (and is not overridden by an `unless` category that matched) leaves the subject
    out; otherwise the subject is in the first matched category of `precedence`, plus every
    matched category of `overlapping` (libraries that may overlap the others, e.g. a separate
    SPECIAL library); its primary category is the first of those in `precedence`.
    """

    name: str
    locality: str
    precedence: tuple[Category, ...]
    rules: tuple[Rule, ...]
    obligation_list: tuple[Obligation, ...]
    exclusions: tuple[Exclusion, ...] = ()
    overlapping: frozenset[Category] = frozenset()
    modes: tuple[ModeRule, ...] = ()
    check_limit: CheckLimit | None = None
    group_size: GroupSize | None = None
    conflict: ConflictRule | None = None
    expertise: ExpertiseRule | None = None
    deadlines: tuple[Deadline, ...] = ()
    notes: tuple[Note, ...] = ()
    matters: tuple[Matter, ...] = ()
    draw_exclusions: tuple[DrawExclusion, ...] = ()
    # The 随机抽查事项清单 the text gives (one MatterSpec per matter); empty: `matters`, M01
    # following the obligations.
    matter_list: tuple[MatterSpec, ...] = ()
    # The clause that makes an inspection count as done only once published, if any (益阳 五（三）
    # "已实施检查但未进行公示的，视为未完成抽查检查任务").
    done_when_published: str = ""
    # Who must approve replacing a drawn inspector, where the text says (威海 第二十一条).
    replacement: ReplacementRule | None = None
    # The clause that lets a result stay unpublished (益阳 五（三） "涉及保密、国家安全、公共安全的，
    # 可不予公开"), recorded with each result withheld.
    withholding: str = ""
    # Ratios scaled by risk class or tag, in order (the first that holds applies).
    weights: tuple[RatioWeight, ...] = ()
    # The dates the text fixes around the draws (annual plan, reports, …; policy.statutory).
    statutory_dates: tuple[StatutoryDate, ...] = ()

    @property
    def categories(self) -> tuple[Category, ...]:
        """The categories of `precedence`, in CATEGORY_ORDER."""
        return tuple(c for c in CATEGORY_ORDER if c in self.precedence)

    def obligations(self) -> list[Obligation]:
        """Every obligation, whatever its period."""
        return list(self.obligation_list)

    def classify(self, facts: SubjectFacts, quarter: Quarter) -> Decision:
        """Apply the rules in precedence order (see the class docstring)."""
        matched: dict[Category, list[Reason]] = {}
        for fallback in (False, True):
            if fallback and matched:
                break
            for rule in (r for r in self.rules if r.fallback is fallback):
                evidence = rule.test(facts)
                if evidence is not None:
                    matched.setdefault(rule.category, []).append(
                        Reason(rule.category, rule.rule, rule.clause, dict(evidence),
                               quote=rule.quote))
        for exclusion in self.exclusions:
            evidence = exclusion.test(facts)
            if evidence is not None and not (exclusion.unless & matched.keys()):
                held = [replace(r, outranked=True) for c in self.precedence for r in matched.get(c, [])]
                return Decision(None, (), (Reason(None, exclusion.rule, exclusion.clause,
                                                  dict(evidence), quote=exclusion.quote), *held),
                                excluded_from_routine_draws=True, excluded_because=exclusion.rule)
        ordered = [c for c in self.precedence if c in matched]
        exclusive = [c for c in ordered if c not in self.overlapping]
        chosen = set(exclusive[:1]) | {c for c in ordered if c in self.overlapping}
        if not chosen:
            return Decision(None, (), (Reason(None, "no rule of the policy places it in a category",
                                              "", {}),))
        primary = next(c for c in self.precedence if c in chosen)
        reasons = [r for c in self.precedence if c in chosen for r in matched[c]]
        reasons += [replace(r, outranked=True) for c in ordered if c not in chosen
                    for r in matched[c]]
        mode = None
        for mode_rule in self.modes:
            evidence = mode_rule.test(facts) if mode_rule.category in chosen else None
            if evidence is not None:
                mode = mode_rule.mode
                reasons.append(Reason(mode_rule.category, mode_rule.rule, mode_rule.clause,
                                      dict(evidence), quote=mode_rule.quote, mode=mode))
                break
        weight = weight_reason(self.weights, facts, primary)
        if weight is not None:
            reasons.append(weight)
        categories = tuple(c for c in CATEGORY_ORDER if c in chosen)
        return Decision(primary, categories, tuple(reasons), inspection_mode=mode)


def weight_reason(weights: Sequence[RatioWeight], facts: SubjectFacts,
                  category: Category | None) -> Reason | None:
    """The reason of the first weight that holds for the subject in `category`, if any."""
    for weight in weights:
        if not weight.applies_to(category):
            continue
        evidence = weight.test(facts)
        if evidence is not None:
            return Reason(category, weight.rule, weight.clause, dict(evidence), quote=weight.quote,
                          weight=weight.factor, weight_name=weight.name)
    return None


# -- the common rules -------------------------------------------------------------------------


def decide(policy: Policy, facts: SubjectFacts, quarter: Quarter) -> Decision:
    """The subject's decision under `policy`, with the common rules applied around it.

    A subject without a valid permit or registration is in no category. A `指定类别`
    designation in force (the latest, when several) wins over every rule; the policy's own
    reasons are kept, marked outranked, so `explain` shows what the rules alone would say.
    """
    if not facts.active:
        return Decision(None, (), (Reason(None, "no valid permit or registration: not in the library",
                                          "", {"active": False}),),
                        excluded_from_routine_draws=True, excluded_because="no valid permit")
    decision = policy.classify(facts, quarter)
    designated = facts.in_force(Tag.DESIGNATED_CATEGORY.value)
    if not designated:
        return decision
    chosen = designated[0]
    evidence = chosen.evidence()
    clause = chosen.source or Tag.DESIGNATED_CATEGORY.value
    try:
        category = Category((chosen.value or "").upper())
    except ValueError:
        category = None
    if category is None or category not in policy.categories:
        ignored = Reason(None, f"指定类别 {chosen.value!r} ignored: the policy has no such category",
                         clause, evidence)
        return replace(decision, reasons=(*decision.reasons, ignored))
    # The designation replaces the categories; how a kept category is inspected still holds,
    # and so does a ratio weight of the designated category.
    held = tuple(r if r.mode is not None and r.category is category
                 else replace(r, outranked=True) for r in decision.reasons if r.weight is None)
    mode = next((r.mode for r in held if r.mode is not None and not r.outranked), None)
    weight = weight_reason(getattr(policy, "weights", ()), facts, category)
    return Decision(category, (category,),
                    (Reason(category, f"bureau designation 指定类别 {category.value} "
                                      "(wins over every rule)", clause, evidence), *held,
                     *((weight,) if weight is not None else ())),
                    inspection_mode=mode)


# -- what a policy may add to the protocol ----------------------------------------------------
# Read with defaults, so a policy written before these existed keeps working unchanged.


def done_when_published(policy: Policy) -> str:
    """The clause that counts an inspection as done only once published ('' when none)."""
    return str(getattr(policy, "done_when_published", "") or "")


def ratio_weights(policy: Policy | None) -> tuple[RatioWeight, ...]:
    """The policy's ratio weights (none when it declares none)."""
    found = getattr(policy, "weights", ()) if policy is not None else ()
    return tuple(w for w in found if isinstance(w, RatioWeight))


def statutory_dates(policy: Policy | None) -> tuple[StatutoryDate, ...]:
    """The dates the policy's text fixes (none when it declares none)."""
    found = getattr(policy, "statutory_dates", ()) if policy is not None else ()
    return tuple(d for d in found if isinstance(d, StatutoryDate))


def withholding_clause(policy: Policy | None) -> str:
    """The clause under which a result may stay unpublished ('' when the text has none)."""
    return str(getattr(policy, "withholding", "") or "") if policy is not None else ""


def replacement_rule(policy: Policy | None) -> ReplacementRule | None:
    """Whose approval replacing a drawn inspector needs, when the policy says."""
    found = getattr(policy, "replacement", None) if policy is not None else None
    return found if isinstance(found, ReplacementRule) else None
