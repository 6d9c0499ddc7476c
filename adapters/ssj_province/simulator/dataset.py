"""What the simulated platform holds before anyone writes: a higher level's draws and results.

Deterministic for one (region, subjects, seed, today): the tasks are drawn over the same
synthetic population the permit simulator serves (ssj_bridge.simulation.synthetic), by the province's
own bureau, with the province's inspectors.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ssj_bridge.api import BEIJING, Quarter, uscc_check_character
from ssj_bridge.api.simulation import subjects

PLATFORM_ALGORITHM = "sd-platform-draw-2"  # the platform's own draw, not ssj-draw-v1
PLATFORM_MATTER = "P01"
_EXPERTISE = [["大气", "监测"], ["水"], ["固废", "环评"], ["大气"], ["辐射"], ["水", "监测"]]
_FINDINGS = {
    "01": "",
    "02": "废气收集设施未正常运行，已责令限期整改",
    "03": "超标排放大气污染物，已立案调查",
    "04": "现场未发现开展本次抽查涉及的生产经营活动",
    "05": "通过登记的住所无法取得联系",
    "06": "拒不配合检查，情节严重",
}


def province_of(region: str) -> str:
    """The province containing a region: PP0000."""
    return f"{region[:2]}0000"


def provincial_org(region: str) -> str:
    """The provincial bureau's org code (a USCC with a correct check character)."""
    body = f"11{province_of(region)}MB0000001"
    return body + uscc_check_character(body)


def provincial_inspectors(region: str) -> list[dict[str, Any]]:
    """The province's own inspectors, as its inspector library lists them."""
    org = provincial_org(region)
    return [{"inspectorId": f"{province_of(region)}-JC-{n:03d}", "name": f"省厅检查员{n}",
             "certNo": f"{region[:2]}-ZF-{1000 + n}" if n % 3 else None, "orgCode": org,
             "regionCode": province_of(region), "expertise": _EXPERTISE[n % len(_EXPERTISE)],
             "auxiliary": n % 3 == 0, "active": True}
            for n in range(1, 7)]


def digest_number(*parts: object) -> int:
    """A deterministic number from some parts (the simulator's only source of variety)."""
    text = "/".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def result_code(task_id: str, uscc: str, seed: int) -> str:
    """A deterministic mix of 01–06, mostly 01 and 02 as inspections go."""
    roll = digest_number("code", seed, task_id, uscc) % 100
    for code, upper in (("01", 60), ("02", 80), ("03", 88), ("04", 93), ("05", 97)):
        if roll < upper:
            return code
    return "06"


def inspected_on(task: dict[str, Any], uscc: str, seed: int, today: date) -> date | None:
    """A day within the task's planned window and not after today; None while none is."""
    start = date.fromisoformat(task["plannedStart"]) if task.get("plannedStart") else today
    end = min(date.fromisoformat(task["plannedEnd"]) if task.get("plannedEnd") else today, today)
    if start > end:
        return None
    span = (end - start).days + 1
    return start + timedelta(days=digest_number("day", seed, task["taskId"], uscc) % span)


def make_result(task: dict[str, Any], assignment: dict[str, Any], seed: int, day: date
                ) -> dict[str, Any]:
    """The result an inspection of one assignment records."""
    code = result_code(task["taskId"], assignment["uscc"], seed)
    return {"taskId": task["taskId"], "uscc": assignment["uscc"], "resultCode": code,
            "inspectedOn": day.isoformat(), "inspectorIds": list(assignment["inspectorIds"]),
            "findings": _FINDINGS[code],
            "rectificationDue": (day + timedelta(days=30)).isoformat() if code == "02" else None,
            "caseNo": (f"{task['regionCode'][:4]}环罚〔{day.year}〕"
                       f"{digest_number('case', task['taskId'], assignment['uscc']) % 900 + 100}号"
                       if code == "03" else None)}


@dataclass
class Seeded:
    """The platform's own draws: tasks (with updateTime) and the results recorded for them."""

    inspectors: list[dict[str, Any]]
    tasks: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # with version 1
    corrections: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def higher_level_draws(region: str, size: int, seed: int, today: date, count: int = 3,
                       per_task: int = 4) -> Seeded:
    """`count` tasks drawn by the province for this region.

    The first covers the previous quarter and is complete (one of its results corrected
    once); the second is in progress this quarter with half of its results; the rest are
    drawn this quarter and not yet inspected.
    """
    people = provincial_inspectors(region)
    seeded = Seeded(people)
    if count <= 0 or size <= 0:
        return seeded
    rng = random.Random(f"province/{seed}/{region}")
    population = [s.uscc for s in subjects(region, size, seed)]
    certified = [p["inspectorId"] for p in people if p["certNo"]]
    others = [p["inspectorId"] for p in people if not p["certNo"]]
    current = Quarter.of(today)
    previous = Quarter(current.year - 1, 4) if current.number == 1 else Quarter(
        current.year, current.number - 1)
    base = datetime.combine(today, datetime.min.time(), BEIJING) - timedelta(days=2)
    for index in range(count):
        quarter = previous if index == 0 else current
        chosen = rng.sample(population, min(per_task, len(population)))
        task_id = f"{province_of(region)}-{quarter.label}-{9001 + index}"
        label = f"{region}/{quarter.label}/{PLATFORM_MATTER}/ZD"
        task: dict[str, Any] = {
            "taskId": task_id, "name": f"省级{quarter.label}重点监管对象双随机抽查（{index + 1}）",
            "regionCode": region, "matterCode": PLATFORM_MATTER,
            "drawnBy": provincial_org(region), "drawMode": "定向", "period": quarter.label,
            "plannedStart": quarter.start.isoformat(), "plannedEnd": quarter.end.isoformat(),
            # The platform's own draw: its algorithm's name and what it publishes of its proof
            # (province.md), without ssj-draw-v1's label, k and commitment.
            "drawProof": {"algorithm": PLATFORM_ALGORITHM,
                          "candidatesHash": hashlib.sha256(
                              "\n".join(sorted(population)).encode()).hexdigest(),
                          "witnessEntropy": None,
                          "secret": hashlib.sha256(f"secret/{seed}/{label}".encode()).hexdigest()},
            "assignments": [{"uscc": uscc,
                             "inspectorIds": [certified[(i + index) % len(certified)],
                                              others[(i + index) % len(others)]],
                             "mode": "现场", "status": "待检查"} for i, uscc in enumerate(chosen)],
            "status": "已抽取",
            "updateTime": (base + timedelta(minutes=index)).isoformat(timespec="seconds"),
        }
        seeded.tasks.append(task)
        inspect = len(chosen) if index == 0 else (len(chosen) // 2 if index == 1 else 0)
        for assignment in task["assignments"][:inspect]:
            day = inspected_on(task, assignment["uscc"], seed, today)
            if day is not None:
                seeded.results.append(make_result(task, assignment, seed, day))
    if seeded.results:
        first = seeded.results[0]
        seeded.corrections.append((0, {"findings": (first["findings"] + "（复核更正）").lstrip(),
                                       "approvedBy": "省厅执法监督处",
                                       "reason": "复核发现检查记录笔误"}))
    return seeded
