"""HTTP calls to the permit platform: token flow, envelope codes, error classes, retries."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from ssj_bridge.api import (
    ConfigurationError,
    NotAnEnvelope,
    PermanentError,
    PlatformSession,
    RateLimited,
    TransientError,
    envelope_message,
    read_envelope,
    retry_after_seconds,
    transport_error,
)
from ssj_permit import PLATFORM
from ssj_permit.config import PermitConfig

OK = 0
BAD_PARAMETER = 40001
TOKEN_INVALID = 40101
NO_PERMISSION = 40301
NOT_FOUND = 40401
RATE_LIMITED = 42901
BUSY = 50001


class NotFound(PermanentError):
    """40401: the record does not exist (permanent for that record)."""


class _TokenRejected(Exception):
    """40101 on a data call: fetch a new token and repeat once."""


class PermitClient(PlatformSession):
    """A session with the permit platform, shared by the stream's threads."""

    def __init__(self, config: PermitConfig, http: httpx.Client | None = None) -> None:
        super().__init__(PLATFORM, config.base_url, timeout=config.timeout,
                         rate_limit=config.rate_limit, deadline=config.deadline, http=http)
        self.config = config
        self._token: str | None = None
        self._token_lock = threading.Lock()

    # -- the public calls -------------------------------------------------------------------

    def list_permits(self, region_code: str, *, updated_since: str | None, page_no: int,
                     page_size: int) -> dict[str, Any]:
        """One page of `GET /api/v1/permits` (the envelope's `data`)."""
        params: dict[str, Any] = {"regionCode": region_code, "pageNo": page_no,
                                  "pageSize": page_size}
        if updated_since is not None:
            params["updatedSince"] = updated_since
        data = self.get("/api/v1/permits", params, what=f"permits page {page_no}")
        if not isinstance(data, dict) or not isinstance(data.get("records"), list):
            raise TransientError(f"{PLATFORM}: permits page {page_no} has no records list",
                                 platform=PLATFORM)
        return data

    def get_permit(self, permit_no: str) -> dict[str, Any]:
        """`GET /api/v1/permits/{permitNo}`; NotFound when the platform has no such permit."""
        data = self.get(f"/api/v1/permits/{permit_no}", {}, what=f"permit {permit_no}")
        if not isinstance(data, dict):
            raise TransientError(f"{PLATFORM}: permit {permit_no}: data is not an object",
                                 platform=PLATFORM)
        return data

    def count(self, region_code: str) -> int:
        """`GET /api/v1/permits/count`: every permit of the region, whatever its status."""
        data = self.get("/api/v1/permits/count", {"regionCode": region_code}, what="count")
        try:
            return int(data["total"])
        except (KeyError, TypeError, ValueError):
            raise TransientError(f"{PLATFORM}: count: data has no whole-number total",
                                 platform=PLATFORM) from None

    # -- machinery ------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any], *, what: str) -> Any:
        """GET with retries within the run's deadline; returns the envelope's `data`."""
        return self.retry(what, lambda: self._get_once(path, params, what),
                          max_retry_after=self.config.max_retry_after,
                          initial_backoff=self.config.initial_backoff,
                          max_backoff=self.config.max_backoff)

    def _get_once(self, path: str, params: dict[str, Any], what: str) -> Any:
        token = self._current_token()
        try:
            return self._send(path, params, what, token)
        except _TokenRejected:
            # The token was revoked or expired: get a new one and repeat the call once.
            token = self._replace_token(token)
            try:
                return self._send(path, params, what, token)
            except _TokenRejected:
                raise ConfigurationError(
                    f"{PLATFORM}: {what}: a fresh token was rejected (40101); check "
                    "SSJ_PERMIT__APP_ID and SSJ_PERMIT__APP_SECRET", "SSJ_PERMIT__APP_SECRET"
                ) from None

    def _send(self, path: str, params: dict[str, Any], what: str, token: str) -> Any:
        self.limiter.acquire()
        self.calls += 1
        try:
            response = self.http.get(path, params=params,
                                     headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise transport_error(exc, PLATFORM, what) from exc
        return self._data(response, what)

    def _data(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        try:
            code, envelope = read_envelope(response, PLATFORM, what,
                                           rate_limited_code=RATE_LIMITED)
        except NotAnEnvelope as exc:
            if 400 <= status < 500 and status != 408:
                # The platform answers every refusal with an envelope: whatever answered this
                # is not the permit API.
                raise ConfigurationError(f"{exc}; check SSJ_PERMIT__BASE_URL",
                                         "SSJ_PERMIT__BASE_URL") from None
            raise
        if code == OK and status == 200:
            return envelope.get("data")
        message = envelope_message(PLATFORM, what, code, envelope)
        if code == TOKEN_INVALID or status == 401:
            raise _TokenRejected(message)
        if code == RATE_LIMITED:
            raise RateLimited(message, retry_after=retry_after_seconds(response),
                              platform=PLATFORM, code=code)
        if code == BUSY:
            raise TransientError(message, platform=PLATFORM, code=code)
        if code == NO_PERMISSION or status == 403:
            raise ConfigurationError(f"{message}: the app has no permission for this region; "
                                     "check SSJ_REGION_CODE and SSJ_PERMIT__APP_ID",
                                     "SSJ_REGION_CODE")
        if code == NOT_FOUND or status == 404:
            raise NotFound(message, platform=PLATFORM, code=code)
        raise PermanentError(message, platform=PLATFORM, code=code)

    def _current_token(self) -> str:
        with self._token_lock:
            if self._token is None:
                self._token = self._fetch_token()
            return self._token

    def _replace_token(self, rejected: str) -> str:
        with self._token_lock:
            if self._token is None or self._token == rejected:  # not yet replaced by another call
                self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> str:
        body = {"appId": self.config.app_id,
                "appSecret": self.config.app_secret.get_secret_value()}
        self.limiter.acquire()
        try:
            response = self.http.post("/api/v1/auth/token", json=body)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PLATFORM, "token") from exc
        try:
            data = self._data(response, "token")
        except _TokenRejected:
            raise ConfigurationError(
                f"{PLATFORM}: the platform refused the credentials; check SSJ_PERMIT__APP_ID "
                "and SSJ_PERMIT__APP_SECRET", "SSJ_PERMIT__APP_SECRET") from None
        except PermanentError as exc:
            raise ConfigurationError(
                f"{PLATFORM}: token request refused ({exc.code}); check SSJ_PERMIT__APP_ID "
                "and SSJ_PERMIT__APP_SECRET", "SSJ_PERMIT__APP_SECRET") from None
        try:
            return str(data["accessToken"])
        except (KeyError, TypeError):
            raise TransientError(f"{PLATFORM}: token response has no accessToken",
                                 platform=PLATFORM) from None
