"""Applies the configured policy to every subject and records, per period, the categories and why.

Runs after each sync (for the current quarter, Beijing date) and whenever a plan asks for a
period nobody has classified yet. Each row of `classifications` keeps the reasons — rule,
clause, the facts behind it — so `explain USCC` answers from the store alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import orjson
import structlog
from sqlalchemy import delete, select

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.intake.queries import designations
from ssj_bridge.model import (
    Category,
    CreditTier,
    InspectionMode,
    ManagementClass,
    Tag,
    beijing_now,
    beijing_today,
    iso_beijing,
    region_within,
)
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.plugins.registry import Enricher, Registry
from ssj_bridge.policy.credit import credit_on
from ssj_bridge.policy.rules import (
    CATEGORY_ORDER,
    Decision,
    DesignationFact,
    Policy,
    PolicySpec,
    Reason,
    SubjectFacts,
    decide,
)
from ssj_bridge.policy.snapshots import is_closed, record_correction
from ssj_bridge.store import Store
from ssj_bridge.store.schema import classifications as classifications_table
from ssj_bridge.store.schema import subjects as subjects_table

log = structlog.get_logger("ssj_bridge.policy.classify")

POLICY_SETTING = "SSJ_POLICY"


@dataclass(frozen=True)
class ActivePolicy:
    """The configured policy: its name (as SSJ_POLICY gives it), its spec and its rules."""

    name: str
    spec: PolicySpec
    policy: Policy


def resolve_policy(host: PluginHost, name: str | None) -> ActivePolicy:
    """The policy SSJ_POLICY names; ConfigurationError naming SSJ_POLICY when unset or unknown."""
    if not name:
        raise ConfigurationError(f"{POLICY_SETTING} is not set (the locality policy, e.g. weihai)",
                                 POLICY_SETTING)
    spec = host.policy(name, POLICY_SETTING)
    return ActivePolicy(name, spec, spec.factory())


# -- facts ------------------------------------------------------------------------------------


def complaints_in_quarter(history: Iterable[DesignationFact], quarter: Quarter) -> int:
    """Sum of the `投诉` values whose since..until lies inside the quarter (interface.md).

    A row with an open bound does not lie inside any quarter and is not counted.
    """
    total = 0
    for item in history:
        if (item.tag == Tag.COMPLAINTS.value and item.since is not None and item.until is not None
                and quarter.start <= item.since and item.until <= quarter.end):
            total += int(item.value or 0)
    return total


def subject_facts(store: Store, day: date, quarter: Quarter, *, region: str | None = None,
                  usccs: Iterable[str] | None = None) -> list[SubjectFacts]:
    """The facts of every subject (of `region`, or of `usccs`) as they stand on `day`."""
    wanted = set(usccs) if usccs is not None else None
    with store.engine.connect() as conn:
        rows = [row for row in conn.execute(select(subjects_table).order_by(subjects_table.c.uscc))
                if (region is None or region_within(row.region_code, region))
                and (wanted is None or row.uscc in wanted)]
    keys = [row.uscc for row in rows]
    credit = credit_on(store, day, keys)
    history = designations(store, keys)
    facts = []
    for row in rows:
        standing = credit.get(row.uscc)
        items = tuple(DesignationFact(d.tag.value, d.value, d.since, d.until, d.source)
                      for d in history.get(row.uscc, []))
        facts.append(SubjectFacts(
            uscc=row.uscc, region_code=row.region_code, on=day, industry_code=row.industry_code,
            management_class=ManagementClass(row.management_class) if row.management_class else None,
            key_discharge_unit=bool(row.key_discharge_unit), active=bool(row.active),
            credit_tier=standing.tier if standing else CreditTier.UNRATED,
            credit_level=standing.level if standing else None,
            credit_scheme=standing.scheme if standing else None,
            credit_year=standing.year if standing else None,
            risk_class=standing.risk_class if standing else None,
            complaints_in_quarter=complaints_in_quarter(items, quarter),
            complaints_before_draw=complaints_in_quarter(items, quarter.previous()),
            history=items))
    return facts


def classification_day(quarter: Quarter, today: date | None = None) -> date:
    """The day whose facts classify `quarter`: today while it runs (or before it starts, when
    its draw is prepared); for a quarter that has ended and that nobody classified while it
    ran, its first day — when its plan is made — never its last: facts learnt later do not
    reach back into a closed quarter."""
    today = today or beijing_today()
    return quarter.start if today > quarter.end else today


# -- classifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classification:
    """A stored classification of one subject for one period."""

    uscc: str
    period: str
    policy: str
    category: Category | None
    categories: tuple[Category, ...]
    reasons: tuple[Reason, ...]
    classified_at: str
    inspection_mode: InspectionMode | None = None

    def as_json(self) -> dict[str, Any]:
        """The classification as `explain --json` prints it."""
        return {"uscc": self.uscc, "period": self.period, "policy": self.policy,
                "category": self.category.value if self.category else None,
                "categories": [c.value for c in self.categories],
                "inspectionMode": self.inspection_mode.value if self.inspection_mode else None,
                "reasons": [r.as_json() for r in self.reasons], "classifiedAt": self.classified_at}


@dataclass
class ClassifyReport:
    """What one classification run did: subjects per category, those in no category."""

    period: str
    policy: str
    day: date
    subjects: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    uncategorised: int = 0


def _reasons_json(decision: Decision) -> str:
    return orjson.dumps([r.as_json() for r in decision.reasons]).decode()


def classify_period(store: Store, active: ActivePolicy, quarter: Quarter, *,
                    region: str | None = None, day: date | None = None) -> ClassifyReport:
    """Classify every subject (of `region`) for `quarter` and replace the period's rows.

    `day` is the date whose facts count (default: `classification_day`).
    """
    day = day or classification_day(quarter)
    report = ClassifyReport(quarter.label, active.name, day)
    now = iso_beijing(beijing_now())
    rows = []
    for facts in subject_facts(store, day, quarter, region=region):
        decision = decide(active.policy, facts, quarter)
        report.subjects += 1
        for category in decision.categories:
            report.by_category[category.value] = report.by_category.get(category.value, 0) + 1
        if decision.category is None:
            report.uncategorised += 1
        rows.append({"uscc": facts.uscc, "period": quarter.label, "policy": active.name,
                     "category": decision.category.value if decision.category else None,
                     "categories": ";".join(c.value for c in decision.categories),
                     "reasons": _reasons_json(decision), "classified_at": now})
    with store.engine.begin() as conn:
        conn.execute(delete(classifications_table).where(
            classifications_table.c.period == quarter.label))
        for start in range(0, len(rows), 500):
            conn.execute(classifications_table.insert(), rows[start:start + 500])
        if is_closed(conn, quarter):
            # Plans of the quarter keep reading its snapshot; the change is on record.
            record_correction(conn, quarter, "classification",
                              f"classified again under {active.name} on the facts of "
                              f"{day.isoformat()}: {report.subjects} subjects")
    log.info("classified", period=quarter.label, policy=active.name, day=day.isoformat(),
             subjects=report.subjects, categories=report.by_category,
             uncategorised=report.uncategorised)
    return report


def classify_current_quarter(store: Store, active: ActivePolicy,
                             region: str | None = None) -> ClassifyReport:
    """Classify for the quarter of today's Beijing date (run after each sync)."""
    today = beijing_today()
    return classify_period(store, active, Quarter.of(today), region=region, day=today)


# -- reading back -----------------------------------------------------------------------------


def _from_row(row: Any) -> Classification:
    raw = orjson.loads(row.reasons)
    mode = next((item["mode"] for item in raw if item.get("mode") and not item.get("outranked")),
                None)
    categories = tuple(Category(c) for c in row.categories.split(";") if c)
    return Classification(
        uscc=row.uscc, period=row.period, policy=row.policy,
        category=Category(row.category) if row.category else None,
        categories=tuple(c for c in CATEGORY_ORDER if c in categories),
        reasons=tuple(Reason.from_json(item) for item in raw), classified_at=row.classified_at,
        inspection_mode=InspectionMode(mode) if mode else None)


def stored_classifications(store: Store, quarter: Quarter,
                           policy: str | None = None) -> dict[str, Classification]:
    """The stored classifications of a period (of one policy, when given), by USCC."""
    stmt = select(classifications_table).where(classifications_table.c.period == quarter.label)
    if policy is not None:
        stmt = stmt.where(classifications_table.c.policy == policy)
    with store.engine.connect() as conn:
        return {row.uscc: _from_row(row) for row in conn.execute(stmt)}


def classification_of(store: Store, uscc: str, quarter: Quarter | None = None) -> Classification | None:
    """One subject's classification for `quarter`, or its latest when no quarter is given."""
    stmt = select(classifications_table).where(classifications_table.c.uscc == uscc)
    if quarter is not None:
        stmt = stmt.where(classifications_table.c.period == quarter.label)
    with store.engine.connect() as conn:
        rows = sorted(conn.execute(stmt), key=lambda r: r.period)
    return _from_row(rows[-1]) if rows else None


def classify_unless_classified(store: Store, active: ActivePolicy, quarter: Quarter, *,
                               region: str | None = None) -> None:
    """Classify `quarter` under `active` when nobody has yet (one index probe otherwise)."""
    with store.engine.connect() as conn:
        done = conn.execute(select(classifications_table.c.uscc).where(
            classifications_table.c.period == quarter.label,
            classifications_table.c.policy == active.name).limit(1)).first() is not None
    if not done:
        classify_period(store, active, quarter, region=region)


def inspection_modes(store: Store, policy: str, quarter: Quarter) -> dict[str, InspectionMode]:
    """The subjects of `quarter` a mode rule applies to (e.g. 非现场), by USCC: only the
    classifications whose reasons carry a mode are read back."""
    table = classifications_table
    found: dict[str, InspectionMode] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(select(table).where(
                table.c.period == quarter.label, table.c.policy == policy,
                table.c.reasons.contains('"mode"'))):
            mode = _from_row(row).inspection_mode
            if mode is not None:
                found[row.uscc] = mode
    return found


@dataclass(frozen=True)
class Weighted:
    """A subject's ratio weight in a quarter: the weight's name, factor, rule and clause."""

    name: str
    factor: Fraction
    rule: str
    clause: str


def ratio_weights_of(store: Store, policy: str, quarter: Quarter) -> dict[str, Weighted]:
    """The subjects of `quarter` a ratio weight applies to, by USCC (read from the stored
    reasons, as inspection modes are)."""
    table = classifications_table
    found: dict[str, Weighted] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(select(table.c.uscc, table.c.reasons).where(
                table.c.period == quarter.label, table.c.policy == policy,
                table.c.reasons.contains('"weight"'))):
            for item in orjson.loads(row.reasons):
                if item.get("weight") and not item.get("outranked"):
                    found[row.uscc] = Weighted(str(item.get("weightName") or ""),
                                               Fraction(item["weight"]), str(item["rule"]),
                                               str(item["clause"]))
                    break
    return found


def ensure_classified(store: Store, active: ActivePolicy, quarter: Quarter, *,
                      region: str | None = None) -> dict[str, Classification]:
    """The period's classifications under `active`; classified now when there are none."""
    stored = stored_classifications(store, quarter, active.name)
    if not stored:
        classify_period(store, active, quarter, region=region)
        stored = stored_classifications(store, quarter, active.name)
    return stored


def subject_row(store: Store, uscc: str) -> dict[str, Any] | None:
    """The subject's row (name, region, class …), or None for a USCC the store does not know."""
    with store.engine.connect() as conn:
        row = conn.execute(select(subjects_table).where(subjects_table.c.uscc == uscc)).first()
    return dict(row._mapping) if row is not None else None


def iter_reasons(classification: Classification) -> Iterator[tuple[str, Reason]]:
    """Reasons in the order `explain` shows them: those that apply, then outranked ones."""
    for reason in classification.reasons:
        if not reason.outranked:
            yield "applies", reason
    for reason in classification.reasons:
        if reason.outranked:
            yield "outranked", reason


# -- export subjects --------------------------------------------------------------------------


def register(registry: Registry) -> None:
    """Exported subjects carry their categories and credit."""
    registry.add_enricher("subjects", classification_fields)


def classification_fields(store: Store) -> Enricher:
    """Fills `category`, `categories` (current quarter) and `creditLevel`, `riskClass` (today)."""
    today = beijing_today()
    stored = stored_classifications(store, Quarter.of(today))
    credit = credit_on(store, today)

    def enrich(_store: Store, item: dict[str, Any]) -> dict[str, Any]:
        found = stored.get(item["uscc"])
        if found is not None:
            item["category"] = found.category.value if found.category else None
            item["categories"] = [c.value for c in found.categories]
        standing = credit.get(item["uscc"])
        if standing is not None:
            item["creditLevel"] = standing.tier.value
            item["riskClass"] = standing.risk_class.value if standing.risk_class else None
        return item

    return enrich

