"""The 衢州 city and county policies (sources/quzhou.txt) against numbers worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from policy_world import World, assert_cited_in_source, numbers, plan_for

from ssj_bridge.model import Category
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.rules import ConflictAction
from ssj_bridge.store import Store
from ssj_policies._common import source_text
from ssj_policies.quzhou import SOURCE, build_city, build_county

Q2 = Quarter(2025, 2)
DAY = date(2025, 5, 15)
CITY = "330800"
COUNTY = "330822"
K, G, X = Category.KEY, Category.GENERAL, Category.SPECIAL


@pytest.mark.parametrize("build", [build_city, build_county])
def test_every_rule_cites_a_clause_of_the_text_with_its_words(build: object) -> None:
    assert callable(build)
    assert assert_cited_in_source(build(), source_text(SOURCE)) >= 18


def build_quzhou(store: Store) -> dict[str, str]:
    """Subjects of 常山县 (330822) under 衢州市; 3 inspectors of the city bureau, 4 of the county."""
    w = World(store, COUNTY)
    named: dict[str, str] = {}
    national = w.subjects(2, "重点管理")
    named["national_penalised"] = national[0]
    w.tag(national[0], "控制级别", "国控")
    w.tag(national[1], "控制级别", "国控")
    w.tag(national[0], "行政处罚", since=date(2025, 3, 1))
    for who in w.subjects(3, "重点管理"):
        w.tag(who, "控制级别", "省控")
    city_level = w.subjects(10, "简化管理")
    for who in city_level:
        w.tag(who, "控制级别", "市控")
    named.update(city_complaints=city_level[0], city_media=city_level[1], city_done_q1=city_level[2],
                 city_done_q2=city_level[3], city_designated=city_level[9])
    w.tag(city_level[0], "投诉", "15", since=date(2025, 1, 1), until=date(2025, 3, 31))
    w.tag(city_level[1], "媒体曝光", since=date(2025, 4, 1))
    w.tag(city_level[9], "指定类别", "GENERAL", since=date(2025, 1, 1))
    county_level = w.subjects(12, "登记管理")
    for who in county_level:
        w.tag(who, "控制级别", "县控")
    named.update(county_risk=county_level[0], county_done=county_level[1],
                 county_complaints_9=county_level[2])
    w.tag(county_level[0], "环境风险")
    w.tag(county_level[2], "投诉", "9", since=date(2025, 1, 1), until=date(2025, 3, 31))
    unlevelled = w.subjects(5, "登记管理")
    named.update(toxic=unlevelled[0], alarm=unlevelled[1], unlevelled=unlevelled[2])
    w.tag(unlevelled[0], "有毒化学品")
    w.tag(unlevelled[1], "平台报警", since=date(2025, 5, 1))
    named["inactive_national"] = w.subject(None, active=False)
    w.tag(named["inactive_national"], "控制级别", "国控")
    w.inspectors(3, region=CITY)
    w.inspectors(4, auxiliary=1)
    w.result(national[0], date(2025, 4, 20))
    w.result(city_level[3], date(2025, 5, 6))
    w.result(city_level[2], date(2025, 2, 1))
    w.result(county_level[1], date(2025, 6, 2))
    return named


def test_city_plan_counts_every_obligation_as_worked_out_from_the_text(store: Store) -> None:
    """quzhou-city, 2025Q2, region 330800: 3 certified inspectors — the city bureau's own
    在编在岗 staff (一（四）); the 4 of 330822 are the county's.

    一（三）: KEY = 国控 2 + 省控 3 = 5; GENERAL = 市控 10 (city_designated: 指定类别 GENERAL);
    SPECIAL library (overlapping): national_penalised (行政处罚), city_complaints (15 in Q1, the
    list compiled before the Q2 draw, 一（四）: ≥ 10),
    city_media, county_risk (环境风险), toxic (有毒化学品), alarm (平台报警) = 6. county_complaints_9
    is not (9 < 10); 县控 and unlevelled units are in no library at city level.
    一（四）: KEY ceil(5% × 5) = ceil(0.25) = 1; done 1 (national_penalised, 2025-04-20).
            GENERAL ceil(1.25 × 3) = ceil(3.75) = 4 (≤ 10); done 1 (city_done_q2; city_done_q1's
            result is in Q1).
            SPECIAL ceil(10% × 6) = ceil(0.6) = 1; done 1 (national_penalised again: it is in
            both libraries).
    """
    build_quzhou(store)
    plan, _ = plan_for(store, "quzhou-city", Q2, CITY, DAY)
    assert plan.inspectors == 3
    assert numbers(plan) == {
        "KEY": (5, [("quarter", 1, 1, "一（四）")]),
        "GENERAL": (10, [("quarter", 4, 1, "一（四）")]),
        "SPECIAL": (6, [("quarter", 1, 1, "一（四）")]),
    }


def test_county_plan_counts_every_obligation_as_worked_out_from_the_text(store: Store) -> None:
    """quzhou-county, 2025Q2, region 330822: 4 certified inspectors (the auxiliary one and the
    city's 3 do not count).

    一（三）: KEY = 市控 and above: 2 + 3 + 10 − city_designated (指定类别 GENERAL) = 14;
    GENERAL = 县控 12 + city_designated = 13; SPECIAL the same 6 as at city level.
    一（四）: KEY per quarter ceil(25% × 14) = ceil(3.5) = 4; done 2 (national_penalised,
            city_done_q2). Every KEY once a year: 14; done 3 (+ city_done_q1 in Q1).
            GENERAL ceil(2.5 × 4) = 10 (≤ 13); done 1 (county_done).
            SPECIAL ceil(30% × 6) = ceil(1.8) = 2; done 1.
    Need this quarter: KEY max(ceil((4 − 2) / 1), ceil((14 − 3) / 3)) = max(2, 4) = 4.
    """
    build_quzhou(store)
    plan, _ = plan_for(store, "quzhou-county", Q2, COUNTY, DAY)
    assert plan.inspectors == 4
    assert numbers(plan) == {
        "KEY": (14, [("quarter", 4, 2, "一（四）"), ("year", 14, 3, "一（四）")]),
        "GENERAL": (13, [("quarter", 10, 1, "一（四）")]),
        "SPECIAL": (6, [("quarter", 2, 1, "一（四）")]),
    }
    assert plan.categories[0].need == 4


def test_per_inspector_count_is_capped_at_the_population(sqlite_store: Store) -> None:
    """County GENERAL with 6 inspectors: ceil(2.5 × 6) = 15 > 13 units → required 13."""
    build_quzhou(sqlite_store)
    World(sqlite_store, COUNTY, counter=900).inspectors(2)
    plan, _ = plan_for(sqlite_store, "quzhou-county", Q2, COUNTY, DAY)
    assert numbers(plan)["GENERAL"] == (13, [("quarter", 13, 1, "一（四）")])


def test_special_library_overlaps_key_and_general_with_special_primary(sqlite_store: Store) -> None:
    named = build_quzhou(sqlite_store)
    _, city = plan_for(sqlite_store, "quzhou-city", Q2, CITY, DAY)
    assert (city[named["national_penalised"]].category, city[named["national_penalised"]].categories) \
        == (X, (K, X))
    assert (city[named["city_media"]].category, city[named["city_media"]].categories) == (X, (G, X))
    assert (city[named["county_risk"]].category, city[named["county_risk"]].categories) == (X, (X,))
    assert city[named["county_done"]].category is None  # 县控: no library at city level
    assert city[named["unlevelled"]].category is None
    assert (city[named["toxic"]].category, city[named["toxic"]].categories) == (X, (X,))
    _, county = plan_for(sqlite_store, "quzhou-county", Q2, COUNTY, DAY)
    assert county[named["county_risk"]].categories == (G, X)
    assert county[named["city_complaints"]].categories == (K, X)
    assert county[named["city_designated"]].categories == (G,)
    assert county[named["county_complaints_9"]].categories == (G,)
    assert county[named["inactive_national"]].category is None


def test_two_checks_a_year_except_special_and_results_within_7_working_days() -> None:
    for policy in (build_city(), build_county()):
        assert policy.check_limit is not None and policy.check_limit.per_year == 2
        assert not policy.check_limit.binds([K, X])  # SPECIAL, also when in another library too
        assert policy.check_limit.binds([G])
        assert policy.conflict is not None
        assert policy.conflict.action is ConflictAction.SWAP_OR_REDRAW
        assert [(d.kind.value, d.days, d.counted_from.value, d.clause) for d in policy.deadlines] == [
            ("results-entry", 7, "inspection", "二（二）"), ("publication", 20, "task-complete", "第七条")]
        assert {n.clause for n in policy.notes} >= {"二（四）"}
