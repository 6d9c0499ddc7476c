"""A document a bureau files — the annual plan, a quarterly ledger or statistics table, an annual
report — as one shape rendered two ways: printable HTML (A4, Jinja2, autoescaped, no request
leaves the file) and XLSX (one sheet per table: a bold frozen header, widths, real numbers and
dates, text that a spreadsheet would take for a formula typed as text, as every XLSX the
project writes: `ssj_bridge.report.spreadsheet`).

A `Document` is a title, lines saying whose and for when, sections of paragraphs and tables,
and, where the document is signed, a block for the unit, the person who fills it in, who
checks it and the date.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ssj_bridge.report.output import report_file
from ssj_bridge.report.spreadsheet import xlsx_cell

TEMPLATE = "document.html.j2"
_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})

# Words of the signature block (one place, to translate).
SIGNATURE = ("填报单位（盖章）", "填报人", "审核人", "日期")


@dataclass(frozen=True)
class Column:
    """A table column: its key in the rows, its heading, its width in characters, and whether
    it holds numbers (right-aligned, summed by a reader's spreadsheet)."""

    key: str
    heading: str
    width: int = 12
    number: bool = False


@dataclass(frozen=True)
class Table:
    """A table: its caption (and sheet name), columns and rows."""

    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    sheet: str = ""

    @property
    def sheet_name(self) -> str:
        """A worksheet name Excel accepts (31 characters, no []:*?/\\)."""
        return (self.sheet or self.caption).translate(_SHEET_FORBIDDEN)[:31] or "Sheet"


@dataclass(frozen=True)
class Section:
    """A heading, its paragraphs, then its tables."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Document:
    """A document to print and to open in a spreadsheet (module docstring)."""

    title: str
    meta: tuple[str, ...]
    sections: tuple[Section, ...]
    signed: bool = True
    footer: str = ""
    landscape: bool = False

    @property
    def tables(self) -> list[Table]:
        """Every table, in order."""
        return [t for s in self.sections for t in s.tables]


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("ssj_bridge.report", "templates"), autoescape=True,
                      undefined=StrictUndefined)
    env.filters["cell"] = cell_text
    return env


def cell_text(value: Any) -> str:
    """A cell as printed: dates ISO, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def render_html(document: Document) -> str:
    """The document as one self-contained, A4-printable HTML page."""
    return _environment().get_template(TEMPLATE).render(d=document, signature=SIGNATURE)


def xlsx_bytes(document: Document) -> bytes:
    """The document as an XLSX workbook: a cover sheet, then one sheet per table."""
    import io

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "说明"
    cover.column_dimensions["A"].width = 100
    for line in (document.title, *document.meta, "",
                 *(p for s in document.sections for p in (s.heading, *s.paragraphs))):
        cover.append([xlsx_cell(cover, line)])
    cover["A1"].font = Font(bold=True, size=14)
    used: set[str] = {cover.title}
    for table in document.tables:
        name = table.sheet_name
        while name in used:
            name = f"{name[:28]}_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([c.heading for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([_xlsx_value(sheet, row.get(c.key)) for c in table.columns])
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
            if not column.number:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    if isinstance(cell.value, date):
                        cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(sheet: Worksheet, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | date | datetime):
        return value
    # A value from a platform or a data manager's file is never a formula.
    return xlsx_cell(sheet, str(value))


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `path` whole or not at all (a reader never sees half a file); its resolved path."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # a document is read by others
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path.resolve()


@dataclass
class Written:
    """The files a document was written to, and the SHA-256 of its HTML."""

    paths: list[Path] = field(default_factory=list)
    digest: str = ""


def write_document(document: Document, *, html: Path | None = None,
                   xlsx: Path | None = None) -> Written:
    """Write the document as HTML and/or XLSX; a path that cannot be written is a
    ConfigurationError naming it."""
    written = Written()
    text = render_html(document).encode("utf-8")
    written.digest = hashlib.sha256(text).hexdigest()
    if html is not None:
        with report_file(html):
            written.paths.append(write_atomic(html, text))
    if xlsx is not None:
        with report_file(xlsx):
            written.paths.append(write_atomic(xlsx, xlsx_bytes(document)))
    return written


def rows_of(items: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """Rows as a table holds them."""
    return tuple(dict(item) for item in items)
