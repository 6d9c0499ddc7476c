"""Blank files for the data managers: the roster, the designations, the matter list and the
object library, with their Chinese headers, as CSV (UTF-8 with a BOM) and XLSX.
`python -m ssj_bridge.report.blanks DIR` writes them (the user guide's templates,
docs/zh/templates/)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ssj_bridge.i18n import use_language
from ssj_bridge.intake.designations import DESIGNATION_COLUMNS
from ssj_bridge.intake.objects import OBJECT_COLUMNS
from ssj_bridge.intake.roster import ROSTER_COLUMNS
from ssj_bridge.model.matters import MATTER_COLUMNS
from ssj_bridge.report.sheets import Shape, Workbook, write_table

# File name → (the import's name for the file, its columns, the sheet's title).
BLANKS: dict[str, tuple[str, Sequence[str], str]] = {
    "roster": ("inspectors", ROSTER_COLUMNS, "执法人员"),
    "tags": ("designations", DESIGNATION_COLUMNS, "标识"),
    "matters": ("matters", MATTER_COLUMNS, "抽查事项清单"),
    "objects": ("objects", OBJECT_COLUMNS, "检查对象库"),
}


def write_blanks(directory: Path) -> list[Path]:
    """Every blank file, CSV and XLSX, into `directory`; returns their paths."""
    written = []
    with use_language("zh"):
        for name, (kind, columns, title) in BLANKS.items():
            shape = Shape(tuple(columns), table=kind)
            csv_path = directory / f"{name}.csv"
            write_table([], shape, "csv", csv_path)
            book = Workbook()
            book.add(title, [], shape)
            written += [csv_path, book.save(directory / f"{name}.xlsx")]
    return written


if __name__ == "__main__":
    for path in write_blanks(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(path)
