"""Publication of inspection results, queued in the transaction that records the result.

When a result (or a new version of it) is recorded, `queue_publication` runs in the same
transaction (a subscriber of results recorded, see `register`): it upserts the result's row in `publications`
(pending, with its due date) and queues an outbox item for the publicity platform role, entity
`publication`, key `taskId/uscc/inspectedOn`. The relay sends it through the platform's sink;
`_on_outcome` keeps the row in step with what the platform answered, in the transaction that
records the answer. A crash at any point loses nothing (the item stays pending, or its batch
stays open) and publishes nothing twice (ssj_bridge.outbox.batches).

A refused publication stays refused until it changes: a corrected result or a subject name
that arrives later queues it again (`requeue_changed`, run before each relay); a fix made
elsewhere (the enterprise got registered) is announced with `retry`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from sqlalchemy import Connection, and_, or_, select, update

from ssj_bridge.features.deadlines import DeadlineRules, overdue_warnings, refresh_due_dates
from ssj_bridge.features.withholding import is_withheld
from ssj_bridge.model import (
    AssignmentStatus,
    PublicationStatus,
    Result,
    ResultCode,
    beijing_now,
    beijing_today,
    iso_beijing,
)
from ssj_bridge.outbox.queue import (
    ACCEPTED,
    PENDING,
    REJECTED,
    OutboxItem,
    SendOutcome,
    enqueue,
    supersede,
)
from ssj_bridge.platform.adapter import content_hash
from ssj_bridge.plugins.registry import Enricher, Registry
from ssj_bridge.reconcile.diff import MISSING_ON_PLATFORM
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord
from ssj_bridge.redaction import redact_text
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, outbox, publications, results, subjects

if TYPE_CHECKING:
    from ssj_bridge.plugins.host import PluginHost
    from ssj_bridge.settings import Settings

log = structlog.get_logger("ssj_bridge.features.publications")

PLATFORM = "publicity"  # the platform role (settings.PLATFORM_ROLES) results are published on
ENTITY = "publication"

_rules: DeadlineRules | None = None


def use_rules(rules: DeadlineRules) -> None:
    """Set the deadline rules results recorded from now on are due by (sync, commands)."""
    global _rules
    _rules = rules


def current_rules() -> DeadlineRules:
    """The rules set by `use_rules`, else the default deadline on the bundled calendar.

    Rows written under the default are brought to the configured rules by the next
    `refresh_due_dates` (every sync and report runs one).
    """
    global _rules
    if _rules is None:
        _rules = DeadlineRules.default()
    return _rules


def publication_key(task_id: str, uscc: str, inspected_on: date) -> str:
    """`taskId/uscc/inspectedOn`: the platform publishes one record per this triple."""
    return f"{task_id}/{uscc}/{inspected_on.isoformat()}"


def publication_payload(task_id: str, uscc: str, name: str | None, inspected_on: date,
                        result_code: str) -> dict[str, Any]:
    """What is published, in canonical field names (the adapter maps it to the platform's)."""
    return {"taskId": task_id, "uscc": uscc, "name": name,
            "inspectedOn": inspected_on.isoformat(), "resultCode": result_code}


# -- queueing -------------------------------------------------------------------------------------


def queue_publication(conn: Connection, result: Result, version: int) -> None:
    """Upsert the result's publication and queue it, in the transaction recording the result.

    A withheld result (`results withhold`) keeps its row in step and is never queued.
    """
    code = result.result_code.value
    previous = conn.execute(select(publications).where(
        publications.c.task_id == result.task_id, publications.c.uscc == result.uscc)).first()
    if is_withheld(conn, result.task_id, result.uscc):
        kept = {"inspected_on": result.inspected_on, "result_code": code,
                "status": PublicationStatus.WITHHELD.value,
                "updated_at": iso_beijing(beijing_now())}
        if previous is None:
            conn.execute(publications.insert().values(task_id=result.task_id, uscc=result.uscc,
                                                      due_provisional=False, **kept))
        else:
            conn.execute(update(publications).where(
                publications.c.task_id == result.task_id,
                publications.c.uscc == result.uscc).values(**kept))
        log.info("publication withheld, not queued", task_id=result.task_id, uscc=result.uscc,
                 result_version=version)
        return
    key = publication_key(result.task_id, result.uscc, result.inspected_on)
    values: dict[str, Any] = {"inspected_on": result.inspected_on, "result_code": code,
                              "updated_at": iso_beijing(beijing_now())}
    if previous is None:
        conn.execute(publications.insert().values(
            task_id=result.task_id, uscc=result.uscc, status=PublicationStatus.PENDING.value,
            due_provisional=False, **values))
    else:
        if previous.inspected_on != result.inspected_on:
            # A corrected inspection date is another publication; the old one must not go out.
            supersede(conn, PLATFORM, ENTITY,
                      publication_key(result.task_id, result.uscc, previous.inspected_on))
            values |= {"status": PublicationStatus.PENDING.value, "published_on": None,
                       "batch_no": None, "error_code": None, "error_message": None}
        conn.execute(update(publications).where(
            publications.c.task_id == result.task_id,
            publications.c.uscc == result.uscc).values(**values))
    refresh_due_dates(conn, current_rules(), [result.task_id])
    name = conn.execute(select(subjects.c.name).where(subjects.c.uscc == result.uscc)).scalar()
    payload = publication_payload(result.task_id, result.uscc, name, result.inspected_on, code)
    if previous is None:
        enqueue(conn, PLATFORM, ENTITY, key, payload)
    elif _queue(conn, key, payload) is not None:
        _reopen(conn, result.task_id, result.uscc)
    log.debug("publication queued", key=key, result_version=version)


def _queue(conn: Connection, key: str, payload: Mapping[str, Any]) -> int | None:
    """Enqueue unless the platform already refused exactly this content."""
    latest = _latest(conn, key)
    digest = content_hash(orjson.dumps(dict(payload), option=orjson.OPT_SORT_KEYS))
    if latest is not None and latest.status == REJECTED and latest.content_hash == digest:
        return None
    return enqueue(conn, PLATFORM, ENTITY, key, payload)


def _reopen(conn: Connection, task_id: str, uscc: str) -> None:
    """A refused publication queued again is pending again (a published one stays published)."""
    conn.execute(update(publications).where(
        publications.c.task_id == task_id, publications.c.uscc == uscc,
        publications.c.status == PublicationStatus.REJECTED.value).values(
        status=PublicationStatus.PENDING.value, updated_at=iso_beijing(beijing_now())))


def _latest(conn: Connection, key: str) -> Any:
    return conn.execute(select(outbox.c.version, outbox.c.status, outbox.c.content_hash).where(
        outbox.c.platform == PLATFORM, outbox.c.entity == ENTITY, outbox.c.key == key)
        .order_by(outbox.c.version.desc()).limit(1)).first()


def requeue_changed(conn: Connection) -> int:
    """Queue again every refused publication whose content has changed since (e.g. the
    subject's name arrived, a result was corrected); returns how many."""
    rows = conn.execute(select(publications.c.task_id, publications.c.uscc,
                               publications.c.inspected_on, publications.c.result_code,
                               subjects.c.name)
                        .select_from(publications.outerjoin(
                            subjects, subjects.c.uscc == publications.c.uscc))
                        .where(publications.c.status == PublicationStatus.REJECTED.value))
    queued = 0
    for row in list(rows):
        key = publication_key(row.task_id, row.uscc, row.inspected_on)
        payload = publication_payload(row.task_id, row.uscc, row.name, row.inspected_on,
                                      row.result_code)
        if _queue(conn, key, payload) is not None:
            _reopen(conn, row.task_id, row.uscc)
            queued += 1
    return queued


def retry(conn: Connection, keys: Sequence[str] = (), error_code: str | None = None) -> list[str]:
    """Queue refused publications again as they are, after a fix made outside the store.

    `keys` (`taskId/uscc/inspectedOn`) or `error_code` (e.g. E102) select them; neither: all.
    Returns the keys queued; each goes out in a new batch.
    """
    stmt = (select(publications.c.task_id, publications.c.uscc, publications.c.inspected_on,
                   publications.c.result_code, publications.c.error_code, subjects.c.name)
            .select_from(publications.outerjoin(subjects, subjects.c.uscc == publications.c.uscc))
            .where(publications.c.status == PublicationStatus.REJECTED.value))
    if error_code:
        stmt = stmt.where(publications.c.error_code == error_code)
    wanted = set(keys)
    queued = []
    for row in list(conn.execute(stmt)):
        key = publication_key(row.task_id, row.uscc, row.inspected_on)
        if wanted and key not in wanted:
            continue
        payload = publication_payload(row.task_id, row.uscc, row.name, row.inspected_on,
                                      row.result_code)
        if enqueue(conn, PLATFORM, ENTITY, key, payload) is not None:
            _reopen(conn, row.task_id, row.uscc)
            queued.append(key)
    return queued


# -- what the platform answered -------------------------------------------------------------------


def _on_outcome(conn: Connection, item: OutboxItem, outcome: SendOutcome) -> None:
    """Keep the publication's row in step with the platform's answer about one item."""
    payload = item.payload
    inspected_on = date.fromisoformat(str(payload["inspectedOn"]))
    row = conn.execute(select(publications).where(
        publications.c.task_id == payload["taskId"],
        publications.c.uscc == payload["uscc"])).first()
    if row is None or row.inspected_on != inspected_on:
        log.info("outcome for a superseded inspection date", key=item.key, status=outcome.status)
        return
    response = dict(outcome.response or {})
    values: dict[str, Any] = {"updated_at": iso_beijing(beijing_now()),
                              "batch_no": response.get("batchNo") or row.batch_no}
    if outcome.status == ACCEPTED:
        published_on = _date(response.get("publishedOn")) or beijing_today()
        values |= {"status": PublicationStatus.PUBLISHED.value,
                   # The first publication counts: a later resend (E105-like) does not move it.
                   "published_on": min(filter(None, (row.published_on, published_on))),
                   "error_code": response.get("code"),
                   "error_message": _redacted(response.get("message"))}
    elif outcome.status == REJECTED:
        values |= {"error_code": response.get("code") or "REJECTED",
                   "error_message": _redacted(outcome.error)}
        if row.status != PublicationStatus.PUBLISHED.value and not _newer_pending(conn, item):
            values["status"] = PublicationStatus.REJECTED.value
    else:
        return
    conn.execute(update(publications).where(
        publications.c.task_id == row.task_id, publications.c.uscc == row.uscc).values(**values))


def _redacted(message: Any) -> str | None:
    return redact_text(str(message)) if message is not None else None


def _newer_pending(conn: Connection, item: OutboxItem) -> bool:
    return conn.execute(select(outbox.c.id).where(
        outbox.c.platform == item.platform, outbox.c.entity == item.entity,
        outbox.c.key == item.key, outbox.c.version > item.version,
        outbox.c.status == PENDING).limit(1)).first() is not None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# -- around a sync ---------------------------------------------------------------------------


def before_relay(settings: Settings, store: Store, host: PluginHost | None) -> DeadlineRules:
    """Set the deadline rules, refresh due dates, and queue again what has changed since refused."""
    rules = DeadlineRules.from_settings(settings, host)
    use_rules(rules)
    with store.engine.begin() as conn:
        missing = catch_up(conn)
        changed = refresh_due_dates(conn, rules)
        requeued = requeue_changed(conn)
    if missing or changed or requeued:
        log.info("publications refreshed", queued_missing=missing, due_dates_changed=changed,
                 queued_again=requeued)
    return rules


def after_relay(store: Store, rules: DeadlineRules) -> int:
    """Move published subjects' assignments to 已公示; warn about every overdue publication.

    Returns the number of overdue publications.
    """
    with store.engine.begin() as conn:
        mark_published_assignments(conn)
    return overdue_warnings(store, rules, beijing_today())


def mark_published_assignments(conn: Connection) -> int:
    """Refresh the tasks with a published result whose assignment does not say so yet."""
    from ssj_bridge.features.tasks import refresh_tasks

    stale = sorted(set(conn.execute(
        select(publications.c.task_id).select_from(publications.join(assignments, and_(
            assignments.c.task_id == publications.c.task_id,
            assignments.c.uscc == publications.c.uscc)))
        .where(publications.c.status == PublicationStatus.PUBLISHED.value,
               assignments.c.status != AssignmentStatus.PUBLISHED.value)).scalars()))
    if stale:
        refresh_tasks(conn, stale)
    return len(stale)


# -- for exports ------------------------------------------------------------------------------------


def publication_fields(conn: Connection, keys: Iterable[tuple[str, str]] | None = None
                       ) -> dict[tuple[str, str], dict[str, Any]]:
    """`{"status", "date", "code"}` of each result's publication by (taskId, uscc).

    A result with no publication row yet reads as pending (export results' `publication`).
    """
    stmt = select(publications.c.task_id, publications.c.uscc, publications.c.status,
                  publications.c.published_on, publications.c.error_code)
    if keys is not None:
        pairs = list(keys)
        stmt = stmt.where(and_(publications.c.task_id.in_({t for t, _ in pairs}),
                               publications.c.uscc.in_({u for _, u in pairs})))
    return {(row.task_id, row.uscc): {"status": row.status,
                                      "date": row.published_on.isoformat()
                                      if row.published_on else None,
                                      "code": row.error_code}
            for row in conn.execute(stmt)}


def catch_up(conn: Connection) -> int:
    """Queue the publication of every recorded result that has none, or whose publication
    shows an older code or date (a safety net: a result or correction recorded where this
    module's subscriber was not loaded); returns how many."""
    rows = conn.execute(select(results.c.task_id, results.c.uscc, results.c.result_code,
                               results.c.inspected_on, results.c.version)
                        .select_from(results.outerjoin(publications, and_(
                            publications.c.task_id == results.c.task_id,
                            publications.c.uscc == results.c.uscc)))
                        .where(or_(publications.c.task_id.is_(None),
                                   publications.c.result_code != results.c.result_code,
                                   publications.c.inspected_on != results.c.inspected_on))).all()
    for row in rows:
        result = Result.model_construct(task_id=row.task_id, uscc=row.uscc,
                                        result_code=ResultCode(row.result_code),
                                        inspected_on=row.inspected_on)
        queue_publication(conn, result, int(row.version))
    return len(rows)


# -- reconciliation ------------------------------------------------------------------------------


def _stored_publications(store: Store) -> Iterator[StoreRecord]:
    """Published results (and those on their way, which a listing may not show yet)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(publications).where(publications.c.status.in_(
            (PublicationStatus.PUBLISHED.value, PublicationStatus.PENDING.value)))
            .order_by(publications.c.task_id, publications.c.uscc))
        for row in rows:
            yield StoreRecord(publication_key(row.task_id, row.uscc, row.inspected_on),
                              {"resultCode": row.result_code}, _iso(row.published_on),
                              in_flight=row.status == PublicationStatus.PENDING.value)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _publish_again(conn: Connection, key: str) -> bool:
    """Queue a published result again (the exchange lost it); one it still holds is answered
    E105 and stays as first published, so nothing is made public twice."""
    task_id, _, rest = key.partition("/")
    uscc, _, day = rest.partition("/")
    row = conn.execute(select(publications.c.inspected_on, publications.c.result_code,
                              subjects.c.name)
                       .select_from(publications.outerjoin(
                           subjects, subjects.c.uscc == publications.c.uscc))
                       .where(publications.c.task_id == task_id, publications.c.uscc == uscc,
                              publications.c.status == PublicationStatus.PUBLISHED.value)).first()
    if row is None or row.inspected_on.isoformat() != day:
        return False
    payload = publication_payload(task_id, uscc, row.name, row.inspected_on, row.result_code)
    return enqueue(conn, PLATFORM, ENTITY, key, payload, force=True) is not None


# -- export results -------------------------------------------------------------------------------


def publication_of_results(store: Store) -> Enricher:
    """Adds `publication` (`{"status", "date", "code"}`) to each exported result."""
    with store.engine.connect() as conn:
        published = publication_fields(conn)

    def enrich(_store: Store, item: dict[str, Any]) -> dict[str, Any]:
        item["publication"] = published.get((item["taskId"], item["uscc"])) or {
            "status": "pending", "date": None, "code": None}
        return item

    return enrich


def register(registry: Registry) -> None:
    """Results recorded are queued for publication; the platform's answers kept; published
    results reconciled and repaired; exported results carry their publication."""
    registry.on_result_recorded(queue_publication)
    registry.on_outcome(ENTITY, _on_outcome)
    registry.add_entity(EntitySpec(
        role=PLATFORM, entity=ENTITY, fields={"resultCode": "code"},
        expected=_stored_publications, owned=True, repair=_publish_again,
        repairable=frozenset((MISSING_ON_PLATFORM,)),
        source_hint="the exchange keeps a public record as first published (a corrected "
                    "result is answered E105); a refused publication is sent again with "
                    "`ssj-bridge publications retry KEY`"))
    registry.add_enricher("results", publication_of_results)
