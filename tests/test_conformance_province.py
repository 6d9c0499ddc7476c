"""The reference province adapter passes the adapter conformance suite against its simulator."""

from __future__ import annotations

import pytest

from ssj_bridge.api.simulation import SimulatorControls
from ssj_bridge.api.testing import WriteSample, WriteSamples
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.simulation.synthetic import subjects
from ssj_bridge.testing.conformance import (
    SHORT_PAGE,
    ConformanceSuite,
    ConformanceTarget,
    ErrorModel,
    PagingModel,
    json_body_key,
)
from ssj_bridge.testing.faults import ENVELOPE_CODES, envelope_answer

REGION = "371000"
TASK_ID = f"{REGION}-2025Q3-0001"


def subject(uscc: str, name: str, region: str, category: str) -> dict[str, object]:
    """A library subject as the core queues it (canonical names and values)."""
    return {"uscc": uscc, "name": name, "regionCode": region, "industryCode": "C2614",
            "managementClass": "重点管理", "keyDischargeUnit": True, "active": True,
            "creditLevel": "GOOD", "riskClass": "LOW", "tags": ["两高"], "category": category,
            "categories": [category]}


def inspector(inspector_id: str, cert_no: str | None) -> dict[str, object]:
    """A roster inspector as the core queues it."""
    return {"inspectorId": inspector_id, "name": f"检查员{inspector_id[-2:]}", "certNo": cert_no,
            "orgCode": "11371000MB0000000E", "regionCode": "371002",
            "expertise": ["大气", "水"], "auxiliary": cert_no is None, "active": True}


def write_samples(simulator: SimulatorControls) -> WriteSamples:
    """Subjects, inspectors and a task naming them; a subject, an inspector and a task outside
    the app key's area."""
    local = list(subjects(REGION, 3, 21))
    good = [WriteSample("subject", s.uscc, subject(s.uscc, s.name, s.region_code, c))
            for s, c in zip(local, ("KEY", "SIMPLIFIED", "GENERAL"), strict=True)]
    good += [WriteSample("inspector", "CT-T-01", inspector("CT-T-01", "37100000001")),
             WriteSample("inspector", "CT-T-02", inspector("CT-T-02", None))]
    good.append(WriteSample("task", TASK_ID, {
        "taskId": TASK_ID, "name": "2025年第三季度重点监管对象抽查", "regionCode": REGION,
        "matterCode": "HB-SSJ-001", "drawnBy": "11371000MB0000000E", "drawMode": "不定向",
        "period": "2025Q3", "plannedStart": "2025-07-01", "plannedEnd": "2025-09-30",
        "drawProof": None, "status": "已抽取",
        "assignments": [{"uscc": local[0].uscc, "inspectorIds": ["CT-T-01", "CT-T-02"],
                         "mode": "现场", "status": "待检查"}]}))
    stranger = next(iter(subjects("110000", 1, 21)))
    far_task = {**good[-1].payload, "taskId": f"{TASK_ID}-X", "regionCode": "110000"}
    bad = [WriteSample("subject", stranger.uscc,
                       subject(stranger.uscc, stranger.name, stranger.region_code, "KEY")),
           WriteSample("inspector", "CT-T-09", {**inspector("CT-T-09", None),
                                                "regionCode": "110000"}),
           WriteSample("task", f"{TASK_ID}-X", far_task)]
    return WriteSamples(good=good, bad=bad)


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """The reference province adapter as installed, against a small simulated platform."""
    return ConformanceTarget(
        spec=load_plugins().adapters["reference"],
        region_code=REGION,
        options={"subjects": 40, "platform_tasks": 6, "auto_results": False, "rate_limit": 0},
        settings={"page_size": 2, "rate_limit": 1000, "deadline": 30, "max_retry_after": 5,
                  "initial_backoff": 0.005, "max_backoff": 0.02},
        capabilities={"reauth": False, "bad_records": False, "platform_contract": False},
        reasons={"reauth": "every request is signed (province.md); there is no session to end",
                 "bad_records": "the platform validates every record it takes, so its listings "
                                "hold nothing malformed; refused writes are checked instead",
                 "platform_contract": "contracts/ holds no schema of province.md's records yet"},
        writes=write_samples,
        write_key=json_body_key("requestId"),
        unsampled_writes={entity: "a result or its correction needs a task the platform holds "
                                  "and an inspected subject; tests/test_province_sync.py sends "
                                  "both end to end" for entity in ("result", "correction")},
        paging=PagingModel(SHORT_PAGE, source="province.md: permit.md's pageNo/pageSize paging"),
        # province.md: permit.md's codes, and its own.
        errors=ErrorModel((*ENVELOPE_CODES, "40102", "40103", "40104", "40901", "40902",
                           "42201", "42202", "42203"), envelope_answer),
    )


class TestProvinceConformance(ConformanceSuite):
    """Every conformance check, on the reference province adapter."""
