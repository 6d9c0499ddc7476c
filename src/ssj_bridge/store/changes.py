"""Which subjects' facts changed since the work after the streams last looked at them.

Every write that can change how a subject is classified or what the library holds of it (its
permits, its credit records, its designations) marks the subject in `subject_changes`, in the
same transaction. After the streams, classification and the library queue claim the marks,
work on those subjects alone, and release what they claimed: a mark set again in the meantime
(an import running beside the sync) carries a newer generation and stays for the next run.

Each of those steps keeps, in `derived_state`, what it is up to date with (the period, the
policy, the day). When that does not match — the first run, a new quarter, another policy,
a step that did not run while marks were released — the step works on every subject instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, String, delete, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.store.schema import derived_state, subject_changes
from ssj_bridge.store.upsert import list_parameter, listed_rows, upsert

_MARKS: dict[str, Any] = {}


def mark_subjects(conn: Connection, usccs: Iterable[str]) -> None:
    """Mark these subjects changed, in the caller's transaction (one statement)."""
    wanted = sorted(set(usccs))
    if not wanted:
        return
    dialect = conn.dialect.name
    if dialect not in _MARKS:
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = make(subject_changes).from_select(
            ["uscc", "generation"],
            select(listed_rows(dialect, "usccs", String).subquery().c.value, 1).where(true()))
        _MARKS[dialect] = stmt.on_conflict_do_update(
            index_elements=["uscc"],
            set_={"generation": subject_changes.c.generation + 1})
    conn.execute(_MARKS[dialect], {"usccs": list_parameter(dialect, wanted)})


def claim(conn: Connection) -> None:
    """Claim every mark as it stands (a later mark of the same subject is not claimed)."""
    conn.execute(update(subject_changes).values(claimed=subject_changes.c.generation))


def claimed(conn: Connection) -> list[str]:
    """The subjects claimed, in USCC order."""
    return list(conn.execute(select(subject_changes.c.uscc).where(
        subject_changes.c.claimed.is_not(None)).order_by(subject_changes.c.uscc)).scalars())


def release(conn: Connection) -> None:
    """Forget the claimed marks that were not set again since they were claimed."""
    conn.execute(delete(subject_changes).where(
        subject_changes.c.claimed == subject_changes.c.generation))


def read_state(conn: Connection, name: str) -> dict[str, Any] | None:
    """What the step `name` last recorded itself up to date with, if anything."""
    value = conn.execute(select(derived_state.c.value).where(
        derived_state.c.name == name)).scalar()
    return orjson.loads(value) if value is not None else None


def write_state(conn: Connection, name: str, value: Mapping[str, Any]) -> None:
    """Record what the step `name` is now up to date with, in its own transaction's writes."""
    upsert(conn, derived_state, [{"name": name, "value": orjson.dumps(dict(value)).decode(),
                                  "updated_at": iso_beijing(beijing_now())}], ("name",))


def drop_state(conn: Connection, names: Iterable[str]) -> None:
    """Forget the states of steps that did not see the marks being released."""
    conn.execute(delete(derived_state).where(derived_state.c.name.in_(list(names))))

