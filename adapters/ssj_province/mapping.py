"""Between canonical records and the reference profile's payloads (docs/platforms/province.md).

Outgoing: the outbox holds canonical records (category KEY…, creditLevel EXCELLENT…, riskClass
LOW…, tags `tag` or `tag:value`); this module writes them in the platform's codes (ZD/JH/YB/TS,
A–E, A–D, `VOCs-A`). Incoming: listed tasks and results become canonical records, or rejects
naming the field, the value and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ssj_bridge.api import (
    Assignment,
    DrawProof,
    Fetched,
    RecordedResult,
    Rejected,
    Result,
    Tag,
    Task,
    canonical_payload,
    content_hash,
    set_aside_on_failure,
)

# docs/platforms/codes.md: supervision category, credit tier, risk class.
CATEGORY_CODES = {"KEY": "ZD", "SIMPLIFIED": "JH", "GENERAL": "YB", "SPECIAL": "TS"}
CREDIT_LETTERS = {"EXCELLENT": "A", "GOOD": "B", "WARNING": "C", "POOR": "D", "SEVERE": "E"}
RISK_LETTERS = {"LOW": "A", "MEDIUM": "B", "HIGH": "C", "VERY_HIGH": "D"}
CATEGORY_OF_CODE = {code: name for name, code in CATEGORY_CODES.items()}
CREDIT_OF_LETTER = {letter: tier for tier, letter in CREDIT_LETTERS.items()}
RISK_OF_LETTER = {letter: risk for risk, letter in RISK_LETTERS.items()}


def _aliases(model: Any) -> frozenset[str]:
    return frozenset(info.alias or name for name, info in model.model_fields.items())


_TASK_FIELDS = _aliases(Task)
_PROOF_FIELDS = _aliases(DrawProof)
_ASSIGNMENT_FIELDS = _aliases(Assignment)
_RESULT_FIELDS = _aliases(Result)


# -- outgoing ---------------------------------------------------------------------------------


def platform_tag(tag: str) -> str:
    """A canonical tag `VOCs:A` as the platform writes it, `VOCs-A`; a plain tag as it is."""
    name, sep, value = tag.partition(":")
    return f"{name}-{value}" if sep else tag


def subject_to_platform(record: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical Subject (by alias) as the platform's Subject.

    The platform has one category per subject: the primary category, or the first library
    the subject is in when a policy left it out of routine draws.
    """
    primary = record.get("category") or next(iter(record.get("categories") or []), None)
    tags = [str(t) for t in record.get("tags") or []]
    return {
        "uscc": record["uscc"],
        "name": record["name"],
        "regionCode": record["regionCode"],
        "industryCode": record.get("industryCode"),
        "category": CATEGORY_CODES.get(primary) if primary else None,
        "tags": [platform_tag(t) for t in tags],
        "creditLevel": CREDIT_LETTERS.get(record.get("creditLevel") or ""),
        "riskClass": RISK_LETTERS.get(record.get("riskClass") or ""),
        "positiveList": any(t.partition(":")[0] == Tag.POSITIVE_LIST.value for t in tags),
        "active": bool(record.get("active", True)),
    }


def inspector_to_platform(record: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical Inspector (by alias) as the platform's Inspector."""
    return {
        "inspectorId": record["inspectorId"],
        "name": record["name"],
        "certNo": record.get("certNo") or None,
        "orgCode": record.get("orgCode"),
        "regionCode": record["regionCode"],
        "expertise": list(record.get("expertise") or []),
        "auxiliary": bool(record.get("auxiliary", False)),
        "active": bool(record.get("active", True)),
    }


def task_to_platform(record: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical Task (by alias) as pushed: the platform sets `updateTime` itself."""
    proof = record.get("drawProof")
    return {
        "taskId": record["taskId"],
        "name": record["name"],
        "regionCode": record["regionCode"],
        "matterCode": record["matterCode"],
        "drawnBy": record["drawnBy"],
        "drawMode": record["drawMode"],
        "period": record["period"],
        "plannedStart": record.get("plannedStart"),
        "plannedEnd": record.get("plannedEnd"),
        "drawProof": {name: proof.get(name) for name in sorted(_PROOF_FIELDS)} if proof else None,
        "assignments": [{"uscc": a["uscc"], "inspectorIds": list(a.get("inspectorIds") or []),
                         "mode": a["mode"], "status": a["status"]}
                        for a in record.get("assignments") or []],
        "status": record["status"],
    }


def result_to_platform(record: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical Result (by alias) as the platform's Result."""
    return {name: record.get(name) for name in ("taskId", "uscc", "resultCode", "inspectedOn",
                                                "inspectorIds", "findings", "rectificationDue",
                                                "caseNo")}


def correction_to_platform(record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A queued correction → (resultId, the `correction` body: changed fields, approver, reason)."""
    changes = {name: value for name, value in (record.get("changes") or {}).items()
               if name in _RESULT_FIELDS}
    return str(record["resultId"]), {**changes, "approvedBy": record.get("approvedBy"),
                                     "reason": record.get("reason")}


# -- incoming ---------------------------------------------------------------------------------


def _key(raw: Any, field: str) -> str:
    value = raw.get(field) if isinstance(raw, dict) else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return "?" + content_hash(canonical_payload(raw))[:16]


def task_key(raw: Any) -> str:
    """A listed task's key: its taskId (or a stand-in made of its content)."""
    return _key(raw, "taskId")


def result_key(raw: Any) -> str:
    """A listed result's key: its resultId (or a stand-in made of its content)."""
    return _key(raw, "resultId")


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


@set_aside_on_failure("task", task_key)
def map_task(raw: Any, position: str, allowed_usccs: Iterable[str]) -> Fetched | Rejected:
    """A listed task as a canonical Task; unknown fields are ignored (docs/platforms/province.md)."""
    if not isinstance(raw, dict):
        return Rejected(task_key(raw), f"task at {position} is a {type(raw).__name__}, "
                        "not an object", canonical_payload(raw))
    key, payload = task_key(raw), canonical_payload(raw)
    known = {name: value for name, value in raw.items() if name in _TASK_FIELDS}
    if isinstance(known.get("drawProof"), dict):
        known["drawProof"] = {k: v for k, v in known["drawProof"].items() if k in _PROOF_FIELDS}
    if isinstance(known.get("assignments"), list):
        known["assignments"] = [{k: v for k, v in a.items() if k in _ASSIGNMENT_FIELDS}
                                if isinstance(a, dict) else a for a in known["assignments"]]
    try:
        task = Task.model_validate(known, context={"allowed_usccs": allowed_usccs})
    except ValidationError as exc:
        return Rejected(key, describe("task", key, exc), payload)
    return Fetched(key, payload, content_hash(payload), task, _text(raw.get("updateTime")))


@set_aside_on_failure("result", result_key)
def map_result(raw: Any, position: str, allowed_usccs: Iterable[str]) -> Fetched | Rejected:
    """A listed result (with resultId, version, updateTime) as a canonical RecordedResult."""
    if not isinstance(raw, dict):
        return Rejected(result_key(raw), f"result at {position} is a {type(raw).__name__}, "
                        "not an object", canonical_payload(raw))
    key, payload = result_key(raw), canonical_payload(raw)
    try:
        recorded = RecordedResult.model_validate(
            {"resultId": raw.get("resultId"), "version": raw.get("version"),
             "updateTime": raw.get("updateTime"),
             "result": {name: value for name, value in raw.items() if name in _RESULT_FIELDS}},
            context={"allowed_usccs": allowed_usccs})
    except ValidationError as exc:
        return Rejected(key, describe("result", key, exc), payload)
    return Fetched(key, payload, content_hash(payload), recorded, _text(raw.get("updateTime")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def describe(kind: str, key: str, exc: ValidationError) -> str:
    """`task K: field 'assignments.0.uscc' value '…': …` for each problem."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        if loc[:1] == ["result"]:
            loc = loc[1:]
        field = ".".join(loc) or "record"
        if error["type"] == "missing":
            problems.append(f"field {field!r} is missing")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"field {field!r} value {error.get('input')!r}: {message}")
    return f"{kind} {key}: " + "; ".join(problems)
