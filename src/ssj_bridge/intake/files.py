"""A data manager's file (CSV or XLSX) read into numbered rows under a checked header.

Row numbers are the spreadsheet's: the header is row 1, so an error names the row a data
manager sees in Excel or WPS. Cells come back as trimmed text whatever the file stored (an
XLSX date cell as `YYYY-MM-DD`, a whole number as digits, a boolean as `true`/`false`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ssj_bridge.errors import InputRefused

_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


class FileRefused(InputRefused):
    """An import file refused as a whole; `problems` lists every `row N: …` found."""

    def __init__(self, file_name: str, problems: Sequence[str]) -> None:
        self.file_name = file_name
        self.problems = list(problems)
        count = len(self.problems)
        heading = (f"{file_name} refused, nothing applied "
                   f"({count} problem{'s' if count != 1 else ''}):")
        super().__init__("\n".join([heading, *(f"  {p}" for p in self.problems)]))


@dataclass
class Problems:
    """Collects every problem of a file, so one run reports them all."""

    file_name: str
    items: list[str] = field(default_factory=list)

    def add(self, row: int, column: str, value: str, reason: str) -> None:
        """Note that `column` of spreadsheet row `row` holds `value`, which breaks `reason`."""
        self.items.append(f"row {row}: field {column!r} value {value!r}: {reason}")

    def raise_if_any(self) -> None:
        """Refuse the file when anything was noted."""
        if self.items:
            raise FileRefused(self.file_name, self.items)


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by column name."""

    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Sheet:
    """A file read and its header checked: the rows, the file's name and SHA-256."""

    file_name: str
    sha256: str
    rows: list[Row]


def read_sheet(path: Path, columns: Sequence[str], optional: Sequence[str] = ()) -> Sheet:
    """Read `path` (CSV or XLSX, first worksheet) whose header must be exactly `columns`,
    plus any of the `optional` columns (an absent optional column reads as empty cells).

    The columns may come in any order; an unknown, repeated or missing column refuses the
    file. Blank rows are skipped (row numbers still count them).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputRefused(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return sheet_of(data, path.name, columns, optional, xlsx=_is_xlsx(path, data))


def sheet_of(data: bytes, name: str, columns: Sequence[str], optional: Sequence[str] = (),
             *, xlsx: bool = False) -> Sheet:
    """`read_sheet` of a file's bytes (e.g. a list a plugin bundles)."""
    records = _xlsx_records(data, name) if xlsx else _csv_records(data, name)
    table = [(number, cells) for number, cells in records if any(cells)]
    if not table or table[0][0] != 1:
        raise FileRefused(name, [f"row 1: field '' value '': the header row is missing; "
                                 f"expected the columns {','.join(columns)}"])
    problems = Problems(name)
    header = _check_header(table[0][1], columns, optional, problems)
    rows: list[Row] = []
    for number, cells in table[1:]:
        padded = list(cells) + [""] * (len(header) - len(cells))
        named: dict[str, str] = dict.fromkeys(optional, "")
        for index, value in enumerate(padded):
            column = header[index] if index < len(header) else ""
            if column:
                named[column] = value
            elif value:
                problems.add(number, "", value, f"cell in column {index + 1}, which has no header")
        rows.append(Row(number, named))
    problems.raise_if_any()
    return Sheet(name, hashlib.sha256(data).hexdigest(), rows)


def _check_header(cells: Sequence[str], columns: Sequence[str], optional: Sequence[str],
                  problems: Problems) -> list[str]:
    known = (*columns, *optional)
    expected = ",".join(columns) + (f" (optional: {','.join(optional)})" if optional else "")
    seen: set[str] = set()
    header: list[str] = []
    for cell in cells:
        if cell and cell not in known:
            problems.add(1, cell, cell, f"unknown column; the columns are {expected}")
        elif cell and cell in seen:
            problems.add(1, cell, cell, "column appears twice")
        seen.add(cell)
        header.append(cell if cell in known else "")
    for column in columns:
        if column not in seen:
            problems.add(1, column, "", f"missing column; the columns are {expected}")
    problems.raise_if_any()
    return header


def _is_xlsx(path: Path, data: bytes) -> bool:
    return path.suffix.lower() in _XLSX_SUFFIXES or data[:4] == b"PK\x03\x04"


def _csv_records(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    # Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the machine's code page, which
    # on a Chinese Windows is GBK; GB18030 reads GBK too.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InputRefused(f"{name}: neither UTF-8 nor GB18030 text "
                               f"(byte {exc.start}): save it as CSV UTF-8 or XLSX") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(number, [cell.strip() for cell in cells])
                for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise InputRefused(f"{name}: not a readable CSV file (row {reader.line_num}): {exc}") from None


def _xlsx_records(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputRefused(f"{name}: not a readable XLSX workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        return [(number, [_cell_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV of the same sheet would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
