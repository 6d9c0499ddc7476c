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
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, select

from ssj_bridge.intake.export import tag_text
from ssj_bridge.intake.queries import designations_on
from ssj_bridge.model import Category, CreditTier, Inspector, Subject, beijing_today
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import ACCEPTED, PENDING, enqueue
from ssj_bridge.plugins.registry import Registry
from ssj_bridge.policy.credit import credit_on
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord
from ssj_bridge.settings import Settings
from ssj_bridge.store import Store
from ssj_bridge.store.schema import classifications, inspectors, outbox, subjects

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


def enqueue_library(store: Store, settings: Settings, today: date | None = None, *,
                    include_subjects: bool = True) -> LibraryCounts:
    """Queue the library records that changed since the platform last accepted them.

    `include_subjects=False` queues the inspector library alone (before a run's writes, so
    people named by a task are on the platform first; subjects wait for classification).

    Nothing is queued when no platform keeps the libraries, and no subject is queued for a
    quarter that has not been classified yet (every subject would otherwise look as if it
    had left the library on the first day of a quarter).
    """
    counts = LibraryCounts()
    if not settings.platform(LIBRARY_PLATFORM).base_url:
        return counts
    day = today or beijing_today()
    period = Quarter.of(day).label
    credit = credit_on(store, day)
    tags = {uscc: [tag_text(d) for d in items]
            for uscc, items in designations_on(store, day).items()}
    allowed = store.allowed_usccs()
    with store.engine.begin() as conn:
        classified, placed = _classified(conn, period) if include_subjects else (False, {})
        if classified:
            sent = _last_sent(conn, SUBJECT_ENTITY)
            for row in list(conn.execute(select(subjects).order_by(subjects.c.uscc))):
                categories = placed.get(row.uscc)
                previous = sent.get(row.uscc)
                if categories is None and previous is None:
                    continue  # never in the library
                standing = credit.get(row.uscc)
                record = Subject.model_validate({
                    "uscc": row.uscc, "name": row.name, "region_code": row.region_code,
                    "industry_code": row.industry_code, "management_class": row.management_class,
                    "key_discharge_unit": bool(row.key_discharge_unit),
                    "active": bool(row.active) and categories is not None,
                    "credit_level": standing.tier if standing else CreditTier.UNRATED,
                    "risk_class": standing.risk_class if standing else None,
                    "tags": tags.get(row.uscc, []),
                    **(_placement(categories) if categories is not None else
                       _placement(_previous_placement(previous)))},
                    context={"allowed_usccs": allowed})
                if enqueue(conn, LIBRARY_PLATFORM, SUBJECT_ENTITY, row.uscc,
                           record.model_dump(mode="json", by_alias=True)) is not None:
                    counts.subjects += 1
                    if not record.active:
                        counts.inactive += 1
        elif include_subjects:
            log.info("library not queued: the quarter is not classified yet", period=period)
        for person in list(conn.execute(select(inspectors).order_by(inspectors.c.inspector_id))):
            payload = _inspector(person, allowed)
            if enqueue(conn, LIBRARY_PLATFORM, INSPECTOR_ENTITY, person.inspector_id,
                       payload) is not None:
                counts.inspectors += 1
    log.info("library queued", period=period, subjects=counts.subjects,
             inactive=counts.inactive, inspectors=counts.inspectors)
    return counts


def _classified(conn: Connection, period: str
                ) -> tuple[bool, dict[str, tuple[Category | None, list[str]]]]:
    """Whether `period` is classified, and USCC → (primary category, every library) of the
    subjects in a library for it."""
    classified = False
    placed: dict[str, tuple[Category | None, list[str]]] = {}
    for row in conn.execute(select(classifications.c.uscc, classifications.c.category,
                                   classifications.c.categories)
                            .where(classifications.c.period == period)):
        classified = True
        libraries = [c for c in (row.categories or "").split(";") if c]
        if row.category or libraries:
            placed[row.uscc] = (Category(row.category) if row.category else None, libraries)
    return classified, placed


def _placement(categories: tuple[Category | None, list[str]]) -> dict[str, Any]:
    primary, libraries = categories
    return {"category": primary, "categories": libraries}


def _previous_placement(previous: dict[str, Any] | None) -> tuple[Category | None, list[str]]:
    previous = previous or {}
    primary = previous.get("category")
    return (Category(primary) if primary else None, list(previous.get("categories") or []))


def _last_sent(conn: Connection, entity: str) -> dict[str, dict[str, Any]]:
    """The newest record of every key of `entity` that the platform holds or is about to."""
    latest: dict[str, tuple[int, bytes]] = {}
    for row in conn.execute(select(outbox.c.key, outbox.c.version, outbox.c.payload).where(
            outbox.c.platform == LIBRARY_PLATFORM, outbox.c.entity == entity,
            outbox.c.status.in_((ACCEPTED, PENDING)))):
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
