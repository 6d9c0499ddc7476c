"""The conformance suite of ssj-bridge, pointed at the gd adapter and its simulator."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest
from support import Clock

from ssj_bridge.api.simulation import SimResponse, SimulatorControls, subjects
from ssj_bridge.api.testing import (
    NEXT_MARKER,
    ErrorModel,
    PagingModel,
    WriteSample,
    WriteSamples,
    installed_adapter,
)
from ssj_province_gd import pacing

if TYPE_CHECKING:
    from ssj_bridge.api.testing import ConformanceTarget

# Messages in English, as the assertions read them (the default is Chinese).
os.environ["SSJ_LANGUAGE"] = "en"

# The suite's fixtures; imported by pytest itself so that its assertions explain failures.
pytest_plugins = ["ssj_bridge.api.testing"]

ROOT = Path(__file__).resolve().parents[1]
REGION = "440305"
# Retries fast, no pacing in the way: the checks are about behaviour, not the minute.
FAST = {"page_size": 4, "initial_backoff": 0.005, "max_backoff": 0.02, "deadline": 30,
        "calls_per_minute": 100_000}


# Every errCode of docs/platforms/province-gd.md (success carries none).
CODES = ("SIGN_ERROR", "TIMESTAMP_EXPIRED", "FREQ_LIMIT", "PARAM_ERROR", "NOT_FOUND", "SYS_BUSY")


def coded_answer(code: str) -> SimResponse:
    """The gateway's answer carrying `code`: always HTTP 200, `success` false."""
    return SimResponse(200, orjson.dumps({"success": False, "errCode": code, "errMsg": "?",
                                          "result": None}))


def subject(uscc: str, name: str, region: str, category: str) -> dict[str, object]:
    """A library subject as the core queues it (canonical names and values)."""
    return {"uscc": uscc, "name": name, "regionCode": region, "industryCode": "C2614",
            "managementClass": "重点管理", "keyDischargeUnit": False, "active": True,
            "creditLevel": "GOOD", "riskClass": "LOW", "tags": [], "category": category,
            "categories": [category]}


def write_samples(simulator: SimulatorControls) -> WriteSamples:
    """Subjects, an inspector and a locally drawn task; a SIMPLIFIED subject (no such jglb
    here), and a subject, an inspector and a task outside the app's area are refused."""
    local = list(subjects(REGION, 4, 11))
    good = [WriteSample("subject", s.uscc, subject(s.uscc, s.name, s.region_code, category))
            for s, category in zip(local[:3], ("KEY", "GENERAL", "SPECIAL"), strict=True)]
    good.append(WriteSample("inspector", "GD-T-001", {
        "inspectorId": "GD-T-001", "name": "张检", "certNo": "44030500001", "orgCode": "NS01",
        "regionCode": REGION, "expertise": ["大气", "水"], "auxiliary": False, "active": True}))
    good.append(WriteSample("task", f"{REGION}-2025Q3-0001", {
        "taskId": f"{REGION}-2025Q3-0001", "name": "2025年第三季度南山区重点监管对象抽查",
        "regionCode": REGION, "matterCode": "GD-HB-001", "drawnBy": "11440305MB2C00000X",
        "drawMode": "不定向", "period": "2025Q3", "plannedStart": "2025-07-01",
        "plannedEnd": "2025-09-30", "drawProof": None, "status": "已抽取",
        "assignments": [{"uscc": local[0].uscc, "inspectorIds": ["GD-T-001", "GD-T-002"],
                         "mode": "现场", "status": "待检查"}]}))
    stranger = next(iter(subjects("110000", 1, 11)))
    outsider = {**good[3].payload, "inspectorId": "GD-T-009", "regionCode": "110000"}
    far_task = {**good[4].payload, "taskId": f"{REGION}-2025Q3-0009", "regionCode": "110000"}
    bad = [WriteSample("inspector", "GD-T-009", outsider),
           WriteSample("task", f"{REGION}-2025Q3-0009", far_task),
           WriteSample("subject", local[3].uscc,
                       subject(local[3].uscc, local[3].name, local[3].region_code, "SIMPLIFIED")),
           WriteSample("subject", stranger.uscc,
                       subject(stranger.uscc, stranger.name, stranger.region_code, "KEY"))]
    return WriteSamples(good=good, bad=bad)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The pacing's clock and sleep, 10 s into a minute of 2026."""
    fake = Clock(1_790_000_000 - 1_790_000_000 % 60 + 10)
    monkeypatch.setattr(pacing, "now", fake)
    monkeypatch.setattr(pacing, "sleep", fake.sleep)
    return fake


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """The gd adapter as installed (found through its entry point), against 南山."""
    from ssj_bridge.api.testing import ConformanceTarget

    return ConformanceTarget(
        spec=installed_adapter("gd"),
        region_code=REGION,
        options={"subjects": 30, "tasks": 14, "calls_per_minute": 0},
        bad_record_options={"malformed_rate": 0.3},
        settings=FAST,
        capabilities={"reauth": False, "retry_after": False, "request_ids": False,
                      "listings": False},
        reasons={"reauth": "every request is signed with the app secret; there is no session",
                 "listings": "the gd adapter offers no listings yet: reconcile compares "
                             "nothing for this province",
                 "request_ids": "saves are idempotent by the record's own key, and a task is "
                                "looked up by wbbh before rw.create (docs/platforms/"
                                "province-gd.md): no write carries a request id",
                 "retry_after": "FREQ_LIMIT carries no Retry-After: the client waits for the "
                                "next minute (tests/test_pacing.py)"},
        writes=write_samples,
        contracts={"task-listing": ROOT / "contracts" / "gd" / "task.schema.json",
                   "result-listing": ROOT / "contracts" / "gd" / "result.schema.json"},
        paging=PagingModel(NEXT_MARKER, source="province-gd.md: cursor paging, nextCursor "
                                               "null on the last page"),
        errors=ErrorModel(CODES, coded_answer),
    )
