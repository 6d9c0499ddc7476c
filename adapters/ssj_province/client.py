"""HTTP calls to the provincial platform: signing, envelope codes, error classes, retries.

Every attempt is built inside the retried callable, so a retry is a new request (new
timestamp, nonce and signature) over the same body bytes, which carry the same requestId.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from ssj_bridge.api import (
    ConfigurationError,
    PermanentError,
    PlatformSession,
    RateLimited,
    TransientError,
    envelope_message,
    read_envelope,
    retry_after_seconds,
    transport_error,
)
from ssj_province import PLATFORM
from ssj_province.config import ProvinceConfig
from ssj_province.signing import QueryParams, sign_request

OK = 0
BAD_PARAMETER = 40001
STALE_TIMESTAMP = 40102
NONCE_REPLAYED = 40103
BAD_SIGNATURE = 40104
NO_PERMISSION = 40301
NOT_FOUND = 40401
RESULT_CONFLICT = 40901
TASK_CONFLICT = 40902
RATE_LIMITED = 42901
BUSY = 50001
SECRET_SETTING = "SSJ_PROVINCE__APP_SECRET"  # noqa: S105 - the name of the setting


class NotFound(PermanentError):
    """40401: the record does not exist (permanent for that record)."""


class Conflict(PermanentError):
    """HTTP 409: the platform holds the key with other content (40901 result, 40902 task)."""


class _Unfresh(Exception):
    """40102 or 40103: the platform refused the timestamp or nonce of one attempt."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class ProvinceClient(PlatformSession):
    """A session with the provincial platform, shared by one run's streams and sinks."""

    def __init__(self, config: ProvinceConfig, http: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(PLATFORM, config.base_url, timeout=config.timeout,
                         rate_limit=config.rate_limit, deadline=config.deadline, http=http)
        self.config = config
        self.clock = clock

    # -- the platform's calls -------------------------------------------------------------

    def batch_upsert(self, kind: str, request_id: str, items: list[dict[str, Any]]
                     ) -> list[dict[str, Any]]:
        """`POST /ssj/v1/{kind}:batchUpsert` (subjects or inspectors): one result per item."""
        data = self.post(f"/ssj/v1/{kind}:batchUpsert", {"requestId": request_id, "items": items},
                         what=f"{kind} batch {request_id}")
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            # Retrying returns the platform's remembered first answer; an answer that does not
            # account for every item is not one the project can act on.
            raise TransientError(f"{PLATFORM}: {kind} batch {request_id}: the answer has "
                                 f"{len(results) if isinstance(results, list) else 'no'} results "
                                 f"for {len(items)} items", platform=PLATFORM)
        return [r if isinstance(r, dict) else {} for r in results]

    def push_task(self, request_id: str, task: dict[str, Any]) -> Any:
        """`POST /ssj/v1/tasks`; Conflict (40902) when the taskId exists with other content."""
        return self.post("/ssj/v1/tasks", {"requestId": request_id, "task": task},
                         what=f"task {task.get('taskId')}")

    def record_result(self, request_id: str, result: dict[str, Any]) -> Any:
        """`POST /ssj/v1/results` → {"resultId"}; Conflict (40901) for other content."""
        return self.post("/ssj/v1/results", {"requestId": request_id, "result": result},
                         what=f"result {result.get('taskId')}/{result.get('uscc')}")

    def correct_result(self, result_id: str, request_id: str, correction: dict[str, Any]) -> Any:
        """`POST /ssj/v1/results/{resultId}/corrections`."""
        return self.post(f"/ssj/v1/results/{result_id}/corrections",
                         {"requestId": request_id, "correction": correction},
                         what=f"correction of result {result_id}")

    def list_page(self, listing: str, region_code: str, *, page_no: int, page_size: int,
                  updated_since: str | None = None) -> dict[str, Any]:
        """One page of `GET /ssj/v1/{listing}` (subjects, inspectors, tasks, results)."""
        params: dict[str, Any] = {"regionCode": region_code, "pageNo": page_no,
                                  "pageSize": page_size}
        if updated_since is not None:
            params["updatedSince"] = updated_since
        what = f"{listing} page {page_no}"
        data = self.get(f"/ssj/v1/{listing}", params, what=what)
        if not isinstance(data, dict) or not isinstance(data.get("records"), list):
            raise TransientError(f"{PLATFORM}: {what} has no records list", platform=PLATFORM)
        return data

    # -- machinery ----------------------------------------------------------------------------

    def get(self, path: str, params: QueryParams, *, what: str) -> Any:
        """A signed GET with retries; returns the envelope's `data`."""
        return self.call("GET", path, params, b"", what=what)

    def post(self, path: str, body: Mapping[str, Any], *, what: str) -> Any:
        """A signed POST with retries; every attempt sends these exact body bytes."""
        return self.call("POST", path, None, orjson.dumps(dict(body)), what=what)

    def call(self, method: str, path: str, params: QueryParams | None, body: bytes, *,
             what: str) -> Any:
        """Retry transient failures within the run's deadline; each attempt signed afresh."""
        return self.retry(what, lambda: self._attempt(method, path, params, body, what),
                          max_retry_after=self.config.max_retry_after)

    def _attempt(self, method: str, path: str, params: QueryParams | None, body: bytes,
                 what: str) -> Any:
        try:
            return self._send(method, path, params, body, what)
        except _Unfresh as first:
            # A correct client never sends a stale timestamp or a used nonce; if the platform
            # says so anyway (a clock step, a proxy replaying), one fresh attempt settles it.
            try:
                return self._send(method, path, params, body, what)
            except _Unfresh as again:
                reason = ("the platform's clock and this machine's differ by more than 300 s; "
                          "check the system clock (NTP)" if again.code == STALE_TIMESTAMP else
                          "the platform reports every nonce as already used")
                raise ConfigurationError(f"{PLATFORM}: {what}: refused twice ({first.code}, "
                                         f"{again.code}): {reason}") from None

    def _send(self, method: str, path: str, params: QueryParams | None, body: bytes,
              what: str) -> Any:
        request = sign_request(self.config.app_key, self.config.app_secret.get_secret_value(),
                               method, path, params, body, now=self.clock())
        self.limiter.acquire()
        self.calls += 1
        try:
            response = self.http.request(request.method, request.url, content=request.body,
                                         headers=request.headers)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PLATFORM, what) from exc
        return self._data(response, what)

    def _data(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        code, envelope = read_envelope(response, PLATFORM, what, rate_limited_code=RATE_LIMITED)
        if code == OK and status == 200:
            return envelope.get("data")
        message = envelope_message(PLATFORM, what, code, envelope)
        if code in (STALE_TIMESTAMP, NONCE_REPLAYED):
            raise _Unfresh(code, message)
        if code == BAD_SIGNATURE or status == 401:
            raise ConfigurationError(f"{message}: the platform refused the request signature; "
                                     "check SSJ_PROVINCE__APP_KEY and SSJ_PROVINCE__APP_SECRET",
                                     SECRET_SETTING)
        if code == RATE_LIMITED:
            raise RateLimited(message, retry_after=retry_after_seconds(response),
                              platform=PLATFORM, code=code)
        if code == BUSY:
            raise TransientError(message, platform=PLATFORM, code=code)
        if code == NO_PERMISSION or status == 403:
            raise ConfigurationError(f"{message}: the app key has no permission for this region; "
                                     "check SSJ_REGION_CODE and SSJ_PROVINCE__APP_KEY",
                                     "SSJ_REGION_CODE")
        if code in (RESULT_CONFLICT, TASK_CONFLICT) or status == 409:
            raise Conflict(message, platform=PLATFORM, code=code)
        if code == NOT_FOUND or status == 404:
            raise NotFound(message, platform=PLATFORM, code=code)
        raise PermanentError(message, platform=PLATFORM, code=code)
