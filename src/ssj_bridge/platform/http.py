"""One way to call a platform: httpx client, client-side rate limit, retries with tenacity.

Retries use exponential backoff with full jitter; a 429's `Retry-After` is honoured (never
retried sooner) up to a cap, past which the platform counts as unavailable for this run; the
whole call gives up at a deadline well under a cron interval, and each attempt ends by that
deadline too, however slowly the server sends (ssj_bridge.platform.request_deadline).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import orjson
import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from ssj_bridge.errors import DeadlineReached, PlatformUnavailable, RateLimited, TransientError
from ssj_bridge.platform.request_deadline import DeadlineTransport, request_deadline

T = TypeVar("T")
log = structlog.get_logger("ssj_bridge.platform.http")


class RateLimiter:
    """A token bucket shared by a client's threads: at most `rate` calls a second on average."""

    def __init__(self, rate: float | None, burst: int = 1) -> None:
        self.rate = rate
        self.capacity = float(max(burst, 1))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until a call may go out."""
        if not self.rate:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry transient failures."""

    deadline: float = 600.0
    max_attempts: int = 12
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0


class _Wait:
    """Full-jitter exponential backoff, but never less than the platform's Retry-After."""

    def __init__(self, policy: RetryPolicy, platform: str) -> None:
        self.policy = policy
        self.platform = platform
        self.jitter = wait_random_exponential(multiplier=policy.initial_backoff,
                                              max=policy.max_backoff)

    def __call__(self, state: RetryCallState) -> float:
        backoff = float(self.jitter(state))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            if exc.retry_after > self.policy.max_retry_after:
                raise PlatformUnavailable(
                    f"{self.platform}: asks to wait {exc.retry_after:.0f}s (Retry-After), more "
                    f"than the {self.policy.max_retry_after:.0f}s this run waits",
                    platform=self.platform) from exc
            return max(exc.retry_after, backoff)
        return backoff


def call_with_retry(call: Callable[[], T], *, policy: RetryPolicy, platform: str,
                    what: str) -> T:
    """Run `call`, retrying TransientError; raise PlatformUnavailable when retries run out.

    Every attempt's requests end by the policy's deadline, whatever the server does."""
    start = time.monotonic()

    def attempt() -> T:
        with request_deadline(policy.deadline - (time.monotonic() - start)):
            return call()

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("retrying", platform=platform, call=what, attempt=state.attempt_number,
                    error=str(exc), wait=round(state.upcoming_sleep, 2))

    retrying = Retrying(
        retry=retry_if_exception_type(TransientError),
        wait=_Wait(policy, platform),
        # Stop before a wait that would end past the deadline, rather than after it.
        stop=stop_before_delay(policy.deadline) | stop_after_attempt(policy.max_attempts),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except PlatformUnavailable:
        raise
    except TransientError as exc:
        elapsed = time.monotonic() - start
        if retrying.statistics.get("attempt_number", 0) < policy.max_attempts:
            # Attempts were left: what stopped the retries is the time the run has left.
            raise DeadlineReached(f"{platform}: {what}: the run's deadline came while "
                                  f"retrying ({elapsed:.1f}s): {exc}", platform=platform,
                                  code=exc.code) from exc
        raise PlatformUnavailable(
            f"{platform}: {what} still failing after {elapsed:.1f}s: {exc}",
            platform=platform, code=exc.code) from exc


def transport_error(exc: httpx.HTTPError, platform: str, what: str) -> TransientError:
    """A timeout, reset or refused connection, as the transient error it is."""
    return TransientError(f"{platform}: {what}: {type(exc).__name__}: {exc}", platform=platform)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (HTTP-date form is not used by these platforms)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def make_client(base_url: str, *, timeout: float, max_connections: int = 8) -> httpx.Client:
    """An httpx client with keep-alive and bounded connections; callers add their own auth.

    `timeout` bounds each socket operation; `request_deadline` (which `call_with_retry` sets
    for every attempt) bounds the whole request."""
    limits = httpx.Limits(max_connections=max_connections,
                          max_keepalive_connections=max_connections)
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        transport=DeadlineTransport(limits),
        headers={"User-Agent": "ssj-bridge"},
    )


def body(response: httpx.Response) -> bytes:
    """The response's body, read; the response no longer refers to itself through its stream.

    httpx keeps a read response in a reference cycle (its stream points back to it), so each
    page's body would live until the next garbage collection instead of until it is decoded:
    tens of megabytes at a large sync's pace, or a collector run ten times as often.
    """
    content = response.content
    response.stream = httpx.ByteStream(content)
    return content


class NotAnEnvelope(TransientError):
    """A body that is not the platform's JSON envelope: a gateway's page, a body cut off."""


def read_envelope(response: httpx.Response, platform: str, what: str, *,
                  rate_limited_code: int) -> tuple[int, dict[str, Any]]:
    """The code and envelope (`{"code", "msg", "data"}`) of a JSON-envelope platform's answer.

    First what every such platform means alike: HTTP 429 is RateLimited (with its Retry-After,
    reported as `rate_limited_code`), 5xx is transient, and a body that is not an envelope
    with a numeric code is NotAnEnvelope (transient: the call did not succeed). What each code
    means is the caller's.
    """
    status = response.status_code
    if status == 429:
        raise RateLimited(f"{platform}: {what}: rate limited (429)",
                          retry_after=retry_after_seconds(response), platform=platform,
                          code=rate_limited_code)
    if status >= 500:
        raise TransientError(f"{platform}: {what}: HTTP {status}", platform=platform,
                             code=status)
    try:
        envelope = orjson.loads(body(response))
        code = int(envelope["code"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise NotAnEnvelope(f"{platform}: {what}: HTTP {status} body is not a complete JSON "
                            "envelope", platform=platform, code=status) from None
    return code, envelope


def envelope_message(platform: str, what: str, code: int, envelope: dict[str, Any]) -> str:
    """`platform: what: code N msg`, the message of an error the envelope reports."""
    return f"{platform}: {what}: code {code} {envelope.get('msg') or ''!s}".rstrip()


class PlatformSession:
    """One run's session with a platform: its HTTP client, the client-side rate limit, the
    run's retry deadline and a count of calls. Each platform's client adds its own calls."""

    def __init__(self, platform: str, base_url: str, *, timeout: float,
                 rate_limit: float | None, deadline: float,
                 http: httpx.Client | None = None) -> None:
        self.platform = platform
        self.http = http or make_client(base_url, timeout=timeout)
        self.limiter = RateLimiter(rate_limit)
        self.deadline = deadline
        self.calls = 0
        self._started = time.monotonic()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def retry(self, what: str, call: Callable[[], T], **policy: Any) -> T:
        """`call`, retried as `policy` (RetryPolicy's fields) says within what is left of the
        run's deadline; DeadlineReached once the deadline has passed."""
        remaining = self.deadline - (time.monotonic() - self._started)
        if remaining <= 0:
            raise DeadlineReached(f"{self.platform}: {what}: not started, the run's deadline "
                                  f"({self.deadline:g}s) has been reached",
                                  platform=self.platform)
        return call_with_retry(call, policy=RetryPolicy(deadline=remaining, **policy),
                               platform=self.platform, what=what)
