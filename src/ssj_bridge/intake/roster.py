"""The inspector roster file (interface.md): one row per person, read into `Inspector` records."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

from ssj_bridge.intake import fields
from ssj_bridge.intake.files import Problems, Row, Sheet
from ssj_bridge.model import Expertise, Inspector

ROSTER_COLUMNS = ("inspectorId", "name", "certNo", "orgCode", "regionCode", "expertise",
                  "auxiliary", "active", "conflicts")
# 威海 第十条 lists these too (职务岗位, 在编在岗, 性别, 工作年限): a file may leave them out.
ROSTER_OPTIONAL = ("post", "staffStatus", "gender", "serviceYears")
GENDERS = ("男", "女")
_EXPERTISE = {e.value: e for e in Expertise}
_EXPERTISE_WORDS = " ".join(e.value for e in Expertise)


def parse_roster(sheet: Sheet, allowed_usccs: Collection[str]) -> list[Inspector]:
    """Every row as an Inspector, or FileRefused listing every bad cell of the file.

    Empty `auxiliary` reads as false and empty `active` as true. A person listed twice is
    refused: which of the two rows should win is the data manager's call.
    """
    problems = Problems(sheet.file_name)
    found: list[Inspector] = []
    first_row: dict[str, int] = {}
    for row in sheet.rows:
        before = len(problems.items)
        values = _row_values(row, allowed_usccs, problems)
        inspector_id = values["inspectorId"]
        if inspector_id in first_row:
            problems.add(row.number, "inspectorId", inspector_id,
                         f"listed again (first in row {first_row[inspector_id]})")
        elif inspector_id:
            first_row[inspector_id] = row.number
        if len(problems.items) > before:
            continue
        try:
            found.append(Inspector.model_validate(values, context={"allowed_usccs": allowed_usccs}))
        except ValidationError as exc:
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else ""
                problems.add(row.number, column, row.cells.get(column, ""),
                             fields.reason_of_error(error))
    problems.raise_if_any()
    return found


def _row_values(row: Row, allowed_usccs: Collection[str], problems: Problems) -> dict[str, Any]:
    cells = row.cells
    values: dict[str, Any] = {column: fields.text(cells[column]) for column in
                              ("inspectorId", "name", "certNo", "orgCode")}
    for column in ("inspectorId", "name"):
        if not values[column]:
            problems.add(row.number, column, cells[column], "is required")
    values["certNo"] = values["certNo"] or None
    values["orgCode"] = values["orgCode"] or None
    values["regionCode"] = fields.checked(problems, row, "regionCode", fields.region)
    values["auxiliary"] = fields.checked(problems, row, "auxiliary",
                                         lambda c: fields.boolean(c, default=False))
    values["active"] = fields.checked(problems, row, "active",
                                      lambda c: fields.boolean(c, default=True))
    expertise: list[Expertise] = []
    for word in fields.split_list(cells["expertise"]):
        if word in _EXPERTISE:
            expertise.append(_EXPERTISE[word])
        else:
            problems.add(row.number, "expertise", word,
                         f"not a field of expertise (one of {_EXPERTISE_WORDS})")
    values["expertise"] = list(dict.fromkeys(expertise))
    conflicts: list[str] = []
    for code in fields.split_list(cells["conflicts"]):
        try:
            conflicts.append(fields.uscc(code, allowed_usccs))
        except ValueError as exc:
            problems.add(row.number, "conflicts", code, str(exc))
    values["conflicts"] = list(dict.fromkeys(conflicts))
    values["post"] = fields.text(cells.get("post", "")) or None
    values["staffStatus"] = fields.checked(problems, row, "staffStatus", _staff_status)
    values["gender"] = fields.checked(problems, row, "gender", _gender)
    values["serviceYears"] = fields.checked(problems, row, "serviceYears",
                                            lambda c: fields.whole_number(c, "years"))
    return values


def _staff_status(cell: str) -> str | None:
    value = fields.text(cell)
    if len(value) > 16:
        raise ValueError("at most 16 characters (e.g. 在编在岗)")
    return value or None


def _gender(cell: str) -> str | None:
    value = fields.text(cell)
    if value and value not in GENDERS:
        raise ValueError(f"not one of {'/'.join(GENDERS)}")
    return value or None

