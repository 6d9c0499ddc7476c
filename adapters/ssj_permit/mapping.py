"""From a permit platform record to a canonical Permit, or to a reject with its reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ssj_bridge.api import (
    Fetched,
    Permit,
    Rejected,
    canonical_payload,
    content_hash,
    normalise_code,
    set_aside_on_failure,
)

ENTITY = "permit"
_FIELDS = frozenset(Permit.model_fields[name].alias or name for name in Permit.model_fields)


def record_key(raw: Any) -> str:
    """The record's key: its normalised permit number, or a stand-in made of its content."""
    permit_no = raw.get("permitNo") if isinstance(raw, dict) else None
    if isinstance(permit_no, str) and permit_no.strip():
        return normalise_code(permit_no)
    return "?" + content_hash(canonical_payload(raw))[:16]


@set_aside_on_failure("permit", record_key)
def map_record(raw: Any, position: str, allowed_usccs: Iterable[str]) -> Fetched | Rejected:
    """Validate one platform record; unknown fields are ignored as docs/platforms/permit.md says."""
    if not isinstance(raw, dict):
        return Rejected(record_key(raw), f"record at {position} is a {type(raw).__name__}, "
                        "not an object", canonical_payload(raw))
    key = record_key(raw)
    payload = canonical_payload(raw)
    known = {name: value for name, value in raw.items() if name in _FIELDS}
    try:
        permit = Permit.model_validate(known, context={"allowed_usccs": allowed_usccs})
    except ValidationError as exc:
        return Rejected(key, describe(key, exc), payload)
    source_time = raw.get("updateTime") if isinstance(raw.get("updateTime"), str) else None
    return Fetched(key, payload, content_hash(payload), permit, source_time)


def describe(key: str, exc: ValidationError) -> str:
    """`permit K: field 'managementClass' value '重点': Input should be …` for each problem."""
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "record"
        if error["type"] == "missing":
            problems.append(f"field {field!r} is missing")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"field {field!r} value {error.get('input')!r}: {message}")
    return f"permit {key}: " + "; ".join(problems)


def update_time(raw: Any) -> datetime | None:
    """A record's updateTime, or None when it is missing or unreadable."""
    value = raw.get("updateTime") if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
