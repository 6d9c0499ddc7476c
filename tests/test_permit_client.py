"""The permit adapter against a mocked platform: what each answer of permit.md leads to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from ssj_bridge.errors import (
    ConfigurationError,
    ExitCode,
    PermanentError,
    PlatformUnavailable,
)
from ssj_bridge.model.identifiers import USCC_ALPHABET, uscc_check_character
from ssj_bridge.platform.adapter import AdapterContext, Batch
from ssj_bridge.settings import PlatformSettings
from ssj_permit.client import PermitClient
from ssj_permit.config import PermitConfig
from ssj_permit.stream import PermitStream

BASE = "http://permit.test"
TOKEN = f"{BASE}/api/v1/auth/token"
PERMITS = f"{BASE}/api/v1/permits"
SECRET = "s3cret-for-the-token-call"


def config(**changes: Any) -> PermitConfig:
    return PermitConfig.model_validate({
        "base_url": BASE, "app_id": "app", "app_secret": SECRET, "rate_limit": None,
        "initial_backoff": 0.001, "max_backoff": 0.004, "max_retry_after": 10,
        "page_size": 3, **changes})


def envelope(data: Any = None, *, code: int = 0, msg: str = "ok", status: int = 200,
             headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "msg": msg, "data": data},
                          headers=headers)


def page(*records: dict[str, Any]) -> httpx.Response:
    return envelope({"total": len(records), "pageNo": 1, "pageSize": 3,
                     "records": list(records)})


def uscc(n: int) -> str:
    body = f"9137100{n:010d}"
    return body + uscc_check_character(body)


def permit(n: int = 1, at: str = "2025-01-01T08:00:00+08:00", **fields: Any) -> dict[str, Any]:
    return {"permitNo": f"{uscc(n)}001P", "uscc": uscc(n), "orgName": f"威海某{n}化工有限公司",
            "regionCode": "371002", "managementClass": "重点管理", "status": "有效",
            "updateTime": at, **fields}


def read(stream: PermitStream, cursor: str | None = None) -> list[Batch]:
    return list(stream.read(cursor))


def stream(cfg: PermitConfig | None = None) -> PermitStream:
    cfg = cfg or config()
    context = AdapterContext(platform="permit", section=PlatformSettings(), region_code="371000")
    return PermitStream(PermitClient(cfg), cfg, context)


@pytest.fixture
def platform() -> Iterator[respx.MockRouter]:
    """The mocked platform, its token endpoint issuing `t1`; every request must match."""
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN, name="token").mock(
            return_value=envelope({"accessToken": "t1", "expiresIn": 7200}))
        yield router


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between retries, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waited.append)
    return waited


# -- records: odd but valid, and bad ------------------------------------------------------------


def test_odd_records_are_normalised_and_bad_ones_set_aside_with_field_value_and_rule(
        platform: respx.MockRouter) -> None:
    bad_check = uscc(5)[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(uscc(5)[17]) + 1) % 31]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in uscc(3))
    without_name = permit(7)
    del without_name["orgName"]
    platform.get(PERMITS).mock(return_value=page(
        permit(1), permit(2, uscc=uscc(2).lower()), permit(3, uscc=full_width),
        permit(4, dataSource="省级平台", remark={"note": "nested"}),
        permit(5, uscc=bad_check, permitNo=f"{bad_check}001P"),
        permit(6, managementClass="重点"), without_name))
    [batch] = read(stream(config(page_size=10)))
    assert [r.record.uscc for r in batch.records] == [uscc(1), uscc(2), uscc(3), uscc(4)]
    reasons = {r.key: r.reason for r in batch.rejects}
    assert reasons == {
        f"{bad_check}001P": (f"permit {bad_check}001P: field 'uscc' value {bad_check!r}: USCC "
                             f"{bad_check!r} check character is {bad_check[17]!r}, GB 32100 "
                             f"gives {uscc(5)[17]!r}"),
        f"{uscc(6)}001P": (f"permit {uscc(6)}001P: field 'managementClass' value '重点': Input "
                           "should be '重点管理', '简化管理' or '登记管理'"),
        f"{uscc(7)}001P": f"permit {uscc(7)}001P: field 'orgName' is missing",
    }


def test_a_record_that_is_not_an_object_is_set_aside_not_fatal(
        platform: respx.MockRouter) -> None:
    platform.get(PERMITS).mock(return_value=page(permit(1), "garbage"))  # type: ignore[arg-type]
    [batch] = read(stream())
    assert len(batch.records) == 1
    [reject] = batch.rejects
    assert "is a str, not an object" in reject.reason


# -- answers that are not what they should be ------------------------------------------------


def test_html_page_of_a_502_is_transient_and_the_retry_succeeds(
        platform: respx.MockRouter, sleeps: list[float]) -> None:
    route = platform.get(PERMITS).mock(side_effect=[
        httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                       headers={"Content-Type": "text/html"}),
        page(permit(1))])
    [batch] = read(stream())
    assert len(batch.records) == 1
    assert route.call_count == 2 and len(sleeps) == 1


def test_truncated_json_is_transient_and_the_retry_succeeds(
        platform: respx.MockRouter, sleeps: list[float]) -> None:
    whole = page(permit(1), permit(2)).content
    route = platform.get(PERMITS).mock(side_effect=[
        httpx.Response(200, content=whole[: len(whole) // 2]), page(permit(1), permit(2))])
    [batch] = read(stream())
    assert len(batch.records) == 2
    assert route.call_count == 2


def test_busy_code_on_http_200_is_retried(platform: respx.MockRouter,
                                          sleeps: list[float]) -> None:
    route = platform.get(PERMITS).mock(side_effect=[envelope(code=50001, msg="system busy"),
                                                    page(permit(1))])
    assert len(read(stream())[0].records) == 1
    assert route.call_count == 2


def test_transient_failures_past_the_attempts_make_the_platform_unavailable(
        platform: respx.MockRouter, sleeps: list[float]) -> None:
    route = platform.get(PERMITS).mock(return_value=httpx.Response(503, text="busy"))
    with pytest.raises(PlatformUnavailable) as caught:
        read(stream())
    assert caught.value.exit_code == ExitCode.UNAVAILABLE
    assert route.call_count == 12  # RetryPolicy.max_attempts


def test_html_from_something_that_is_not_the_api_names_the_base_url(
        platform: respx.MockRouter) -> None:
    platform.get(PERMITS).mock(return_value=httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(ConfigurationError) as caught:
        read(stream())
    assert caught.value.setting == "SSJ_PERMIT__BASE_URL"


# -- rate limits ------------------------------------------------------------------------------


def test_429_with_retry_after_waits_at_least_that_long(platform: respx.MockRouter,
                                                       sleeps: list[float]) -> None:
    platform.get(PERMITS).mock(side_effect=[
        envelope(code=42901, msg="rate limited", status=429, headers={"Retry-After": "7"}),
        page(permit(1))])
    assert len(read(stream())[0].records) == 1
    [waited] = sleeps
    assert waited >= 7


def test_429_without_retry_after_backs_off_and_retries(platform: respx.MockRouter,
                                                       sleeps: list[float]) -> None:
    platform.get(PERMITS).mock(side_effect=[envelope(code=42901, status=429), page(permit(1))])
    assert len(read(stream())[0].records) == 1
    [waited] = sleeps
    assert waited <= config().max_backoff


def test_retry_after_above_the_cap_makes_the_platform_unavailable_without_waiting(
        platform: respx.MockRouter, sleeps: list[float]) -> None:
    route = platform.get(PERMITS).mock(return_value=envelope(
        code=42901, status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(PlatformUnavailable) as caught:
        read(stream(config(max_retry_after=120)))
    assert "3600" in str(caught.value) and "120" in str(caught.value)
    assert sleeps == []
    assert route.call_count == 1


def test_a_retry_after_past_the_deadline_is_not_waited_for(platform: respx.MockRouter,
                                                           sleeps: list[float]) -> None:
    platform.get(PERMITS).mock(return_value=envelope(code=42901, status=429,
                                                     headers={"Retry-After": "5"}))
    with pytest.raises(PlatformUnavailable):
        read(stream(config(deadline=2)))
    assert sleeps == []


# -- tokens and permissions -------------------------------------------------------------------


def test_token_revoked_mid_run_is_replaced_and_the_call_repeated_once(
        platform: respx.MockRouter) -> None:
    token = platform["token"]
    token.side_effect = [envelope({"accessToken": "t1", "expiresIn": 7200}),
                         envelope({"accessToken": "t2", "expiresIn": 7200})]
    route = platform.get(PERMITS).mock(side_effect=[
        envelope(code=40101, msg="token invalid or expired", status=401), page(permit(1))])
    assert len(read(stream())[0].records) == 1
    assert token.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == ["Bearer t1",
                                                                         "Bearer t2"]


def test_a_fresh_token_rejected_too_is_a_configuration_error_naming_the_secret(
        platform: respx.MockRouter) -> None:
    route = platform.get(PERMITS).mock(return_value=envelope(code=40101, status=401))
    with pytest.raises(ConfigurationError) as caught:
        read(stream())
    assert caught.value.setting == "SSJ_PERMIT__APP_SECRET"
    assert caught.value.exit_code == ExitCode.CONFIGURATION
    assert route.call_count == 2


def test_bad_app_secret_is_a_configuration_error_not_retried(platform: respx.MockRouter) -> None:
    token = platform["token"]
    token.return_value = envelope(code=40101, msg="bad appId or appSecret", status=401)
    with pytest.raises(ConfigurationError) as caught:
        read(stream())
    assert caught.value.setting == "SSJ_PERMIT__APP_SECRET"
    assert token.call_count == 1
    assert SECRET not in str(caught.value)


def test_no_permission_for_the_region_is_a_configuration_error_naming_the_setting(
        platform: respx.MockRouter) -> None:
    route = platform.get(PERMITS).mock(return_value=envelope(
        code=40301, msg="no permission for this region", status=403))
    with pytest.raises(ConfigurationError) as caught:
        read(stream())
    assert caught.value.setting == "SSJ_REGION_CODE"
    assert caught.value.exit_code == ExitCode.CONFIGURATION
    assert route.call_count == 1


def test_bad_parameter_is_permanent_and_not_retried(platform: respx.MockRouter,
                                                    sleeps: list[float]) -> None:
    route = platform.get(PERMITS).mock(return_value=envelope(code=40001, msg="bad parameter",
                                                             status=400))
    with pytest.raises(PermanentError) as caught:
        read(stream())
    assert not isinstance(caught.value, ConfigurationError)
    assert route.call_count == 1 and sleeps == []


def test_the_app_secret_goes_only_in_the_token_request(platform: respx.MockRouter) -> None:
    route = platform.get(PERMITS).mock(return_value=page(permit(1)))
    read(stream())
    assert SECRET.encode() in platform["token"].calls.last.request.content
    sent = route.calls.last.request
    assert SECRET not in str(sent.url) and SECRET not in str(sent.headers)


# -- paging -----------------------------------------------------------------------------------


def test_each_page_is_asked_from_the_latest_time_read_and_repeats_are_dropped(
        platform: respx.MockRouter) -> None:
    t1, t2, t3 = (f"2025-01-0{d}T08:00:00+08:00" for d in (1, 2, 3))
    route = platform.get(PERMITS).mock(side_effect=[
        page(permit(1, t1), permit(2, t2), permit(3, t2)),
        page(permit(2, t2), permit(3, t2), permit(4, t3)),
        page(permit(4, t3))])
    batches = read(stream())
    assert [[r.key[:18] for r in b.records] for b in batches] == [
        [uscc(1), uscc(2), uscc(3)], [uscc(4)], []]
    assert [b.cursor for b in batches] == [t2, t3, t3]
    assert [c.request.url.params.get("updatedSince") for c in route.calls] == [None, t2, t3]
    assert {c.request.url.params["pageNo"] for c in route.calls} == {"1"}


def test_a_record_changed_again_within_the_same_second_is_read_again(
        platform: respx.MockRouter) -> None:
    t1, t2 = "2025-01-01T08:00:00+08:00", "2025-01-02T08:00:00+08:00"
    platform.get(PERMITS).mock(side_effect=[
        page(permit(1, t1), permit(2, t2), permit(3, t2)),
        page(permit(2, t2), permit(3, t2, status="注销"))])
    batches = read(stream())
    [changed] = batches[1].records
    assert changed.key == f"{uscc(3)}001P"
    assert changed.record.status.value == "注销"


def test_a_resumed_read_starts_the_overlap_before_the_cursor(platform: respx.MockRouter) -> None:
    route = platform.get(PERMITS).mock(return_value=page())
    read(stream(config(overlap_seconds=300)), cursor="2025-01-02T08:00:00+08:00")
    assert route.calls.last.request.url.params["updatedSince"] == "2025-01-02T07:55:00+08:00"


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["permit.example.gov.cn", "ftp://permit.example", "http://[::1"])
def test_a_base_url_that_is_not_http_is_a_configuration_error_naming_it(url: str) -> None:
    section = PlatformSettings(base_url=url, app_id="app", app_secret=SECRET)
    context = AdapterContext(platform="permit", section=section, region_code="371000")
    with pytest.raises(ConfigurationError) as caught:
        context.config(PermitConfig)
    assert caught.value.setting == "SSJ_PERMIT__BASE_URL"
    assert SECRET not in str(caught.value)
