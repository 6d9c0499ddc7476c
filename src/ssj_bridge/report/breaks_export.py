"""`report breaks --format csv|xlsx`: the reconciliation breaks as a file a data manager opens.

One row per break (open ones; `--all` adds resolved ones): platform, entity, key, kind,
status, the differing fields in words (`validTo: 2026-01-01 → 2026-02-01`, store → platform),
and the history (first and last seen, runs open, resolved, repair sent). The XLSX has a second
sheet with one row per differing field, to filter by field. Headers, codes and dates as every
table the project writes (ssj_bridge.report.sheets); `reconcile --json` keeps the codes.

Text that a spreadsheet would take for a formula is kept as text (ssj_bridge.report.spreadsheet).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import orjson
from sqlalchemy import select

from ssj_bridge.i18n import _, pgettext
from ssj_bridge.model import words
from ssj_bridge.reconcile.words import entity, kind
from ssj_bridge.report.output import report_file
from ssj_bridge.report.sheets import Shape, Workbook, write_table
from ssj_bridge.store import Store
from ssj_bridge.store.schema import breaks

COLUMNS = ("platform", "entity", "key", "kind", "status", "differences", "firstSeen",
           "lastSeen", "runsOpen", "resolvedAt", "repairedAt")
FIELD_COLUMNS = ("platform", "entity", "key", "kind", "status", "field", "store", "platformValue")
FORMATS = ("csv", "xlsx")


def _status(code: str) -> str:
    return pgettext("break", "open") if code == "open" else pgettext("break", "resolved")


# Codes in words for people (the JSON of `reconcile --json` keeps the codes).
_WORDS = {"platform": words.role, "entity": entity, "kind": kind, "status": _status}
SHAPE = Shape(COLUMNS, table="breaks", values=_WORDS)
FIELD_SHAPE = Shape(FIELD_COLUMNS, table="breaks", values=_WORDS)


def break_rows(store: Store, *, include_resolved: bool = False) -> Iterator[dict[str, Any]]:
    """Breaks in COLUMNS' names (and their `fields`), by platform, entity, kind and key (open
    ones, or all)."""
    stmt = select(breaks).order_by(breaks.c.platform, breaks.c.entity, breaks.c.kind,
                                   breaks.c.key)
    if not include_resolved:
        stmt = stmt.where(breaks.c.resolved_at.is_(None))
    with store.engine.connect() as conn:
        for row in conn.execution_options(yield_per=2000).execute(stmt):
            fields = orjson.loads(row.fields) if row.fields else {}
            yield {"platform": row.platform, "entity": row.entity, "key": row.key,
                   "kind": row.kind, "status": "open" if row.resolved_at is None else "resolved",
                   "differences": differences_text(fields), "fields": fields,
                   "firstSeen": row.first_seen, "lastSeen": row.last_seen,
                   "runsOpen": row.runs_open, "resolvedAt": row.resolved_at,
                   "repairedAt": row.repaired_at}


def differences_text(fields: Mapping[str, Mapping[str, Any]]) -> str:
    """`name: store → platform; …` (∅ for a value one side does not have)."""
    return "; ".join(f"{name}: {_side(sides.get('store'))} → {_side(sides.get('platform'))}"
                     for name, sides in fields.items())


def _side(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value)


def _main(rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {column: row.get(column) for column in COLUMNS}


def _per_field(rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        for name, sides in (row.get("fields") or {}).items():
            yield {"platform": row["platform"], "entity": row["entity"], "key": row["key"],
                   "kind": row["kind"], "status": row["status"], "field": name,
                   "store": _value(sides.get("store")),
                   "platformValue": _value(sides.get("platform"))}


def _value(value: Any) -> Any:
    return differences_side(value) if isinstance(value, list | dict) else value


def differences_side(value: Any) -> str:
    """A list or object value of a differing field, in words."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "; ".join(f"{k}: {v}" for k, v in value.items())


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO | Path) -> int:
    """Rows as CSV with a header (the differing fields in words); returns how many rows."""
    return write_table(_main(rows), SHAPE, "csv", out)


def write_xlsx(rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Rows as an XLSX workbook (sheets `breaks` and `fields`); returns how many breaks."""
    kept = list(rows)
    book = Workbook()
    count = book.add(_("breaks"), _main(kept), SHAPE)
    book.add(_("fields"), _per_field(kept), FIELD_SHAPE)
    book.save(path)
    return count


def export_breaks(store: Store, fmt: str, out: Path | TextIO, *,
                  include_resolved: bool = False) -> int:
    """Write the breaks as `fmt` to a path or (CSV) a text stream; CSV carries a BOM."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    rows = break_rows(store, include_resolved=include_resolved)
    if fmt == "xlsx" and not isinstance(out, Path):
        raise ValueError("xlsx needs a file: give --out PATH")
    if isinstance(out, Path):
        with report_file(out):  # a path that cannot be written: exit 78 naming it
            return write_xlsx(rows, out) if fmt == "xlsx" else write_csv(rows, out)
    return write_csv(rows, out)
