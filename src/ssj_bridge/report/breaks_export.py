"""`report breaks --format csv|xlsx`: the reconciliation breaks as a file a data manager opens.

One row per break (open ones; `--all` adds resolved ones): platform, entity, key, kind,
status, the differing fields in words (`validTo: 2026-01-01 → 2026-02-01`, store → platform)
and as JSON, and the history (first and last seen, runs open, resolved, repair sent). The XLSX
has a second sheet, `fields`, with one row per differing field, to filter by field.

Text that a spreadsheet would take for a formula is kept as text (ssj_bridge.report.spreadsheet).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import orjson
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.views import Pane, Selection
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from ssj_bridge.report.output import report_file
from ssj_bridge.report.spreadsheet import csv_cell, csv_writer, xlsx_cell
from ssj_bridge.store import Store
from ssj_bridge.store.schema import breaks

COLUMNS = ("platform", "entity", "key", "kind", "status", "differences", "fields", "firstSeen",
           "lastSeen", "runsOpen", "resolvedAt", "repairedAt")
FIELD_COLUMNS = ("platform", "entity", "key", "kind", "status", "field", "store", "platformValue")
WIDTHS = {"platform": 11, "entity": 12, "key": 26, "kind": 20, "status": 10, "differences": 60,
          "fields": 40, "firstSeen": 26, "lastSeen": 26, "runsOpen": 10, "resolvedAt": 26,
          "repairedAt": 26, "field": 20, "store": 30, "platformValue": 30}
FORMATS = ("csv", "xlsx")


def break_rows(store: Store, *, include_resolved: bool = False) -> Iterator[dict[str, Any]]:
    """Breaks in COLUMNS' names, by platform, entity, kind and key (open ones, or all)."""
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


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Rows as CSV with a header (fields as JSON); returns how many rows."""
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([csv_cell(_plain(row.get(column))) for column in COLUMNS])
        count += 1
    return count


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode() if value else ""
    return value


def write_xlsx(rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Rows as an XLSX workbook (sheets `breaks` and `fields`); returns how many breaks."""
    book = Workbook(write_only=True)
    main = _sheet(book, "breaks", COLUMNS)
    per_field = _sheet(book, "fields", FIELD_COLUMNS)
    count = 0
    for row in rows:
        main.append([xlsx_cell(main, _plain(row.get(column))) for column in COLUMNS])
        for name, sides in (row.get("fields") or {}).items():
            values = [row["platform"], row["entity"], row["key"], row["kind"], row["status"],
                      name, _value(sides.get("store")), _value(sides.get("platform"))]
            per_field.append([xlsx_cell(per_field, v) for v in values])
        count += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return count


def _value(value: Any) -> Any:
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else value


def _sheet(book: Workbook, title: str, columns: tuple[str, ...]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    # Write-only sheets take the frozen header through the sheet view, not `freeze_panes`.
    sheet.sheet_view.pane = Pane(ySplit=1, topLeftCell="A2", activePane="bottomLeft",
                                 state="frozen")
    sheet.sheet_view.selection = [Selection(pane="bottomLeft", activeCell="A2", sqref="A2")]
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, 16)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    return sheet


def export_breaks(store: Store, fmt: str, out: Path | TextIO, *,
                  include_resolved: bool = False) -> int:
    """Write the breaks as `fmt` to a path (CSV with a BOM, for spreadsheets) or a text stream."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    rows = break_rows(store, include_resolved=include_resolved)
    if fmt == "xlsx":
        if not isinstance(out, Path):
            raise ValueError("xlsx needs a file: give --out PATH")
        with report_file(out):
            return write_xlsx(rows, out)
    if isinstance(out, Path):
        with report_file(out):
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("w", encoding="utf-8-sig", newline="") as handle:
                return write_csv(rows, handle)
    return write_csv(rows, out)
