"""How CreditRecords are written to `credit_records` (one row per evaluation or classification).

The row key is derived from the record's own fields, the same way adapters key the records
they fetch: an evaluation is `USCC/year/published_on`, a risk class `USCC/published_on`
(a missing part is empty), so two publications of one year are two rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ssj_bridge.model import CreditRecord
from ssj_bridge.store.canonical import Row, Writer
from ssj_bridge.store.changes import mark_subjects
from ssj_bridge.store.schema import credit_records

if TYPE_CHECKING:
    from ssj_bridge.plugins.registry import Registry


def credit_record_key(record: CreditRecord) -> str:
    """The record's key within its kind."""
    if record.kind == "evaluation":
        year = "" if record.year is None else str(record.year)
        return f"{record.uscc}/{year}/{_day(record.published_on)}"
    return f"{record.uscc}/{_day(record.published_on)}"


def credit_row(record: CreditRecord) -> dict[str, Any]:
    """A credit record as a row of `credit_records`."""
    return {
        "kind": record.kind,
        "record_key": credit_record_key(record),
        "uscc": record.uscc,
        "name": record.name,
        "region_code": record.region_code,
        "year": record.year,
        "level": record.level,
        "scheme": record.scheme,
        "tier": record.tier.value if record.tier is not None else None,
        "risk_class": record.risk_class.value if record.risk_class is not None else None,
        "published_on": record.published_on,
        "valid_until": record.valid_until,
        "in_force": record.in_force,
    }


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _mark_holders(conn: Connection, rows: Sequence[Row]) -> None:
    # A subject's credit standing decides its category and is part of its library record.
    mark_subjects(conn, [row["uscc"] for row in rows])


def register(registry: Registry) -> None:
    """Credit evaluations and risk classes, one row each."""
    registry.add_writer(CreditRecord, Writer(credit_records, ("kind", "record_key"), credit_row,
                                             derive=_mark_holders, derives=("subject_changes",)))
