"""The permit platform's settings (SSJ_PERMIT__…)."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class PermitConfig(BaseModel):
    """Settings of the permit adapter; the platform issues base URL, appId and appSecret."""

    model_config = ConfigDict(extra="ignore")

    base_url: str
    app_id: str
    app_secret: SecretStr
    # The documented limit is 20 requests/s per appId; stay under it unless agreed otherwise.
    rate_limit: float | None = Field(default=15.0, gt=0)
    page_size: int = Field(default=1000, ge=1, le=1000)
    timeout: float = Field(default=30.0, gt=0)
    # Seconds the whole run may spend retrying, and the longest Retry-After it waits out.
    deadline: float = Field(default=600.0, gt=0)
    max_retry_after: float = Field(default=120.0, gt=0)
    # Exponential backoff with full jitter between retries of a transient failure (seconds).
    initial_backoff: float = Field(default=0.5, gt=0)
    max_backoff: float = Field(default=30.0, gt=0)
    # Re-read this far behind the stored watermark: a record committed late with an earlier
    # updateTime is still caught; content hashes drop what is unchanged.
    overlap_seconds: float = Field(default=300.0, ge=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"{value!r} is not a URL ({exc})") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value
