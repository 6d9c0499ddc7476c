"""Applies the configured policy to every subject and records, per period, the categories and why.

Runs after each sync (for the current quarter, Beijing date) and whenever a plan asks for a
period nobody has classified yet. Each row of `classifications` keeps the reasons — rule,
clause, the facts behind it — so `explain USCC` answers from the store alone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import orjson
import structlog
from sqlalchemy import Connection, delete, select

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.i18n import _
from ssj_bridge.intake.queries import designation_order
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
from ssj_bridge.model.identifiers import region_prefix
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.plugins.registry import Enricher, Registry
from ssj_bridge.policy.credit import CreditStanding, standings
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
from ssj_bridge.store.schema import designations as designations_table
from ssj_bridge.store.schema import subjects as subjects_table
from ssj_bridge.store.upsert import insert, list_parameter, listed, upsert

if TYPE_CHECKING:
    from ssj_bridge.policy.incremental import ChangeSet

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
        raise ConfigurationError(_("{setting} is not set (the locality policy, e.g. weihai)")
                                 .format(setting=POLICY_SETTING), POLICY_SETTING)
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


def designation_history(conn: Connection, usccs: Sequence[str] | None = None
                        ) -> dict[str, tuple[DesignationFact, ...]]:
    """Stored designations as the facts a policy reads, in the caller's connection, for the
    listed subjects alone (or all), in `designation_order`: stored values are already checked,
    so no model is built."""
    table = designations_table
    stmt = select(table.c.uscc, table.c.tag, table.c.value, table.c.since, table.c.until,
                  table.c.source)
    params: dict[str, Any] = {}
    if usccs is not None:
        dialect = conn.dialect.name
        stmt = stmt.where(listed(dialect, table.c.uscc, "usccs"))
        params["usccs"] = list_parameter(dialect, usccs)
    found: dict[str, list[DesignationFact]] = {}
    for row in conn.execute(stmt, params):
        found.setdefault(row.uscc, []).append(
            DesignationFact(row.tag, row.value, row.since, row.until, row.source))
    return {uscc: tuple(sorted(items, key=lambda f: designation_order(f.tag, f.since)))
            for uscc, items in found.items()}


# Subjects read, decided and written at a time: memory stays flat whatever the city's size.
CHUNK = 5_000

# A subject's row, read by position in the loops over every subject: by name, SQLAlchemy takes
# close to a microsecond an attribute, more than the rest of a decision shared by many.
_SUBJECT_COLUMNS = (subjects_table.c.uscc, subjects_table.c.region_code,
                    subjects_table.c.industry_code, subjects_table.c.management_class,
                    subjects_table.c.key_discharge_unit, subjects_table.c.active,
                    subjects_table.c.name)
USCC, REGION, INDUSTRY, CLASS, KEY_UNIT, ACTIVE, NAME = range(7)


def subject_chunks(conn: Connection, usccs: Sequence[str] | None = None,
                   chunk: int = CHUNK) -> Iterator[list[Any]]:
    """Subjects' rows, `chunk` at a time: every subject, in one pass over the table in the
    order the database keeps it (looking each up by USCC costs several times as much), or
    the listed ones, in USCC order."""
    uscc = subjects_table.c.uscc
    if usccs is None:
        result = conn.execute(select(*_SUBJECT_COLUMNS).execution_options(yield_per=chunk))
        for part in result.partitions():
            yield list(part)
        return
    dialect = conn.dialect.name
    wanted = sorted(set(usccs or ()))
    for start in range(0, len(wanted), chunk):
        yield list(conn.execute(
            select(*_SUBJECT_COLUMNS).where(listed(dialect, uscc, "usccs")).order_by(uscc),
            {"usccs": list_parameter(dialect, wanted[start:start + chunk])}).all())


@dataclass(frozen=True)
class FactsChunk:
    """A chunk of subjects with their credit standing and designations on one day; `outside`
    holds the chunk's subjects outside the region asked for (classified in no library)."""

    rows: list[Any]
    credit: dict[str, CreditStanding]
    history: dict[str, tuple[DesignationFact, ...]]
    outside: list[Any] = field(default_factory=list)

    def facts(self, row: Any, day: date, quarter: Quarter,
              kind: type[SubjectFacts] = SubjectFacts) -> SubjectFacts:
        """One subject's facts."""
        standing = self.credit.get(row[USCC])
        items = self.history.get(row[USCC], ())
        return kind(
            uscc=row[USCC], region_code=row[REGION], on=day, industry_code=row[INDUSTRY],
            management_class=ManagementClass(row[CLASS]) if row[CLASS] else None,
            key_discharge_unit=bool(row[KEY_UNIT]), active=bool(row[ACTIVE]),
            credit_tier=standing.tier if standing else CreditTier.UNRATED,
            credit_level=standing.level if standing else None,
            credit_scheme=standing.scheme if standing else None,
            credit_year=standing.year if standing else None,
            risk_class=standing.risk_class if standing else None,
            complaints_in_quarter=complaints_in_quarter(items, quarter),
            complaints_before_draw=complaints_in_quarter(items, quarter.previous()),
            history=items)

    def key(self, row: Any) -> tuple[Any, ...]:
        """Everything `facts` carries but the subject's identity (and the day, the same for all)."""
        uscc = row[USCC]
        standing = self.credit.get(uscc) if self.credit else None
        return (row[REGION:NAME],
                (standing.tier, standing.level, standing.scheme, standing.year,
                 standing.risk_class) if standing else None,
                self.history.get(uscc, ()) if self.history else ())


def facts_chunks(conn: Connection, day: date, *, region: str | None = None,
                 usccs: Sequence[str] | None = None, chunk: int = CHUNK) -> Iterator[FactsChunk]:
    """The subjects (of `region`, or of `usccs`) with what their facts are made of, a chunk at a
    time: three statements per chunk, whatever its size."""
    for rows in subject_chunks(conn, usccs, chunk):
        outside = []
        if region is not None:
            # A city has a handful of region codes: each is tested once.
            within = {code: region_within(code, region) for code in {row[REGION] for row in rows}}
            outside = [row for row in rows if not within[row[REGION]]]
            if outside:
                rows = [row for row in rows if within[row[REGION]]]
        keys = [row[USCC] for row in rows]
        yield FactsChunk(rows, standings(conn, day, keys), designation_history(conn, keys),
                         outside)


def subject_facts(store: Store, day: date, quarter: Quarter, *, region: str | None = None,
                  usccs: Iterable[str] | None = None) -> list[SubjectFacts]:
    """The facts of every subject (of `region`, or of `usccs`) as they stand on `day`."""
    with store.engine.connect() as conn:
        return [chunk.facts(row, day, quarter)
                for chunk in facts_chunks(conn, day, region=region,
                                          usccs=None if usccs is None else list(usccs))
                for row in chunk.rows]


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
    """What one classification run did: subjects per category, those in no category.

    A run over the subjects whose facts changed (`full` False) counts those alone; `changed`
    holds every subject whose stored classification it wrote or removed.
    """

    period: str
    policy: str
    day: date
    subjects: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    uncategorised: int = 0
    full: bool = True
    changed: set[str] = field(default_factory=set)
    looked_at: set[str] = field(default_factory=set)  # a run over changed subjects: which


def _reasons_json(decision: Decision) -> str:
    return orjson.dumps([r.as_json() for r in decision.reasons]).decode()


class _IdentityRead(BaseException):
    """A policy read a subject's USCC: its decisions cannot be shared between subjects.

    A BaseException, so that a rule's own `except Exception` does not swallow it.
    """


class _WithoutIdentity(SubjectFacts):
    """Facts whose `uscc` cannot be read: what a decision shared by equal facts is made from."""

    def _refuse(self) -> str:
        self.__dict__["identity_read"] = True
        raise _IdentityRead

    def _drop(self, _value: str) -> None:
        pass

    uscc = property(_refuse, _drop)


class Decided(NamedTuple):
    """A subject's classification as stored: primary category, libraries (`;`-joined and as
    a tuple), reasons (JSON)."""

    category: str | None
    categories: str
    reasons: str
    libraries: tuple[str, ...]


class Decider:
    """Decides subjects under a policy for one quarter and day, sharing one decision between
    subjects whose facts are equal but for their USCC (a city has a few hundred kinds of
    subject, not a hundred thousand). A policy that reads the USCC is decided subject by
    subject, as before."""

    def __init__(self, active: ActivePolicy, quarter: Quarter, day: date) -> None:
        self.policy = active.policy
        self.quarter = quarter
        self.day = day
        self.shared: dict[tuple[Any, ...], Decided] | None = {}

    def decide(self, chunk: FactsChunk, row: Any) -> Decided:
        """The subject's category, libraries and reasons (as stored)."""
        if self.shared is not None:
            key = chunk.key(row)
            found = self.shared.get(key)
            if found is not None:
                return found
            facts = chunk.facts(row, self.day, self.quarter, _WithoutIdentity)
            try:
                decision = decide(self.policy, facts, self.quarter)
            except _IdentityRead:
                decision = None
            if decision is not None and not facts.__dict__.get("identity_read"):
                found = self.shared[key] = self._stored(decision)
                return found
            log.info("the policy reads subjects' USCCs: each subject is decided alone",
                     policy=self.policy.name)
            self.shared = None
        return self._stored(decide(self.policy, chunk.facts(row, self.day, self.quarter),
                                   self.quarter))

    @staticmethod
    def _stored(decision: Decision) -> Decided:
        libraries = tuple(c.value for c in decision.categories)
        return Decided(decision.category.value if decision.category else None,
                        ";".join(libraries), _reasons_json(decision), libraries)


class ChunkDecided(Protocol):
    """Told of each chunk of subjects once classified (e.g. to queue their library records)."""

    def __call__(self, conn: Connection, chunk: FactsChunk, decided: Sequence[Decided], *,
                 every_subject: bool) -> None:
        """`decided[i]` is the classification of `chunk.rows[i]`; `every_subject` tells a
        pass over every subject from one over those whose facts changed."""


def _classify(conn: Connection, active: ActivePolicy, quarter: Quarter, report: ClassifyReport,
              *, region: str | None, usccs: Sequence[str] | None,
              on_chunk: ChunkDecided | None = None) -> None:
    """Classify every subject (`usccs` None: the period's rows were deleted before) or the
    listed ones (rows rewritten only where the classification changed), chunk by chunk."""
    decider = Decider(active, quarter, report.day)
    now = iso_beijing(beijing_now())
    label = quarter.label
    dialect = conn.dialect.name
    table = classifications_table
    kept: set[str] = set()
    for chunk in facts_chunks(conn, report.day, region=region, usccs=usccs):
        if usccs is not None:
            kept.update(row[USCC] for row in chunk.rows)
        stored: dict[str, tuple[Any, ...]] = {}
        if usccs is not None:
            stored = {row[0]: tuple(row[1:]) for row in conn.execute(
                select(table.c.uscc, table.c.policy, table.c.category, table.c.categories,
                       table.c.reasons)
                .where(table.c.period == label, listed(dialect, table.c.uscc, "usccs")),
                {"usccs": list_parameter(dialect, [row[USCC] for row in chunk.rows])}).all()}
        written = []
        all_decided = []
        for row in chunk.rows:
            decided = decider.decide(chunk, row)
            all_decided.append(decided)
            report.subjects += 1
            for category in decided.libraries:
                report.by_category[category] = report.by_category.get(category, 0) + 1
            if decided.category is None:
                report.uncategorised += 1
            if stored and stored.get(row[USCC]) == (active.name, decided.category,
                                                    decided.categories, decided.reasons):
                continue
            written.append({"uscc": row[USCC], "period": label, "policy": active.name,
                            "category": decided.category, "categories": decided.categories,
                            "reasons": decided.reasons, "classified_at": now})
        if usccs is None:
            insert(conn, table, written)
        else:
            upsert(conn, table, written, ("uscc", "period"))
            report.changed.update(item["uscc"] for item in written)
        if on_chunk is not None:
            on_chunk(conn, chunk, all_decided, every_subject=usccs is None)
    if usccs is not None:
        # Listed subjects no longer in the store or the region are in no library any more.
        gone = sorted(set(usccs) - kept)
        if gone:
            removed = conn.execute(select(table.c.uscc).where(
                table.c.period == label, listed(dialect, table.c.uscc, "usccs")),
                {"usccs": list_parameter(dialect, gone)}).scalars().all()
            if removed:
                conn.execute(delete(table).where(
                    table.c.period == label, listed(dialect, table.c.uscc, "usccs")),
                    {"usccs": list_parameter(dialect, removed)})
                report.changed.update(removed)


def classify_period(store: Store, active: ActivePolicy, quarter: Quarter, *,
                    region: str | None = None, day: date | None = None) -> ClassifyReport:
    """Classify every subject (of `region`) for `quarter` and replace the period's rows.

    `day` is the date whose facts count (default: `classification_day`).
    """
    report = ClassifyReport(quarter.label, active.name, day or classification_day(quarter))
    with store.engine.begin() as conn:
        conn.execute(delete(classifications_table).where(
            classifications_table.c.period == quarter.label))
        _classify(conn, active, quarter, report, region=region, usccs=None)
        _note_if_closed(conn, active, quarter, report)
    _log(report)
    return report


def _note_if_closed(conn: Connection, active: ActivePolicy, quarter: Quarter,
                    report: ClassifyReport) -> None:
    # Plans of a closed quarter keep reading its snapshot; a change to it is on record.
    if (report.full or report.changed) and is_closed(conn, quarter):
        what = (f"{report.subjects} subjects" if report.full
                else f"{len(report.changed)} of {report.subjects} subjects changed")
        record_correction(conn, quarter, "classification",
                          f"classified again under {active.name} on the facts of "
                          f"{report.day.isoformat()}: {what}")


def _log(report: ClassifyReport) -> None:
    log.info("classified" if report.full else "classified changed subjects",
             period=report.period, policy=report.policy, day=report.day.isoformat(),
             subjects=report.subjects, categories=report.by_category,
             uncategorised=report.uncategorised,
             **({} if report.full else {"changed": len(report.changed)}))


STATE = "classification"  # its entry in derived_state


def classify_current_quarter(store: Store, active: ActivePolicy, region: str | None = None,
                             *, changes: ChangeSet | None = None,
                             on_chunk: ChunkDecided | None = None) -> ClassifyReport:
    """Classify for the quarter of today's Beijing date (run after each sync).

    With `changes` (the sync's), only the subjects whose facts changed since the last run are
    classified again, when that run classified the same quarter under the same policy and
    region; otherwise, and without `changes`, every subject is. `on_chunk` hears of every
    subject looked at, in the same transaction.
    """
    today = changes.today if changes is not None else beijing_today()
    quarter = Quarter.of(today)
    wanted = {"period": quarter.label, "policy": active.name, "version": active.spec.version,
              "region": region}
    report = ClassifyReport(quarter.label, active.name, today)
    with store.engine.begin() as conn:
        since = changes.up_to_date(conn, STATE, wanted) if changes is not None else None
        if since is None:
            conn.execute(delete(classifications_table).where(
                classifications_table.c.period == quarter.label))
            _classify(conn, active, quarter, report, region=region, usccs=None,
                      on_chunk=on_chunk)
        else:
            report.full = False
            report.looked_at = changes.subjects(conn, since) if changes else set()
            _classify(conn, active, quarter, report, region=region,
                      usccs=sorted(report.looked_at), on_chunk=on_chunk)
        _note_if_closed(conn, active, quarter, report)
        if changes is not None:
            changes.refreshed(conn, STATE, wanted)
    _log(report)
    return report


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


def category_members(store: Store, policy: str, quarter: Quarter, *, region: str | None = None
                     ) -> dict[Category, dict[str, str]]:
    """The active subjects of `region` in each library of `quarter` under `policy` (USCC →
    region code), in one read from the stored categories alone: the reasons are large and not
    needed here."""
    table = classifications_table
    stmt = (select(table.c.uscc, subjects_table.c.region_code, table.c.categories)
            .select_from(table.join(subjects_table, subjects_table.c.uscc == table.c.uscc))
            .where(table.c.period == quarter.label, table.c.policy == policy,
                   subjects_table.c.active.is_(True)))
    if region is not None:
        stmt = stmt.where(subjects_table.c.region_code.startswith(region_prefix(region),
                                                                  autoescape=True))
    members: dict[Category, dict[str, str]] = {}
    with store.engine.connect() as conn:
        for uscc, place, categories in conn.execute(stmt).all():
            for category in _libraries(categories):
                members.setdefault(category, {})[uscc] = place
    return members


@functools.cache
def _libraries(categories: str) -> tuple[Category, ...]:
    return tuple(Category(c) for c in categories.split(";") if c)


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
    table = classifications_table
    # The categories alone (in the order `explain` lists them): the reasons are not exported.
    with store.engine.connect() as conn:
        stored = {uscc: (category, _ordered(categories)) for uscc, category, categories in
                  conn.execute(select(table.c.uscc, table.c.category, table.c.categories)
                               .where(table.c.period == Quarter.of(today).label)).all()}
    credit = StandingsAhead(store, today)

    def enrich(_store: Store, item: dict[str, Any]) -> dict[str, Any]:
        found = stored.get(item["uscc"])
        if found is not None:
            item["category"] = found[0]
            item["categories"] = list(found[1])
        standing = credit.get(item["uscc"])
        if standing is not None:
            item["creditLevel"] = standing.tier.value
            item["riskClass"] = standing.risk_class.value if standing.risk_class else None
        return item

    return enrich


class StandingsAhead:
    """Credit standings of subjects asked for in USCC order, read a chunk of subjects ahead:
    memory stays that of one chunk however many subjects and credit records there are."""

    def __init__(self, store: Store, day: date, chunk: int = CHUNK) -> None:
        self.store = store
        self.day = day
        self.chunk = chunk
        self._first: str | None = None
        self._last: str | None = None
        self._held: dict[str, CreditStanding] = {}

    def get(self, uscc: str) -> CreditStanding | None:
        """The subject's standing, if it has one."""
        if self._first is not None and self._last is not None and self._first <= uscc <= self._last:
            return self._held.get(uscc)
        with self.store.engine.connect() as conn:
            if self._first is not None and uscc < self._first:  # asked out of order
                return standings(conn, self.day, [uscc]).get(uscc)
            keys = list(conn.execute(
                select(subjects_table.c.uscc).where(subjects_table.c.uscc >= uscc)
                .order_by(subjects_table.c.uscc).limit(self.chunk)).scalars()) or [uscc]
            self._first, self._last = uscc, keys[-1]
            self._held = standings(conn, self.day, keys)
        return self._held.get(uscc)


@functools.cache
def _ordered(categories: str) -> tuple[str, ...]:
    """Stored libraries in CATEGORY_ORDER, as a Classification lists them."""
    held = _libraries(categories)
    return tuple(c.value for c in CATEGORY_ORDER if c in held)
