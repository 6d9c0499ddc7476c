"""The subject designations file (interface.md): time-bounded local facts about subjects."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from pydantic import ValidationError

from ssj_bridge.intake import fields
from ssj_bridge.intake.files import Problems, Row, Sheet
from ssj_bridge.model import Category, Designation, Tag

DESIGNATION_COLUMNS = ("uscc", "tag", "value", "since", "until", "source")
_TAGS = {t.value.casefold(): t for t in Tag}
_TAG_WORDS = " ".join(t.value for t in Tag)


def _complaints(value: str) -> str:
    if not value.isascii() or not value.isdigit():
        raise ValueError("投诉 takes the number of complaints, a whole number ≥ 0")
    return str(int(value))


def _one_of(words: tuple[str, ...], upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        word = value.upper() if upper else value
        if word not in words:
            raise ValueError(f"not one of {'/'.join(words)}")
        return word
    return parse


# Tags whose value has a fixed form; the others take free text or nothing.
_VALUE_RULES: dict[Tag, Callable[[str], str]] = {
    Tag.COMPLAINTS: _complaints,
    Tag.VOCS: _one_of(("A", "B", "C"), upper=True),
    Tag.PERFORMANCE_GRADE: _one_of(("A", "B", "B-", "C", "D"), upper=True),
    Tag.CONTROL_LEVEL: _one_of(("国控", "省控", "市控", "县控")),
    Tag.DESIGNATED_CATEGORY: _one_of(tuple(c.value for c in Category), upper=True),
}


def parse_tag(cell: str) -> Tag:
    """One of the designation tags of interface.md (`VOCs` in any letter case)."""
    try:
        return _TAGS[fields.text(cell).casefold()]
    except KeyError:
        raise ValueError(f"unknown tag (one of {_TAG_WORDS})") from None


def parse_value(tag: Tag, cell: str) -> str | None:
    """The value the tag allows: required and checked for tags with a fixed form."""
    value = fields.text(cell)
    rule = _VALUE_RULES.get(tag)
    if rule is None:
        return value or None
    if not value:
        raise ValueError(f"{tag.value} needs a value")
    return rule(value)


def parse_designations(sheet: Sheet, allowed_usccs: Collection[str]) -> list[Designation]:
    """Every row as a Designation, or FileRefused listing every bad cell of the file.

    Two rows with the same (uscc, tag, since) are refused: they would overwrite each other.
    """
    problems = Problems(sheet.file_name)
    found: list[Designation] = []
    first_row: dict[tuple[str, Tag, date | None], int] = {}
    for row in sheet.rows:
        before = len(problems.items)
        item = _row_designation(row, allowed_usccs, problems)
        if item is None or len(problems.items) > before:
            continue
        key = (item.uscc, item.tag, item.since)
        if key in first_row:
            problems.add(row.number, "since", row.cells["since"],
                         f"{item.uscc} {item.tag.value} since {item.since or '(open)'} is "
                         f"already in row {first_row[key]}")
            continue
        first_row[key] = row.number
        found.append(item)
    problems.raise_if_any()
    return found


def _row_designation(row: Row, allowed_usccs: Collection[str],
                     problems: Problems) -> Designation | None:
    uscc = fields.checked(problems, row, "uscc", lambda c: fields.uscc(c, allowed_usccs))
    tag = fields.checked(problems, row, "tag", parse_tag)
    value = (fields.checked(problems, row, "value", lambda c: parse_value(tag, c))
             if tag is not None else None)
    since = fields.checked(problems, row, "since", fields.day)
    until = fields.checked(problems, row, "until", fields.day)
    if since is not None and until is not None and since > until:
        problems.add(row.number, "until", row.cells["until"], f"before since {since.isoformat()}")
    if uscc is None or tag is None:
        return None
    try:
        return Designation.model_validate(
            {"uscc": uscc, "tag": tag, "value": value, "since": since, "until": until,
             "source": fields.text(row.cells["source"]) or None},
            context={"allowed_usccs": allowed_usccs})
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else ""
            problems.add(row.number, column, row.cells.get(column, ""), fields.reason_of_error(error))
        return None
