"""The 威海 policy (sources/weihai.txt) against numbers worked out by hand from its text."""

from __future__ import annotations

from datetime import date

import pytest
from policy_world import OWN_ORG, World, active_policy, assert_cited_in_source, numbers, plan_for

from ssj_bridge.model import Category
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.rules import PastResult
from ssj_bridge.store import Store
from ssj_policies._common import source_text
from ssj_policies.weihai import SOURCE, build

Q2 = Quarter(2025, 2)
DAY = date(2025, 5, 15)
REGION = "371000"


def test_every_rule_cites_a_clause_of_the_text_with_its_words() -> None:
    assert assert_cited_in_source(build(), source_text(SOURCE)) >= 20


def build_weihai(store: Store) -> dict[str, str]:
    """The population of the plan test; returns the subjects a test looks at by name."""
    w = World(store, "371002")
    named: dict[str, str] = {}
    keys = w.subjects(10, "重点管理")
    named["key_listed"] = keys[0]
    w.tag(keys[0], "挂牌督办", since=date(2025, 1, 1))
    simplified = w.subjects(21, "简化管理")
    named["simplified_warning"] = simplified[0]
    w.credit(simplified[0], "WARNING", "环保警示企业")
    named["hotel_simplified"] = w.subject("简化管理", industry="H6110")
    general = w.subjects(156, "登记管理")
    named.update(media=general[0], poor=general[1], mine=general[2], unstable=general[3],
                 complaints_12=general[4], complaints_9=general[5], listing_ended=general[6],
                 designated_general=general[7], good=general[8], designated_special=general[9])
    w.tag(general[0], "媒体曝光", since=date(2025, 4, 2))
    w.credit(general[1], "POOR", "环保不良企业")
    w.tag(general[2], "矿井")
    w.tag(general[3], "不能稳定达标", since=date(2024, 6, 1))
    w.tag(general[4], "投诉", "5", since=date(2025, 4, 1), until=date(2025, 4, 30))
    w.tag(general[4], "投诉", "7", since=date(2025, 5, 1), until=date(2025, 5, 31))
    w.tag(general[5], "投诉", "9", since=date(2025, 4, 1), until=date(2025, 6, 30))
    w.tag(general[5], "投诉", "6", since=date(2025, 3, 1), until=date(2025, 3, 31))  # Q1: not counted
    w.tag(general[6], "挂牌督办", since=date(2024, 1, 1), until=date(2025, 3, 31))
    w.tag(general[7], "挂牌督办", since=date(2025, 1, 1))
    w.tag(general[7], "指定类别", "GENERAL", since=date(2025, 2, 1), source="威环字〔2025〕3号")
    w.credit(general[8], "GOOD", "环保良好企业")
    w.tag(general[9], "指定类别", "SPECIAL", since=date(2025, 1, 1))
    # Outside the library (第八条（二）): 住宿餐饮 / 教育 units with only a registration.
    named["restaurant"] = w.subject("登记管理", industry="H6210")
    w.subjects(2, "登记管理", industry="H6210")
    named["restaurant_listed"] = w.subject("登记管理", industry="H6210")
    w.tag(named["restaurant_listed"], "挂牌督办", since=date(2025, 1, 1))
    named["school"] = w.subject("登记管理", industry="P8331")
    w.subject("登记管理", industry="P8331")
    named["inactive"] = w.subject(None, active=False)
    named["elsewhere"] = w.subject("重点管理", region="330802")
    w.inspectors(3, auxiliary=1)
    # Results: KEY one in Q2 (counts), one in Q1 (not this quarter); SPECIAL two in H1.
    w.result(keys[1], date(2025, 4, 10), "02")
    w.result(keys[2], date(2025, 1, 15))
    w.result(keys[0], date(2025, 2, 1))
    w.result(general[0], date(2025, 5, 5))
    w.result(simplified[3], date(2025, 7, 1))  # next quarter: done in none
    w.result(named["restaurant"], date(2025, 4, 20))  # not in the library: counts nowhere
    w.assigned(keys[3], Q2)  # drawn, not yet inspected: covered, not done
    return named


def test_plan_counts_every_obligation_as_worked_out_from_the_text(store: Store) -> None:
    """2025Q2, facts of 2025-05-15, region 371000 (subjects in 371002).

    Library (第八条（二）): 3 + 1 H6210 and 2 P8331 units with only 登记管理 are out, even the one
    under 挂牌督办; the H6110 unit with a 简化管理 permit stays. The inactive unit and the unit of
    330802 are in no population.
    SPECIAL (第九条（四）, precedence over the permit class): key_listed (挂牌督办),
    simplified_warning (credit WARNING), media, poor (credit POOR), mine, unstable,
    complaints_12 (5 + 7 = 12 ≥ 10 in Q2), designated_special (指定类别) = 8.
    Not SPECIAL: complaints_9 (9 in Q2; the 6 of Q1 do not count), listing_ended (挂牌督办 until
    2025-03-31), designated_general (指定类别 GENERAL wins over its 挂牌督办), good (credit GOOD).
    KEY = 10 重点管理 − key_listed = 9 → 第十四条（一） ceil(25% × 9) = ceil(2.25) = 3.
    SIMPLIFIED = 21 − simplified_warning + hotel_simplified = 21 → 第十四条（二）
    ceil(5% × 21) = ceil(1.05) = 2.
    GENERAL = 156 − 6 SPECIAL (media, poor, mine, unstable, complaints_12, designated_special)
    = 150 → 第十四条（三） ceil(1% × 150) = ceil(1.5) = 2.
    SPECIAL: 第十四条（四） every one once in the half-year 2025H1: required 8.
    Done: KEY 1 (keys[1] on 2025-04-10; keys[2] was inspected in Q1); SIMPLIFIED 0 (its result
    is in Q3); GENERAL 0; SPECIAL 2 (key_listed 2025-02-01 and media 2025-05-05, both in H1).
    Need this quarter: KEY ceil((3 − (1 done + 1 assigned)) / 1) = 1; SPECIAL ceil((8 − 2) / 1) = 6
    (Q2 is the half-year's last quarter); SIMPLIFIED 2; GENERAL 2.
    Inspectors: 3 certified (the auxiliary one does not count).
    """
    build_weihai(store)
    plan, _ = plan_for(store, "weihai", Q2, REGION, DAY)
    assert plan.inspectors == 3
    assert numbers(plan) == {
        "KEY": (9, [("quarter", 3, 1, "第十四条（一）")]),
        "SIMPLIFIED": (21, [("quarter", 2, 0, "第十四条（二）")]),
        "GENERAL": (150, [("quarter", 2, 0, "第十四条（三）")]),
        "SPECIAL": (8, [("half-year", 8, 2, "第十四条（四）")]),
    }
    needs = {c.category.value: c.need for c in plan.categories}
    assert needs == {"KEY": 1, "SIMPLIFIED": 2, "GENERAL": 2, "SPECIAL": 6}


def test_classification_records_categories_and_the_rule_behind_each(sqlite_store: Store) -> None:
    named = build_weihai(sqlite_store)
    _, found = plan_for(sqlite_store, "weihai", Q2, REGION, DAY)
    assert found[named["key_listed"]].category is Category.SPECIAL
    assert found[named["key_listed"]].categories == (Category.SPECIAL,)
    [applies] = [r for r in found[named["key_listed"]].reasons if not r.outranked]
    assert (applies.rule, applies.clause, applies.facts["tag"]) == ("被挂牌督办", "第九条（四）", "挂牌督办")
    outranked = [r for r in found[named["key_listed"]].reasons if r.outranked]
    assert [(r.category, r.clause) for r in outranked] == [(Category.KEY, "第九条（一）")]
    assert found[named["complaints_12"]].reasons[0].facts == {"complaintsInQuarter": 12, "threshold": 10}
    assert found[named["complaints_9"]].category is Category.GENERAL
    assert found[named["listing_ended"]].category is Category.GENERAL
    assert found[named["good"]].category is Category.GENERAL
    assert found[named["hotel_simplified"]].category is Category.SIMPLIFIED


def test_registration_only_hotels_restaurants_and_schools_are_outside_the_library(
        sqlite_store: Store) -> None:
    named = build_weihai(sqlite_store)
    _, found = plan_for(sqlite_store, "weihai", Q2, REGION, DAY)
    for who in ("restaurant", "restaurant_listed", "school"):
        assert found[named[who]].category is None and found[named[who]].categories == ()
        assert found[named[who]].reasons[0].clause == "第八条（二）"
    assert found[named["inactive"]].category is None
    assert named["elsewhere"] not in found


def test_designated_category_wins_over_every_rule_and_keeps_the_rules_as_outranked(
        sqlite_store: Store) -> None:
    named = build_weihai(sqlite_store)
    _, found = plan_for(sqlite_store, "weihai", Q2, REGION, DAY)
    general = found[named["designated_general"]]
    assert general.category is Category.GENERAL
    assert general.reasons[0].clause == "威环字〔2025〕3号"
    assert {r.rule for r in general.reasons if r.outranked} == {"被挂牌督办",
                                                                 "填报排污登记表: registration 登记管理"}
    assert found[named["designated_special"]].category is Category.SPECIAL


def test_article_18_excludes_units_found_clean_this_year_except_special() -> None:
    """第十八条: inspected this year (by this bureau or a higher level) with every result 01."""
    [exclusion] = build().draw_exclusions
    clean = [PastResult("X", date(2025, 3, 1), "01", OWN_ORG),
             PastResult("X", date(2025, 4, 1), "01", "11370000MB0000000X")]
    assert exclusion.excludes(clean, [Category.KEY], Q2, OWN_ORG)
    assert not exclusion.excludes(clean, [Category.SPECIAL], Q2, OWN_ORG)
    assert not exclusion.excludes([*clean, PastResult("X", date(2025, 4, 2), "02")],
                                  [Category.KEY], Q2, OWN_ORG)
    assert not exclusion.excludes([PastResult("X", date(2024, 11, 1), "01")], [Category.GENERAL],
                                  Q2, OWN_ORG)
    assert not exclusion.excludes([], [Category.GENERAL], Q2, OWN_ORG)
    off = active_policy("weihai", exclude_inspected_clean=False).policy.draw_exclusions[0]
    assert not off.excludes(clean, [Category.KEY], Q2, OWN_ORG)


@pytest.mark.parametrize(("attribute", "expected"), [
    ("group_size", (2, "第十九条")),
    ("deadlines", [("publication", 20, "quarter-complete", "第二十二条")]),
])
def test_group_size_and_publication_deadline(attribute: str, expected: object) -> None:
    policy = build()
    if attribute == "group_size":
        assert policy.group_size is not None
        assert (policy.group_size.min_inspectors, policy.group_size.clause) == expected
    else:
        assert [(d.kind.value, d.days, d.counted_from.value, d.clause)
                for d in policy.deadlines] == expected
    assert policy.check_limit is None
    assert [m.code for m in policy.matters] == ["M01"]
