"""A holder's subject from its permits: strictest valid class wins (permit.md), in the store."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from ssj_bridge.store import Store
from ssj_bridge.store.holders import derive_subjects
from ssj_bridge.store.schema import permits, subjects
from ssj_bridge.store.upsert import upsert

HOLDER = "91130200699229617X"
OTHER = "91110000802100433B"
_SITES = itertools.count(1)


def permit(klass: str, status: str = "有效", at: str = "2025-01-01T00:00:00+08:00",
           name: str = "甲", key: bool = False, uscc: str = HOLDER,
           site: int | None = None) -> dict[str, Any]:
    number = site if site is not None else next(_SITES)
    return {"permit_no": f"{uscc}{number:03d}P", "uscc": uscc, "org_name": name,
            "region_code": "371002", "address": None, "industry_code": "C2614",
            "industry_name": None, "management_class": klass, "key_discharge_unit": key,
            "pollutant_types": "[]", "valid_from": None, "valid_to": None, "status": status,
            "longitude": None, "latitude": None, "update_time": at}


def derive(store: Store, *rows: dict[str, Any]) -> dict[str, dict[str, Any]]:
    with store.engine.begin() as conn:
        upsert(conn, permits, list(rows), ("permit_no",))
        derive_subjects(conn, [r["uscc"] for r in rows], "2025-07-01T00:00:00+08:00")
    with store.engine.connect() as conn:
        return {row.uscc: dict(row._mapping) for row in conn.execute(select(subjects))}


def test_strictest_valid_class_of_several_permits(store: Store) -> None:
    holder = derive(store, permit("登记管理"), permit("重点管理", at="2024-01-01T00:00:00+08:00"),
                    permit("简化管理"))[HOLDER]
    assert holder["management_class"] == "重点管理"
    assert holder["active"] and holder["permit_count"] == 3
    assert holder["updated_at"] == "2025-07-01T00:00:00+08:00"


def test_invalid_permits_do_not_count_for_class(store: Store) -> None:
    holder = derive(store, permit("重点管理", status="注销"), permit("登记管理"))[HOLDER]
    assert holder["management_class"] == "登记管理"
    assert holder["permit_count"] == 2


def test_no_valid_permit_means_inactive_without_class(store: Store) -> None:
    holder = derive(store, permit("重点管理", status="过期", key=True, name="旧",
                                  at="2025-01-01T00:00:00+08:00"),
                    permit("简化管理", status="注销", name="最后",
                           at="2025-02-01T00:00:00+08:00"))[HOLDER]
    assert not holder["active"]
    assert holder["management_class"] is None
    assert not holder["key_discharge_unit"]
    assert holder["name"] == "最后"  # the latest permit names a holder without a valid one


def test_key_discharge_unit_only_from_a_valid_permit(store: Store) -> None:
    holder = derive(store, permit("简化管理", key=True), permit("重点管理", status="撤销",
                                                              key=True))[HOLDER]
    assert holder["key_discharge_unit"]
    other = derive(store, permit("简化管理", uscc=OTHER),
                   permit("重点管理", status="撤销", key=True, uscc=OTHER))[OTHER]
    assert not other["key_discharge_unit"]


def test_name_from_most_recently_updated_valid_permit(store: Store) -> None:
    holder = derive(store,
                    permit("登记管理", at="2025-03-01T00:00:00+08:00", name="新名"),
                    permit("重点管理", at="2025-01-01T00:00:00+08:00", name="旧名"),
                    permit("简化管理", status="注销", at="2025-06-01T00:00:00+08:00",
                           name="注销的"))[HOLDER]
    assert holder["name"] == "新名"


def test_fractional_update_time_sorts_after_the_whole_second(store: Store) -> None:
    holder = derive(store, permit("登记管理", at="2025-03-01T00:00:00.250000+08:00", name="后"),
                    permit("登记管理", at="2025-03-01T00:00:00+08:00", name="前"))[HOLDER]
    assert holder["name"] == "后"


def test_same_update_time_the_greater_permit_number_names_the_holder(store: Store) -> None:
    holder = derive(store, permit("登记管理", name="七", site=7), permit("登记管理", name="九", site=9),
                    permit("登记管理", name="八", site=8))[HOLDER]
    assert holder["name"] == "九"


def test_other_columns_of_a_subject_are_kept_and_only_listed_holders_change(store: Store) -> None:
    derive(store, permit("登记管理"), permit("简化管理", uscc=OTHER))
    with store.engine.begin() as conn:
        conn.execute(subjects.update().values(name="手工"))
        upsert(conn, permits, [permit("重点管理"), permit("重点管理", uscc=OTHER)],
               ("permit_no",))
        derive_subjects(conn, [HOLDER], "2025-08-01T00:00:00+08:00")
    with store.engine.connect() as conn:
        rows = {row.uscc: row for row in conn.execute(select(subjects))}
    assert rows[HOLDER].management_class == "重点管理" and rows[HOLDER].name == "甲"
    assert rows[HOLDER].updated_at == "2025-08-01T00:00:00+08:00"
    assert rows[OTHER].management_class == "简化管理" and rows[OTHER].name == "手工"


def test_many_holders_at_once(store: Store) -> None:
    codes = [f"91110000{n:09d}X" for n in range(1500)]  # any text: the rule does not check codes
    rows = [permit("简化管理" if n % 2 else "登记管理", uscc=code, site=1)
            for n, code in enumerate(codes)]
    got = derive(store, *rows)
    assert len(got) == 1500
    assert got[codes[1]]["management_class"] == "简化管理"
    assert got[codes[2]]["management_class"] == "登记管理"
