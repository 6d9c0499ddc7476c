"""What several locality texts share: the routine matter, the default publication deadline,
"inspected this year and found clean" exclusions, reading a policy's source text and its
bundled matter list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from importlib import resources

from ssj_bridge.api import (
    Category,
    CountedFrom,
    Deadline,
    DeadlineKind,
    Evidence,
    ExclusionTest,
    Matter,
    MatterSpec,
    PastResult,
    Quarter,
    RatioWeight,
    ResultCode,
    RiskClass,
    SubjectFacts,
    matters_from_text,
)

ROUTINE_MATTER = "污染源日常环境监督管理"


def routine_matter(clause: str) -> Matter:
    """M01, whose draws serve the policy's obligations (policies/README.md, "Matters")."""
    return Matter("M01", ROUTINE_MATTER, clause, optional=False)


def default_publication() -> Deadline:
    """20 working days after the task is complete, where the locality's text sets no other."""
    return Deadline(DeadlineKind.PUBLICATION, 20, CountedFrom.TASK_COMPLETE,
                    clause="第七条", document="企业信息公示暂行条例")


def inspected_clean_this_year(*, higher_level_only: bool) -> ExclusionTest:
    """Excluded when inspected this year (by a higher level only, when asked) and every result is 01.

    A higher level's inspection is one whose task another org drew (drawnBy ≠ SSJ_ORG_CODE).
    """
    def test(results: Sequence[PastResult], quarter: Quarter, own_org: str | None) -> bool:
        this_year = [r for r in results if r.inspected_on.year == quarter.year]
        if higher_level_only:
            this_year = [r for r in this_year if r.drawn_by and r.drawn_by != own_org]
        return bool(this_year) and all(r.result_code == ResultCode.NO_PROBLEM.value
                                       for r in this_year)
    return test


RISK_NAMES = {RiskClass.LOW: "低风险", RiskClass.MEDIUM: "一般风险", RiskClass.HIGH: "较高风险",
              RiskClass.VERY_HIGH: "高风险"}


def risk_weight(risk: RiskClass, factor: Fraction, clause: str, quote: str,
                categories: frozenset[Category] = frozenset()) -> RatioWeight:
    """The ratio of `categories` scaled by `factor` for subjects of the 企业信用风险分类 `risk`."""
    def test(facts: SubjectFacts) -> Evidence | None:
        if facts.risk_class is risk:
            return {"riskClass": risk.value}
        return None

    return RatioWeight(RISK_NAMES[risk], factor,
                       f"企业信用风险分类 {RISK_NAMES[risk]}: ratio ×{float(factor):g}", clause, test,
                       categories, quote)


def bundled_matters(policy: str) -> tuple[MatterSpec, ...]:
    """The policy's 随机抽查事项清单 as read from its text, kept in `matters/<policy>.csv` in the
    matter file's format (interface.md) and read exactly as an import would be."""
    file_name = f"{policy}.csv"
    text = (resources.files("ssj_policies") / "matters" / file_name).read_text(encoding="utf-8")
    return matters_from_text(text, file_name)


def source_text(file_name: str) -> str:
    """The locality's published text, as kept in `sources/`."""
    return (resources.files("ssj_policies") / "sources" / file_name).read_text(encoding="utf-8")


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
