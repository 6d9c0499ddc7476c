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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from sqlalchemy import Connection, and_, select

from ssj_bridge.classify import ClassifyReport, subject_chunks
from ssj_bridge.credit import CreditStanding, standings
from ssj_bridge.imports.queries import designation_history
from ssj_bridge.model import Category, CreditTier, Inspector, beijing_today
from ssj_bridge.outbox import ACCEPTED, PENDING, enqueue, enqueue_many
from ssj_bridge.period import Quarter
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord, register_entity
from ssj_bridge.settings import Settings
from ssj_bridge.store import Store
from ssj_bridge.store.schema import classifications, inspectors, outbox, quarantine, subjects
from ssj_bridge.store.upsert import list_parameter, listed

if TYPE_CHECKING:
    from ssj_bridge.incremental import ChangeSet

log = structlog.get_logger("ssj_bridge.library")

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
CHUNK = 20_000  # subjects queued at a time: a few statements each, memory flat with the city


def enqueue_library(store: Store, settings: Settings, today: date | None = None, *,
                    include_subjects: bool = True, changes: ChangeSet | None = None,
                    reclassified: ClassifyReport | None = None) -> LibraryCounts:
    """Queue the library records that changed since the platform last accepted them.

    `include_subjects=False` queues the inspector library alone (before a run's writes, so
    people named by a task are on the platform first; subjects wait for classification).

    With `changes` (the sync's), only subjects whose facts or classification changed since
    the last run are looked at — and those the platform refused, which are offered again
    as before — when that run queued the same quarter; otherwise every subject is.

    Nothing is queued when no platform keeps the libraries, and no subject is queued for a
    quarter that has not been classified yet (every subject would otherwise look as if it
    had left the library on the first day of a quarter).
    """
    counts = LibraryCounts()
    if not settings.platform(LIBRARY_PLATFORM).base_url:
        return counts
    day = today or (changes.today if changes is not None else beijing_today())
    period = Quarter.of(day).label
    allowed = store.allowed_usccs()
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
                usccs = sorted(found)
            for chunk in subject_chunks(conn, usccs, CHUNK):
                _queue_subjects(conn, chunk, period, day, counts)
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


def _is_classified(conn: Connection, period: str) -> bool:
    return conn.execute(select(classifications.c.uscc).where(
        classifications.c.period == period).limit(1)).first() is not None


def _refused(conn: Connection, entity: str) -> set[str]:
    """Keys of `entity` the platform refused (the quarantine holds one entry per key)."""
    return set(conn.execute(select(quarantine.c.key).where(
        quarantine.c.platform == LIBRARY_PLATFORM, quarantine.c.entity == entity)).scalars())


_SUBJECT_ROWS = (subjects.c.uscc, subjects.c.name, subjects.c.region_code,
                 subjects.c.industry_code, subjects.c.management_class,
                 subjects.c.key_discharge_unit, subjects.c.active)


def _queue_subjects(conn: Connection, chunk: list[Any], period: str, day: date,
                    counts: LibraryCounts) -> None:
    """Queue the library records of one chunk of subjects: a few statements, whatever its size.

    A subject is queued when it is in a library, or was sent before (then as inactive, with
    the categories it was last sent with).
    """
    dialect = conn.dialect.name
    keys = [row.uscc for row in chunk]
    listed_keys = {"usccs": list_parameter(dialect, keys)}
    rows = list(conn.execute(
        select(*_SUBJECT_ROWS, classifications.c.category, classifications.c.categories)
        .select_from(subjects.outerjoin(classifications, and_(
            classifications.c.uscc == subjects.c.uscc, classifications.c.period == period)))
        .where(listed(dialect, subjects.c.uscc, "usccs")).order_by(subjects.c.uscc),
        listed_keys))
    placed = {row.uscc: _placed(row) for row in rows}
    previous = _last_sent(conn, SUBJECT_ENTITY, [u for u, p in placed.items() if p is None])
    credit = standings(conn, day, keys)
    tags = _tags_on(conn, keys, day)
    records = []
    for row in rows:
        categories = placed[row.uscc]
        if categories is None:
            if row.uscc not in previous:
                continue  # never in the library
            categories = _previous_placement(previous[row.uscc])
            active = False
        else:
            active = bool(row.active)
        records.append((row.uscc, subject_record(row, credit.get(row.uscc),
                                                 tags.get(row.uscc, []), categories, active)))
    queued = enqueue_many(conn, LIBRARY_PLATFORM, SUBJECT_ENTITY, records)
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
        "uscc": row.uscc, "name": row.name, "regionCode": row.region_code,
        "industryCode": row.industry_code, "managementClass": row.management_class,
        "keyDischargeUnit": bool(row.key_discharge_unit), "active": active,
        "creditLevel": (standing.tier if standing else CreditTier.UNRATED).value,
        "riskClass": standing.risk_class.value if standing and standing.risk_class else None,
        "tags": tags, "category": primary.value if primary else None,
        "categories": list(libraries)}


def _placed(row: Any) -> tuple[Category | None, list[str]] | None:
    """(primary category, every library) of a subject in a library for the period, else None."""
    libraries = [c for c in (row.categories or "").split(";") if c]
    if not (row.category or libraries):
        return None
    return (Category(row.category) if row.category else None, libraries)


def _tags_on(conn: Connection, usccs: list[str], day: date) -> dict[str, list[str]]:
    """The designations in force on `day` of each subject, as the library lists them."""
    return {uscc: [f"{d.tag}:{d.value}" if d.value else d.tag for d in items
                   if d.holds_on(day)]
            for uscc, items in designation_history(conn, usccs).items()}


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
    return person.model_dump(mode="json", by_alias=True, exclude={"conflicts"})


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

register_entity(EntitySpec(
    role=LIBRARY_PLATFORM, entity=SUBJECT_ENTITY, fields=SUBJECT_FIELDS,
    expected=_stored_subjects, owned=True, repair=_resend(SUBJECT_ENTITY),
    source_hint=_NEVER_SENT.format(what="subject")))
register_entity(EntitySpec(
    role=LIBRARY_PLATFORM, entity=INSPECTOR_ENTITY, fields=INSPECTOR_FIELDS,
    expected=_stored_inspectors, owned=True, repair=_resend(INSPECTOR_ENTITY),
    source_hint=_NEVER_SENT.format(what="inspector")))
