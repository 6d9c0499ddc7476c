"""Periods of the rules: a quarter `YYYYQn`, and the half-year and year that contain it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


class Per(StrEnum):
    """How often an obligation repeats: its period is the quarter, half-year or year."""

    QUARTER = "quarter"
    HALF_YEAR = "half-year"
    YEAR = "year"

    @property
    def quarters(self) -> int:
        """Quarters in one such period."""
        return {Per.QUARTER: 1, Per.HALF_YEAR: 2, Per.YEAR: 4}[self]


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, written `YYYYQn` everywhere (interface.md, "Time")."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter {self.number} is not 1–4")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`2025Q2` → Quarter(2025, 2); anything else raises ValueError naming the form."""
        match = _QUARTER.match(text.strip().upper())
        if match is None:
            raise ValueError(f"period {text!r} is not of the form YYYYQn (e.g. 2025Q2)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter containing `day`."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        """`YYYYQn`."""
        return f"{self.year}Q{self.number}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        return _last_day(self.year, 3 * self.number)

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return Quarter(self.year, self.number - 1) if self.number > 1 else Quarter(self.year - 1, 4)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return Quarter(self.year, self.number + 1) if self.number < 4 else Quarter(self.year + 1, 1)

    def contains(self, day: date) -> bool:
        """True when `day` lies in the quarter."""
        return self.start <= day <= self.end

    def first_of(self, per: Per) -> Quarter:
        """The first quarter of the `per` period containing this quarter."""
        size = per.quarters
        return Quarter(self.year, (self.number - 1) // size * size + 1)

    def span(self, per: Per) -> tuple[date, date]:
        """First and last day of the `per` period containing this quarter."""
        first = self.first_of(per)
        last = Quarter(self.year, first.number + per.quarters - 1)
        return first.start, last.end

    def quarters_to_end(self, per: Per) -> int:
        """Quarters of the `per` period from this one to its end, this one included (≥ 1)."""
        first = self.first_of(per)
        return first.number + per.quarters - self.number

    def quarters_of(self, per: Per) -> list[Quarter]:
        """Every quarter of the `per` period containing this quarter, in order."""
        first = self.first_of(per)
        return [Quarter(self.year, n) for n in range(first.number, first.number + per.quarters)]

    def period_label(self, per: Per) -> str:
        """`2025Q2`, `2025H1` or `2025` for the `per` period containing this quarter."""
        if per is Per.QUARTER:
            return self.label
        if per is Per.HALF_YEAR:
            return f"{self.year}H{1 if self.number <= 2 else 2}"
        return str(self.year)


def _last_day(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)
