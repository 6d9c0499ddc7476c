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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, and_, func, select, update

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.platform.adapter import content_hash
from ssj_bridge.redaction import redact_text
from ssj_bridge.store.engine import REQUEST_SCOPE
from ssj_bridge.store.schema import outbox

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
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    digest = content_hash(body)
    same_key = and_(outbox.c.platform == platform, outbox.c.entity == entity,
                    outbox.c.key == key)
    latest = conn.execute(select(outbox.c.version, outbox.c.content_hash, outbox.c.status)
                          .where(same_key).order_by(outbox.c.version.desc()).limit(1)).first()
    if (not force and latest is not None and latest.content_hash == digest
            and latest.status != REJECTED):
        return None
    now = iso_beijing(beijing_now())
    last_accepted = conn.execute(select(outbox.c.content_hash).where(
        same_key, outbox.c.status == ACCEPTED).order_by(outbox.c.version.desc()).limit(1)
    ).scalar()
    conn.execute(update(outbox).where(same_key, outbox.c.status == PENDING).values(
        status=SUPERSEDED, updated_at=now))
    if last_accepted == digest and not force:
        return None  # the platform already holds this content: the pending change is undone
    version = (latest.version if latest is not None else 0) + 1
    conn.execute(outbox.insert().values(
        platform=platform, entity=entity, key=key, version=version, payload=body,
        content_hash=digest, status=PENDING, attempts=0, created_at=now, updated_at=now,
        request_scope=conn.info.get(REQUEST_SCOPE)))
    return version


def pending(conn: Connection, platform: str, entity: str, limit: int) -> list[OutboxItem]:
    """The oldest pending items of one platform and entity."""
    rows = conn.execute(select(outbox).where(
        outbox.c.platform == platform, outbox.c.entity == entity, outbox.c.status == PENDING)
        .order_by(outbox.c.id).limit(limit))
    return [OutboxItem(r.id, r.platform, r.entity, r.key, r.version, orjson.loads(r.payload),
                       r.content_hash, r.request_scope) for r in rows]


def record_outcomes(conn: Connection, outcomes: Sequence[SendOutcome]) -> None:
    """Store what the platform answered, in the caller's transaction."""
    now = iso_beijing(beijing_now())
    for outcome in outcomes:
        values: dict[str, Any] = {"status": outcome.status, "updated_at": now,
                                  "attempts": outbox.c.attempts + 1,
                                  "last_error": redact_text(outcome.error)
                                  if outcome.error is not None else None}
        if outcome.response is not None:
            values["response"] = orjson.dumps(dict(outcome.response)).decode()
        conn.execute(update(outbox).where(outbox.c.id == outcome.item_id).values(**values))


def counts(conn: Connection, platform: str) -> dict[str, int]:
    """Items of a platform by status (reports)."""
    rows = conn.execute(select(outbox.c.status, func.count()).where(
        outbox.c.platform == platform).group_by(outbox.c.status))
    return {row[0]: int(row[1]) for row in rows}
