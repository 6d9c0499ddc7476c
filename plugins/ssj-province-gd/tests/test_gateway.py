"""Signing, the clock, errors and the non-idempotent rw.create against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from support import REGION, harness

from ssj_bridge.api import ExitCode
from ssj_bridge.api.simulation import SimRequest, SimResponse
from ssj_bridge.api.testing import WriteSample
from ssj_province_gd.signing import sign
from ssj_province_gd.simulator import Simulator

TASK_ID = f"{REGION}-2025Q3-0007"


def test_sign_is_upper_case_md5_of_sorted_raw_fields_and_the_key() -> None:
    # name=value pairs sorted by name, raw values, then &key=secret (docs/platforms/province-gd.md).
    fields = {"timestamp": "1735689600", "method": "jcdx.list", "appid": "app1",
              "data": '{"xzqhdm":"440305","cursor":null}'}
    text = ('appid=app1&data={"xzqhdm":"440305","cursor":null}&method=jcdx.list'
            '&timestamp=1735689600&key=s3cret')
    import hashlib

    assert sign(fields, "s3cret") == hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def task_sample(uscc: str) -> WriteSample:
    return WriteSample("task", TASK_ID, {
        "taskId": TASK_ID, "name": "2025年第三季度抽查", "regionCode": REGION,
        "matterCode": "GD-HB-001", "drawnBy": "11440305MB2C00000X", "drawMode": "定向",
        "period": "2025Q3", "plannedStart": "2025-07-01", "plannedEnd": "2025-09-30",
        "drawProof": {"algorithm": "ssj-draw-v1", "label": "x", "k": 1, "candidatesHash": "h",
                      "commitment": "c", "witnessEntropy": None, "secret": None},
        "status": "已抽取",
        "assignments": [{"uscc": uscc, "inspectorIds": ["A1", "A2"], "mode": "现场",
                         "status": "待检查"}]})


def drop_first_create(app: Callable[[SimRequest], SimResponse]
                      ) -> Callable[[SimRequest], SimResponse]:
    """The first rw.create is applied, then its answer is lost (the connection drops)."""
    dropped: list[bool] = []

    def serve(request: SimRequest) -> SimResponse:
        response = app(request)
        if b"method=rw.create" in request.body and not dropped:
            dropped.append(True)
            return SimResponse(response.status, response.body, truncate_to=0)
        return response

    return serve


def test_a_creation_whose_answer_was_lost_is_found_by_wbbh_not_created_twice(
        tmp_path: Path) -> None:
    simulator = Simulator(region=REGION, tasks=2, calls_per_minute=0)
    uscc = next(iter(simulator.tasks.values()))["mx"][0]["tyshxydm"]
    with harness(tmp_path, simulator, wrap=drop_first_create) as (runs, served):
        store = runs.new_store()
        runs.enqueue(store, [task_sample(uscc)])
        run = runs.sync(served, store)
    assert run.exit == ExitCode.OK, run.report.error
    assert simulator.creates == 1
    created = [t for t in simulator.tasks.values() if t["wbbh"] == TASK_ID]
    assert len(created) == 1
    assert created[0]["cqfs"] == "1" and created[0]["ksrq"] == "20250701"
    assert TASK_ID in run.stored("task-listing")  # read back under our own task id


def test_a_task_already_on_the_platform_is_not_created_again_in_a_later_run(
        tmp_path: Path) -> None:
    simulator = Simulator(region=REGION, tasks=2, calls_per_minute=0)
    uscc = next(iter(simulator.tasks.values()))["mx"][0]["tyshxydm"]
    with harness(tmp_path, simulator) as (runs, served):
        store = runs.new_store()
        runs.enqueue(store, [task_sample(uscc)])
        runs.sync(served, store)
        runs.forget_answers(store)  # a run that died before it recorded the answer
        again = runs.sync(served, store)
    assert again.exit == ExitCode.OK
    assert simulator.creates == 1


def test_a_clock_far_off_is_told_apart_from_a_bad_secret(tmp_path: Path) -> None:
    simulator = Simulator(region=REGION, tasks=2, calls_per_minute=0,
                          clock=lambda: __import__("time").time() + 3600)
    with harness(tmp_path, simulator) as (runs, served):
        run = runs.sync(served, runs.new_store())
    assert run.exit == ExitCode.UNAVAILABLE
    assert "clock" in (run.report.error or "")
    assert simulator.expired == 3  # the first try and two fresh signatures
    assert simulator.bad_signatures == 0


def test_a_simplified_subject_is_refused_before_any_call(tmp_path: Path) -> None:
    simulator = Simulator(region=REGION, tasks=1, calls_per_minute=0)
    with harness(tmp_path, simulator) as (runs, served):
        store = runs.new_store()
        uscc = next(iter(simulator.tasks.values()))["mx"][0]["tyshxydm"]
        runs.enqueue(store, [WriteSample("subject", uscc, {
            "uscc": uscc, "name": "某公司", "regionCode": REGION, "active": True,
            "category": "SIMPLIFIED", "categories": ["SIMPLIFIED"]})])
        calls_before = simulator.calls
        run = runs.sync(served, store)
        reason = run.quarantined("subject")[uscc]
    assert "no jglb on this platform" in reason and "简化" in reason
    assert simulator.subjects == {}
    assert simulator.calls > calls_before  # the reads still ran
