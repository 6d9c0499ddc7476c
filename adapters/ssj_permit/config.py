"""The permit platform's settings (SSJ_PERMIT__…)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


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
    deadline: float = Field(default=600.0, gt=0)
    max_retry_after: float = Field(default=120.0, gt=0)
    # Re-read this far behind the stored watermark: a record committed late with an earlier
    # updateTime is still caught; content hashes drop what is unchanged.
    overlap_seconds: float = Field(default=300.0, ge=0)
    prefetch: int = Field(default=4, ge=1, le=32)
