"""A holder's subject from its permits: strictest valid class wins (permit.md)."""

from __future__ import annotations

from ssj_bridge.holders import PermitFacts, holder_from_permits


def facts(klass: str, status: str = "有效", at: str = "2025-01-01T00:00:00+08:00",
          name: str = "甲", key: bool = False) -> PermitFacts:
    return PermitFacts("91130200699229617X", name, "371002", "C2614", klass, key, status, at)


def test_strictest_valid_class_of_several_permits() -> None:
    holder = holder_from_permits([facts("登记管理"), facts("重点管理", at="2024-01-01T00:00:00+08:00"),
                                  facts("简化管理")])
    assert holder.management_class == "重点管理"
    assert holder.active and holder.permit_count == 3


def test_invalid_permits_do_not_count_for_class() -> None:
    holder = holder_from_permits([facts("重点管理", status="注销"), facts("登记管理")])
    assert holder.management_class == "登记管理"


def test_no_valid_permit_means_inactive_without_class() -> None:
    holder = holder_from_permits([facts("重点管理", status="过期", key=True)])
    assert not holder.active
    assert holder.management_class is None
    assert not holder.key_discharge_unit


def test_name_from_most_recently_updated_valid_permit() -> None:
    holder = holder_from_permits([
        facts("登记管理", at="2025-03-01T00:00:00+08:00", name="新名"),
        facts("重点管理", at="2025-01-01T00:00:00+08:00", name="旧名"),
        facts("简化管理", status="注销", at="2025-06-01T00:00:00+08:00", name="注销的"),
    ])
    assert holder.name == "新名"
