"""The outbox: what the project owes a platform, queued in the transaction that decided it.

A write (a library subject, a task, a result, a publication) is enqueued in the same
transaction as the change that causes it, and a relay sends it later through the platform's
adapter. A crash at any point neither loses a write (it stays pending) nor duplicates one (the
resend carries the same request id, derived from the record's key and version, and the
platforms apply a repeated request id once).

Versions: each distinct content of a key gets the next version. Only the newest pending version
of a key is sent (older pending ones are superseded); content equal to what the platform last
accepted, with nothing pending, is not queued at all — so a change followed by its reversal is
still sent when the change already went out, and not at all when it never did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Text, bindparam, func, select, update

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.platform.adapter import content_hash
from ssj_bridge.redaction import redact_text
from ssj_bridge.store.engine import REQUEST_SCOPE
from ssj_bridge.store.schema import outbox
from ssj_bridge.store.upsert import insert, list_parameter, listed

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"
SUPERSEDED = "superseded"


@dataclass(frozen=True)
class OutboxItem:
    """One pending write as a sink receives it."""

    id: int
    platform: str
    entity: str
    key: str
    version: int
    payload: dict[str, Any]
    content_hash: str
    scope: str | None = None

    @property
    def request_id(self) -> str:
        """Stable across retries and resumed runs: the same key and version, the same id.

        A version queued by a store with a region carries it in its id (`scope`): a platform
        that remembers ids across the regions of one app key tells two regions' records of
        one key apart. Versions queued before the scope existed keep their unscoped ids.
        """
        scoped = f"{self.scope}/" if self.scope else ""
        digest = hashlib.sha256(f"{scoped}{self.platform}/{self.entity}/{self.key}/{self.version}"
                                .encode()).hexdigest()
        return f"ssj-{digest[:40]}"


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one item: accepted (with the platform's answer), rejected, or deferred.

    `deferred` leaves the item pending for the next run (e.g. a per-minute quota is used up).
    """

    item_id: int
    status: str
    response: Mapping[str, Any] | None = None
    error: str | None = None

    @classmethod
    def accepted(cls, item: OutboxItem, response: Mapping[str, Any] | None = None
                 ) -> SendOutcome:
        """The platform applied (or had already applied) the write."""
        return cls(item.id, ACCEPTED, response)

    @classmethod
    def rejected(cls, item: OutboxItem, error: str) -> SendOutcome:
        """The platform refused the write for a reason that retrying cannot fix."""
        return cls(item.id, REJECTED, None, error)

    @classmethod
    def deferred(cls, item: OutboxItem, why: str) -> SendOutcome:
        """Not sent this run; stays pending."""
        return cls(item.id, PENDING, None, why)


def enqueue(conn: Connection, platform: str, entity: str, key: str,
            payload: Mapping[str, Any], *, force: bool = False) -> int | None:
    """Queue `payload` for `key` unless it is already queued or accepted; returns the version.

    `force` queues a new version even when the platform accepted this very content before
    (a repair: the platform has lost or changed what it accepted); a new version carries a
    new request id, so the platform applies it instead of answering from its memory.
    """
    return enqueue_many(conn, platform, entity, [(key, payload)], force=force).get(key)


@dataclass(slots=True)
class KeyState:
    """What the outbox holds of one key: its newest version, the newest accepted content and
    the ids of the versions still pending."""

    version: int = 0
    content_hash: str | None = None
    status: str | None = None
    accepted_hash: str | None = None
    accepted_version: int = 0
    pending_ids: tuple[int, ...] = ()

    def add(self, row: Any) -> None:
        """Take one stored version of the key into account (key, id, version, hash, status)."""
        _, item_id, version, digest, status = row
        if version > self.version:
            self.version, self.content_hash, self.status = version, digest, status
        if status == ACCEPTED and version > self.accepted_version:
            self.accepted_version, self.accepted_hash = version, digest
        elif status == PENDING:
            self.pending_ids += (item_id,)


def held_by_key(conn: Connection, platform: str, entity: str) -> dict[str, KeyState]:
    """What the outbox holds of every key of one platform and entity, in one read of the
    entity's index: for a pass over every key (a first run, a new quarter), where a lookup
    per key would cost several times as much. Pass it to `enqueue_many` as `held`."""
    held: dict[str, KeyState] = {}
    rows = conn.execute(_STATE_COLUMNS.where(outbox.c.platform == platform,
                                             outbox.c.entity == entity)
                        .execution_options(yield_per=20_000))
    for part in rows.partitions():
        _fold(held, part)
    return held


def _fold(held: dict[str, KeyState], rows: Iterable[Any]) -> None:
    """Add stored versions (key, id, version, hash, status) to the states of their keys."""
    for row in rows:
        key = row[0]
        state = held.get(key)
        if state is None:
            state = held[key] = KeyState()
        state.add(row)


_STATE_COLUMNS = select(outbox.c.key, outbox.c.id, outbox.c.version, outbox.c.content_hash,
                        outbox.c.status)


def enqueue_many(conn: Connection, platform: str, entity: str,
                 items: Iterable[tuple[str, Mapping[str, Any]]], *, force: bool = False,
                 held: Mapping[str, KeyState] | None = None) -> dict[str, int]:
    """`enqueue` for many keys at once, in three statements whatever their number: read what
    the outbox holds of the keys, supersede their pending versions, insert the new ones.

    Each key is decided exactly as `enqueue` decides it. Returns key → version queued (keys
    left out queued nothing). A key listed twice is refused: its order would be ambiguous.
    `held` (`held_by_key`, read in this transaction before any of these keys was queued)
    saves the read.
    """
    bodies: dict[str, bytes] = {}
    for key, payload in items:
        if key in bodies:
            raise ValueError(f"outbox: {platform}/{entity} key {key!r} listed twice")
        bodies[key] = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    if not bodies:
        return {}
    if held is None:
        held = _held(conn, platform, entity, list(bodies))
    now = iso_beijing(beijing_now())
    scope = conn.info.get(REQUEST_SCOPE)
    superseded: list[int] = []
    rows: list[dict[str, Any]] = []
    queued: dict[str, int] = {}
    for key, body in bodies.items():
        digest = content_hash(body)
        state = held.get(key)
        if state is None:
            state = KeyState()
        elif (not force and state.content_hash == digest and state.status != REJECTED):
            continue  # already queued, or the platform holds it
        superseded += state.pending_ids
        if state.accepted_hash == digest and not force:
            continue  # the platform already holds this content: the pending change is undone
        queued[key] = state.version + 1
        rows.append({"platform": platform, "entity": entity, "key": key,
                     "version": state.version + 1, "payload": body, "content_hash": digest,
                     "status": PENDING, "attempts": 0, "created_at": now, "updated_at": now,
                     "request_scope": scope})
    if superseded:
        # By id: a condition on (platform, entity, key, status) lets SQLite walk
        # ix_outbox_pending, every pending item of the entity, for each key.
        dialect = conn.dialect.name
        conn.execute(update(outbox).where(listed(dialect, outbox.c.id, "ids"))
                     .values(status=SUPERSEDED, updated_at=now),
                     {"ids": list_parameter(dialect, superseded)})
    if rows:
        insert(conn, outbox, rows)
    return queued


def _held(conn: Connection, platform: str, entity: str, keys: Sequence[str]
          ) -> dict[str, KeyState]:
    """What the outbox holds of each of `keys` (one read on the key's unique index)."""
    dialect = conn.dialect.name
    held: dict[str, KeyState] = {}
    _fold(held, conn.execute(_STATE_COLUMNS.where(
        outbox.c.platform == platform, outbox.c.entity == entity,
        listed(dialect, outbox.c.key, "keys")), {"keys": list_parameter(dialect, keys)}).all())
    return held


def supersede(conn: Connection, platform: str, entity: str, key: str) -> None:
    """Take the pending versions of `key` out of the queue (none will be sent)."""
    pending_ids = [i for i in conn.execute(select(outbox.c.id, outbox.c.status).where(
        outbox.c.platform == platform, outbox.c.entity == entity, outbox.c.key == key))
        if i.status == PENDING]
    if pending_ids:
        conn.execute(update(outbox).where(outbox.c.id.in_([i.id for i in pending_ids])).values(
            status=SUPERSEDED, updated_at=iso_beijing(beijing_now())))


def pending(conn: Connection, platform: str, entity: str, limit: int) -> list[OutboxItem]:
    """The oldest pending items of one platform and entity."""
    rows = conn.execute(select(outbox).where(
        outbox.c.platform == platform, outbox.c.entity == entity, outbox.c.status == PENDING)
        .order_by(outbox.c.id).limit(limit))
    return [OutboxItem(r.id, r.platform, r.entity, r.key, r.version, orjson.loads(r.payload),
                       r.content_hash, r.request_scope) for r in rows]


def record_outcomes(conn: Connection, outcomes: Sequence[SendOutcome]) -> None:
    """Store what the platform answered, in the caller's transaction (one statement)."""
    if not outcomes:
        return
    now = iso_beijing(beijing_now())
    conn.execute(
        update(outbox).where(outbox.c.id == bindparam("item_id")).values(
            status=bindparam("new_status"), updated_at=now, attempts=outbox.c.attempts + 1,
            last_error=bindparam("error"),
            response=func.coalesce(bindparam("answer", type_=Text), outbox.c.response)),
        [{"item_id": o.item_id, "new_status": o.status,
          "error": redact_text(o.error) if o.error is not None else None,
          "answer": (orjson.dumps(dict(o.response)).decode() if o.response is not None
                     else None)} for o in outcomes])


def counts(conn: Connection, platform: str) -> dict[str, int]:
    """Items of a platform by status (reports)."""
    rows = conn.execute(select(outbox.c.status, func.count()).where(
        outbox.c.platform == platform).group_by(outbox.c.status))
    return {row[0]: int(row[1]) for row in rows}
