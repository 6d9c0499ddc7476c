"""一单两库 as values: a matter (抽查事项) of the 随机抽查事项清单 and its rules, the object kinds,
the drawing levels. No I/O here; `ssj_bridge.policy.matters` reads the deployment's list.

A matter is drawn from one object library: `排污单位` (the permit holders, in the categories the
locality policy decides) or a kind of the local object library (机动车排放检验机构, 入河排污口 …).
Each of its rules — one row of interface.md's matter file — says how many of a category (KEY …
SPECIAL, `ALL`, or an object sub-kind such as 报告书) are inspected in each quarter, half-year
or year: a ratio, a least count, a number per inspector of the drawing level, or `policy` (the
locality policy's own obligations, as for M01).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ssj_bridge.model.codes import Category, InspectionMode
from ssj_bridge.model.periods import Per

POLLUTION_SOURCES = "排污单位"
# interface.md, "Object library": the kinds no platform supplies.
OBJECT_KINDS = ("机动车排放检验机构", "入河排污口", "入海排污口", "污水处理厂", "社会生态环境监测机构",
                "建设项目", "核与辐射", "非道路移动机械", "柴油车用车大户", "加油站和储油库", "固体废物")
ALL = "ALL"
POLICY = "policy"
CITY, COUNTY = "city", "county"
LEVELS = (CITY, COUNTY)
MATTER_COLUMNS = ("matterCode", "name", "objectKind", "level", "departments", "category",
                  "period", "ratio", "minCount", "perInspector", "mode", "basis")


@dataclass(frozen=True)
class MatterRule:
    """One rule of a matter: how many of `category` to inspect in each `period`.

    `required` is the largest of ceil(ratio × population), ceil(perInspector × inspectors) and
    minCount, at most the population (policies/README.md rounding). A rule that
    `follows_policy` takes the locality policy's obligations instead; a rule with no number is
    a matter the text lists without a quota (drawn only with `--count`).
    """

    category: str
    period: Per
    ratio: Fraction | None = None
    follows_policy: bool = False
    min_count: int | None = None
    per_inspector: Fraction | None = None
    mode: InspectionMode | None = None
    basis: str = ""

    @property
    def has_quota(self) -> bool:
        """True when the rule asks for a number of inspections."""
        return (self.follows_policy or self.ratio is not None or self.min_count is not None
                or self.per_inspector is not None)

    def required(self, population: int, inspectors: int) -> int:
        """The least number of the category's objects to inspect in the period."""
        need = 0
        if self.ratio is not None:
            need = math.ceil(self.ratio * population)
        if self.per_inspector is not None:
            need = max(need, math.ceil(self.per_inspector * inspectors))
        if self.min_count is not None:
            need = max(need, self.min_count)
        return min(population, need)

    def describe(self) -> str:
        """`25%`, `2.5 × inspectors`, `at least 3`, joined; `policy` or `no quota`."""
        if self.follows_policy:
            return POLICY
        parts = []
        if self.ratio is not None:
            parts.append(f"{_decimal_text(self.ratio * 100)}%")
        if self.per_inspector is not None:
            parts.append(f"{_decimal_text(self.per_inspector)} × inspectors")
        if self.min_count is not None:
            parts.append(f"at least {self.min_count}")
        return ", ".join(parts) or "no quota"


@dataclass(frozen=True)
class MatterSpec:
    """A matter of the list: its object library, drawing level, departments and rules."""

    code: str
    name: str
    object_kind: str
    level: str
    rules: tuple[MatterRule, ...]
    departments: tuple[str, ...] = ()
    origin: str = "policy"  # policy: bundled from the text; import: a data manager's file

    @property
    def pollution_sources(self) -> bool:
        """Drawn from the permit holders, in the policy's categories."""
        return self.object_kind == POLLUTION_SOURCES

    @property
    def follows_policy(self) -> bool:
        """Its draws serve the locality policy's obligations (M01)."""
        return any(r.follows_policy for r in self.rules)

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories its rules name, in the order the rules list them."""
        return tuple(dict.fromkeys(r.category for r in self.rules))

    def rules_of(self, category: str) -> tuple[MatterRule, ...]:
        """The rules of one category."""
        return tuple(r for r in self.rules if r.category == category)

    def mode_of(self, category: str) -> InspectionMode | None:
        """The inspection mode its rules set for the category, if any."""
        return next((r.mode for r in self.rules_of(category) if r.mode is not None), None)


# -- the file's cells -------------------------------------------------------------------------


def parse_ratio(text: str) -> tuple[Fraction | None, bool]:
    """`25%` → (1/4, False); `policy` → (None, True); empty → (None, False).

    ValueError for anything else, or a percentage outside 0–100 %.
    """
    value = text.strip().replace("％", "%")
    if not value:
        return None, False
    if value.lower() == POLICY:
        return None, True
    if not value.endswith("%"):
        raise ValueError("not a percentage such as 25% (or `policy`)")
    try:
        number = Fraction(Decimal(value[:-1].strip()))
    except (InvalidOperation, ValueError, OverflowError):
        raise ValueError("not a percentage such as 25% (or `policy`)") from None
    if not 0 <= number <= 100:
        raise ValueError("a ratio lies between 0% and 100%")
    return number / 100, False


def parse_decimal(text: str) -> Fraction:
    """A non-negative decimal number, exactly (`2.5` → 5/2)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError("not a number of 0 or more")
    return Fraction(number)


def _decimal_text(value: Fraction) -> str:
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def ratio_text(rule: MatterRule) -> str:
    """The `ratio` cell of a rule."""
    if rule.follows_policy:
        return POLICY
    return "" if rule.ratio is None else f"{_decimal_text(rule.ratio * 100)}%"


def matter_rows(matters: Iterable[MatterSpec]) -> list[dict[str, Any]]:
    """The matters as rows of the matter file (`export matters`, in MATTER_COLUMNS)."""
    rows = []
    for matter in matters:
        for rule in matter.rules:
            rows.append({
                "matterCode": matter.code, "name": matter.name, "objectKind": matter.object_kind,
                "level": matter.level, "departments": ";".join(matter.departments),
                "category": rule.category, "period": rule.period.value,
                "ratio": ratio_text(rule),
                "minCount": "" if rule.min_count is None else str(rule.min_count),
                "perInspector": ("" if rule.per_inspector is None
                                 else _decimal_text(rule.per_inspector)),
                "mode": rule.mode.value if rule.mode else "", "basis": rule.basis})
    return rows


def policy_categories() -> tuple[str, ...]:
    """The categories a pollution-source matter's rule may name."""
    return (*(c.value for c in Category), ALL)


# -- levels and strata ------------------------------------------------------------------------


def deployment_level(region: str | None) -> str:
    """`province` (PP0000), `city` (PPCC00) or `county` (PPCCXX) for a region code."""
    if not region or len(region) != 6:
        return COUNTY
    if region.endswith("0000"):
        return "province"
    return CITY if region.endswith("00") else COUNTY


def strata_apply(matter: MatterSpec, region: str | None) -> bool:
    """True when a city (or province) deployment draws a county-level matter: each district
    keeps its own obligations, so candidates and k are counted per district."""
    return matter.level == COUNTY and deployment_level(region) != COUNTY
