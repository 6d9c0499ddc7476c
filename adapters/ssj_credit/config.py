"""The credit service's settings (SSJ_CREDIT__…)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

Vocabulary = Literal["cn-words", "colours", "letters"]


class CreditConfig(BaseModel):
    """Settings of the credit adapter; the service issues the base URL and the API key."""

    model_config = ConfigDict(extra="ignore")

    base_url: str
    api_key: SecretStr
    # The scheme of the level words this province publishes (docs/platforms/codes.md).
    vocabulary: Vocabulary = "cn-words"
    # docs/platforms/credit.md documents no request limit; set one if the service's operator asks for it.
    rate_limit: float | None = Field(default=None, gt=0)
    page_size: int = Field(default=500, ge=1, le=500)
    timeout: float = Field(default=30.0, gt=0)
    deadline: float = Field(default=600.0, gt=0)
    max_retry_after: float = Field(default=120.0, gt=0)
    retry_backoff: float = Field(default=0.5, gt=0)
    # A page of 500 rows is well under 1 MiB; anything far larger is refused unparsed.
    max_document_bytes: int = Field(default=16 * 1024 * 1024, ge=4096)
    # Evaluation years (PJND) read each run: `years` when given, else the current Beijing
    # year and the `years_back` before it.
    years: list[int] | None = None
    years_back: int = Field(default=2, ge=0, le=20)

    @field_validator("vocabulary", mode="before")
    @classmethod
    def _vocabulary_words(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("years", mode="before")
    @classmethod
    def _years_list(cls, value: Any) -> Any:
        # From the environment the list arrives as text: "2023,2024" or "[2023, 2024]".
        if isinstance(value, str):
            parts = [p for p in re.split(r"[\s,;\[\]]+", value) if p]
            return parts or None
        return value

    @field_validator("years")
    @classmethod
    def _plausible_years(cls, value: list[int] | None) -> list[int] | None:
        if value is not None:
            bad = [y for y in value if not 1990 <= y <= 2100]
            if bad:
                raise ValueError(f"years {bad} are not evaluation years (1990–2100)")
        return value

    def evaluation_years(self, today: date) -> list[int]:
        """The evaluation years to read, oldest first."""
        if self.years:
            return sorted(set(self.years))
        return list(range(today.year - self.years_back, today.year + 1))
