"""Calls to the gateway of docs/platforms/province-gd.md: form-encoded, MD5-signed, one endpoint, error codes.

Every attempt is a new request: a fresh `timestamp` and a new `sign`. TIMESTAMP_EXPIRED is
answered by signing anew at once; FREQ_LIMIT by waiting for the next minute (pacing.py);
SYS_BUSY, 5xx and broken bodies by retries with backoff; SIGN_ERROR is a configuration error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from ssj_bridge.api import (
    ConfigurationError,
    DeadlineReached,
    PermanentError,
    PlatformUnavailable,
    RetryPolicy,
    TransientError,
    call_with_retry,
    env_name,
    make_client,
    request_deadline,
    transport_error,
)
from ssj_province_gd import PLATFORM, pacing
from ssj_province_gd.config import Config
from ssj_province_gd.pacing import MinuteBudget, MinuteWaitsExhausted
from ssj_province_gd.signing import sign

GATEWAY = "/gateway/api"
SIGN_ERROR = "SIGN_ERROR"
TIMESTAMP_EXPIRED = "TIMESTAMP_EXPIRED"
FREQ_LIMIT = "FREQ_LIMIT"
PARAM_ERROR = "PARAM_ERROR"
NOT_FOUND = "NOT_FOUND"
SYS_BUSY = "SYS_BUSY"
# Fresh signatures tried at once after TIMESTAMP_EXPIRED before the clock is blamed.
RESIGNS = 2


class GatewayRefused(PermanentError):
    """PARAM_ERROR or another code retrying cannot fix; `code` is the errCode."""


class NotFound(PermanentError):
    """NOT_FOUND: no such record (permanent for that record)."""


class _Expired(Exception):
    """TIMESTAMP_EXPIRED: sign again with a fresh timestamp."""


class _FrequencyLimited(Exception):
    """FREQ_LIMIT: the minute's calls are spent."""


class Client:
    """A session with the gateway for one run; `budget` paces calls per calendar minute."""

    def __init__(self, config: Config, role: str, http: httpx.Client | None = None) -> None:
        self.config = config
        self.secret_setting = env_name((role, "app_secret"))
        self.id_setting = env_name((role, "app_id"))
        self.http = http or make_client(config.base_url, timeout=config.timeout)
        self.budget = MinuteBudget(config.calls_per_minute, config.read_reserve,
                                   config.max_minute_waits)
        self._started = time.monotonic()
        self.calls = 0

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def call(self, method: str, data: dict[str, Any], *, what: str, prepaid: bool = False,
             retry: bool = True) -> Any:
        """Call `method` with `data`; returns `result`.

        `prepaid`: the caller already took this call from the minute's budget (a write);
        `retry=False`: a transient failure is raised at once, for a call that must not be
        repeated blindly (rw.create).
        """
        paid = [prepaid]

        def once() -> Any:
            if not paid[0]:
                self._take_for_read()
            paid[0] = False
            return self._signed(method, data, what)

        try:
            remaining = self.config.deadline - (time.monotonic() - self._started)
            if remaining <= 0:
                raise DeadlineReached(f"{PLATFORM}: {what}: not started, the run's deadline "
                                      f"({self.config.deadline:g}s) has been reached",
                                      platform=PLATFORM)
            if not retry:
                with request_deadline(remaining):
                    return once()
            policy = RetryPolicy(deadline=remaining, initial_backoff=self.config.initial_backoff,
                                 max_backoff=self.config.max_backoff)
            return call_with_retry(once, policy=policy, platform=PLATFORM, what=what)
        except MinuteWaitsExhausted as exc:
            # Not retried: waiting is what it already did. The rest waits for the next run.
            raise PlatformUnavailable(f"{PLATFORM}: {what}: {exc}; the rest waits for the next "
                                      "run", platform=PLATFORM, code=FREQ_LIMIT) from None

    def _take_for_read(self) -> None:
        self.budget.take()

    def _signed(self, method: str, data: dict[str, Any], what: str) -> Any:
        """One call, signed anew after TIMESTAMP_EXPIRED and repeated after FREQ_LIMIT."""
        expired = 0
        while True:
            try:
                return self._post(method, data, what)
            except _Expired:
                expired += 1
                if expired > RESIGNS:
                    raise PermanentError(
                        f"{PLATFORM}: {what}: TIMESTAMP_EXPIRED {expired} times with fresh "
                        "timestamps: this machine's clock is more than 600 s off Beijing time",
                        platform=PLATFORM, code=TIMESTAMP_EXPIRED) from None
            except _FrequencyLimited:
                self.budget.spent()
                self.budget.wait_next_minute("the platform answered FREQ_LIMIT")
            # The repeat is one more call of the (new) minute.
            self._take_for_read()

    def _post(self, method: str, data: dict[str, Any], what: str) -> Any:
        fields = {"appid": self.config.app_id, "timestamp": str(int(pacing.now())),
                  "method": method, "data": orjson.dumps(data).decode()}
        fields["sign"] = sign(fields, self.config.app_secret.get_secret_value())
        self.calls += 1
        try:
            response = self.http.post(GATEWAY, data=fields)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PLATFORM, what) from exc
        return self._result(response, what)

    def _result(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        if status != 200:
            # "Always HTTP 200 unless the gateway itself fails."
            raise TransientError(f"{PLATFORM}: {what}: HTTP {status} from the gateway",
                                 platform=PLATFORM, code=status)
        try:
            body = orjson.loads(response.content)
            success = body["success"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise TransientError(f"{PLATFORM}: {what}: the answer is not a complete JSON "
                                 "envelope", platform=PLATFORM, code=status) from None
        if success is True:
            return body.get("result")
        code = str(body.get("errCode") or "")
        message = f"{PLATFORM}: {what}: {code} {body.get('errMsg') or ''}".rstrip()
        handlers: dict[str, Callable[[], Exception]] = {
            SIGN_ERROR: lambda: ConfigurationError(
                f"{message}: the gateway refused the signature; check {self.id_setting} and "
                f"{self.secret_setting}", self.secret_setting),
            TIMESTAMP_EXPIRED: lambda: _Expired(message),
            FREQ_LIMIT: lambda: _FrequencyLimited(message),
            SYS_BUSY: lambda: TransientError(message, platform=PLATFORM, code=code),
            NOT_FOUND: lambda: NotFound(message, platform=PLATFORM, code=code),
        }
        make = handlers.get(code)
        if make is not None:
            raise make()
        raise GatewayRefused(message, platform=PLATFORM, code=code or None)
