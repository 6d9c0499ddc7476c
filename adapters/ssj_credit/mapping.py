"""From a ROW of either feed to a canonical CreditRecord, or to a reject naming field and value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from ssj_bridge.api import (
    CreditRecord,
    Fetched,
    Rejected,
    RiskClass,
    canonical_payload,
    content_hash,
    normalise_code,
    set_aside_on_failure,
)
from ssj_credit.vocabulary import UnknownLevel, tier_of

EVALUATION = "evaluation"
RISK = "risk"

Row = Mapping[str, str | None]

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
# Canonical fields as the service names them, so a reason names what the platform sent.
_ELEMENT = {"uscc": "TYSHXYDM", "name": "QYMC", "regionCode": "XZQHDM", "region_code": "XZQHDM",
            "year": "PJND", "level": "PJDJ", "publishedOn": "FBRQ", "published_on": "FBRQ",
            "validUntil": "YXQZ", "valid_until": "YXQZ", "inForce": "ZT", "in_force": "ZT",
            "riskClass": "FXFL", "risk_class": "FXFL"}


def evaluation_key(uscc: str, year: int | str | None, published_on: date | str | None) -> str:
    """`USCC/PJND/FBRQ` (FBRQ empty when missing): two publications of one year are two records."""
    return f"{uscc}/{year if year is not None else ''}/{_day(published_on)}"


def risk_key(uscc: str, classified_on: date | str | None) -> str:
    """`USCC/FLRQ`: each classification of an enterprise is its own record."""
    return f"{uscc}/{_day(classified_on)}"


def raw_key(row: Row, kind: str) -> str:
    """The key of a row as sent (for rejects): the same form as a valid record's key."""
    uscc = normalise_code(row.get("TYSHXYDM") or "")
    if not uscc:
        return "?" + content_hash(canonical_payload(dict(row)))[:16]
    if kind == EVALUATION:
        return evaluation_key(uscc, row.get("PJND"), row.get("FBRQ"))
    return risk_key(uscc, row.get("FLRQ"))


@set_aside_on_failure(EVALUATION, lambda row: raw_key(row, EVALUATION))
def map_evaluation(row: Row, scheme: str, allowed_usccs: Iterable[str]) -> Fetched | Rejected:
    """An evaluation ROW: raw level word kept with its scheme, tier derived through that scheme."""
    problems: list[str] = []
    year = _year(row, "PJND", problems)
    level = (row.get("PJDJ") or "").strip() or None
    tier = None
    if level is None:
        problems.append("PJDJ is missing")
    else:
        try:
            tier = tier_of(level, scheme)
        except UnknownLevel as exc:
            problems.append(f"PJDJ {exc}")
    values: dict[str, Any] = {
        "kind": EVALUATION, "uscc": row.get("TYSHXYDM"), "name": row.get("QYMC"),
        "region_code": row.get("XZQHDM"), "year": year, "level": level, "scheme": scheme,
        "tier": tier, "published_on": _date(row, "FBRQ", problems),
        "valid_until": _date(row, "YXQZ", problems), "in_force": _in_force(row, problems)}
    # The scheme decides the tier: a change of SSJ_CREDIT__VOCABULARY must rewrite the record.
    fingerprint = content_hash(canonical_payload({"row": dict(row), "scheme": scheme}))
    return _finish(row, EVALUATION, values, problems, allowed_usccs, fingerprint,
                   source_time=row.get("FBRQ"))


@set_aside_on_failure(RISK, lambda row: raw_key(row, RISK))
def map_risk(row: Row, allowed_usccs: Iterable[str]) -> Fetched | Rejected:
    """A risk-class ROW: letter A–D to LOW…VERY_HIGH, dated by FLRQ."""
    problems: list[str] = []
    letter = row.get("FXFL")
    risk = None
    if letter is None:
        problems.append("FXFL is missing")
    else:
        try:
            risk = RiskClass.from_letter(letter)
        except ValueError:
            problems.append(f"FXFL {letter!r} is not one of A/B/C/D (docs/platforms/codes.md)")
    values: dict[str, Any] = {
        "kind": RISK, "uscc": row.get("TYSHXYDM"), "name": row.get("QYMC"),
        "region_code": row.get("XZQHDM"), "risk_class": risk,
        "published_on": _date(row, "FLRQ", problems)}
    fingerprint = content_hash(canonical_payload(dict(row)))
    return _finish(row, RISK, values, problems, allowed_usccs, fingerprint,
                   source_time=row.get("FLRQ"))


def record_key(record: CreditRecord) -> str:
    """A valid record's key (the store's writer derives the same from the same fields)."""
    if record.kind == EVALUATION:
        return evaluation_key(record.uscc, record.year, record.published_on)
    return risk_key(record.uscc, record.published_on)


def _finish(row: Row, kind: str, values: dict[str, Any], problems: list[str],
            allowed_usccs: Iterable[str], fingerprint: str, *, source_time: str | None
            ) -> Fetched | Rejected:
    payload = canonical_payload(dict(row))
    if values["uscc"] is None:
        problems.insert(0, "TYSHXYDM is missing")
    record: CreditRecord | None = None
    try:
        record = CreditRecord.model_validate(values, context={"allowed_usccs": allowed_usccs})
    except ValidationError as exc:
        problems.extend(_describe(exc))
    key = raw_key(row, kind)
    if problems or record is None:
        label = key if kind == RISK else key.rsplit("/", 1)[0]  # USCC/PJND names an evaluation
        unique = list(dict.fromkeys(problems))
        return Rejected(key, f"{kind} {label}: " + "; ".join(unique), payload)
    return Fetched(record_key(record), payload, fingerprint, record, source_time)


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        if error.get("input") is None:
            continue  # a missing value was named by the checks before validation
        field = str(error["loc"][0]) if error["loc"] else "record"
        element = _ELEMENT.get(field, field)
        if error["type"] == "missing":
            problems.append(f"{element} is missing")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{element} {error.get('input')!r}: {message}")
    return problems


def _year(row: Row, element: str, problems: list[str]) -> int | None:
    value = row.get(element)
    if value is None:
        problems.append(f"{element} is missing")
        return None
    if not _YEAR.match(value):
        problems.append(f"{element} {value!r} is not a year (YYYY)")
        return None
    return int(value)


def _date(row: Row, element: str, problems: list[str]) -> date | None:
    value = row.get(element)
    if value is None:
        return None
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(f"{element} {value!r} is not a date (YYYY-MM-DD)")
    return None


def _in_force(row: Row, problems: list[str]) -> bool:
    # A published row is in force unless the service says it was withdrawn (ZT=0).
    value = row.get("ZT")
    if value is None or value == "1":
        return True
    if value == "0":
        return False
    problems.append(f"ZT {value!r} is not 1 (in force) or 0 (withdrawn)")
    return True


def _day(value: date | str | None) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value
