"""The matter list file (interface.md, "Matter list"): one row per rule of a matter.

`matterCode,name,objectKind,level,departments,category,period,ratio,minCount,perInspector,mode,basis`
All-or-nothing like the other imports: a bad cell, an unknown kind, a ratio outside 0–100 %, a
rule listed twice or a matter whose rows disagree on its name, kind or level refuses the file
with the row numbers, and nothing of it is applied. Importing replaces, matter by matter, the
rules of every matter the file lists; other matters are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ssj_bridge.intake import fields
from ssj_bridge.intake.files import Problems, Row, Sheet, sheet_of
from ssj_bridge.model.codes import Category, InspectionMode
from ssj_bridge.model.matters import (
    ALL,
    LEVELS,
    MATTER_COLUMNS,
    OBJECT_KINDS,
    POLLUTION_SOURCES,
    MatterRule,
    MatterSpec,
    parse_decimal,
    parse_ratio,
)
from ssj_bridge.model.periods import Per
from ssj_bridge.store.schema import matters as matters_table

if TYPE_CHECKING:
    from ssj_bridge.store import Store

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_KINDS = (POLLUTION_SOURCES, *OBJECT_KINDS)
_MODES = {m.value: m for m in InspectionMode}
_PERIODS = {p.value: p for p in Per}
_SOURCE_CATEGORIES = (*(c.value for c in Category), ALL)


def parse_matters(sheet: Sheet, _allowed: Collection[str] = ()) -> list[MatterSpec]:
    """Every matter of the file with its rules (in file order), or FileRefused listing every
    bad cell."""
    problems = Problems(sheet.file_name)
    heads: dict[str, tuple[int, tuple[str, str, str, tuple[str, ...]]]] = {}
    rules: dict[str, list[MatterRule]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for row in sheet.rows:
        before = len(problems.items)
        code, head, rule = _row(row, problems)
        if len(problems.items) > before or rule is None:
            continue
        if code in heads and heads[code][1] != head:
            first = heads[code][0]
            problems.add(row.number, "matterCode", code,
                         f"its name, objectKind, level or departments differ from row {first}")
            continue
        heads.setdefault(code, (row.number, head))
        key = (code, rule.category, rule.period.value)
        if key in seen:
            problems.add(row.number, "category", rule.category,
                         f"the rule of {code} for {rule.category} per {rule.period.value} is "
                         f"listed again (first in row {seen[key]})")
            continue
        seen[key] = row.number
        rules.setdefault(code, []).append(rule)
    problems.raise_if_any()
    found = []
    for code, (_, (name, kind, level, departments)) in heads.items():
        found.append(MatterSpec(code, name, kind, level, tuple(rules[code]), departments,
                                origin="import"))
    return found


def _row(row: Row, problems: Problems) -> tuple[str, tuple[str, str, str, tuple[str, ...]],
                                                  MatterRule | None]:
    cells = row.cells
    code = fields.text(cells["matterCode"])
    if not _CODE.match(code):
        problems.add(row.number, "matterCode", cells["matterCode"],
                     "is required: 1–32 letters, digits, '-' or '_' (e.g. M01)")
    name = fields.text(cells["name"])
    if not name:
        problems.add(row.number, "name", cells["name"], "is required")
    kind = fields.text(cells["objectKind"])
    if kind not in _KINDS:
        problems.add(row.number, "objectKind", cells["objectKind"],
                     f"unknown kind; one of {' '.join(_KINDS)}")
    level = fields.text(cells["level"]).lower()
    if level not in LEVELS:
        problems.add(row.number, "level", cells["level"], "not one of city, county (who draws)")
    departments = tuple(fields.split_list(cells["departments"]))
    category = _category(row, kind, problems)
    period = _PERIODS.get(fields.text(cells["period"]).lower())
    if period is None:
        problems.add(row.number, "period", cells["period"],
                     f"not one of {', '.join(_PERIODS)}")
    ratio, follows = fields.checked(problems, row, "ratio", parse_ratio) or (None, False)
    if follows and kind != POLLUTION_SOURCES:
        problems.add(row.number, "ratio", cells["ratio"],
                     f"`policy` takes the locality policy's rules, which cover {POLLUTION_SOURCES} "
                     "only")
    min_count = fields.checked(problems, row, "minCount", fields.whole_number)
    per_inspector = fields.checked(problems, row, "perInspector", _decimal)
    mode_text = fields.text(cells["mode"])
    mode = _MODES.get(mode_text)
    if mode_text and mode is None:
        problems.add(row.number, "mode", cells["mode"], f"not one of {' '.join(_MODES)}")
    head = (name, kind, level, departments)
    if period is None or category is None:
        return code, head, None
    return code, head, MatterRule(category, period, ratio, follows, min_count, per_inspector,
                                  mode, fields.text(cells["basis"]))


def _category(row: Row, kind: str, problems: Problems) -> str | None:
    value = fields.text(row.cells["category"])
    if kind == POLLUTION_SOURCES:
        if value.upper() in _SOURCE_CATEGORIES:
            return value.upper()
        problems.add(row.number, "category", row.cells["category"],
                     f"not one of {' '.join(_SOURCE_CATEGORIES)} for {POLLUTION_SOURCES}")
        return None
    if not value or len(value) > 32:
        problems.add(row.number, "category", row.cells["category"],
                     "is required: ALL or the object sub-kind the rule counts (at most 32 "
                     "characters)")
        return None
    return ALL if value.upper() == ALL else value


def _decimal(cell: str) -> Fraction | None:
    value = fields.text(cell)
    return parse_decimal(value) if value else None


def matters_from_text(text: str, name: str) -> tuple[MatterSpec, ...]:
    """A matter list kept as CSV text (a policy's bundled list), read like an import file."""
    sheet = sheet_of(text.encode("utf-8"), name, MATTER_COLUMNS)
    return tuple(MatterSpec(m.code, m.name, m.object_kind, m.level, m.rules, m.departments)
                 for m in parse_matters(sheet))


def imported_matters(store: Store) -> tuple[MatterSpec, ...]:
    """The matters a data manager imported, in code order (none before the first import)."""
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(matters_table).order_by(matters_table.c.matter_code,
                                                                 matters_table.c.position)))
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.matter_code, []).append(row)
    return tuple(_from_rows(items) for items in grouped.values())


def _from_rows(rows: Sequence[Any]) -> MatterSpec:
    first = rows[0]
    rules = []
    for row in rows:
        ratio, follows = parse_ratio(row.ratio)
        rules.append(MatterRule(
            row.category, Per(row.period), ratio, follows, row.min_count,
            parse_decimal(row.per_inspector) if row.per_inspector else None,
            InspectionMode(row.mode) if row.mode else None, row.basis))
    return MatterSpec(first.matter_code, first.name, first.object_kind, first.level,
                      tuple(rules), tuple(d for d in first.departments.split(";") if d),
                      origin="import")
