"""Tables a data manager opens in Excel or WPS: CSV with a BOM, or XLSX made for reading.

Every export and report that writes rows for people goes through `write_table`:
- headers in Chinese (`ssj_bridge.model.columns`), the field names with SSJ_LANGUAGE=en, and
  always written, even when there is no row;
- booleans as 是/否 (true/false in English), lists joined by `;`, nothing as JSON: nested
  objects become their own columns (`publication.status`) and a list of objects one row each
  (a task's assignments), by the table's `Shape`;
- XLSX: dates and times as real dates (Beijing time), a bold frozen header with a filter,
  column widths from the content, landscape pages one page wide with the header on each page;
- every cell through the shared spreadsheet cell rule (ssj_bridge.report.spreadsheet): text that a
  spreadsheet would run as a formula stays text.
JSON lines stay the documented contract (interface.md); these files are for reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import IO, Any, TextIO

from ssj_bridge.i18n import language
from ssj_bridge.model import columns as labels
from ssj_bridge.model import words
from ssj_bridge.report.spreadsheet import csv_cell, csv_writer, xlsx_cell

FORMATS = ("jsonl", "csv", "xlsx")
BOM = "\ufeff"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
BEIJING = timezone(timedelta(hours=8))
_SAMPLE = 500  # rows read ahead to size the columns of a workbook
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Shape:
    """How one kind of record becomes rows: its columns in order, and its one list of objects
    (if any) spread over one row per item. `prepare` may rewrite a record first."""

    columns: tuple[str, ...]
    table: str | None = None  # the file's name for its headers (ssj_bridge.model.columns)
    explode: str | None = None
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    values: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)


def flat_rows(records: Iterable[Mapping[str, Any]], shape: Shape) -> Iterator[dict[str, Any]]:
    """Records as flat rows: nested objects as `parent.child`, `shape.explode` one row per item."""
    for record in records:
        item = shape.prepare(dict(record)) if shape.prepare else dict(record)
        spread = item.pop(shape.explode, None) if shape.explode else None
        base = _flatten(item)
        if not shape.explode:
            yield base
            continue
        parts = [p for p in (spread or []) if isinstance(p, Mapping)]
        if not parts:
            yield base
        for part in parts:
            yield {**base, **_flatten(part, f"{shape.explode}.")}


def _flatten(item: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def header(columns: Sequence[str], table: str | None = None) -> list[str]:
    """The header row in the language in force: Chinese labels, or the field names in English."""
    if language() == "en":
        return list(columns)
    return [labels.label(column, table) for column in columns]


def plain(value: Any, column: str = "", shape: Shape | None = None) -> Any:
    """A value as a cell shows it: 是/否, lists joined by `;`, None empty, and in Chinese words
    for codes (in English the codes themselves, as the JSON lines write them)."""
    if shape is not None and column in shape.values and value is not None and language() != "en":
        value = shape.values[column](value)
    if isinstance(value, bool):
        return words.yes_no(value)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(plain(v)) for v in value)
    if isinstance(value, Mapping):  # a shape that forgot an object: words, never JSON
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
    return value


def write_table(rows: Iterable[Mapping[str, Any]], shape: Shape, fmt: str,
                out: Path | TextIO, *, sheet: str = "data") -> int:
    """Write flat `rows` as `fmt` (csv or xlsx) to a path or (csv only) a text stream; returns
    how many rows. Columns beyond `shape.columns` that the rows carry (a plugin's enrichment)
    follow them, in the order the first rows show them."""
    if fmt == "xlsx":
        if not isinstance(out, Path):
            raise ValueError("xlsx needs a file: give --out PATH")
        book = Workbook()
        count = book.add(sheet, rows, shape)
        book.save(out)
        return count
    if fmt != "csv":
        raise ValueError(f"format {fmt!r} is not one of csv, xlsx")
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8", newline="") as handle:
            return _write_csv(rows, shape, handle)
    return _write_csv(rows, shape, out)


def _write_csv(rows: Iterable[Mapping[str, Any]], shape: Shape, out: TextIO | IO[str]) -> int:
    ahead = list(islice(iter(rows), _SAMPLE))
    columns = _columns(shape, ahead)
    writer = csv_writer(out)  # type: ignore[arg-type]
    out.write(BOM)  # Excel reads UTF-8 (and so the Chinese) only behind a BOM
    writer.writerow([csv_cell(h) for h in header(columns, shape.table)])
    count = 0
    for row in _chain(ahead, rows):
        writer.writerow([csv_cell(plain(row.get(c), c, shape)) for c in columns])
        count += 1
    return count


def _chain(ahead: list[Mapping[str, Any]], rows: Iterable[Mapping[str, Any]]
           ) -> Iterator[Mapping[str, Any]]:
    yield from ahead
    if not isinstance(rows, list | tuple):  # an iterator: `ahead` were its first rows
        yield from rows
    else:
        yield from rows[len(ahead):]


def _columns(shape: Shape, ahead: Sequence[Mapping[str, Any]]) -> list[str]:
    found = list(shape.columns)
    for row in ahead:
        found += [key for key in row if key not in found]
    return found


class Workbook:
    """An XLSX workbook written row by row (openpyxl's write-only mode), one sheet per table."""

    def __init__(self) -> None:
        from openpyxl import Workbook as OpenpyxlWorkbook

        self.book = OpenpyxlWorkbook(write_only=True)

    def add(self, title: str, rows: Iterable[Mapping[str, Any]], shape: Shape) -> int:
        """A sheet `title` of `rows`; returns how many rows."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        ahead = list(islice(iter(rows), _SAMPLE))
        columns = _columns(shape, ahead)
        names = header(columns, shape.table)
        sheet = self.book.create_sheet(title)
        _layout(sheet, names, [[_excel(plain(r.get(c), c, shape)) for c in columns]
                               for r in ahead])
        cells = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        count = 0
        for row in _chain(ahead, rows):
            sheet.append([_xlsx_value(sheet, plain(row.get(c), c, shape)) for c in columns])
            count += 1
        return count

    def save(self, path: Path) -> Path:
        """Write the workbook to `path` (its folder made when missing)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.book.save(path)
        return path


def _layout(sheet: Any, names: Sequence[str], sample: Sequence[Sequence[Any]]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.views import Pane, Selection
    from rich.cells import cell_len

    # Write-only sheets take the frozen header through the sheet view, not `freeze_panes`.
    sheet.sheet_view.pane = Pane(ySplit=1, topLeftCell="A2", activePane="bottomLeft",
                                 state="frozen")
    sheet.sheet_view.selection = [Selection(pane="bottomLeft", activeCell="A2", sqref="A2")]
    for index, name in enumerate(names):
        widest = max([cell_len(name)] + [_shown_width(row[index], cell_len) for row in sample])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(widest + 2, _MAX_WIDTH)
    last = get_column_letter(max(len(names), 1))
    sheet.auto_filter.ref = f"A1:{last}1"
    # On paper: landscape, every column on one page's width, the header on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"


def _shown_width(value: Any, cell_len: Callable[[str], int]) -> int:
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    return cell_len(str(value))


def _excel(value: Any) -> Any:
    """Text that is a date or a time (ISO-8601) as a date or a Beijing wall-clock time."""
    if not isinstance(value, str):
        return value
    if _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if _TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(BEIJING).replace(tzinfo=None)
        return moment
    return value


def _xlsx_value(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    shown = _excel(value)
    if isinstance(shown, datetime):
        cell = WriteOnlyCell(sheet, value=shown)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(shown, date):
        cell = WriteOnlyCell(sheet, value=shown)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return xlsx_cell(sheet, shown)
