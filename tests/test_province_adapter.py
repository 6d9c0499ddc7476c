"""The province adapter against a mocked platform: signing per attempt, retries, 401/409 rules,
per-item batch results, payload mapping, listing pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import respx

from ssj_bridge.errors import ConfigurationError, ExitCode, PlatformUnavailable
from ssj_bridge.features.results import RecordedResult
from ssj_bridge.model import Task
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.outbox.queue import ACCEPTED, REJECTED, OutboxItem
from ssj_bridge.platform.adapter import AdapterContext, Fetched, Rejected
from ssj_bridge.settings import PlatformSettings
from ssj_province.client import ProvinceClient
from ssj_province.config import DEFAULT_RATE_LIMIT, ProvinceConfig
from ssj_province.mapping import map_result, map_task, subject_to_platform, task_to_platform
from ssj_province.plugin import ProvinceAdapter
from ssj_province.signing import canonical_query, signature
from ssj_province.sinks import CorrectionSink, LibrarySink, ResultSink, TaskSink, batch_request_id

BASE = "http://province.test"
SECRET = "s3cret-for-tests"


def uscc(n: int) -> str:
    body = f"9137100{n:010d}"
    return body + uscc_check_character(body)


def envelope(data: Any = None, code: int = 0, msg: str = "ok") -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data}


@pytest.fixture
def client() -> Iterator[ProvinceClient]:
    config = ProvinceConfig(base_url=BASE, app_key="app-1", app_secret=SECRET,
                            rate_limit=1000, deadline=20)
    c = ProvinceClient(config)
    yield c
    c.close()


def item(n: int, entity: str, key: str, payload: dict[str, Any]) -> OutboxItem:
    return OutboxItem(n, "province", entity, key, 1, payload, f"h{n}")


def subject_payload(n: int, **extra: Any) -> dict[str, Any]:
    return {"uscc": uscc(n), "name": f"某{n}化工有限公司", "regionCode": "371002",
            "industryCode": "C2614", "managementClass": "重点管理", "keyDischargeUnit": False,
            "active": True, "creditLevel": "UNRATED", "riskClass": None, "tags": [],
            "category": "KEY", "categories": ["KEY"], **extra}


def signed_ok(request: httpx.Request) -> bool:
    """The request's signature is right for exactly what was sent."""
    query = canonical_query(httpx.QueryParams(request.url.query).multi_items())
    expected = signature(SECRET, request.method, request.url.path, query,
                         request.headers["X-Timestamp"], request.headers["X-Nonce"],
                         request.content)
    return expected == request.headers["X-Signature"] and query == request.url.query.decode()


@respx.mock
def test_a_retry_is_a_new_request_over_the_same_body(client: ProvinceClient) -> None:
    route = respx.post(f"{BASE}/ssj/v1/subjects:batchUpsert").mock(side_effect=[
        httpx.Response(503, json=envelope(code=50001, msg="busy")),
        httpx.ReadTimeout("read timed out"),
        httpx.Response(200, json=envelope({"results": [{"uscc": uscc(1), "status": "CREATED"}]})),
    ])
    answers = client.batch_upsert("subjects", "req-000001", [{"uscc": uscc(1)}])
    assert answers[0]["status"] == "CREATED"
    calls = [c.request for c in route.calls]
    assert len(calls) == 3
    assert len({c.headers["X-Nonce"] for c in calls}) == 3
    assert len({c.headers["X-Signature"] for c in calls}) == 3
    assert len({c.content for c in calls}) == 1  # same body bytes, same requestId
    assert orjson.loads(calls[0].content)["requestId"] == "req-000001"
    assert all(signed_ok(c) for c in calls)


@respx.mock
def test_get_sends_exactly_the_canonical_query_it_signed(client: ProvinceClient) -> None:
    route = respx.get(f"{BASE}/ssj/v1/tasks").mock(return_value=httpx.Response(
        200, json=envelope({"total": 0, "pageNo": 1, "pageSize": 100, "records": []})))
    client.list_page("tasks", "371000", page_no=1, page_size=100,
                     updated_since="2026-10-01T08:00:00+08:00")
    request = route.calls.last.request
    assert request.url.query.decode() == ("pageNo=1&pageSize=100&regionCode=371000"
                                          "&updatedSince=2026-10-01T08%3A00%3A00%2B08%3A00")
    assert signed_ok(request)


@respx.mock
def test_bad_signature_is_a_configuration_error_naming_the_secret(client: ProvinceClient) -> None:
    route = respx.get(f"{BASE}/ssj/v1/tasks").mock(return_value=httpx.Response(
        401, json=envelope(code=40104, msg="signature mismatch")))
    with pytest.raises(ConfigurationError) as caught:
        client.list_page("tasks", "371000", page_no=1, page_size=100)
    assert caught.value.exit_code == ExitCode.CONFIGURATION
    assert caught.value.setting == "SSJ_PROVINCE__APP_SECRET"
    assert "SSJ_PROVINCE__APP_SECRET" in str(caught.value)
    assert route.call_count == 1
    assert SECRET not in str(caught.value)


@respx.mock
def test_a_stale_timestamp_is_retried_once_with_a_fresh_timestamp_and_nonce(
        client: ProvinceClient) -> None:
    route = respx.get(f"{BASE}/ssj/v1/tasks").mock(side_effect=[
        httpx.Response(401, json=envelope(code=40102, msg="timestamp expired")),
        httpx.Response(200, json=envelope({"total": 0, "records": []})),
    ])
    client.list_page("tasks", "371000", page_no=1, page_size=100)
    first, second = (c.request for c in route.calls)
    assert first.headers["X-Nonce"] != second.headers["X-Nonce"]
    assert signed_ok(second)


@respx.mock
def test_a_replayed_nonce_reported_twice_is_a_configuration_error(client: ProvinceClient) -> None:
    route = respx.get(f"{BASE}/ssj/v1/tasks").mock(return_value=httpx.Response(
        401, json=envelope(code=40103, msg="nonce already used")))
    with pytest.raises(ConfigurationError, match="40103"):
        client.list_page("tasks", "371000", page_no=1, page_size=100)
    assert route.call_count == 2


@respx.mock
def test_rate_limited_call_waits_and_succeeds(client: ProvinceClient) -> None:
    route = respx.get(f"{BASE}/ssj/v1/tasks").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "0"}, json=envelope(code=42901)),
        httpx.Response(200, text="<html>502 Bad Gateway</html>"),
        httpx.Response(200, json=envelope({"total": 0, "records": []})),
    ])
    assert client.list_page("tasks", "371000", page_no=1, page_size=100)["records"] == []
    assert route.call_count == 3


@respx.mock
def test_rejected_item_is_refused_with_the_platforms_code_and_the_rest_accepted(
        client: ProvinceClient) -> None:
    items = [item(i, "subject", uscc(i), subject_payload(i)) for i in (1, 2, 3)]
    respx.post(f"{BASE}/ssj/v1/subjects:batchUpsert").mock(return_value=httpx.Response(
        200, json=envelope({"results": [
            {"uscc": uscc(1), "status": "CREATED", "errorCode": None, "errorMsg": None},
            {"uscc": uscc(2), "status": "REJECTED", "errorCode": 42203,
             "errorMsg": "行政区划不在该应用的管辖范围内"},
            {"uscc": uscc(3), "status": "UNCHANGED", "errorCode": None, "errorMsg": None}]})))
    sink = LibrarySink(client, "subject", "subjects", "uscc", subject_to_platform)
    outcomes = sink.send(items)
    assert [o.status for o in outcomes] == [ACCEPTED, REJECTED, ACCEPTED]
    assert outcomes[1].error is not None and "42203" in outcomes[1].error
    assert "管辖范围" in outcomes[1].error


def test_batch_request_id_is_stable_and_one_items_own_id_when_alone() -> None:
    items = [item(i, "subject", uscc(i), {}) for i in (1, 2)]
    assert batch_request_id(items) == batch_request_id(list(items))
    assert batch_request_id(items) != batch_request_id(items[:1])
    assert batch_request_id(items[:1]) == items[0].request_id
    assert 8 <= len(batch_request_id(items)) <= 64


@respx.mock
def test_task_held_with_other_content_is_refused_not_retried(client: ProvinceClient) -> None:
    route = respx.post(f"{BASE}/ssj/v1/tasks").mock(return_value=httpx.Response(
        409, json=envelope(code=40902, msg="抽查任务已存在且内容不同")))
    task = {"taskId": "371000-2026Q4-0001", "name": "t", "regionCode": "371000",
            "matterCode": "M01", "drawnBy": "org", "drawMode": "不定向", "period": "2026Q4",
            "assignments": [{"uscc": uscc(1), "inspectorIds": ["a", "b"], "mode": "现场",
                             "status": "待检查"}], "status": "已抽取"}
    [outcome] = TaskSink(client).send([item(1, "task", task["taskId"], task)])
    assert outcome.status == REJECTED
    assert outcome.error is not None and "40902" in outcome.error and "new task" in outcome.error
    assert route.call_count == 1


@respx.mock
def test_result_recorded_with_other_content_points_to_a_correction(client: ProvinceClient) -> None:
    route = respx.post(f"{BASE}/ssj/v1/results").mock(return_value=httpx.Response(
        409, json=envelope(code=40901, msg="检查结果已录入，不得随意修改")))
    result = {"taskId": "T1", "uscc": uscc(1), "resultCode": "01", "inspectedOn": "2026-10-10",
              "inspectorIds": ["a"], "findings": "", "rectificationDue": None, "caseNo": None}
    [outcome] = ResultSink(client).send([item(1, "result", f"T1/{uscc(1)}", result)])
    assert outcome.status == REJECTED
    assert outcome.error is not None and "40901" in outcome.error
    assert "results correct" in outcome.error
    assert route.call_count == 1


@respx.mock
def test_correction_is_sent_with_approver_and_reason(client: ProvinceClient) -> None:
    route = respx.post(f"{BASE}/ssj/v1/results/JG1/corrections").mock(
        return_value=httpx.Response(200, json=envelope({"resultId": "JG1", "version": 2})))
    payload = {"resultId": "JG1", "version": 2, "taskId": "T1", "uscc": uscc(1),
               "changes": {"findings": "更正"}, "approvedBy": "王科长", "reason": "笔误"}
    [outcome] = CorrectionSink(client).send([item(1, "correction", "JG1/v2", payload)])
    assert outcome.status == ACCEPTED
    body = orjson.loads(route.calls.last.request.content)
    assert body["correction"] == {"findings": "更正", "approvedBy": "王科长", "reason": "笔误"}
    assert body["requestId"].startswith("ssj-")


def test_subject_is_written_in_the_platforms_codes() -> None:
    record = subject_payload(1, category=None, categories=["SPECIAL"], creditLevel="SEVERE",
                             riskClass="HIGH", tags=["正面清单", "VOCs:A", "两高"])
    mapped = subject_to_platform(record)
    assert mapped["category"] == "TS"
    assert (mapped["creditLevel"], mapped["riskClass"]) == ("E", "C")
    assert mapped["tags"] == ["正面清单", "VOCs-A", "两高"]
    assert mapped["positiveList"] is True
    unrated = subject_to_platform(subject_payload(2, category="SIMPLIFIED"))
    assert (unrated["category"], unrated["creditLevel"], unrated["riskClass"]) == ("JH", None, None)
    assert unrated["positiveList"] is False
    assert "managementClass" not in unrated


def platform_task(**changes: Any) -> dict[str, Any]:
    task = {"taskId": "370000-2026Q4-9001", "name": "省级抽查", "regionCode": "371000",
            "matterCode": "P01", "drawnBy": "11370000MB0000001X", "drawMode": "定向",
            "period": "2026Q4", "plannedStart": "2026-10-01", "plannedEnd": "2026-12-31",
            "drawProof": {"algorithm": "sd-platform-draw-2", "label": "x", "k": 1,
                          "candidatesHash": "ab", "commitment": "cd", "witnessEntropy": None,
                          "secret": None, "platformSeed": "extra"},
            "assignments": [{"uscc": uscc(1), "inspectorIds": ["370000-JC-001"],
                             "mode": "现场", "status": "待检查", "remark": "extra"}],
            "status": "已抽取", "updateTime": "2026-11-20T10:00:00+08:00", "creator": "extra"}
    task.update(changes)
    return task


def test_listed_task_maps_to_canonical_and_ignores_unknown_fields() -> None:
    mapped = map_task(platform_task(), "page1#0", frozenset())
    assert isinstance(mapped, Fetched) and isinstance(mapped.record, Task)
    assert mapped.record.drawn_by == "11370000MB0000001X"
    assert mapped.record.draw_proof is not None
    assert mapped.record.draw_proof.algorithm == "sd-platform-draw-2"
    assert task_to_platform(mapped.record.model_dump(mode="json", by_alias=True))["taskId"] == (
        "370000-2026Q4-9001")


def test_listed_task_with_a_bad_uscc_is_set_aside_naming_the_field() -> None:
    bad = platform_task(assignments=[{"uscc": uscc(1)[:17] + "0", "inspectorIds": [],
                                      "mode": "现场", "status": "待检查"}])
    mapped = map_task(bad, "page1#0", frozenset())
    assert isinstance(mapped, Rejected)
    assert mapped.key == "370000-2026Q4-9001"
    assert "assignments.0.uscc" in mapped.reason and "check character" in mapped.reason


def test_listed_result_keeps_result_id_and_version() -> None:
    raw = {"resultId": "JG1", "version": 2, "updateTime": "2026-11-20T10:00:00+08:00",
           "taskId": "T1", "uscc": uscc(1), "resultCode": "02", "inspectedOn": "2026-10-10",
           "inspectorIds": ["a", "b"], "findings": "x", "rectificationDue": "2026-11-10",
           "caseNo": None, "reviewer": "extra"}
    mapped = map_result(raw, "page1#0", frozenset())
    assert isinstance(mapped, Fetched) and isinstance(mapped.record, RecordedResult)
    assert (mapped.record.result_id, mapped.record.version) == ("JG1", 2)
    bad = map_result({**raw, "resultCode": "09"}, "page1#0", frozenset())
    assert isinstance(bad, Rejected) and "resultCode" in bad.reason and "'09'" in bad.reason


@respx.mock
def test_task_stream_pages_by_keyset_without_skipping_a_moved_record() -> None:
    # A full first page; then task A is updated (moves to the end) before the next request.
    live = {t["taskId"]: t for t in (
        platform_task(taskId="A", updateTime="2026-11-20T10:00:00+08:00"),
        platform_task(taskId="B", updateTime="2026-11-20T10:00:01+08:00"),
        platform_task(taskId="C", updateTime="2026-11-20T10:00:02+08:00"))}
    asked = []

    def answer(request: httpx.Request) -> httpx.Response:
        params = dict(httpx.QueryParams(request.url.query))
        asked.append(params.get("updatedSince"))
        since = params.get("updatedSince") or ""
        ordered = sorted((t for t in live.values() if t["updateTime"] >= since),
                         key=lambda t: (t["updateTime"], t["taskId"]))
        page, size = int(params["pageNo"]), int(params["pageSize"])
        records = ordered[(page - 1) * size:page * size]
        if len(asked) == 1:
            live["A"] = {**live["A"], "status": "检查中",
                         "updateTime": "2026-11-20T10:00:03+08:00"}
        return httpx.Response(200, json=envelope({"total": len(ordered), "records": records}))

    respx.get(f"{BASE}/ssj/v1/tasks").mock(side_effect=answer)
    section = PlatformSettings(base_url=BASE, app_key="k", app_secret=SECRET, rate_limit=1000,
                               page_size=2)
    adapter = ProvinceAdapter(AdapterContext(platform="province", section=section,
                                             region_code="371000"))
    try:
        [tasks, _results] = adapter.streams()
        batches = list(tasks.read(None))
    finally:
        adapter.close()
    keys = [r.key for b in batches for r in b.records]
    assert sorted(set(keys)) == ["A", "B", "C"]
    assert keys.count("B") == 1
    assert batches[-1].cursor == "2026-11-20T10:00:03+08:00"
    moved = [r.record for b in batches for r in b.records if r.key == "A"]
    assert moved[-1].status.value == "检查中"


def test_rate_limit_defaults_under_the_platforms_ten_per_second() -> None:
    section = PlatformSettings(base_url=BASE, app_key="k", app_secret="s")
    assert section.rate_limit is None
    config = ProvinceConfig.model_validate(section.fields())
    assert config.rate_limit == DEFAULT_RATE_LIMIT < 10


def test_missing_secret_names_the_setting() -> None:
    section = PlatformSettings(base_url=BASE, app_key="k")
    with pytest.raises(ConfigurationError, match="SSJ_PROVINCE__APP_SECRET"):
        ProvinceAdapter(AdapterContext(platform="province", section=section, region_code="371000"))


@respx.mock
def test_platform_down_is_unavailable_after_retries() -> None:
    config = ProvinceConfig(base_url=BASE, app_key="k", app_secret=SECRET, rate_limit=1000,
                            deadline=0.5)
    c = ProvinceClient(config)
    respx.get(f"{BASE}/ssj/v1/tasks").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(PlatformUnavailable):
        c.list_page("tasks", "371000", page_no=1, page_size=100)
    c.close()
