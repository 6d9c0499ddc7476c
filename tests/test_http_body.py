"""A page's body is freed with its response, not at the next garbage collection."""

from __future__ import annotations

import gc
import weakref

import httpx

from ssj_bridge.platform.http import body


def fetched_response() -> httpx.Response:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b'{"code":0}'))
    with httpx.Client(transport=transport, base_url="http://platform.test") as client:
        return client.get("/page")


def test_body_returns_the_content_and_the_response_dies_with_its_last_reference() -> None:
    gc.disable()
    try:
        response = fetched_response()
        assert body(response) == b'{"code":0}'
        gone = weakref.ref(response)
        del response
        assert gone() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_without_it_httpx_keeps_a_read_response_in_a_cycle() -> None:
    # What `body` is for: if httpx stops making the cycle, it can go.
    gc.disable()
    try:
        response = fetched_response()
        assert response.content == b'{"code":0}'
        kept = weakref.ref(response)
        del response
        assert kept() is not None
        gc.collect()
        assert kept() is None
    finally:
        gc.enable()
