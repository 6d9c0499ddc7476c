"""The shared code lists of the platforms, as enumerations (values are what users see)."""

from __future__ import annotations

from enum import StrEnum


class ManagementClass(StrEnum):
    """排污许可管理类别; ordered by strictness through `rank` (lower is stricter)."""

    KEY = "重点管理"
    SIMPLIFIED = "简化管理"
    REGISTERED = "登记管理"  # 排污登记: a registration, not a permit

    @property
    def rank(self) -> int:
        """0 for the strictest class; the holder's class is the lowest rank of its valid permits."""
        return _MANAGEMENT_RANK[self]


_MANAGEMENT_RANK = {
    ManagementClass.KEY: 0,
    ManagementClass.SIMPLIFIED: 1,
    ManagementClass.REGISTERED: 2,
}


class PermitStatus(StrEnum):
    """A permit's status; only VALID permits count for classification."""

    VALID = "有效"
    CANCELLED = "注销"
    REVOKED = "撤销"
    EXPIRED = "过期"


class PollutantType(StrEnum):
    """Pollutant types a permit covers."""

    AIR = "废气"
    WATER = "废水"
    SOLID_WASTE = "固体废物"
    NOISE = "噪声"
    SOIL = "土壤"


class Category(StrEnum):
    """监管对象类别, the supervision category of a subject for a period."""

    KEY = "KEY"  # 重点监管对象
    SIMPLIFIED = "SIMPLIFIED"  # 简化监管对象
    GENERAL = "GENERAL"  # 一般监管对象
    SPECIAL = "SPECIAL"  # 特殊监管对象


class CreditTier(StrEnum):
    """Canonical environmental credit tier (环境信用评价等级), whatever the province's words."""

    EXCELLENT = "EXCELLENT"
    GOOD = "GOOD"
    WARNING = "WARNING"
    POOR = "POOR"
    SEVERE = "SEVERE"
    UNRATED = "UNRATED"

    def at_least_as_bad_as(self, other: CreditTier) -> bool:
        """True when this tier is `other` or worse (UNRATED is neither good nor bad)."""
        if CreditTier.UNRATED in (self, other):
            return False
        return _TIER_ORDER.index(self) >= _TIER_ORDER.index(other)


_TIER_ORDER = [CreditTier.EXCELLENT, CreditTier.GOOD, CreditTier.WARNING, CreditTier.POOR,
               CreditTier.SEVERE]


class RiskClass(StrEnum):
    """企业信用风险分类 of market regulation; the platforms send the letter."""

    LOW = "LOW"  # A 低风险
    MEDIUM = "MEDIUM"  # B 一般风险
    HIGH = "HIGH"  # C 较高风险
    VERY_HIGH = "VERY_HIGH"  # D 高风险

    @classmethod
    def from_letter(cls, letter: str) -> RiskClass:
        """Map the platform letter A–D; anything else raises ValueError."""
        try:
            return _RISK_LETTERS[letter.strip().upper()]
        except KeyError:
            raise ValueError(f"risk class {letter!r} is not one of A/B/C/D") from None


_RISK_LETTERS = {"A": RiskClass.LOW, "B": RiskClass.MEDIUM, "C": RiskClass.HIGH,
                 "D": RiskClass.VERY_HIGH}


class ResultCode(StrEnum):
    """检查结果 code, shared by the provincial platform and the publicity system."""

    NO_PROBLEM = "01"
    RECTIFICATION_ORDERED = "02"
    CASE_OPENED = "03"
    ACTIVITY_NOT_FOUND = "04"
    UNREACHABLE = "05"
    OBSTRUCTED = "06"

    @property
    def wording(self) -> str:
        """The publicity wording for the code (JCJG)."""
        return RESULT_WORDING[self]


RESULT_WORDING = {
    ResultCode.NO_PROBLEM: "未发现问题",
    ResultCode.RECTIFICATION_ORDERED: "发现问题已责令整改",
    ResultCode.CASE_OPENED: "发现违法行为已立案调查",
    ResultCode.ACTIVITY_NOT_FOUND: "未发现开展本次抽查涉及的经营活动",
    ResultCode.UNREACHABLE: "通过登记的住所（经营场所）无法联系",
    ResultCode.OBSTRUCTED: "不配合检查情节严重",
}


class InspectionMode(StrEnum):
    """检查方式."""

    ON_SITE = "现场"
    OFF_SITE = "非现场"
    THIRD_PARTY = "第三方"


class Expertise(StrEnum):
    """An inspector's fields of expertise, as the roster file writes them."""

    AIR = "大气"
    WATER = "水"
    SOLID_WASTE = "固废"
    HAZARDOUS_WASTE = "危废"
    SOIL = "土壤"
    NOISE = "噪声"
    RADIATION = "辐射"
    EIA = "环评"
    MONITORING = "监测"
    MARINE = "海洋"
    MOBILE_SOURCE = "移动源"


class TaskStatus(StrEnum):
    """A task's lifecycle on the provincial platform."""

    DRAWN = "已抽取"
    IN_PROGRESS = "检查中"
    COMPLETED = "已完成"


class AssignmentStatus(StrEnum):
    """One subject's state within a task."""

    PENDING = "待检查"
    INSPECTED = "已检查"
    PUBLISHED = "已公示"


class DrawMode(StrEnum):
    """Whether the draw was limited to a tagged scope."""

    TARGETED = "定向"
    UNTARGETED = "不定向"


class PublicationStatus(StrEnum):
    """Where a result stands on the publicity system."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    # Kept out of publication on purpose (涉及国家秘密、国家安全、公共安全), with the reason and
    # approver recorded (`results withhold`): never overdue, never sent.
    WITHHELD = "withheld"


class Tag(StrEnum):
    """Local designations a bureau records (the facts no platform supplies)."""

    SUPERVISED_LISTING = "挂牌督办"
    HIGH_ENERGY = "两高"
    POSITIVE_LIST = "正面清单"
    MINE = "矿井"
    SENSITIVE = "敏感"
    MEDIA_EXPOSURE = "媒体曝光"
    CENTRAL_INSPECTION_PETITION = "中央督察信访"
    EXCEEDANCE_NOTICE = "超标通报"
    UNSTABLE_COMPLIANCE = "不能稳定达标"
    ADMINISTRATIVE_PENALTY = "行政处罚"
    ENVIRONMENTAL_RISK = "环境风险"
    TOXIC_CHEMICALS = "有毒化学品"
    PLATFORM_ALARM = "平台报警"
    COMPLAINTS = "投诉"
    VOCS = "VOCs"
    PERFORMANCE_GRADE = "绩效"
    CONTROL_LEVEL = "控制级别"
    DESIGNATED_CATEGORY = "指定类别"
    VERIFIED_REPORT = "举报查实"  # a report by the public, found true on checking
