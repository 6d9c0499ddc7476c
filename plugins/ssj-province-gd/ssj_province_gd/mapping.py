"""docs/platforms/province-gd.md's records ↔ canonical records, field by field and code by code."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from ssj_bridge.api import (
    Fetched,
    RecordedResult,
    Rejected,
    Task,
    canonical_payload,
    content_hash,
    set_aside_on_failure,
)
from ssj_province_gd.signing import gd_date, parse_gd_date, parse_gd_time

TASK = "task"
RESULT = "result"
# The listings' entities, apart from the outbox's `task`: a listed task the store accepts must
# not release the quarantine entry of a push of the same task that the platform refused.
TASK_LISTING = "task-listing"
RESULT_LISTING = "result-listing"
SUBJECT = "subject"
INSPECTOR = "inspector"

# jglb: 1 重点, 2 一般, 3 特殊; the platform has no 简化 (SIMPLIFIED).
CATEGORY_CODES = {"KEY": "1", "GENERAL": "2", "SPECIAL": "3"}
# xydj: words of the cn-words scheme (docs/platforms/codes.md); it has no SEVERE, whose nearest is 不良.
CREDIT_WORDS = {"EXCELLENT": "环保诚信企业", "GOOD": "环保良好企业", "WARNING": "环保警示企业",
                "POOR": "环保不良企业", "SEVERE": "环保不良企业", "UNRATED": ""}
RISK_LETTERS = {"LOW": "A", "MEDIUM": "B", "HIGH": "C", "VERY_HIGH": "D"}
DRAW_MODES = {"1": "定向", "2": "不定向"}
MODES = {"1": "现场", "2": "非现场", "3": "第三方"}
TASK_STATUSES = {"1": "已抽取", "2": "检查中", "3": "已完成"}
ASSIGNMENT_STATUSES = {"1": "待检查", "2": "已检查", "3": "已公示"}


class Unmappable(ValueError):
    """A canonical record this platform cannot hold (e.g. a SIMPLIFIED subject)."""


def _reverse(codes: Mapping[str, str]) -> dict[str, str]:
    return {word: code for code, word in codes.items()}


# -- reading ------------------------------------------------------------------------------------


def task_key(raw: Any) -> str:
    """A task's key: our own reference `wbbh` for a task pushed from here, else `rwbh`."""
    if isinstance(raw, dict):
        for name in ("wbbh", "rwbh"):
            value = raw.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return "?" + content_hash(canonical_payload(raw if isinstance(raw, dict) else {}))[:16]


def result_key(raw: Any) -> str:
    """A result's key: `rwbh/tyshxydm` (the platform gives results no number of their own)."""
    if isinstance(raw, dict) and raw.get("rwbh") and raw.get("tyshxydm"):
        return f"{str(raw['rwbh']).strip()}/{str(raw['tyshxydm']).strip().upper()}"
    return "?" + content_hash(canonical_payload(raw if isinstance(raw, dict) else {}))[:16]


def update_time(raw: Any) -> datetime | None:
    """An item's `gxsj` as a time, or None when it is missing or unreadable."""
    value = raw.get("gxsj") if isinstance(raw, dict) else None
    try:
        return parse_gd_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


@set_aside_on_failure("task", task_key)
def map_task(raw: Any, position: str, allowed_usccs: Iterable[str]) -> Fetched | Rejected:
    """A listed task (rw.query) as a canonical Task, or a reject naming field and value."""
    return _map(raw, position, "task", task_key, _task_values, Task, allowed_usccs)


@set_aside_on_failure("result", result_key)
def map_result(raw: Any, position: str, allowed_usccs: Iterable[str],
               task_id: Callable[[str], str]) -> Fetched | Rejected:
    """A listed result (jg.list) as a canonical RecordedResult; `task_id(rwbh)` names its task."""
    return _map(raw, position, "result", result_key,
                lambda item, problems: _result_values(item, problems, task_id),
                RecordedResult, allowed_usccs)


def _map(raw: Any, position: str, kind: str, key_of: Callable[[Any], str],
         values_of: Callable[[dict[str, Any], list[str]], dict[str, Any]],
         model: type[Task] | type[RecordedResult], allowed_usccs: Iterable[str]
         ) -> Fetched | Rejected:
    payload = canonical_payload(raw if isinstance(raw, dict) else {"item": raw})
    key = key_of(raw)
    if not isinstance(raw, dict):
        return Rejected(key, f"{kind} at {position} is a {type(raw).__name__}, not an object",
                        payload)
    problems: list[str] = []
    values = values_of(raw, problems)
    record: Task | RecordedResult | None = None
    if not problems:
        try:
            record = model.model_validate(values, context={"allowed_usccs": allowed_usccs})
        except ValidationError as exc:
            problems.extend(_describe(exc))
    if key.startswith("?"):
        problems.insert(0, "its key fields (wbbh/rwbh, tyshxydm) are missing")
    if problems or record is None:
        return Rejected(key, f"{kind} {key}: " + "; ".join(dict.fromkeys(problems)), payload)
    source = raw.get("gxsj") if isinstance(raw.get("gxsj"), str) else None
    return Fetched(key, payload, content_hash(payload), record, source)


def _code(item: Mapping[str, Any], name: str, codes: Mapping[str, str], problems: list[str],
          default: str | None = None) -> str | None:
    value = item.get(name)
    if value in (None, "") and default is not None:
        return default
    word = codes.get(str(value))
    if word is None:
        problems.append(f"field {name!r} value {value!r} is not one of {', '.join(codes)}")
    return word


def _day(item: Mapping[str, Any], name: str, problems: list[str], *,
         required: bool = False) -> date | None:
    value = item.get(name)
    if value in (None, ""):
        if required:
            problems.append(f"field {name!r} is missing")
        return None
    try:
        return parse_gd_date(str(value))
    except ValueError:
        problems.append(f"field {name!r} value {value!r} is not a date yyyyMMdd")
        return None


def _time(item: Mapping[str, Any], problems: list[str]) -> datetime | None:
    value = item.get("gxsj")
    try:
        return parse_gd_time(str(value))
    except ValueError:
        problems.append(f"field 'gxsj' value {value!r} is not a time yyyyMMddHHmmss")
        return None


def _task_values(item: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    proof: Any = None
    if item.get("cqzm"):
        try:
            proof = orjson.loads(item["cqzm"])
        except (orjson.JSONDecodeError, TypeError):
            problems.append(f"field 'cqzm' value {item['cqzm']!r} is not a JSON draw proof")
    assignments = []
    details = item.get("mx")
    if not isinstance(details, list) or not details:
        problems.append("field 'mx' holds no subject (a task has at least one)")
        details = []
    for index, line in enumerate(details):
        if not isinstance(line, dict):
            problems.append(f"field 'mx.{index}' is not an object")
            continue
        people = str(line.get("ryids") or "")
        assignments.append({
            "uscc": line.get("tyshxydm"),
            "inspectorIds": [p.strip() for p in people.split(",") if p.strip()],
            "mode": _code(line, "jcfs", MODES, problems),
            "status": _code(line, "jczt", ASSIGNMENT_STATUSES, problems, default="1")})
    year, quarter = item.get("nd"), item.get("jd")
    return {"taskId": task_key(item), "name": item.get("rwmc"), "regionCode": item.get("xzqhdm"),
            "matterCode": item.get("sxdm"), "drawnBy": item.get("cqjg") or "",
            "drawMode": _code(item, "cqfs", DRAW_MODES, problems),
            "period": f"{year}Q{quarter}",
            "plannedStart": _day(item, "ksrq", problems),
            "plannedEnd": _day(item, "jsrq", problems), "drawProof": proof,
            "assignments": assignments,
            "status": _code(item, "rwzt", TASK_STATUSES, problems, default="1"),
            "updateTime": _time(item, problems)}


def _result_values(item: dict[str, Any], problems: list[str],
                   task_id: Callable[[str], str]) -> dict[str, Any]:
    code = str(item.get("jcjg") or "")
    if code not in ("1", "2", "3", "4", "5", "6"):
        problems.append(f"field 'jcjg' value {item.get('jcjg')!r} is not a result code 1–6")
    people = str(item.get("ryids") or "")
    rwbh = str(item.get("rwbh") or "")
    return {"resultId": result_key(item), "version": 1, "updateTime": _time(item, problems),
            "result": {"taskId": task_id(rwbh) if rwbh else None, "uscc": item.get("tyshxydm"),
                       "resultCode": f"0{code}",
                       "inspectedOn": _day(item, "jcrq", problems, required=True),
                       "inspectorIds": [p.strip() for p in people.split(",") if p.strip()],
                       "findings": item.get("wtms") or ""}}


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "record"
        if error["type"] == "missing":
            problems.append(f"field {field!r} is missing")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"field {field!r} value {error.get('input')!r}: {message}")
    return problems


# -- writing ------------------------------------------------------------------------------------


def subject_to_platform(subject: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical library Subject as a `jcdx.save` item; Unmappable when it has no jglb here."""
    categories = [subject.get("category"), *(subject.get("categories") or [])]
    category = next((c for c in categories if c), None)
    if category is None:
        raise Unmappable(f"subject {subject.get('uscc')}: no category to send as jglb")
    code = CATEGORY_CODES.get(str(category))
    if code is None:
        raise Unmappable(f"subject {subject.get('uscc')}: category {category} has no jglb on "
                         "this platform (1 重点, 2 一般, 3 特殊; there is no 简化)")
    return {"tyshxydm": subject["uscc"], "dwmc": subject.get("name") or "",
            "xzqhdm": subject.get("regionCode"), "hydm": subject.get("industryCode") or "",
            "jglb": code, "xydj": CREDIT_WORDS.get(str(subject.get("creditLevel")), ""),
            "fxfl": RISK_LETTERS.get(str(subject.get("riskClass")), ""),
            "zmqd": "1" if "正面清单" in (subject.get("tags") or []) else "0",
            "zt": "1" if subject.get("active", True) else "0"}


def inspector_to_platform(person: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical Inspector as a `jcry.save` item."""
    return {"ryid": person["inspectorId"], "xm": person.get("name") or "",
            "zfzh": person.get("certNo") or "", "dwdm": person.get("orgCode") or "",
            "xzqhdm": person.get("regionCode"), "zc": ",".join(person.get("expertise") or []),
            "fzry": "1" if person.get("auxiliary") else "0",
            "zt": "1" if person.get("active", True) else "0"}


def task_to_platform(task: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical Task as `rw.create` data; `wbbh` is our taskId."""
    period = str(task["period"])
    modes, draw_modes = _reverse(MODES), _reverse(DRAW_MODES)
    proof = task.get("drawProof")
    return {"wbbh": task["taskId"], "rwmc": task["name"], "sxdm": task["matterCode"],
            "xzqhdm": task["regionCode"],
            "cqfs": draw_modes.get(str(task.get("drawMode")), "2"),
            "nd": int(period[:4]), "jd": int(period[-1]),
            "ksrq": _gd_day(task.get("plannedStart")), "jsrq": _gd_day(task.get("plannedEnd")),
            "cqzm": orjson.dumps(proof, option=orjson.OPT_SORT_KEYS).decode() if proof else "",
            "mx": [{"tyshxydm": a["uscc"], "ryids": ",".join(a.get("inspectorIds") or []),
                    "jcfs": modes.get(str(a.get("mode")), "1")}
                   for a in task.get("assignments") or []]}


def _gd_day(value: Any) -> str:
    return gd_date(date.fromisoformat(str(value))) if value else ""
