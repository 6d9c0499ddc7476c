"""Cell parsers shared by the import files; each returns the value or raises ValueError(reason)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import date
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from ssj_bridge.intake.files import Problems, Row
from ssj_bridge.model import USCC, RegionCode

T = TypeVar("T")

_TRUE = {"true", "是", "1"}
_FALSE = {"false", "否", "0"}
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_USCC: TypeAdapter[str] = TypeAdapter(USCC)
_REGION: TypeAdapter[str] = TypeAdapter(RegionCode)


def text(cell: str) -> str:
    """A cell as text: full-width forms folded (NFKC), white space trimmed."""
    return unicodedata.normalize("NFKC", cell).strip()


def boolean(cell: str, default: bool) -> bool:
    """`true`/`false`, `是`/`否` or `1`/`0`; an empty cell is `default`."""
    word = text(cell).lower()
    if not word:
        return default
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("not one of true/false, 是/否, 1/0")


def day(cell: str) -> date | None:
    """A date written YYYY-MM-DD; an empty cell is None (open)."""
    value = text(cell)
    if not value:
        return None
    if not _DATE_RE.match(value):
        raise ValueError("not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a calendar date") from None


def whole_number(cell: str, of: str = "") -> int | None:
    """A whole number of 0 or more (`of`: what it counts, for the message); empty is None."""
    value = text(cell)
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"not a whole number of {of or '0 or more'}")
    return int(value)


def split_list(cell: str) -> list[str]:
    """The `;`-separated items of a cell (the full-width `；` too), blanks dropped."""
    return [item for item in (text(part) for part in text(cell).split(";")) if item]


def uscc(cell: str, allowed: Collection[str]) -> str:
    """A USCC, normalised and check-character verified unless a data manager allowed it."""
    return _validated(_USCC, cell, {"allowed_usccs": allowed})


def region(cell: str) -> str:
    """A six-digit region code."""
    return _validated(_REGION, cell, None)


def _validated(adapter: TypeAdapter[str], cell: str, context: dict[str, object] | None) -> str:
    try:
        return adapter.validate_python(cell, context=context)
    except ValidationError as exc:
        raise ValueError(reason_of(exc)) from None


def reason_of(exc: ValidationError) -> str:
    """A validation error's first message without pydantic's 'Value error, ' prefix."""
    errors = exc.errors()
    return reason_of_error(errors[0]) if errors else str(exc)


def reason_of_error(error: ErrorDetails) -> str:
    """One pydantic error's message without the 'Value error, ' prefix."""
    return str(error["msg"]).removeprefix("Value error, ")


def checked(problems: Problems, row: Row, column: str, parse: Callable[[str], T]) -> T | None:
    """`parse` of the row's cell; a ValueError is noted as the cell's problem (then None)."""
    try:
        return parse(row.cells[column])
    except ValueError as exc:
        problems.add(row.number, column, row.cells[column], str(exc))
        return None
