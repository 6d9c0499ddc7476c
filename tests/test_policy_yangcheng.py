"""The 阳城 policy (sources/yangcheng.txt) against numbers worked out by hand from its text."""

from __future__ import annotations

from datetime import date

from policy_world import World, assert_cited_in_source, numbers, plan_for

from ssj_bridge.model import Category
from ssj_bridge.model.periods import Quarter
from ssj_bridge.store import Store
from ssj_policies._common import source_text
from ssj_policies.yangcheng import SOURCE, build

Q2 = Quarter(2025, 2)
DAY = date(2025, 5, 15)
REGION = "140522"


def test_every_rule_cites_a_clause_of_the_text_with_its_words() -> None:
    assert assert_cited_in_source(build(), source_text(SOURCE)) >= 25


def build_yangcheng(store: Store) -> dict[str, str]:
    """The population of the plan tests; returns the subjects a test looks at by name."""
    w = World(store, REGION)
    named: dict[str, str] = {}
    key_permits = w.subjects(7, "重点管理")
    named.update(positive_key=key_permits[0], penalised_key=key_permits[1])
    w.tag(key_permits[0], "正面清单")
    w.tag(key_permits[1], "行政处罚", since=date(2025, 2, 1))
    listed_simplified = w.subjects(3, "简化管理", key=True)
    listed_key = w.subjects(3, "重点管理", key=True)
    named.update(listed_simplified=listed_simplified[0], grade_c_listed=listed_key[0])
    w.tag(listed_key[0], "绩效", "C")
    for label, grade in (("grade_b", "B"), ("grade_b_minus", "B-"), ("grade_d", "D"),
                         ("grade_a", "A")):
        named[label] = w.subject()
        w.tag(named[label], "绩效", grade)
    named["exceedance"] = w.subject()
    w.tag(named["exceedance"], "超标通报", since=date(2025, 3, 3))
    named["listed"] = w.subject("简化管理")
    w.tag(named["listed"], "挂牌督办")
    named["complaint"] = w.subject()
    w.tag(named["complaint"], "投诉", "1", since=date(2025, 4, 8), until=date(2025, 4, 8))
    w.tag(named["complaint"], "举报查实", since=date(2025, 4, 8))
    named["no_complaint"] = w.subject()
    w.tag(named["no_complaint"], "投诉", "0", since=date(2025, 4, 1), until=date(2025, 6, 30))
    named["positive_simplified"] = w.subject("简化管理")
    w.tag(named["positive_simplified"], "正面清单")
    w.subjects(38, "登记管理")
    w.inspectors(2)
    w.result(listed_simplified[0], date(2025, 4, 15))
    w.result(listed_simplified[1], date(2025, 1, 10))
    w.result(key_permits[2], date(2025, 2, 20))
    w.result(named["grade_b"], date(2025, 5, 1))
    return named


def test_plan_counts_every_obligation_as_worked_out_from_the_text(store: Store) -> None:
    """2025Q2, facts of 2025-05-15, region 140522.

    SPECIAL (三, first in precedence): penalised_key (行政处罚), grade_c_listed (绩效 C), grade_b
    ("B 级以下" includes B), grade_b_minus, grade_d, exceedance (超标通报), listed (挂牌督办),
    complaint (a report found true, 举报查实 2025-04-08) = 8. no_complaint (0 complaints) is not.
    KEY (重点排污单位名录 or 重点管理): 7 重点管理 + 3 简化管理 in the 名录 + 3 重点管理 in the 名录
    − penalised_key − grade_c_listed = 11 (positive_key stays KEY by precedence); of them in the
    名录: 3 + 3 − grade_c_listed = 5.
    GENERAL: grade_a, positive_simplified, no_complaint and 38 others = 41.
    三 KEY per quarter ceil(25% × 11) = ceil(2.75) = 3, done in Q2: listed_simplified → 1.
    三 every 重点排污单位 once a year: 5; done in 2025: listed_simplified (Q2), the second 简化
       名录 unit (Q1) → 2 (key_permits[2], inspected in Q1, is not in the 名录).
    三 SPECIAL per quarter ceil(30% × 8) = ceil(2.4) = 3; done: grade_b (2025-05-01) → 1.
    三 GENERAL per quarter ceil(5% × 41) = ceil(2.05) = 3; done 0.
    Need this quarter: KEY max(ceil((3 − 1) / 1), ceil((5 − 2) / 3)) = max(2, 1) = 2;
    SPECIAL 2; GENERAL 3.
    """
    build_yangcheng(store)
    plan, _ = plan_for(store, "yangcheng", Q2, REGION, DAY)
    assert numbers(plan) == {
        "KEY": (11, [("quarter", 3, 1, "三（重点监管对象）"), ("year", 5, 2, "三（重点监管对象）")]),
        "GENERAL": (41, [("quarter", 3, 0, "三（一般监管对象）")]),
        "SPECIAL": (8, [("quarter", 3, 1, "三（特殊监管对象）")]),
    }
    yearly = plan.categories[0].obligations[1]
    assert (yearly.obligation.scope, yearly.population) == ("重点排污单位", 5)
    assert {c.category.value: c.need for c in plan.categories} == {"KEY": 2, "GENERAL": 3,
                                                                   "SPECIAL": 2}


def test_precedence_and_the_general_library(sqlite_store: Store) -> None:
    named = build_yangcheng(sqlite_store)
    _, found = plan_for(sqlite_store, "yangcheng", Q2, REGION, DAY)
    assert found[named["positive_key"]].category is Category.KEY
    outranked = [r.rule for r in found[named["positive_key"]].reasons if r.outranked]
    assert outranked == ["生态环境监督执法正面清单内"]
    assert found[named["penalised_key"]].category is Category.SPECIAL
    assert found[named["grade_b"]].category is Category.SPECIAL
    assert found[named["grade_a"]].category is Category.GENERAL
    assert found[named["no_complaint"]].category is Category.GENERAL
    assert [r.rule for r in found[named["positive_simplified"]].reasons] == ["生态环境监督执法正面清单内"]


def test_two_checks_a_year_except_special_and_results_within_20_working_days() -> None:
    policy = build()
    assert policy.check_limit is not None
    assert policy.check_limit.per_year == 2
    assert policy.check_limit.binds([Category.GENERAL])
    assert not policy.check_limit.binds([Category.SPECIAL])
    assert [(d.kind.value, d.days, d.counted_from.value, d.clause, d.document)
            for d in policy.deadlines] == [
        ("results-entry", 20, "inspection", "六", ""),
        ("publication", 20, "task-complete", "第七条", "企业信息公示暂行条例")]
    assert [m.name for m in policy.matters][:2] == ["污染源日常环境监督管理", "建设项目环评及批复落实情况"]
    assert all("递加" in w.quote and w.clause == "三" for w in policy.weights)  # a rule, not a note
