"""A deadline for a whole request, not only for each of its socket operations.

httpx's timeouts bound one operation each: connecting, one read, one write. A server (or a
gateway in front of it) that trickles a byte every second never lets a read time out, and
holds the request — and the run, and its lock — for as long as it likes. Here every socket
operation of a request made inside `request_deadline(seconds)` gets at most what is left of
those seconds (and never more than its own timeout); once they are spent, the next operation
fails at once with httpx's own timeout error, which the clients treat as transient.

httpx builds its connection pool without a way to pass httpcore a network backend, so
`DeadlineTransport` is httpx's transport with the pool httpx would build around the backend
that bounds the operations. The deadline is the calling thread's: a client shared by a run's
threads bounds each thread's requests by that thread's deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

_deadline = threading.local()


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Requests of this thread inside the block end within `seconds` (an outer, earlier
    deadline still holds)."""
    outer: float | None = getattr(_deadline, "at", None)
    at = time.monotonic() + seconds
    _deadline.at = at if outer is None else min(outer, at)
    try:
        yield
    finally:
        _deadline.at = outer


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout`, cut to what is left of the thread's deadline; `error` when nothing is."""
    at: float | None = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the calling thread's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with each connection's operations bounded."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address,
            socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, _bounded(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's HTTP transport whose requests honour `request_deadline` (module docstring)."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend())
