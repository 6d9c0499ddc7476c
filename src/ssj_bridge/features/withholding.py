"""Withholding a result from publication: `results withhold RESULT_ID --reason --approved-by`.

A result whose inspection or findings 涉及国家秘密、国家安全、公共安全 may be kept out of
publication (益阳 五（三） "检查情况和查处结果涉及保密、国家安全、公共安全的，可不予公开"; the
政府信息公开条例 第十四条 everywhere else). Withholding records why and who approved it, marks the
result's publication `withheld`, and takes back whatever is still queued for the publicity
platform, in one transaction, holding the sync's lock (a running sync could otherwise be
sending the very item taken back). A withheld result is never sent (a correction of it is not
queued either), never overdue, and counts as done where done means published; reports show it
apart. A result already published cannot be withheld here: the public record is the exchange's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from ssj_bridge.errors import InputRefused
from ssj_bridge.i18n import N_, _
from ssj_bridge.model import PublicationStatus, beijing_now, iso_beijing
from ssj_bridge.outbox.queue import PENDING
from ssj_bridge.store import SYNC_LOCK, Store
from ssj_bridge.store.schema import outbox, publications, results, withholdings

PLATFORM, ENTITY = "publicity", "publication"  # where publications are queued
WITHHELD_ITEM = "withheld"  # the outbox status of an item taken back

# What this module says (one place, to translate).
TEXT = {
    "no_reason": N_("--reason is required: why the result is kept out of publication (e.g. "
                    "涉及国家秘密、国家安全、公共安全)"),
    "no_approver": N_("--approved-by is required: who decided to keep the result out of "
                      "publication"),
    "unknown": N_("result {key!r} is not in the store (a resultId, or TASK_ID/USCC for a result "
                  "without one; see `ssj-bridge export results`)"),
    "published": N_("result {key} was published on {day}: the public record is the publicity "
                    "system's; withdraw it there"),
    "already": N_("result {key} is already withheld (since {at}, approved by {by})"),
}


@dataclass(frozen=True)
class Withholding:
    """A result kept out of publication: which, why, who approved, when, under which clause."""

    task_id: str
    uscc: str
    result_id: str | None
    reason: str
    approved_by: str
    clause: str
    recorded_by: str
    recorded_at: str
    taken_back: int = 0  # queued publication items withdrawn

    def as_json(self) -> dict[str, Any]:
        """camelCase."""
        return {"taskId": self.task_id, "uscc": self.uscc, "resultId": self.result_id,
                "reason": self.reason, "approvedBy": self.approved_by, "clause": self.clause,
                "recordedBy": self.recorded_by, "recordedAt": self.recorded_at}


def withhold_result(store: Store, key: str, *, reason: str, approved_by: str, recorded_by: str,
                    clause: str = "") -> Withholding:
    """Keep the result `key` (a resultId, or `TASK_ID/USCC`) out of publication (module
    docstring); InputRefused, nothing changed, without a reason or approver, for an unknown
    result, or one already published or withheld."""
    reason, approved_by = reason.strip(), approved_by.strip()
    if not reason:
        raise InputRefused(_said("no_reason"))
    if not approved_by:
        raise InputRefused(_said("no_approver"))
    now = iso_beijing(beijing_now())
    with store.lock(SYNC_LOCK), store.engine.begin() as conn:
        row = _result(conn, key)
        if row is None:
            raise InputRefused(_said("unknown").format(key=key))
        held = conn.execute(select(withholdings).where(
            withholdings.c.task_id == row.task_id, withholdings.c.uscc == row.uscc)).first()
        if held is not None:
            raise InputRefused(_said("already").format(key=key, at=held.recorded_at,
                                                      by=held.approved_by))
        published = conn.execute(select(publications.c.status, publications.c.published_on)
                                 .where(publications.c.task_id == row.task_id,
                                        publications.c.uscc == row.uscc)).first()
        if published is not None and published.status == PublicationStatus.PUBLISHED.value:
            raise InputRefused(_said("published").format(key=key, day=published.published_on))
        found = Withholding(row.task_id, row.uscc, row.result_id, reason, approved_by, clause,
                            recorded_by, now)
        conn.execute(withholdings.insert().values(
            task_id=row.task_id, uscc=row.uscc, result_id=row.result_id, reason=reason,
            approved_by=approved_by, clause=clause, recorded_by=recorded_by, recorded_at=now))
        values = {"status": PublicationStatus.WITHHELD.value, "due": None,
                  "due_provisional": False, "updated_at": now}
        if published is None:
            conn.execute(publications.insert().values(
                task_id=row.task_id, uscc=row.uscc, inspected_on=row.inspected_on,
                result_code=row.result_code, **values))
        else:
            conn.execute(update(publications).where(
                publications.c.task_id == row.task_id, publications.c.uscc == row.uscc)
                .values(**values))
        taken = take_back(conn, row.task_id, row.uscc)
    return Withholding(**{**found.__dict__, "taken_back": taken})


def _result(conn: Connection, key: str) -> Any:
    row = conn.execute(select(results).where(results.c.result_id == key)).first()
    if row is None and "/" in key:
        task_id, _, uscc = key.partition("/")
        row = conn.execute(select(results).where(results.c.task_id == task_id,
                                                 results.c.uscc == uscc.upper())).first()
    return row


def take_back(conn: Connection, task_id: str, uscc: str) -> int:
    """Withdraw the result's publication items still waiting to be sent; returns how many."""
    prefix = f"{task_id}/{uscc}/"
    done = conn.execute(update(outbox).where(
        outbox.c.platform == PLATFORM, outbox.c.entity == ENTITY,
        outbox.c.key.like(prefix.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"),
        outbox.c.status == PENDING).values(status=WITHHELD_ITEM,
                                           updated_at=iso_beijing(beijing_now())))
    return int(done.rowcount or 0)


def is_withheld(conn: Connection, task_id: str, uscc: str) -> bool:
    """Whether the result is kept out of publication."""
    return conn.execute(select(withholdings.c.task_id).where(
        withholdings.c.task_id == task_id, withholdings.c.uscc == uscc)).first() is not None


def withheld_results(conn: Connection) -> dict[tuple[str, str], Withholding]:
    """Every withheld result by (taskId, uscc)."""
    return {(r.task_id, r.uscc): Withholding(r.task_id, r.uscc, r.result_id, r.reason,
                                             r.approved_by, r.clause, r.recorded_by,
                                             r.recorded_at)
            for r in conn.execute(select(withholdings))}


def _said(key: str) -> str:
    """`TEXT[key]` in the language in force."""
    return _(TEXT[key])
