"""Bounded concurrency between reading a platform and writing the store."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
# How long a consumer that stops early waits for the producer to notice; a producer still
# inside a slow platform call is not waited for (it is a daemon thread).
_GRACE_SECONDS = 1.0


def prefetch(source: Iterator[T], depth: int = 4,
             on_wait: Callable[[], None] | None = None) -> Iterator[T]:
    """Run `source` in a thread, at most `depth` items ahead of the consumer.

    Fetching and decoding a page overlap with storing the previous one; an exception in the
    source is re-raised in the consumer after the items before it; closing the consumer stops
    the producer at its next item, without waiting for a call in flight (Ctrl-C stays quick).
    `on_wait` is called whenever the consumer is about to wait for the next item (the sync
    commits then, so what is stored never waits on the platform).
    """
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def offer(item: object) -> bool:
        """Queue `item`; False once the consumer has gone."""
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer(item):
                    return
        except BaseException as exc:
            failure.append(exc)
        finally:
            offer(_DONE)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = items.get_nowait()
            except queue.Empty:
                if on_wait is not None:
                    on_wait()
                item = items.get()
            if item is _DONE:
                if failure:
                    raise failure[0]
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=_GRACE_SECONDS)
        close = getattr(source, "close", None)
        # A generator still running in the producer cannot be closed from here.
        if callable(close) and not thread.is_alive():
            close()
