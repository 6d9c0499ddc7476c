"""HTTP calls to the publicity exchange: the token header, status codes, retries.

docs/platforms/publicity.md's errors and what they become:
401 → ConfigurationError naming SSJ_PUBLICITY__TOKEN (exit 78) · 400 E101 → DocumentRefused
(permanent for that document) · 409 E109 → BatchNumberTaken · 413 → BatchTooLarge ·
404 on a receipt → BatchUnknown · 429 → RateLimited (Retry-After honoured) · 5xx, a cut-off
or non-XML body → TransientError, retried. Submitting again is safe: the same batch number
with the same content is answered with that batch's receipt and publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx

from ssj_bridge.api import (
    BatchNumberTaken,
    BatchTooLarge,
    BatchUnknown,
    ConfigurationError,
    DocumentRefused,
    PermanentError,
    PlatformSession,
    RateLimited,
    TransientError,
    retry_after_seconds,
    transport_error,
)
from ssj_publicity import PLATFORM
from ssj_publicity.config import PublicityConfig
from ssj_publicity.documents import (
    PublicationsPage,
    Receipt,
    parse_error,
    parse_publications,
    parse_receipt,
)

T = TypeVar("T")
BASE = "/gsxt/exchange/v1"
TOKEN_SETTING = "SSJ_PUBLICITY__TOKEN"  # noqa: S105 - a setting name, not a secret


class PublicityClient(PlatformSession):
    """A session with the exchange."""

    def __init__(self, config: PublicityConfig, http: httpx.Client | None = None) -> None:
        super().__init__(PLATFORM, config.base_url, timeout=config.timeout,
                         rate_limit=config.rate_limit, deadline=config.deadline, http=http)
        self.config = config

    # -- the calls ------------------------------------------------------------------------------

    def submit(self, batch_no: str, document: bytes) -> Receipt:
        """`POST /batches`: 202 with a PROCESSING receipt, or 200 with the current one."""
        what = f"batch {batch_no}"
        return self._retry(what, lambda: self._receipt_of(self._send(
            "POST", f"{BASE}/batches", what, content=document,
            headers={"Content-Type": "application/xml; charset=utf-8"}), what))

    def receipt(self, batch_no: str) -> Receipt:
        """`GET /batches/{PCH}/receipt`."""
        what = f"receipt of batch {batch_no}"
        return self._retry(what, lambda: self._receipt_of(self._send(
            "GET", f"{BASE}/batches/{batch_no}/receipt", what), what))

    def publications(self, sender: str, since: str, page: int, size: int) -> PublicationsPage:
        """`GET /publications?FSJG=&since=&page=&size=`: what the sender has made public."""
        what = f"publications page {page}"
        params = {"FSJG": sender, "since": since, "page": str(page), "size": str(size)}
        return self._retry(what, lambda: parse_publications(self._body(self._send(
            "GET", f"{BASE}/publications", what, params=params), what), what))

    # -- machinery ------------------------------------------------------------------------------

    def _retry(self, what: str, call: Callable[[], T]) -> T:
        return self.retry(what, call, max_retry_after=self.config.max_retry_after,
                          initial_backoff=self.config.initial_backoff,
                          max_backoff=self.config.max_backoff)

    def _send(self, method: str, path: str, what: str, *, params: dict[str, str] | None = None,
              content: bytes | None = None, headers: dict[str, str] | None = None
              ) -> httpx.Response:
        sent = {"X-Exchange-Token": self.config.token.get_secret_value(), **(headers or {})}
        self.limiter.acquire()
        self.calls += 1
        try:
            return self.http.request(method, path, params=params, content=content, headers=sent)
        except httpx.HTTPError as exc:
            raise transport_error(exc, PLATFORM, what) from exc

    def _receipt_of(self, response: httpx.Response, what: str) -> Receipt:
        return parse_receipt(self._body(response, what), what)

    def _body(self, response: httpx.Response, what: str) -> bytes:
        status = response.status_code
        if status in (200, 202):
            return response.content
        code, message = parse_error(response.content)
        said = " ".join(part for part in (code, message) if part) or f"HTTP {status}"
        if status == 401:
            raise ConfigurationError(f"{PLATFORM}: {what}: the exchange refused the token (401); "
                                     f"check {TOKEN_SETTING}", TOKEN_SETTING)
        if status == 429:
            raise RateLimited(f"{PLATFORM}: {what}: rate limited (429)",
                              retry_after=retry_after_seconds(response), platform=PLATFORM,
                              code=429)
        if status >= 500:
            raise TransientError(f"{PLATFORM}: {what}: HTTP {status} {said}", platform=PLATFORM,
                                 code=status)
        if status == 400:
            raise DocumentRefused(f"{code or 'E101'} {message or 'document refused'}: the "
                                  f"exchange refused {what} as a whole (HTTP 400; nothing of it "
                                  "was taken)", platform=PLATFORM, code=code or "E101")
        if status == 409:
            raise BatchNumberTaken(f"{PLATFORM}: {what}: {said} (the number is taken by a batch "
                                   "with other content)", platform=PLATFORM, code=code or 409)
        if status == 413:
            raise BatchTooLarge(f"{PLATFORM}: {what}: HTTP 413, too many records",
                                platform=PLATFORM, code=413)
        if status == 404:
            raise BatchUnknown(f"{PLATFORM}: {what}: HTTP 404 {said}", platform=PLATFORM,
                               code=404)
        raise PermanentError(f"{PLATFORM}: {what}: HTTP {status} {said}", platform=PLATFORM,
                             code=code or status)
