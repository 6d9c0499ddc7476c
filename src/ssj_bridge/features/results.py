"""Recorded inspection results and who is told when one is recorded.

Subscribers (`Registry.on_result_recorded`) run inside the transaction that records a result
or a new version of it, so what they derive (e.g. a queued publication) commits or rolls back
with it.

A result, once recorded, changes only through a correction that names who approved it and
why; every version is kept in `result_versions`. Results arrive from the provincial platform's
listing (each with the platform's resultId and version) or are corrected here
(`results correct`), which records the new version and queues it for the platform.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import orjson
import structlog
from pydantic import ValidationError
from sqlalchemy import Connection, Row, select, update

from ssj_bridge.features.tasks import refresh_tasks
from ssj_bridge.model import RecordedResult, Result, beijing_now, beijing_today, iso_beijing
from ssj_bridge.model.compared import RESULT_FIELDS, result_version
from ssj_bridge.outbox.queue import ACCEPTED, PENDING, OutboxItem, SendOutcome, enqueue
from ssj_bridge.plugins.registry import Registry, default_registry
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord
from ssj_bridge.store import SYNC_LOCK, Store
from ssj_bridge.store.canonical import Writer
from ssj_bridge.store.schema import outbox, result_versions, results, uscc_allowlist
from ssj_bridge.store.upsert import upsert

log = structlog.get_logger("ssj_bridge.features.results")

RESULTS_PLATFORM = "province"  # the platform role that records results and their corrections
RESULT_ENTITY = "result"
CORRECTION_ENTITY = "correction"
LOCAL = "local"
PLATFORM = "platform"
# Fields a correction may change; taskId and uscc identify the result and never change.
CORRECTABLE = ("resultCode", "inspectedOn", "inspectorIds", "findings", "rectificationDue",
               "caseNo")


class CorrectionRefused(ValueError):
    """A correction that cannot be recorded (unknown result, bad field, missing approver …)."""


def content(result: Result) -> str:
    """A result's stored JSON: canonical names, keys sorted, so equal results compare equal."""
    return orjson.dumps(result.model_dump(mode="json", by_alias=True),
                        option=orjson.OPT_SORT_KEYS).decode()


def record_version(conn: Connection, result: Result, version: int, *, result_id: str | None,
                   origin: str, approved_by: str | None = None, reason: str | None = None,
                   update_time: str | None = None) -> None:
    """Record `result` as `version` (the current one), keep the version, tell the subscribers."""
    now = iso_beijing(beijing_now())
    upsert(conn, results, [{
        "task_id": result.task_id, "uscc": result.uscc, "result_id": result_id,
        "version": version, "result_code": result.result_code.value,
        "inspected_on": result.inspected_on, "inspector_ids": ";".join(result.inspector_ids),
        "findings": result.findings, "rectification_due": result.rectification_due,
        "case_no": result.case_no, "origin": origin, "update_time": update_time,
        "recorded_at": now}], ("task_id", "uscc"))
    row = {"task_id": result.task_id, "uscc": result.uscc, "version": version,
           "content": content(result), "recorded_at": now}
    if approved_by is not None or reason is not None:
        row |= {"approved_by": approved_by, "reason": reason}
    upsert(conn, result_versions, [row], ("task_id", "uscc", "version"))
    for subscriber in default_registry().result_recorded:
        subscriber(conn, result, version)


def stored_result(row: Row[Any], allowed: frozenset[str] = frozenset()) -> Result:
    """A row of `results` as the canonical Result."""
    return Result.model_validate({
        "task_id": row.task_id, "uscc": row.uscc, "result_code": row.result_code,
        "inspected_on": row.inspected_on,
        "inspector_ids": [i for i in row.inspector_ids.split(";") if i],
        "findings": row.findings, "rectification_due": row.rectification_due,
        "case_no": row.case_no}, context={"allowed_usccs": allowed})


def _allowed(conn: Connection) -> frozenset[str]:
    return frozenset(conn.execute(select(uscc_allowlist.c.uscc)).scalars())


# -- results listed by the platform ----------------------------------------------------------


def _version_row(recorded: RecordedResult) -> dict[str, Any]:
    # Who approved a version and why is known only where the correction was made; leaving
    # the columns out keeps what a local correction wrote.
    return {"task_id": recorded.result.task_id, "uscc": recorded.result.uscc,
            "version": recorded.version, "content": content(recorded.result),
            "recorded_at": iso_beijing(beijing_now())}


def _after_listed(conn: Connection, listed: Sequence[RecordedResult]) -> None:
    allowed = _allowed(conn)
    touched: set[str] = set()
    for recorded in sorted(listed, key=lambda r: r.version):
        result = recorded.result
        stamp = iso_beijing(recorded.update_time) if recorded.update_time else None
        current = conn.execute(select(results).where(
            results.c.task_id == result.task_id, results.c.uscc == result.uscc)).first()
        if current is None or recorded.version > current.version:
            record_version(conn, result, recorded.version, result_id=recorded.result_id,
                           origin=current.origin if current is not None else PLATFORM,
                           update_time=stamp)
            touched.add(result.task_id)
            continue
        if recorded.version < current.version:
            continue  # the listing is behind a correction recorded here
        conn.execute(update(results).where(
            results.c.task_id == result.task_id, results.c.uscc == result.uscc).values(
            result_id=recorded.result_id, update_time=stamp or current.update_time))
        if result != stored_result(current, allowed):
            # A recorded version never changes: keep what the store recorded and say so.
            log.warning("platform lists other content for a recorded result version",
                        task=result.task_id, uscc=result.uscc, version=recorded.version,
                        result_id=recorded.result_id)
            conn.execute(update(result_versions).where(
                result_versions.c.task_id == result.task_id,
                result_versions.c.uscc == result.uscc,
                result_versions.c.version == recorded.version).values(
                content=content(stored_result(current, allowed))))
    refresh_tasks(conn, touched)


def _keep_result_id(conn: Connection, item: OutboxItem, outcome: SendOutcome) -> None:
    """A result recorded here and accepted by the platform gets the platform's resultId."""
    result_id = (outcome.response or {}).get("resultId")
    if outcome.status != ACCEPTED or not result_id:
        return
    conn.execute(update(results).where(
        results.c.task_id == item.payload.get("taskId"), results.c.uscc == item.payload.get("uscc"),
        results.c.result_id.is_(None)).values(result_id=str(result_id)))


# -- corrections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """A recorded correction: the result's new version and what changed."""

    result_id: str
    task_id: str
    uscc: str
    version: int
    changes: dict[str, Any]


def parse_changes(arguments: Sequence[str]) -> dict[str, str]:
    """`FIELD=VALUE` arguments → {field: value}; fields as the Result writes them (camelCase)."""
    changes: dict[str, str] = {}
    for text in arguments:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CorrectionRefused(f"{text!r}: expected FIELD=VALUE")
        if name not in CORRECTABLE:
            raise CorrectionRefused(f"{name!r} cannot be corrected; correctable fields: "
                                    f"{', '.join(CORRECTABLE)}")
        if name in changes:
            raise CorrectionRefused(f"{name!r} is given twice")
        changes[name] = value
    return changes


def _typed(name: str, value: str) -> Any:
    """The text of a FIELD=VALUE as the Result field takes it (lists `;`-joined, empty = null)."""
    if name == "inspectorIds":
        return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
    field = Result.model_fields[_FIELD_NAMES[name]]
    if value.strip() == "" and type(None) in get_args(field.annotation):
        return None
    return value.strip() if name != "findings" else value


_FIELD_NAMES = {(info.alias or name): name for name, info in Result.model_fields.items()}


def correct_result(store: Store, result_id: str, changes: Mapping[str, str], *,
                   approved_by: str, reason: str) -> Correction:
    """Record a correction of a recorded result and queue it for the platform, in one transaction.

    Refused (CorrectionRefused, nothing recorded) without an approver or a reason, for an
    unknown resultId, for a field the Result model refuses, or when nothing would change.
    """
    if not approved_by.strip():
        raise CorrectionRefused("--approved-by is required: a recorded result changes only "
                                "with an approver")
    if not reason.strip():
        raise CorrectionRefused("--reason is required: a recorded result changes only with a reason")
    if not changes:
        raise CorrectionRefused("give at least one FIELD=VALUE to correct")
    # The correction is queued for the platform: not while a sync (or a repair) is sending.
    with store.lock(SYNC_LOCK), store.engine.begin() as conn:
        row = conn.execute(select(results).where(results.c.result_id == result_id)).first()
        if row is None:
            raise CorrectionRefused(f"result {result_id!r} is not in the store (see "
                                    "`ssj-bridge export results`)")
        allowed = _allowed(conn)
        before = stored_result(row, allowed)
        typed = {name: _typed(name, value) for name, value in changes.items()}
        merged = before.model_dump(by_alias=True) | typed
        try:
            after = Result.model_validate(merged, context={"allowed_usccs": allowed})
        except ValidationError as exc:
            raise CorrectionRefused(_describe(result_id, exc)) from None
        if after.inspected_on > beijing_today():
            raise CorrectionRefused(f"result {result_id}: inspectedOn "
                                    f"{after.inspected_on.isoformat()} is in the future")
        changed = {name: value for name, value in
                   after.model_dump(mode="json", by_alias=True).items()
                   if name in typed and value != before.model_dump(mode="json", by_alias=True)[name]}
        if not changed:
            raise CorrectionRefused(f"result {result_id}: the correction changes nothing")
        version = int(row.version) + 1
        record_version(conn, after, version, result_id=result_id, origin=row.origin,
                       approved_by=approved_by.strip(), reason=reason.strip(),
                       update_time=row.update_time)
        enqueue(conn, RESULTS_PLATFORM, CORRECTION_ENTITY, f"{result_id}/v{version}", {
            "resultId": result_id, "version": version, "taskId": after.task_id,
            "uscc": after.uscc, "changes": changed, "approvedBy": approved_by.strip(),
            "reason": reason.strip()})
        refresh_tasks(conn, [after.task_id])
    return Correction(result_id, after.task_id, after.uscc, version, changed)


def _describe(result_id: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "result"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"field {field!r} value {error.get('input')!r}: {message}")
    return f"result {result_id}: " + "; ".join(problems)


# -- reconciliation ---------------------------------------------------------------------------
#
# The platform records results and keeps every version; the store follows it. A result with a
# local correction not yet accepted by the platform is in flight. Versions are compared as
# zero-padded text, so a platform behind a correction the store holds shows as stale.

def _stored_results(store: Store) -> Iterator[StoreRecord]:
    """Every result the platform has given a resultId."""
    with store.engine.connect() as conn:
        allowed = _allowed(conn)
        corrected = {key.rsplit("/v", 1)[0] for key in conn.execute(select(outbox.c.key).where(
            outbox.c.platform == RESULTS_PLATFORM, outbox.c.entity == CORRECTION_ENTITY,
            outbox.c.status == PENDING)).scalars()}
        rows = conn.execution_options(yield_per=2000).execute(
            select(results).where(results.c.result_id.is_not(None))
            .order_by(results.c.result_id))
        for row in rows:
            record = stored_result(row, allowed).model_dump(mode="json", by_alias=True)
            yield StoreRecord(row.result_id, record, result_version(row.version),
                              in_flight=row.result_id in corrected)




# -- export -----------------------------------------------------------------------------------


def result_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The Result of the platform's profile plus resultId and version (publications add
    `publication`)."""
    with store.engine.connect() as conn:
        allowed = _allowed(conn)
        for row in conn.execute(select(results).order_by(results.c.task_id, results.c.uscc)):
            item = stored_result(row, allowed).model_dump(mode="json", by_alias=True)
            item |= {"resultId": row.result_id, "version": int(row.version)}
            yield item


def register(registry: Registry) -> None:
    """Results listed by the platform and corrected here: store writer, outcome handler,
    reconciliation, `export results`."""
    registry.add_writer(RecordedResult, Writer(result_versions, ("task_id", "uscc", "version"),
                                               _version_row, _after_listed))
    registry.on_outcome(RESULT_ENTITY, _keep_result_id)
    registry.add_entity(EntitySpec(
        role=RESULTS_PLATFORM, entity=RESULT_ENTITY, fields=RESULT_FIELDS,
        expected=_stored_results,
        source_hint="the provincial platform keeps recorded results: a result it holds in a "
                    "newer version, or the store lacks, is taken by the next sync; one behind "
                    "the store lost a correction: correct it again with `ssj-bridge results "
                    "correct`"))
    registry.add_exporter("results", result_rows)
