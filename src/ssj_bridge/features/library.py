"""The subject and inspector libraries the provincial platform keeps, queued from the store.

After classification, every subject in the library (a category for the current quarter) and
every inspector of the roster is queued as its canonical record; the outbox queues only what
differs from what the platform last accepted, so an unchanged library sends nothing. A subject
that leaves the library, or loses its last valid permit, is sent as inactive — never deleted —
with the categories it was last sent with, so the platform keeps its history.

The records carry canonical values only (category KEY…, creditLevel EXCELLENT…, riskClass
LOW…); the platform's adapter maps them to its own codes.

Both libraries are reconcilable (`subject`, `inspector`): the project owns them, so a record
the platform lost or changed is repaired by sending it again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from sqlalchemy import Connection, and_, select

from ssj_bridge.model import Category, CreditTier, Inspector, beijing_today
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import ACCEPTED, PENDING, KeyState, enqueue, enqueue_many, held_by_key
from ssj_bridge.plugins.registry import Registry
from ssj_bridge.policy.classify import (
    ACTIVE,
    CLASS,
    INDUSTRY,
    KEY_UNIT,
    NAME,
    REGION,
    USCC,
    ClassifyReport,
    Decided,
    FactsChunk,
    designation_history,
)
from ssj_bridge.policy.credit import CreditStanding, standings
from ssj_bridge.policy.rules import DesignationFact
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord
from ssj_bridge.settings import Settings
from ssj_bridge.store import Store
from ssj_bridge.store.schema import classifications, inspectors, outbox, quarantine, subjects
from ssj_bridge.store.upsert import list_parameter, listed

if TYPE_CHECKING:
    from ssj_bridge.policy.incremental import ChangeSet

log = structlog.get_logger("ssj_bridge.features.library")

LIBRARY_PLATFORM = "province"  # the platform role that keeps the libraries
SUBJECT_ENTITY = "subject"
INSPECTOR_ENTITY = "inspector"


@dataclass
class LibraryCounts:
    """What one pass queued (records equal to what the platform holds are not counted)."""

    subjects: int = 0
    inactive: int = 0
    inspectors: int = 0


STATE = "library"  # its entry in derived_state
CHUNK = 5_000  # subjects queued at a time: a few statements each, memory flat with the city


def enqueue_library(store: Store, settings: Settings, today: date | None = None, *,
                    include_subjects: bool = True, changes: ChangeSet | None = None,
                    reclassified: ClassifyReport | None = None,
                    queued_with: LibraryPass | None = None) -> LibraryCounts:
    """Queue the library records that changed since the platform last accepted them.

    `include_subjects=False` queues the inspector library alone (before a run's writes, so
    people named by a task are on the platform first; subjects wait for classification).

    With `changes` (the sync's), only subjects whose facts or classification changed since
    the last run are looked at — and those the platform refused, which are offered again
    as before — when that run queued the same quarter; otherwise every subject is.
    `queued_with` is the pass that queued, as `reclassified` classified them, the subjects
    classification looked at: they are not looked at again.

    Nothing is queued when no platform keeps the libraries, and no subject is queued for a
    quarter that has not been classified yet (every subject would otherwise look as if it
    had left the library on the first day of a quarter).
    """
    counts = queued_with.counts if queued_with is not None else LibraryCounts()
    if not settings.platform(LIBRARY_PLATFORM).base_url:
        return counts
    day = today or (changes.today if changes is not None else beijing_today())
    period = Quarter.of(day).label
    allowed = store.allowed_usccs()
    covered: set[str] | None = set()  # None: every subject
    if queued_with is not None and reclassified is not None:
        covered = None if reclassified.full else reclassified.looked_at
    with store.engine.begin() as conn:
        if include_subjects and _is_classified(conn, period):
            wanted = {"period": period}
            since = changes.up_to_date(conn, STATE, wanted) if changes is not None else None
            usccs: list[str] | None = None
            if since is not None and changes is not None and not (reclassified
                                                                  and reclassified.full):
                found = changes.subjects(conn, since) | _refused(conn, SUBJECT_ENTITY)
                if reclassified is not None:
                    found |= reclassified.changed
                usccs = sorted(found - (covered or set()))
            if covered is not None:
                held = (held_by_key(conn, LIBRARY_PLATFORM, SUBJECT_ENTITY) if usccs is None
                        else None)
                for rows in _library_rows(conn, period, usccs):
                    rows = [row for row in rows if row[USCC] not in covered]
                    keys = [row[USCC] for row in rows]
                    _queue_rows(conn, rows, {r[USCC]: _placed(r[_CATEGORY], r[_CATEGORIES])
                                             for r in rows},
                                standings(conn, day, keys), designation_history(conn, keys),
                                day, counts, held)
            if changes is not None:
                changes.refreshed(conn, STATE, wanted)
        elif include_subjects:
            log.info("library not queued: the quarter is not classified yet", period=period)
        people = [(person.inspector_id, _inspector(person, allowed)) for person in conn.execute(
            select(inspectors).order_by(inspectors.c.inspector_id))]
        counts.inspectors = len(enqueue_many(conn, LIBRARY_PLATFORM, INSPECTOR_ENTITY, people))
    log.info("library queued", period=period, subjects=counts.subjects,
             inactive=counts.inactive, inspectors=counts.inspectors)
    return counts


class LibraryPass:
    """Queues the library records of subjects as classification decides them, chunk by chunk
    in classification's transaction: one pass over the subjects does both."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.counts = LibraryCounts()
        self.held: dict[str, KeyState] | None = None

    def __call__(self, conn: Connection, chunk: FactsChunk, decided: Sequence[Decided], *,
                 every_subject: bool) -> None:
        """Queue one classified chunk (its subjects outside the region are in no library)."""
        if every_subject and self.held is None:
            self.held = held_by_key(conn, LIBRARY_PLATFORM, SUBJECT_ENTITY)
        placed: dict[str, Placement | None] = {
            row[USCC]: _placed(d.category, d.categories)
            for row, d in zip(chunk.rows, decided, strict=True)}
        placed.update((row[USCC], None) for row in chunk.outside)
        _queue_rows(conn, [*chunk.rows, *chunk.outside], placed, chunk.credit, chunk.history,
                    self.day, self.counts, self.held)


def _is_classified(conn: Connection, period: str) -> bool:
    return conn.execute(select(classifications.c.uscc).where(
        classifications.c.period == period).limit(1)).first() is not None


def _refused(conn: Connection, entity: str) -> set[str]:
    """Keys of `entity` the platform refused (the quarantine holds one entry per key)."""
    return set(conn.execute(select(quarantine.c.key).where(
        quarantine.c.platform == LIBRARY_PLATFORM, quarantine.c.entity == entity)).scalars())


# As classification reads them (by position, see classify.USCC…), then its result.
_SUBJECT_ROWS = (subjects.c.uscc, subjects.c.region_code, subjects.c.industry_code,
                 subjects.c.management_class, subjects.c.key_discharge_unit, subjects.c.active,
                 subjects.c.name, classifications.c.category, classifications.c.categories)
_CATEGORY, _CATEGORIES = 7, 8


def _library_rows(conn: Connection, period: str, usccs: Sequence[str] | None
                  ) -> Iterator[list[Any]]:
    """Subjects with their classification for `period`, a chunk at a time: every subject (one
    pass over the table) or the listed ones."""
    stmt = (select(*_SUBJECT_ROWS)
            .select_from(subjects.outerjoin(classifications, and_(
                classifications.c.uscc == subjects.c.uscc,
                classifications.c.period == period))))
    if usccs is None:
        for part in conn.execute(stmt.execution_options(yield_per=CHUNK)).partitions():
            yield list(part)
        return
    dialect = conn.dialect.name
    for start in range(0, len(usccs), CHUNK):
        yield list(conn.execute(
            stmt.where(listed(dialect, subjects.c.uscc, "usccs")).order_by(subjects.c.uscc),
            {"usccs": list_parameter(dialect, usccs[start:start + CHUNK])}).all())


Placement = tuple[Category | None, list[str]]


def _queue_rows(conn: Connection, rows: Sequence[Any], placed: Mapping[str, Placement | None],
                credit: Mapping[str, CreditStanding],
                history: Mapping[str, Sequence[DesignationFact]], day: date,
                counts: LibraryCounts, held: Mapping[str, KeyState] | None = None) -> None:
    """Queue the library records of some subjects: a few statements, whatever their number.

    A subject is queued when it is in a library, or was sent before (then as inactive, with
    the categories it was last sent with). `held`: what the outbox holds of every subject
    (`held_by_key`), when the pass is over every subject.
    """
    unplaced = [u for u, p in placed.items() if p is None]
    if held is not None:  # only those sent before can have been sent before
        unplaced = [u for u in unplaced if u in held
                    and (held[u].accepted_version or held[u].pending_ids)]
    previous = _last_sent(conn, SUBJECT_ENTITY, unplaced)
    records = []
    for row in rows:
        uscc = row[USCC]
        categories = placed[uscc]
        if categories is None:
            if uscc not in previous:
                continue  # never in the library
            categories = _previous_placement(previous[uscc])
            active = False
        else:
            active = bool(row[ACTIVE])
        items = history.get(uscc) if history else None
        tags = [f"{d.tag}:{d.value}" if d.value else d.tag for d in items
                if d.holds_on(day)] if items else []
        records.append((uscc, subject_record(row, credit.get(uscc) if credit else None, tags,
                                             categories, active)))
    queued = enqueue_many(conn, LIBRARY_PLATFORM, SUBJECT_ENTITY, records, held=held)
    counts.subjects += len(queued)
    counts.inactive += sum(1 for key, record in records
                           if key in queued and not record["active"])


def subject_record(row: Any, standing: CreditStanding | None, tags: list[str],
                   categories: tuple[Category | None, list[str]], active: bool
                   ) -> dict[str, Any]:
    """A subject's library record: `Subject` as JSON (camelCase, canonical values), made from
    the stored row, whose values were checked when its permits were stored."""
    primary, libraries = categories
    return {
        "uscc": row[USCC], "name": row[NAME], "regionCode": row[REGION],
        "industryCode": row[INDUSTRY], "managementClass": row[CLASS],
        "keyDischargeUnit": bool(row[KEY_UNIT]), "active": active,
        "creditLevel": standing.tier.value if standing else _UNRATED,
        "riskClass": standing.risk_class.value if standing and standing.risk_class else None,
        "tags": tags, "category": primary.value if primary else None,
        "categories": list(libraries)}


_UNRATED = CreditTier.UNRATED.value


@functools.cache
def _placed(category: str | None, categories: str | None
            ) -> tuple[Category | None, list[str]] | None:
    """(primary category, every library) of a subject in a library for the period, else None
    (from its stored classification: a handful of distinct values, worked out once each)."""
    libraries = [c for c in (categories or "").split(";") if c]
    if not (category or libraries):
        return None
    return (Category(category) if category else None, libraries)


def _previous_placement(previous: dict[str, Any]) -> tuple[Category | None, list[str]]:
    primary = previous.get("category")
    return (Category(primary) if primary else None, list(previous.get("categories") or []))


def _last_sent(conn: Connection, entity: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The newest record of each of `keys` that the platform holds or is about to."""
    if not keys:
        return {}
    dialect = conn.dialect.name
    latest: dict[str, tuple[int, bytes]] = {}
    for row in conn.execute(select(outbox.c.key, outbox.c.version, outbox.c.status,
                                   outbox.c.payload).where(
            outbox.c.platform == LIBRARY_PLATFORM, outbox.c.entity == entity,
            listed(dialect, outbox.c.key, "keys")), {"keys": list_parameter(dialect, keys)}):
        if row.status not in (ACCEPTED, PENDING):
            continue
        if row.key not in latest or row.version > latest[row.key][0]:
            latest[row.key] = (row.version, row.payload)
    return {key: orjson.loads(payload) for key, (_, payload) in latest.items()}


LOCAL_ONLY_INSPECTOR_FIELDS = {"conflicts", "post", "staff_status", "gender", "service_years"}


def _inspector(row: Any, allowed: frozenset[str]) -> dict[str, Any]:
    """An inspector's library record: the roster entry without its conflicts of interest.

    Conflicts (回避) are the draw's business and stay local; leaving them out also keeps a
    change to them from re-sending an unchanged library record.
    """
    person = Inspector.model_validate({
        "inspector_id": row.inspector_id, "name": row.name, "cert_no": row.cert_no,
        "org_code": row.org_code, "region_code": row.region_code,
        "expertise": [e for e in (row.expertise or "").split(";") if e],
        "auxiliary": bool(row.auxiliary), "active": bool(row.active)},
        context={"allowed_usccs": allowed})
    # The province's inspector library has no 职务岗位/在编在岗/性别/工作年限 (province.md).
    return person.model_dump(mode="json", by_alias=True, exclude=LOCAL_ONLY_INSPECTOR_FIELDS)


# -- reconciliation ------------------------------------------------------------------------------
#
# The store's side of a library is what the platform last accepted of each key (the outbox
# keeps it); a key with a write still pending is in flight and left out. A repair queues that
# record again as a new version, so the platform applies it even though it once answered it.

SUBJECT_FIELDS = {"uscc": "code", "name": "text", "regionCode": "code", "industryCode": "code",
                  "category": "code", "tags": "list", "creditLevel": "code", "riskClass": "code",
                  "active": "bool"}
INSPECTOR_FIELDS = {"name": "text", "certNo": "code", "orgCode": "code", "regionCode": "code",
                    "expertise": "list", "auxiliary": "bool", "active": "bool"}


def library_category(record: Mapping[str, Any]) -> str | None:
    """The one category a library keeps a subject under: its primary category, else the
    first library it is in (a subject a policy left out of routine draws)."""
    primary = record.get("category")
    return str(primary) if primary else next(iter(record.get("categories") or []), None)


def _held(store: Store, entity: str) -> Iterator[tuple[str, Any, str | None, bool]]:
    """(key, newest accepted record, when it was accepted, whether a newer write is pending)
    of every key of `entity`, streamed in key order."""
    stmt = (select(outbox.c.key, outbox.c.status, outbox.c.payload, outbox.c.updated_at)
            .where(outbox.c.platform == LIBRARY_PLATFORM, outbox.c.entity == entity,
                   outbox.c.status.in_((ACCEPTED, PENDING)))
            .order_by(outbox.c.key, outbox.c.version.desc()))
    with store.engine.connect() as conn:
        current: str | None = None
        pending = False
        found = False
        for row in conn.execution_options(yield_per=2000).execute(stmt):
            if row.key != current:
                if current is not None and not found and pending:
                    yield current, None, None, True
                current, pending, found = row.key, False, False
            if found:
                continue
            if row.status == PENDING:
                pending = True
                continue
            found = True
            yield row.key, orjson.loads(row.payload), row.updated_at, pending
        if current is not None and not found and pending:
            yield current, None, None, True


def _stored_subjects(store: Store) -> Iterator[StoreRecord]:
    for key, record, accepted_at, pending in _held(store, SUBJECT_ENTITY):
        if pending or record is None:
            yield StoreRecord(key, {}, in_flight=True)
            continue
        fields = {name: record.get(name) for name in SUBJECT_FIELDS}
        fields["category"] = library_category(record)
        yield StoreRecord(key, fields, accepted_at)


def _stored_inspectors(store: Store) -> Iterator[StoreRecord]:
    for key, record, accepted_at, pending in _held(store, INSPECTOR_ENTITY):
        if pending or record is None:
            yield StoreRecord(key, {}, in_flight=True)
            continue
        yield StoreRecord(key, {name: record.get(name) for name in INSPECTOR_FIELDS},
                          accepted_at)


def _resend(entity: str) -> Callable[[Connection, str], bool]:
    def resend(conn: Connection, key: str) -> bool:
        """Queue the record the platform last accepted again, as a new version."""
        payload = conn.execute(select(outbox.c.payload).where(
            outbox.c.platform == LIBRARY_PLATFORM, outbox.c.entity == entity,
            outbox.c.key == key, outbox.c.status == ACCEPTED)
            .order_by(outbox.c.version.desc()).limit(1)).scalar()
        if payload is None:
            return False
        return enqueue(conn, LIBRARY_PLATFORM, entity, key, orjson.loads(payload),
                       force=True) is not None
    return resend


_NEVER_SENT = ("the provincial platform lists a library {what} this deployment never sent, or "
               "lists one key twice: remove or deactivate it on the platform (ask the province "
               "when a higher level entered it)")



def register(registry: Registry) -> None:
    """The subject and inspector libraries, compared with the platform's and repaired."""
    registry.add_entity(EntitySpec(
        role=LIBRARY_PLATFORM, entity=SUBJECT_ENTITY, fields=SUBJECT_FIELDS,
        expected=_stored_subjects, owned=True, repair=_resend(SUBJECT_ENTITY),
        source_hint=_NEVER_SENT.format(what="subject")))
    registry.add_entity(EntitySpec(
        role=LIBRARY_PLATFORM, entity=INSPECTOR_ENTITY, fields=INSPECTOR_FIELDS,
        expected=_stored_inspectors, owned=True, repair=_resend(INSPECTOR_ENTITY),
        source_hint=_NEVER_SENT.format(what="inspector")))
