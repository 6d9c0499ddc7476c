"""The publicity exchange's settings (SSJ_PUBLICITY__…)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# docs/platforms/publicity.md: at most 500 records a batch (413 above), 5 requests a second.
MAX_RECORDS = 500
DEFAULT_RATE = 4.0


class PublicityConfig(BaseModel):
    """Settings of the publicity adapter; the exchange issues the base URL and the token."""

    model_config = ConfigDict(extra="ignore")

    base_url: str
    token: SecretStr
    # Under the documented 5 requests/s, so bursts from retries stay inside it.
    rate_limit: float = Field(default=DEFAULT_RATE, gt=0)
    batch_size: int = Field(default=MAX_RECORDS, ge=1, le=MAX_RECORDS)
    timeout: float = Field(default=30.0, gt=0)
    deadline: float = Field(default=600.0, gt=0)
    max_retry_after: float = Field(default=120.0, gt=0)
    initial_backoff: float = Field(default=0.5, gt=0)
    max_backoff: float = Field(default=30.0, gt=0)
    # Receipts take seconds to hours: a run waits this long for them, then leaves the rest
    # open for the next run, which polls them again (nothing is sent again).
    receipt_wait: float = Field(default=30.0, ge=0)
    poll_interval: float = Field(default=2.0, ge=0)
    # Pages of the publications listing read to find when an already-public record (E105)
    # became public.
    lookup_pages: int = Field(default=20, ge=0)
    # Reconciliation lists publications from this day (企业信息公示暂行条例 in force 2014-10-01).
    listing_since: date = date(2014, 10, 1)

    @field_validator("rate_limit", mode="before")
    @classmethod
    def _default_rate(cls, value: Any) -> Any:
        # The core's section passes None when SSJ_PUBLICITY__RATE_LIMIT is unset.
        return DEFAULT_RATE if value is None else value
