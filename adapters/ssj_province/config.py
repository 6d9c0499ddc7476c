"""The provincial platform's settings (SSJ_PROVINCE__…)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# The platform allows 10 requests per second per app key; stay under it.
DEFAULT_RATE_LIMIT = 8.0


class ProvinceConfig(BaseModel):
    """Settings of the reference province adapter; the platform issues base URL, app key and secret."""

    model_config = ConfigDict(extra="ignore")

    base_url: str
    app_key: str
    app_secret: SecretStr
    rate_limit: float = Field(default=DEFAULT_RATE_LIMIT, gt=0)
    page_size: int = Field(default=100, ge=1, le=1000)
    library_batch: int = Field(default=200, ge=1, le=200)
    timeout: float = Field(default=30.0, gt=0)
    deadline: float = Field(default=600.0, gt=0)
    max_retry_after: float = Field(default=120.0, gt=0)
    # Re-read this far behind the stored watermark (a record committed late with an earlier
    # updateTime is still caught; content hashes drop what is unchanged).
    overlap_seconds: float = Field(default=300.0, ge=0)

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _default_rate(cls, value: Any) -> Any:
        # The section always carries the key; unset means the adapter's own default.
        return DEFAULT_RATE_LIMIT if value is None else value
