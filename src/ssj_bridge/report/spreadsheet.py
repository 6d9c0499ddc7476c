"""Cells that a spreadsheet shows as text and never runs, for every CSV and XLSX written.

Excel, LibreOffice and WPS take a cell whose text starts with `=`, `+`, `-` or `@` for a
formula, and skip a leading tab or carriage return before looking (OWASP, "CSV Injection").
The text of our files comes from platforms and from imported files, not from us: a permit
holder's name `=HYPERLINK(…)` would otherwise become a link the data manager clicks. In a CSV
such text is kept behind a `'` (the spreadsheet's own "this is text" mark); in an XLSX the cell
is typed as text, which a spreadsheet never evaluates, so the value is kept as it is.

CSV rows end with CRLF (RFC 4180): Python's writer quotes a field only for the characters of
its own line terminator, so with a bare LF a carriage return inside a value would be written
unquoted and split the row in a spreadsheet.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_writer(out: TextIO) -> Any:
    """A CSV writer of `out` (rows end with CRLF); pass its cells through `csv_cell`."""
    return csv.writer(out, lineterminator="\r\n")


def csv_dict_writer(out: TextIO, fieldnames: Sequence[str]) -> csv.DictWriter[str]:
    """A CSV DictWriter of `out` (rows end with CRLF); pass its cells through `csv_cell`."""
    return csv.DictWriter(out, fieldnames=list(fieldnames), lineterminator="\r\n")


def csv_cell(value: Any) -> Any:
    """`value` for a CSV cell: text that would start a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_cell(sheet: Worksheet, value: Any) -> Any:
    """`value` for a write-only sheet: text as a text cell (never a formula), else as it is."""
    if not isinstance(value, str):
        return value
    # Here, not at the top: every command imports this module, few write a workbook.
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters XML cannot hold would make the workbook unreadable.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell
