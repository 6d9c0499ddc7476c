"""The exchange client's answers to publicity.md's status codes (respx, no server)."""

from __future__ import annotations

import httpx
import pytest
import respx

from ssj_bridge.errors import ConfigurationError, ExitCode, PlatformUnavailable
from ssj_bridge.outbox.batches import BatchNumberTaken, BatchTooLarge, BatchUnknown, DocumentRefused
from ssj_publicity.client import PublicityClient
from ssj_publicity.config import PublicityConfig

BASE = "http://exchange.test"
BATCHES = f"{BASE}/gsxt/exchange/v1/batches"
PROCESSING = b'<?xml version="1.0" encoding="UTF-8"?><RECEIPT PCH="P1" ZT="PROCESSING"/>'


def client(**overrides: object) -> PublicityClient:
    config = PublicityConfig.model_validate({
        "base_url": BASE, "token": "t0ken", "rate_limit": None, "initial_backoff": 0.01,
        "max_backoff": 0.02, "deadline": 5.0, **overrides})
    return PublicityClient(config)


def error(code: str, message: str) -> bytes:
    return f"<ERROR><CODE>{code}</CODE><MSG>{message}</MSG></ERROR>".encode()


@respx.mock
def test_every_call_carries_the_token_and_xml_content_type() -> None:
    route = respx.post(BATCHES).mock(return_value=httpx.Response(202, content=PROCESSING))
    receipt = client().submit("P1", b"<BATCH/>")
    assert receipt.status == "PROCESSING"
    sent = route.calls.last.request
    assert sent.headers["X-Exchange-Token"] == "t0ken"
    assert sent.headers["Content-Type"].startswith("application/xml")
    assert sent.content == b"<BATCH/>"


@respx.mock
def test_a_refused_token_is_a_configuration_error_naming_the_setting() -> None:
    respx.post(BATCHES).mock(return_value=httpx.Response(401, content=error("E401", "令牌无效")))
    with pytest.raises(ConfigurationError) as caught:
        client().submit("P1", b"<BATCH/>")
    assert caught.value.exit_code == ExitCode.CONFIGURATION == 78
    assert caught.value.setting == "SSJ_PUBLICITY__TOKEN"
    assert "SSJ_PUBLICITY__TOKEN" in str(caught.value) and "t0ken" not in str(caught.value)


@respx.mock
def test_429_waits_at_least_retry_after_then_succeeds() -> None:
    route = respx.post(BATCHES).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "0.2"}, content=error("E429", "busy")),
        httpx.Response(202, content=PROCESSING)])
    assert client().submit("P1", b"<BATCH/>").status == "PROCESSING"
    assert route.call_count == 2


@respx.mock
def test_429_asking_longer_than_the_cap_makes_the_platform_unavailable() -> None:
    respx.post(BATCHES).mock(return_value=httpx.Response(429, headers={"Retry-After": "600"}))
    with pytest.raises(PlatformUnavailable, match="Retry-After"):
        client(max_retry_after=1.0).submit("P1", b"<BATCH/>")


@respx.mock
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(status: int) -> None:
    route = respx.post(BATCHES).mock(side_effect=[
        httpx.Response(status, content=b"<html>busy</html>"),
        httpx.Response(202, content=PROCESSING[:30]),  # cut off in transit: also retried
        httpx.Response(200, content=PROCESSING)])
    assert client().submit("P1", b"<BATCH/>").status == "PROCESSING"
    assert route.call_count == 3


@respx.mock
def test_server_errors_until_the_deadline_make_the_platform_unavailable() -> None:
    respx.post(BATCHES).mock(return_value=httpx.Response(503, content=error("E503", "busy")))
    with pytest.raises(PlatformUnavailable) as caught:
        client(deadline=0.3).submit("P1", b"<BATCH/>")
    assert caught.value.exit_code == ExitCode.UNAVAILABLE


@respx.mock
@pytest.mark.parametrize(("status", "body", "raised", "code"), [
    (400, error("E101", "报文结构错误"), DocumentRefused, "E101"),
    (409, error("E109", "批次号重复"), BatchNumberTaken, "E109"),
    (413, error("E413", "记录数超过500条"), BatchTooLarge, 413),
])
def test_permanent_answers_to_a_submission_are_not_retried(
        status: int, body: bytes, raised: type[Exception], code: object) -> None:
    route = respx.post(BATCHES).mock(return_value=httpx.Response(status, content=body))
    with pytest.raises(raised) as caught:
        client().submit("P1", b"<BATCH/>")
    assert route.call_count == 1
    assert getattr(caught.value, "code", None) == code


@respx.mock
def test_an_unknown_batch_on_the_receipt_endpoint_is_told_apart() -> None:
    respx.get(f"{BATCHES}/P9/receipt").mock(
        return_value=httpx.Response(404, content=error("E404", "批次不存在")))
    with pytest.raises(BatchUnknown):
        client().receipt("P9")


@respx.mock
def test_a_receipt_carrying_a_doctype_is_refused() -> None:
    respx.get(f"{BATCHES}/P1/receipt").mock(return_value=httpx.Response(
        200, content=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><RECEIPT PCH="&e;"/>'))
    with pytest.raises(Exception, match="DOCTYPE"):
        client().receipt("P1")
