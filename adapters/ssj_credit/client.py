"""HTTP calls to the credit service: X-Api-Key, error documents, retries, page consistency."""

from __future__ import annotations

from typing import Any

import httpx

from ssj_bridge.api import (
    ConfigurationError,
    PermanentError,
    PlatformSession,
    RateLimited,
    TransientError,
    transport_error,
)
from ssj_credit import PLATFORM
from ssj_credit.config import CreditConfig
from ssj_credit.xmldoc import DocumentRefused, Page, error_of, parse, read_page

EVALUATIONS = "/credit/v2/evaluations"
RISK_CLASSES = "/credit/v2/risk-classes"
API_KEY_SETTING = "SSJ_CREDIT__API_KEY"


class UnderMaintenance(RateLimited):
    """503 with Retry-After: the service is down for maintenance; never retried sooner."""


class CreditClient(PlatformSession):
    """A session with the credit service."""

    def __init__(self, config: CreditConfig, http: httpx.Client | None = None) -> None:
        super().__init__(PLATFORM, config.base_url, timeout=config.timeout,
                         rate_limit=config.rate_limit, deadline=config.deadline, http=http)
        self.config = config

    # -- the public calls -------------------------------------------------------------------

    def evaluations(self, region_code: str, year: int, *, page: int, size: int) -> Page:
        """One page of `GET /credit/v2/evaluations` for one evaluation year."""
        params = {"regionCode": region_code, "year": year, "page": page, "size": size}
        return self.page(EVALUATIONS, params, what=f"evaluations {year} page {page}")

    def risk_classes(self, region_code: str, *, page: int, size: int) -> Page:
        """One page of `GET /credit/v2/risk-classes`."""
        params = {"regionCode": region_code, "page": page, "size": size}
        return self.page(RISK_CLASSES, params, what=f"risk-classes page {page}")

    # -- machinery ------------------------------------------------------------------------------

    def page(self, path: str, params: dict[str, Any], *, what: str) -> Page:
        """GET one page with retries within the run's deadline."""
        return self.retry(what, lambda: self._page_once(path, params, what),
                          max_retry_after=self.config.max_retry_after,
                          initial_backoff=self.config.retry_backoff)

    def _page_once(self, path: str, params: dict[str, Any], what: str) -> Page:
        status, headers, body = self._send(path, params, what)
        if status != 200:
            raise self._error(status, headers, body, what)
        page = read_page(parse(body, max_bytes=self.config.max_document_bytes, what=what),
                         what=what)
        _check_complete(page, int(params["page"]), int(params["size"]), what)
        return page

    def _send(self, path: str, params: dict[str, Any], what: str
              ) -> tuple[int, httpx.Headers, bytes]:
        self.limiter.acquire()
        self.calls += 1
        cap = self.config.max_document_bytes
        headers = {"X-Api-Key": self.config.api_key.get_secret_value(),
                   "Accept": "application/xml"}
        try:
            with self.http.stream("GET", path, params=params, headers=headers) as response:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > cap and response.status_code == 200:
                    raise _too_large(what, int(declared), cap)
                chunks: list[bytes] = []
                size = 0
                # Read no more than the cap, whatever the headers claim.
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        if response.status_code != 200:
                            break
                        raise _too_large(what, size, cap)
                    chunks.append(chunk)
                return response.status_code, response.headers, b"".join(chunks)
        except httpx.HTTPError as exc:
            # A response cut off before its Content-Length arrives here too: transient.
            raise transport_error(exc, PLATFORM, what) from exc

    def _error(self, status: int, headers: httpx.Headers, body: bytes, what: str) -> Exception:
        code, message = error_of(body, max_bytes=self.config.max_document_bytes)
        detail = " ".join(part for part in (f"HTTP {status}", code and f"CODE {code}", message)
                          if part)
        text = f"{PLATFORM}: {what}: {detail}"
        if status in (401, 403):
            return ConfigurationError(f"{text}: the service refused the API key; check "
                                      f"{API_KEY_SETTING}", API_KEY_SETTING)
        retry_after = _retry_after(headers)
        if status == 429:
            return RateLimited(text, retry_after=retry_after, platform=PLATFORM, code=status)
        if status == 503 and retry_after is not None:
            return UnderMaintenance(f"{text} (maintenance, Retry-After {retry_after:g}s)",
                                    retry_after=retry_after, platform=PLATFORM, code=status)
        if status >= 500:
            return TransientError(text, platform=PLATFORM, code=status)
        return PermanentError(text, platform=PLATFORM, code=status)


def _check_complete(page: Page, page_no: int, size: int, what: str) -> None:
    """A well-formed page must hold every row its own `total` promises for it.

    Fewer rows than that is a document that did not arrive whole (or a listing caught
    mid-change): retried, never taken as the end of the feed.
    """
    if page.total is None:
        return
    offset = (page_no - 1) * size
    promised = max(0, min(size, page.total - offset))
    if len(page.rows) < promised:
        raise TransientError(f"{PLATFORM}: {what}: {len(page.rows)} ROW, but total "
                             f"{page.total} with size {size} promises {promised}: incomplete "
                             "page", platform=PLATFORM)


def _retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After in seconds (the service sends delta-seconds), None when absent or unreadable."""
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


def _too_large(what: str, size: int, cap: int) -> DocumentRefused:
    return DocumentRefused(f"{PLATFORM}: {what}: the document has more than {cap} bytes "
                           f"({size} seen), the SSJ_CREDIT__MAX_DOCUMENT_BYTES cap; refused "
                           "unparsed", platform=PLATFORM)
