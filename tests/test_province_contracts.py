"""What the reference province adapter sends and its simulator serves match contracts/province/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ssj_bridge.model import Inspector, Subject, Task
from ssj_province.mapping import inspector_to_platform, subject_to_platform, task_to_platform
from ssj_province.simulator.app import ProvinceSimulator

jsonschema = pytest.importorskip("jsonschema")
CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "province"
USCC = "91130200699229617X"


def schema(name: str) -> dict[str, Any]:
    return json.loads((CONTRACTS / f"{name}.schema.json").read_text("utf-8"))


def test_library_payloads_the_adapter_sends_are_valid() -> None:
    subject = Subject(uscc=USCC, name="某化工有限公司", region_code="371002", category="KEY",
                      categories=["KEY"], credit_level="WARNING", risk_class="HIGH",
                      tags=["两高", "VOCs:A"])
    jsonschema.validate(subject_to_platform(subject.model_dump(mode="json", by_alias=True)),
                        schema("subject"))
    inspector = Inspector(inspector_id="WH-001", name="张伟", cert_no="37100120200001",
                          region_code="371000", expertise=["大气", "水"])
    jsonschema.validate(inspector_to_platform(inspector.model_dump(mode="json", by_alias=True)),
                        schema("inspector"))


def test_a_locally_drawn_task_is_valid() -> None:
    task = Task.model_validate({
        "taskId": "371000-2026Q4-0001", "name": "2026Q4 污染源日常环境监督管理", "regionCode": "371000",
        "matterCode": "M01", "drawnBy": "11371000MB0000000E", "period": "2026Q4",
        "plannedStart": "2026-11-26", "plannedEnd": "2026-12-31",
        "drawProof": {"algorithm": "ssj-draw-v1", "label": "371000/2026Q4/M01/KEY", "k": 1,
                      "candidatesHash": "0" * 64, "commitment": "1" * 64,
                      "witnessEntropy": "x", "secret": "2" * 64},
        "assignments": [{"uscc": USCC, "inspectorIds": ["WH-001", "WH-002"]}]})
    jsonschema.validate(task_to_platform(task.model_dump(mode="json", by_alias=True)),
                        schema("task"))


def test_tasks_and_results_the_simulator_serves_are_valid() -> None:
    simulator = ProvinceSimulator.from_options({"region": "371000", "subjects": 200})
    platform = simulator.platform
    assert platform.tasks and platform.results
    for task in platform.tasks.values():
        jsonschema.validate(task, schema("task"))
    for result in platform.results.values():
        jsonschema.validate(result, schema("result"))
