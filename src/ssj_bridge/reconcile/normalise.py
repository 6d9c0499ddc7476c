"""The documented normalisation applied to both sides before they are compared.

- text: NFKC (full-width to half-width), white space removed (it carries no meaning in the
  compared names and codes), empty → null;
- code: as text, then upper case (USCCs, permit numbers, region and industry codes);
- date: `YYYY-MM-DD` from a date, a datetime, `YYYYMMDD`, `YYYY/MM/DD` or an ISO timestamp;
- list: each item as text, sorted, empty → null (order carries no meaning);
- bool, number: as they are, null stays null.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import orjson

from ssj_bridge.platform.adapter import content_hash

FieldKinds = Mapping[str, str]
_SPACE = re.compile(r"\s+")
_COMPACT_DATE = re.compile(r"^(\d{4})[/.-]?(\d{2})[/.-]?(\d{2})")


def text(value: Any) -> str | None:
    """NFKC, white space removed; empty is null."""
    if value is None:
        return None
    cleaned = _SPACE.sub("", unicodedata.normalize("NFKC", str(value)))
    return cleaned or None


def code(value: Any) -> str | None:
    """A code: text, upper case."""
    cleaned = text(value)
    return cleaned.upper() if cleaned else None


def day(value: Any) -> str | None:
    """A date as YYYY-MM-DD, whatever format it came in."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    match = _COMPACT_DATE.match(unicodedata.normalize("NFKC", str(value)).strip())
    if not match:
        return text(value)
    return "-".join(match.groups())


def items(value: Any) -> list[str] | None:
    """A list compared as a sorted list of texts."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(";") if v]
    cleaned = sorted(t for t in (text(v) for v in value) if t is not None)
    return cleaned or None


def plain(value: Any) -> Any:
    """Booleans and numbers as they are; empty strings are null."""
    return None if value == "" else value


NORMALISERS = {"text": text, "code": code, "date": day, "list": items, "bool": plain,
               "number": plain}


def normalise(fields: Mapping[str, Any], kinds: FieldKinds) -> dict[str, Any]:
    """Only the compared fields, each normalised by its kind."""
    return {name: NORMALISERS[kind](fields.get(name)) for name, kind in kinds.items()}


def fingerprint(normalised: Mapping[str, Any]) -> tuple[bytes, str]:
    """The normalised fields as bytes and their content hash."""
    # Copied to its own size: orjson ≥ 3.12 returns bytes inside a buffer of 4 KiB or more,
    # which every staged row waiting for its chunk's insert would otherwise keep.
    body = bytes(memoryview(orjson.dumps(normalised, option=orjson.OPT_SORT_KEYS)))
    return body, content_hash(body)
