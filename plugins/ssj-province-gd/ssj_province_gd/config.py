"""The adapter's settings: SSJ_PROVINCE__BASE_URL, __APP_ID, __APP_SECRET and the rest."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# docs/platforms/province-gd.md: 100 calls a minute per app unless the operator agreed otherwise.
DEFAULT_CALLS_PER_MINUTE = 100


class Config(BaseModel):
    """Settings of the gd adapter; the platform issues the gateway's URL, appid and secret."""

    model_config = ConfigDict(extra="ignore")

    base_url: str
    app_id: str
    app_secret: SecretStr
    # The app's allowance of calls per calendar minute, as the platform's operator set it.
    calls_per_minute: int = Field(default=DEFAULT_CALLS_PER_MINUTE, ge=1)
    # Calls of each minute the writes leave for the reads that follow them in a run.
    read_reserve: int = Field(default=10, ge=0)
    # Minutes a run may wait for a new minute's allowance while reading (FREQ_LIMIT included).
    max_minute_waits: int = Field(default=5, ge=0)
    page_size: int = Field(default=500, ge=1, le=500)
    timeout: float = Field(default=30.0, gt=0)
    deadline: float = Field(default=600.0, gt=0)
    initial_backoff: float = Field(default=0.5, gt=0)
    max_backoff: float = Field(default=30.0, gt=0)
    # Re-read this far behind the stored watermark; content hashes drop what is unchanged.
    overlap_seconds: float = Field(default=300.0, ge=0)
    rate_limit: float | None = None  # the core's per-second field; this platform counts minutes

    @field_validator("calls_per_minute", mode="before")
    @classmethod
    def _default_calls(cls, value: Any) -> Any:
        return DEFAULT_CALLS_PER_MINUTE if value is None else value
