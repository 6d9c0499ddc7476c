"""From a holder's permits to its subject: the strictest class of its valid permits.

The rule (docs/platforms/permit.md): a holder's management class is the strictest (重点 > 简化 > 登记) of its
valid permits; its name, region and industry come from its most recently updated valid permit
(ties: the greater permit number); a holder with no valid permit keeps the name of its latest
permit, is inactive and has no class; it is a key discharge unit when one of its valid permits
says so.

The rule runs in the database, as one INSERT … SELECT per batch of holders: reading every
permit of a batch's holders back into Python to decide it cost a fifth of a full sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ssj_bridge.model import ManagementClass, PermitStatus
from ssj_bridge.store.changes import mark_subjects
from ssj_bridge.store.schema import permits, subjects
from ssj_bridge.store.upsert import list_parameter, listed

_HOLDER_COLUMNS = ("uscc", "name", "region_code", "industry_code", "management_class",
                   "key_discharge_unit", "active", "permit_count", "updated_at")


def derive_subjects(conn: Connection, usccs: Sequence[str], now: str) -> None:
    """Recompute the subjects of these holders from every permit they hold, in `conn`'s
    transaction; `now` is their `updated_at`. Columns from elsewhere (credit, tags) are kept.
    The holders are marked changed for classification and the library (store.changes)."""
    wanted = sorted(set(usccs))
    if not wanted:
        return
    conn.execute(_statement(conn.dialect.name),
                 {"usccs": list_parameter(conn.dialect.name, wanted), "now": now})
    mark_subjects(conn, wanted)


_STATEMENTS: dict[str, Any] = {}


def _statement(dialect: str) -> Any:
    """The upsert for one dialect, built once."""
    if dialect not in _STATEMENTS:
        _STATEMENTS[dialect] = _build(dialect)
    return _STATEMENTS[dialect]


def _build(dialect: str) -> Any:
    valid = permits.c.status == PermitStatus.VALID.value
    rank = case({c.value: c.rank for c in ManagementClass}, value=permits.c.management_class)
    holder = permits.c.uscc
    facts = select(
        permits.c.uscc,
        permits.c.org_name,
        permits.c.region_code,
        permits.c.industry_code,
        # 1 for the permit that names the holder: valid first, then the latest update.
        func.row_number().over(partition_by=holder, order_by=(
            case((valid, 0), else_=1), permits.c.update_time.desc(), permits.c.permit_no.desc(),
        )).label("pick"),
        func.min(case((valid, rank))).over(partition_by=holder).label("strictest"),
        func.max(case((and_(valid, permits.c.key_discharge_unit), 1), else_=0))
        .over(partition_by=holder).label("key_unit"),
        func.count().over(partition_by=holder).label("permit_count"),
    ).where(listed(dialect, permits.c.uscc, "usccs")).subquery("facts")
    derived = select(
        facts.c.uscc,
        facts.c.org_name,
        facts.c.region_code,
        facts.c.industry_code,
        case({c.rank: c.value for c in ManagementClass}, value=facts.c.strictest),
        facts.c.key_unit == literal_column("1"),
        facts.c.strictest.is_not(None),
        facts.c.permit_count,
        bindparam("now", type_=String),
    ).where(facts.c.pick == literal_column("1"))
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(subjects).from_select(list(_HOLDER_COLUMNS), derived)
    return stmt.on_conflict_do_update(
        index_elements=["uscc"],
        set_={name: stmt.excluded[name] for name in _HOLDER_COLUMNS if name != "uscc"})
