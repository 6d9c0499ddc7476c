"""The 南山 policy (sources/nanshan.txt) against numbers worked out by hand from its text."""

from __future__ import annotations

from datetime import date

from policy_world import World, assert_cited_in_source, numbers, plan_for

from ssj_bridge.model import Category, InspectionMode
from ssj_bridge.model.periods import Quarter
from ssj_bridge.store import Store
from ssj_policies._common import source_text
from ssj_policies.nanshan import SOURCE, build

Q2 = Quarter(2025, 2)
DAY = date(2025, 5, 15)
REGION = "440305"


def test_every_rule_cites_a_clause_of_the_text_with_its_words() -> None:
    assert assert_cited_in_source(build(), source_text(SOURCE)) >= 20


def build_nanshan(store: Store) -> dict[str, str]:
    """The population of the plan tests; returns the subjects a test looks at by name."""
    w = World(store, REGION)
    named: dict[str, str] = {}
    w.subjects(8, "重点管理")
    named["positive_key"] = w.subject("重点管理")
    w.tag(named["positive_key"], "正面清单", since=date(2025, 1, 1))
    w.subjects(2, "简化管理", key=True)
    named["good_key"] = w.subject("重点管理")
    w.credit(named["good_key"], "GOOD", "环保良好企业")
    named["vocs_a_key"] = w.subject("重点管理")
    w.tag(named["vocs_a_key"], "VOCs", "A")
    named["vocs_a_penalised"] = w.subject("重点管理")
    w.tag(named["vocs_a_penalised"], "VOCs", "A")
    w.tag(named["vocs_a_penalised"], "行政处罚", since=date(2025, 3, 1))
    named["designated_excellent"] = w.subject("简化管理")
    w.credit(named["designated_excellent"], "EXCELLENT", "环保诚信企业")
    w.tag(named["designated_excellent"], "指定类别", "KEY", since=date(2025, 1, 1))
    general = w.subjects(30, "简化管理")
    named["vocs_b"] = w.subject()
    w.tag(named["vocs_b"], "VOCs", "B")
    named["complaints_9"] = w.subject()
    w.tag(named["complaints_9"], "投诉", "9", since=date(2025, 1, 1), until=date(2025, 3, 31))
    named["positive_simplified"] = w.subject("简化管理")
    w.tag(named["positive_simplified"], "正面清单")
    named["positive_listed_simplified"] = w.subject("简化管理", key=True)
    w.tag(named["positive_listed_simplified"], "正面清单")
    named["excellent"] = w.subject()
    w.credit(named["excellent"], "EXCELLENT", "环保诚信企业")
    named["warning"] = w.subject()
    w.credit(named["warning"], "WARNING", "环保警示企业")
    named["poor"] = w.subject()
    w.credit(named["poor"], "POOR", "环保不良企业")
    named["vocs_c"] = w.subject()
    w.tag(named["vocs_c"], "VOCs", "C")
    named["complaints_10"] = w.subject()
    w.tag(named["complaints_10"], "投诉", "4", since=date(2025, 1, 1), until=date(2025, 1, 31))
    w.tag(named["complaints_10"], "投诉", "6", since=date(2025, 2, 1), until=date(2025, 2, 14))
    named["good_penalised"] = w.subject()
    w.credit(named["good_penalised"], "GOOD", "环保良好企业")
    w.tag(named["good_penalised"], "行政处罚", since=date(2025, 2, 1))
    w.inspectors(6, auxiliary=2)
    w.result(named["positive_key"], date(2025, 4, 10))
    for who in general[:3]:
        w.result(who, date(2025, 5, 2))
    w.result(named["good_key"], date(2025, 4, 11))
    return named


def test_plan_counts_every_obligation_as_worked_out_from_the_text(store: Store) -> None:
    """2025Q2, facts of 2025-05-15, region 440305; 6 certified inspectors (+2 auxiliary).

    SPECIAL (四（二）1 一是, over everything else): vocs_a_penalised (行政处罚 beats its VOCs A),
    warning (环保警示企业), poor (环保不良企业), vocs_c, complaints_10 (4 + 6 in Q1, the quarter
    whose list the Q2 draw takes: 五（二）1, "10 宗（含）以上"),
    good_penalised (行政处罚 beats its good credit) = 6.
    Out of routine draws (二是, 三是): good_key (环保良好企业), vocs_a_key (VOCs A), excellent
    (环保诚信企业), positive_simplified and positive_listed_simplified (正面清单 without a 重点管理
    permit, 重点排污单位 or not).
    KEY (重点管理 or 重点排污单位): 8 + positive_key (stays KEY, checked 非现场) + 2 简化 in the 名录
    + designated_excellent (指定类别 KEY wins over its 环保诚信 credit) = 12 →
    四（二）1 ceil(12.5% × 12) = ceil(1.5) = 2; done 1 (positive_key, 2025-04-10).
    GENERAL: 30 简化管理 + vocs_b + complaints_9 (9 in Q1 < 10) = 32 → 四（二）1 ceil(2.5 × 6) = 15
    (≤ 32); done 3.
    SPECIAL: 四（二）1 一是 ceil(25% × 6) = ceil(1.5) = 2; done 0.
    good_key's result counts nowhere: it is in no population.
    """
    build_nanshan(store)
    plan, _ = plan_for(store, "nanshan", Q2, REGION, DAY)
    assert plan.inspectors == 6
    assert numbers(plan) == {
        "KEY": (12, [("quarter", 2, 1, "四（二）1")]),
        "GENERAL": (32, [("quarter", 15, 3, "四（二）1")]),
        "SPECIAL": (6, [("quarter", 2, 0, "四（二）1 一是")]),
    }


def test_good_credit_vocs_a_and_positive_list_without_key_permit_are_left_out(
        sqlite_store: Store) -> None:
    named = build_nanshan(sqlite_store)
    _, found = plan_for(sqlite_store, "nanshan", Q2, REGION, DAY)
    expected = {"good_key": "四（二）1 二是", "vocs_a_key": "四（二）1 二是", "excellent": "四（二）1 二是",
                "positive_simplified": "四（二）1 三是", "positive_listed_simplified": "四（二）1 三是"}
    for who, clause in expected.items():
        assert found[named[who]].category is None, who
        assert found[named[who]].categories == ()
        assert found[named[who]].reasons[0].clause == clause
    assert found[named["vocs_a_penalised"]].category is Category.SPECIAL
    assert found[named["good_penalised"]].category is Category.SPECIAL


def test_positive_list_key_unit_stays_key_and_is_inspected_off_site(sqlite_store: Store) -> None:
    named = build_nanshan(sqlite_store)
    _, found = plan_for(sqlite_store, "nanshan", Q2, REGION, DAY)
    positive = found[named["positive_key"]]
    assert positive.category is Category.KEY
    assert positive.inspection_mode is InspectionMode.OFF_SITE
    assert found[named["designated_excellent"]].category is Category.KEY
    assert found[named["designated_excellent"]].inspection_mode is None


def test_publication_within_18_working_days_and_no_check_limit() -> None:
    policy = build()
    assert [(d.kind.value, d.days, d.clause) for d in policy.deadlines] == [("publication", 18, "五（三）2")]
    assert policy.check_limit is None and policy.group_size is None
