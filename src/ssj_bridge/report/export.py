"""The store's canonical records in the shapes interface.md fixes (JSON lines or CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, TextIO

import orjson
from sqlalchemy import select

from ssj_bridge.model import CreditTier
from ssj_bridge.plugins.registry import Registry
from ssj_bridge.report.spreadsheet import csv_cell, csv_dict_writer
from ssj_bridge.store import Store
from ssj_bridge.store.schema import quarantine, subjects

SUBJECTS = "subjects"


def register(registry: Registry) -> None:
    """`export subjects` (other features enrich it) and `export quarantine`."""
    registry.add_exporter(SUBJECTS, subject_rows)
    registry.add_exporter("quarantine", quarantine_rows)


def subject_rows(store: Store) -> Iterator[dict[str, Any]]:
    """One object per subject: identity from permits (other features add the rest)."""
    with store.engine.connect() as conn:
        for row in conn.execute(select(subjects).order_by(subjects.c.uscc)):
            item: dict[str, Any] = {
                "uscc": row.uscc, "name": row.name, "regionCode": row.region_code,
                "industryCode": row.industry_code,
                "category": None, "categories": [],
                "managementClass": row.management_class,
                "keyDischargeUnit": bool(row.key_discharge_unit),
                "creditLevel": CreditTier.UNRATED.value, "riskClass": None, "tags": [],
                "active": bool(row.active),
            }
            yield item


def quarantine_rows(store: Store) -> Iterator[dict[str, Any]]:
    """`{"platform", "entity", "key", "reason", "firstSeen", "lastSeen", "count"}`."""
    with store.engine.connect() as conn:
        stmt = select(quarantine).order_by(quarantine.c.platform, quarantine.c.entity,
                                           quarantine.c.key)
        for row in conn.execute(stmt):
            yield {"platform": row.platform, "entity": row.entity, "key": row.key,
                   "reason": row.reason, "firstSeen": row.first_seen,
                   "lastSeen": row.last_seen, "count": row.count}


def write_rows(rows: Iterator[dict[str, Any]], out: TextIO, fmt: str) -> int:
    """Write rows as JSON lines or CSV (lists joined by `;`, objects as JSON); returns the count.

    CSV cells that a spreadsheet would run as a formula are kept as text
    (ssj_bridge.report.spreadsheet).
    """
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(orjson.dumps(row).decode() + "\n")
            count += 1
        return count
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        flat = {k: csv_cell(_cell(v)) for k, v in row.items()}
        if writer is None:
            writer = csv_dict_writer(out, list(flat))
            writer.writeheader()
        writer.writerow(flat)
        count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if value is None:
        return ""
    return value


def render(rows: Iterator[dict[str, Any]], fmt: str) -> str:
    """Rows as one string (tests)."""
    buffer = io.StringIO()
    write_rows(rows, buffer, fmt)
    return buffer.getvalue()
