"""The simulated platform's records and rules (docs/platforms/province.md), without HTTP.

Each write answers `(HTTP status, code, msg, data)`; `applied` counts writes that changed
something, so tests can prove a repeated request was not applied twice. The caller (the HTTP
app) holds one lock around every call.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ssj_bridge.api import BEIJING, beijing_now, normalise_code, region_within, uscc_problem
from ssj_province.simulator.dataset import Seeded, inspected_on, make_result

Answer = tuple[int, int, str, Any]
OK: Answer = (200, 0, "ok", None)

CATEGORIES = ("ZD", "JH", "YB", "TS")
CREDIT_LEVELS = ("A", "B", "C", "D", "E")
RISK_CLASSES = ("A", "B", "C", "D")
TASK_STATUSES = ("已抽取", "检查中", "已完成")
ASSIGNMENT_STATUSES = ("待检查", "已检查", "已公示")
MODES = ("现场", "非现场", "第三方")
DRAW_MODES = ("定向", "不定向")
RESULT_CODES = ("01", "02", "03", "04", "05", "06")
RESULT_FIELDS = ("taskId", "uscc", "resultCode", "inspectedOn", "inspectorIds", "findings",
                 "rectificationDue", "caseNo")
CORRECTABLE = ("resultCode", "inspectedOn", "inspectorIds", "findings", "rectificationDue",
               "caseNo")
_PERIOD = re.compile(r"^[0-9]{4}Q[1-4]$")


class Invalid(ValueError):
    """A field of a written record breaks a rule: (code, message)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class PendingResult:
    """An inspection the simulator will record once `due` (monotonic seconds) has passed."""

    due: float
    task_id: str
    uscc: str


class ProvincePlatform:
    """Libraries, tasks and results of one app key's area."""

    def __init__(self, region: str, *, seed: int = 1, seeded: Seeded | None = None,
                 clock: Callable[[], datetime] = beijing_now,
                 auto_results: bool = True, results_delay: float = 0.0) -> None:
        self.region = region
        self.seed = seed
        self.clock = clock
        self.stamp_offset = 0.0  # seconds the platform's stamps run off `clock`
        self.auto_results = auto_results
        self.results_delay = results_delay
        self.subjects: dict[str, dict[str, Any]] = {}
        self.inspectors: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.pushed: dict[str, dict[str, Any]] = {}  # taskId → what was pushed (409 checks)
        self.results: dict[str, dict[str, Any]] = {}  # resultId → the current version
        self.result_ids: dict[tuple[str, str], str] = {}
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.pending: list[PendingResult] = []
        # (listing, key) a listing shows twice: a platform fault reconciliation must report.
        self.listed_twice: set[tuple[str, str]] = set()
        self.applied = 0
        self._last_stamp = ""
        self._sequence = 0
        if seeded is not None:
            self._load(seeded)

    # -- time ---------------------------------------------------------------------------------

    def today(self) -> date:
        """The platform's date (Beijing)."""
        return self.clock().astimezone(BEIJING).date()

    def stamp(self) -> str:
        """An updateTime for a change now: whole seconds, never before the last one."""
        moment = self.clock() + timedelta(seconds=self.stamp_offset)
        now = moment.astimezone(BEIJING).isoformat(timespec="seconds")
        self._last_stamp = max(now, self._last_stamp)
        return self._last_stamp

    # -- seeded data ----------------------------------------------------------------------------

    def _load(self, seeded: Seeded) -> None:
        for person in seeded.inspectors:
            self.inspectors[person["inspectorId"]] = {**person, "updateTime": self.stamp()}
        for task in seeded.tasks:
            self.tasks[task["taskId"]] = dict(task)
        for result in seeded.results:
            self._new_result(result, stamp=self.tasks[result["taskId"]]["updateTime"])
        for index, correction in seeded.corrections:
            result_id = self.result_ids[(seeded.results[index]["taskId"],
                                         seeded.results[index]["uscc"])]
            self._apply_correction(result_id, correction,
                                   stamp=self.tasks[seeded.results[index]["taskId"]]["updateTime"])
        self.applied = 0

    # -- libraries ------------------------------------------------------------------------------

    def upsert_library(self, kind: str, items: Any) -> Answer:
        """`subjects:batchUpsert` or `inspectors:batchUpsert`: one result per item, in order."""
        if not isinstance(items, list) or not 1 <= len(items) <= 200:
            return (400, 40001, "items must hold 1–200 records", None)
        check = self._subject if kind == "subjects" else self._inspector
        key_field = "uscc" if kind == "subjects" else "inspectorId"
        store = self.subjects if kind == "subjects" else self.inspectors
        answers = []
        for item in items:
            key = item.get(key_field) if isinstance(item, dict) else None
            try:
                record = check(item)
            except Invalid as exc:
                answers.append({key_field: key, "status": "REJECTED", "errorCode": exc.code,
                                "errorMsg": str(exc)})
                continue
            key = record[key_field]
            old = store.get(key)
            if old is not None and {k: v for k, v in old.items() if k != "updateTime"} == record:
                status = "UNCHANGED"
            else:
                status = "CREATED" if old is None else "UPDATED"
                store[key] = {**record, "updateTime": self.stamp()}
                self.applied += 1
            answers.append({key_field: key, "status": status, "errorCode": None,
                            "errorMsg": None})
        return (200, 0, "ok", {"results": answers})

    def _subject(self, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise Invalid(40001, "item is not an object")
        uscc = item.get("uscc")
        if not isinstance(uscc, str) or uscc_problem(normalise_code(uscc)) is not None:
            problem = uscc_problem(normalise_code(uscc)) if isinstance(uscc, str) else "missing"
            raise Invalid(42201, f"统一社会信用代码校验失败: {uscc!r} {problem}")
        if item.get("category") not in CATEGORIES:
            raise Invalid(42202, f"未知的监管对象类别 {item.get('category')!r}")
        self._in_area(item.get("regionCode"))
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            raise Invalid(40001, "name is required")
        if item.get("creditLevel") not in (None, *CREDIT_LEVELS):
            raise Invalid(40001, f"creditLevel {item.get('creditLevel')!r} is not A–E or null")
        if item.get("riskClass") not in (None, *RISK_CLASSES):
            raise Invalid(40001, f"riskClass {item.get('riskClass')!r} is not A–D or null")
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Invalid(40001, "tags must be a list of strings")
        return {"uscc": normalise_code(uscc), "name": item["name"],
                "regionCode": item["regionCode"], "industryCode": item.get("industryCode"),
                "category": item["category"], "tags": list(tags),
                "creditLevel": item.get("creditLevel"), "riskClass": item.get("riskClass"),
                "positiveList": bool(item.get("positiveList")),
                "active": bool(item.get("active", True))}

    def _inspector(self, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise Invalid(40001, "item is not an object")
        inspector_id = item.get("inspectorId")
        if not isinstance(inspector_id, str) or not 1 <= len(inspector_id) <= 64:
            raise Invalid(40001, "inspectorId is required (1–64 characters)")
        self._in_area(item.get("regionCode"))
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            raise Invalid(40001, "name is required")
        expertise = item.get("expertise") or []
        if not isinstance(expertise, list):
            raise Invalid(40001, "expertise must be a list")
        return {"inspectorId": inspector_id, "name": item["name"], "certNo": item.get("certNo"),
                "orgCode": item.get("orgCode"), "regionCode": item["regionCode"],
                "expertise": list(expertise), "auxiliary": bool(item.get("auxiliary")),
                "active": bool(item.get("active", True))}

    def _in_area(self, region: Any) -> None:
        if not isinstance(region, str) or len(region) != 6 or not region.isdigit() or \
                not region_within(region, self.region):
            raise Invalid(42203, f"行政区划 {region!r} 不在该应用的管辖范围 {self.region} 内")

    # -- tasks ----------------------------------------------------------------------------------

    def push_task(self, task: Any) -> Answer:
        """`POST /ssj/v1/tasks`: a new task, the same task again, or 409 40902."""
        try:
            pushed = self._task(task)
        except Invalid as exc:
            return (400 if exc.code == 40001 else 422, exc.code, str(exc), None)
        task_id = pushed["taskId"]
        if task_id in self.pushed or task_id in self.tasks:
            if self.pushed.get(task_id) == pushed:
                return (200, 0, "ok", {"taskId": task_id})
            return (409, 40902, "抽查任务已存在且内容不同", None)
        self.pushed[task_id] = pushed
        self.tasks[task_id] = {**pushed, "updateTime": self.stamp()}
        self.applied += 1
        if self.auto_results:
            now = time.monotonic()
            count = len(pushed["assignments"])
            for index, assignment in enumerate(pushed["assignments"]):
                self.pending.append(PendingResult(
                    now + self.results_delay * (index + 1) / count, task_id, assignment["uscc"]))
        return (200, 0, "ok", {"taskId": task_id})

    def _task(self, task: Any) -> dict[str, Any]:
        if not isinstance(task, dict):
            raise Invalid(40001, "task is not an object")
        for name in ("taskId", "name", "regionCode", "matterCode", "drawnBy", "period"):
            if not isinstance(task.get(name), str) or not task[name].strip():
                raise Invalid(40001, f"task.{name} is required")
        if not _PERIOD.match(task["period"]):
            raise Invalid(40001, f"task.period {task['period']!r} is not YYYYQn")
        self._in_area(task["regionCode"])
        if task.get("drawMode") not in DRAW_MODES:
            raise Invalid(40001, f"task.drawMode {task.get('drawMode')!r} is not 定向/不定向")
        if task.get("status", "已抽取") not in TASK_STATUSES:
            raise Invalid(40001, f"task.status {task.get('status')!r} is not a task status")
        for name in ("plannedStart", "plannedEnd"):
            if task.get(name) is not None:
                _date(task[name], f"task.{name}")
        assignments = task.get("assignments")
        if not isinstance(assignments, list) or not assignments:
            raise Invalid(40001, "a task has at least one assignment")
        checked = [self._assignment(a, i) for i, a in enumerate(assignments)]
        proof = task.get("drawProof")
        return {"taskId": task["taskId"], "name": task["name"], "regionCode": task["regionCode"],
                "matterCode": task["matterCode"], "drawnBy": task["drawnBy"],
                "drawMode": task["drawMode"], "period": task["period"],
                "plannedStart": task.get("plannedStart"), "plannedEnd": task.get("plannedEnd"),
                "drawProof": dict(proof) if isinstance(proof, dict) else None,
                "assignments": checked, "status": task.get("status", "已抽取")}

    def _assignment(self, assignment: Any, index: int) -> dict[str, Any]:
        where = f"task.assignments[{index}]"
        if not isinstance(assignment, dict):
            raise Invalid(40001, f"{where} is not an object")
        uscc = assignment.get("uscc")
        if not isinstance(uscc, str) or uscc_problem(normalise_code(uscc)) is not None:
            raise Invalid(40001, f"{where}.uscc {uscc!r} is not a valid 统一社会信用代码")
        mode = assignment.get("mode")
        if mode not in MODES:
            raise Invalid(40001, f"{where}.mode {mode!r} is not 现场/非现场/第三方")
        people = assignment.get("inspectorIds") or []
        if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
            raise Invalid(40001, f"{where}.inspectorIds must be a list of inspector IDs")
        unknown = [p for p in people if p not in self.inspectors]
        if unknown:
            raise Invalid(40001, f"{where}: inspector {unknown[0]!r} is not in the inspector "
                                 "library")
        if mode == "现场" and (len(people) < 2 or
                             not any(self.inspectors[p].get("certNo") for p in people)):
            raise Invalid(40001, f"{where}: an on-site inspection needs at least two inspectors, "
                                 "one holding a certNo")
        status = assignment.get("status", "待检查")
        if status not in ASSIGNMENT_STATUSES:
            raise Invalid(40001, f"{where}.status {status!r} is not an assignment status")
        return {"uscc": normalise_code(uscc), "inspectorIds": list(people), "mode": mode,
                "status": status}

    # -- results --------------------------------------------------------------------------------

    def record_result(self, result: Any) -> Answer:
        """`POST /ssj/v1/results`: a new result, the same again, or 409 40901."""
        try:
            checked = self._result(result)
        except Invalid as exc:
            return (404 if exc.code == 40401 else 400, exc.code, str(exc), None)
        key = (checked["taskId"], checked["uscc"])
        existing = self.result_ids.get(key)
        if existing is not None:
            current = {k: self.results[existing][k] for k in RESULT_FIELDS}
            if current == checked:
                return (200, 0, "ok", {"resultId": existing})
            return (409, 40901, "检查结果已录入，不得随意修改", None)
        return (200, 0, "ok", {"resultId": self._new_result(checked)})

    def _result(self, result: Any, partial: bool = False) -> dict[str, Any]:
        if not isinstance(result, dict):
            raise Invalid(40001, "result is not an object")
        checked: dict[str, Any] = {}
        if not partial:
            task = self.tasks.get(result.get("taskId"))  # type: ignore[arg-type]
            if task is None:
                raise Invalid(40401, f"task {result.get('taskId')!r} not found")
            if result.get("uscc") not in {a["uscc"] for a in task["assignments"]}:
                raise Invalid(40001, f"{result.get('uscc')!r} is not assigned in task "
                                     f"{task['taskId']}")
            checked |= {"taskId": result["taskId"], "uscc": result["uscc"]}
        names = CORRECTABLE if not partial else [n for n in CORRECTABLE if n in result]
        for name in names:
            value = result.get(name)
            if name == "resultCode" and value not in RESULT_CODES:
                raise Invalid(40001, f"resultCode {value!r} is not 01–06")
            if name == "inspectedOn":
                if _date(value, name) > self.today():
                    raise Invalid(40001, f"inspectedOn {value} is in the future")
            if name == "rectificationDue" and value is not None:
                _date(value, name)
            if name == "inspectorIds" and (not isinstance(value, list) or
                                           not all(isinstance(v, str) for v in value)):
                raise Invalid(40001, "inspectorIds must be a list of inspector IDs")
            if name == "findings":
                value = value or ""
                if not isinstance(value, str):
                    raise Invalid(40001, "findings must be text")
            if name == "caseNo" and value is not None and not isinstance(value, str):
                raise Invalid(40001, "caseNo must be text or null")
            checked[name] = value
        return checked

    def _new_result(self, result: dict[str, Any], stamp: str | None = None) -> str:
        self._sequence += 1
        result_id = f"JG{self._sequence:010d}"
        record = {"resultId": result_id, "version": 1, **{k: result[k] for k in RESULT_FIELDS},
                  "updateTime": stamp or self.stamp()}
        self.results[result_id] = record
        self.result_ids[(result["taskId"], result["uscc"])] = result_id
        self.versions[result_id] = [dict(record)]
        self.applied += 1
        self._inspected(result["taskId"], stamp)
        return result_id

    def correct(self, result_id: str, correction: Any) -> Answer:
        """`POST /ssj/v1/results/{resultId}/corrections`: a new version, every version kept."""
        if result_id not in self.results:
            return (404, 40401, f"result {result_id} not found", None)
        if not isinstance(correction, dict):
            return (400, 40001, "correction is not an object", None)
        for name in ("approvedBy", "reason"):
            if not isinstance(correction.get(name), str) or not correction[name].strip():
                return (400, 40001, f"correction.{name} is required", None)
        unknown = [n for n in correction if n not in (*CORRECTABLE, "approvedBy", "reason")]
        if unknown:
            return (400, 40001, f"correction.{unknown[0]} cannot be corrected", None)
        try:
            self._result(correction, partial=True)
        except Invalid as exc:
            return (400, exc.code, str(exc), None)
        record = self._apply_correction(result_id, correction)
        return (200, 0, "ok", {"resultId": result_id, "version": record["version"]})

    def _apply_correction(self, result_id: str, correction: Mapping[str, Any],
                          stamp: str | None = None) -> dict[str, Any]:
        current = self.results[result_id]
        changes = {k: v for k, v in correction.items() if k in CORRECTABLE}
        record = {**current, **changes, "version": current["version"] + 1,
                  "updateTime": stamp or self.stamp()}
        self.results[result_id] = record
        self.versions[result_id].append({**record, "approvedBy": correction.get("approvedBy"),
                                         "reason": correction.get("reason")})
        self.applied += 1
        return record

    def _inspected(self, task_id: str, stamp: str | None = None) -> None:
        """An assignment got its result: it is 已检查; the task 检查中 or 已完成."""
        task = self.tasks[task_id]
        done = {uscc for (t, uscc) in self.result_ids if t == task_id}
        for assignment in task["assignments"]:
            if assignment["uscc"] in done and assignment["status"] == "待检查":
                assignment["status"] = "已检查"
        status = "已完成" if all(a["uscc"] in done for a in task["assignments"]) else "检查中"
        task["status"] = status
        task["updateTime"] = stamp or self.stamp()

    def advance(self) -> None:
        """Record the inspections whose time has come (auto results of pushed tasks)."""
        if not self.pending:
            return
        now = time.monotonic()
        waiting = []
        for item in self.pending:
            task = self.tasks[item.task_id]
            day = inspected_on(task, item.uscc, self.seed, self.today()) if item.due <= now else None
            if day is None or (item.task_id, item.uscc) in self.result_ids:
                if day is None:
                    waiting.append(item)
                continue
            assignment = next(a for a in task["assignments"] if a["uscc"] == item.uscc)
            self._new_result(make_result(task, assignment, self.seed, day))
        self.pending = waiting

    # -- listings -------------------------------------------------------------------------------

    def listing(self, kind: str, region: str, since: str | None, page_no: int,
                page_size: int) -> dict[str, Any]:
        """One page of a listing (`total`, `pageNo`, `pageSize`, `records`)."""
        records: list[dict[str, Any]]
        if kind == "subjects":
            records = sorted((r for r in self.subjects.values()
                              if region_within(r["regionCode"], region)),
                             key=lambda r: r["uscc"])
        elif kind == "inspectors":
            records = sorted((r for r in self.inspectors.values()
                              if region_within(r["regionCode"], region)),
                             key=lambda r: r["inspectorId"])
        elif kind == "tasks":
            records = sorted((t for t in self.tasks.values() if _covers(t, region)
                              and (since is None or t["updateTime"] >= since)),
                             key=lambda t: (t["updateTime"], t["taskId"]))
        else:
            records = sorted((r for r in self.results.values()
                              if _covers(self.tasks[r["taskId"]], region)
                              and (since is None or r["updateTime"] >= since)),
                             key=lambda r: (r["updateTime"], r["resultId"]))
        if any(listing == kind for listing, _ in self.listed_twice):
            records = [copy for record in records
                       for copy in [record] * (2 if (kind, _key_of(kind, record))
                                               in self.listed_twice else 1)]
        chosen = records[(page_no - 1) * page_size:page_no * page_size]
        return {"total": len(records), "pageNo": page_no, "pageSize": page_size,
                "records": [_copy(r) for r in chosen]}


KEY_FIELDS = {"subjects": "uscc", "inspectors": "inspectorId", "tasks": "taskId",
              "results": "resultId"}


def _key_of(listing: str, record: Mapping[str, Any]) -> str:
    return str(record.get(KEY_FIELDS[listing]))


def _covers(task: Mapping[str, Any], region: str) -> bool:
    """A task is listed for the region it covers and for every region above or below it."""
    return region_within(task["regionCode"], region) or region_within(region, task["regionCode"])


def _copy(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: ([dict(a) for a in v] if k == "assignments" else v) for k, v in record.items()}


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(40001, f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def since_text(value: str | None) -> str | None:
    """updatedSince as text comparable with stored updateTimes (whole seconds, +08:00)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value).astimezone(BEIJING)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.isoformat(timespec="seconds")
