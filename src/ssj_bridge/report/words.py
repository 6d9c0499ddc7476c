"""Codes as the documents word them: categories, periods of an obligation, statuses, break
kinds, platform roles. The codes stay in JSON; these are for people (marked for translation)."""

from __future__ import annotations

from ssj_bridge.model import Category
from ssj_bridge.policy.plan import CATEGORY_NAMES
from ssj_bridge.report.compliance import ROUTINE_LABEL, ObligationFigures
from ssj_bridge.report.paper import _


def category_text(code: str) -> str:
    """`KEY` → `重点监管对象` (an unknown code as it is)."""
    try:
        return _(CATEGORY_NAMES[Category(code)])
    except ValueError:
        return code


def obligation_text(o: ObligationFigures) -> str:
    """An obligation's line named for people: `重点监管对象`; `M07 371003 全部对象` for another
    matter's district line (the matter and district codes kept, the category in words)."""
    category = o.category.value if isinstance(o.category, Category) else o.category
    return " ".join(part for part in (obligation_scope(o), category_text(o.category_key or category))
                    if part)


def obligation_scope(o: ObligationFigures) -> str:
    """The matter (when not the routine one) and district an obligation's line belongs to:
    `M07 371003`, or empty for the routine matter's city line."""
    scope = [o.matter if o.matter and o.matter != ROUTINE_LABEL else "", o.region or ""]
    return " ".join(part for part in scope if part)


def per_text(per: str) -> str:
    """An obligation's period kind: `quarter` → `季度`."""
    return {"quarter": _("季度"), "half-year": _("半年"), "year": _("年度")}.get(per, per)


def status_text(status: str) -> str:
    """An obligation's status: `met` → `已完成`."""
    return {"met": _("已完成"), "open": _("进行中"), "short": _("未完成")}.get(status, status)


def kind_text(kind: str) -> str:
    """A reconciliation break's kind: `missing_in_store` → `本地库缺失`."""
    return {"missing_on_platform": _("平台缺失"), "missing_in_store": _("本地库缺失"),
            "field_mismatch": _("字段不一致"), "stale": _("平台数据过时"),
            "duplicate_key": _("重复记录")}.get(kind, kind)


def platform_text(role: str) -> str:
    """A platform role: `permit` → `排污许可平台`."""
    return {"permit": _("排污许可平台"), "credit": _("信用平台"),
            "province": _("省级双随机平台"), "publicity": _("企业信用信息公示系统")
            }.get(role, role)


def publication_text(status: str | None) -> str:
    """A publication's status: `published` → `已公示`."""
    return {"published": _("已公示"), "pending": _("待公示"), "rejected": _("平台退回"),
            None: _("未进入公示队列")}.get(status, status or "")
