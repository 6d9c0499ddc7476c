"""Prefetching between a platform and the store: order, failures, and stopping early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ssj_bridge.platform.prefetch import prefetch


def test_items_arrive_in_order_and_a_failure_after_them_is_raised_last() -> None:
    def pages() -> Iterator[int]:
        yield from range(10)
        raise RuntimeError("platform gone")

    received: list[int] = []
    with pytest.raises(RuntimeError, match="platform gone"):
        for page in prefetch(pages(), depth=2):
            received.append(page)
    assert received == list(range(10))


def test_stopping_early_does_not_wait_for_a_call_in_flight() -> None:
    release = threading.Event()
    finished = threading.Event()

    def pages() -> Iterator[int]:
        try:
            yield 1
            release.wait(timeout=60)  # a slow platform call, still running when we stop
            yield 2
        finally:
            finished.set()

    reader = prefetch(pages())
    assert next(reader) == 1
    reader.close()  # Ctrl-C in the consumer: returns although the producer is still busy
    assert not release.is_set() and not finished.is_set()
    release.set()
    assert finished.wait(timeout=30)
