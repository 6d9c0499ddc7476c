"""The 益阳 policy (sources/yiyang.txt) against numbers worked out by hand from its text."""

from __future__ import annotations

from datetime import date

from policy_world import HIGHER_ORG, OWN_ORG, World, assert_cited_in_source, numbers, plan_for

from ssj_bridge.model import Category
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.rules import ConflictAction, PastResult
from ssj_bridge.store import Store
from ssj_policies._common import source_text
from ssj_policies.yiyang import SOURCE, build

Q2 = Quarter(2025, 2)
DAY = date(2025, 5, 15)
REGION = "430900"


def test_every_rule_cites_a_clause_of_the_text_with_its_words() -> None:
    assert assert_cited_in_source(build(), source_text(SOURCE)) >= 30


def build_yiyang(store: Store) -> dict[str, str]:
    """The population of the plan tests; returns the subjects a test looks at by name."""
    w = World(store, "430902")
    named: dict[str, str] = {}
    kdu = w.subjects(7, "重点管理", key=True)
    named.update(positive_key=kdu[0], poor_key=kdu[1])
    w.tag(kdu[0], "正面清单", since=date(2025, 1, 1))
    w.credit(kdu[1], "POOR", "不良")
    sensitive = w.subjects(2, "登记管理")
    named.update(sensitive=sensitive[0], sensitive_listed=sensitive[1])
    for who in sensitive:
        w.tag(who, "敏感")
    w.tag(sensitive[1], "挂牌督办", since=date(2025, 3, 1))
    risky = w.subjects(2, "简化管理")
    for who in risky:
        w.credit(who, "WARNING", "风险")
    named["risky"] = risky[0]
    named["petition"] = w.subject()
    w.tag(named["petition"], "中央督察信访", since=date(2024, 10, 1))
    named["media"] = w.subject()
    w.tag(named["media"], "媒体曝光", since=date(2025, 4, 3))
    named["complaints_10"] = w.subject()
    w.tag(named["complaints_10"], "投诉", "10", since=date(2025, 4, 1), until=date(2025, 6, 30))
    named["penalty_recent"] = w.subject()
    w.tag(named["penalty_recent"], "行政处罚", since=date(2023, 6, 1), until=date(2023, 6, 1))
    plain = w.subjects(30, "登记管理")
    named["petition_closed"] = w.subject()
    w.tag(named["petition_closed"], "中央督察信访", since=date(2024, 10, 1), until=date(2025, 1, 31))
    named["complaints_split"] = w.subject()
    w.tag(named["complaints_split"], "投诉", "6", since=date(2025, 4, 1), until=date(2025, 5, 10))
    w.tag(named["complaints_split"], "投诉", "4", since=date(2025, 3, 20), until=date(2025, 4, 10))
    named["penalty_old"] = w.subject()
    w.tag(named["penalty_old"], "行政处罚", since=date(2023, 4, 1), until=date(2023, 4, 1))
    w.inspectors(4, auxiliary=1, uncertified=1, retired=1)
    w.inspectors(1, region="431000")
    # Published: 五（三） counts an inspection done once its result is public.
    w.result(kdu[2], date(2025, 2, 10), published=True)
    w.result(kdu[3], date(2025, 3, 5), published=True)
    w.result(risky[0], date(2025, 4, 20), "02", published=True)
    w.result(named["media"], date(2025, 1, 20), published=True)
    for who in plain[:4]:
        w.result(who, date(2025, 2, 1), published=True)
    w.result(plain[5], date(2024, 12, 20), published=True)  # last year
    return named


def test_plan_counts_every_obligation_as_worked_out_from_the_text(store: Store) -> None:
    """2025Q2, facts of 2025-05-15, region 430900 (subjects in 430902).

    SPECIAL (三（二）, first in precedence): poor_key (重点排污单位 with credit 不良 = POOR),
    sensitive_listed (敏感 but 挂牌督办), petition (未销号 信访), media, complaints_10 (10 in Q2:
    "10 or more"), penalty_recent (行政处罚 on 2023-06-01, inside 2023-05-15..2025-05-15) = 6.
    Not SPECIAL: petition_closed (销号 2025-01-31), complaints_split (only the 6 whose span lies
    in Q2 count), penalty_old (2023-04-01, more than two years before).
    KEY (三（二）): 7 重点排污单位 − poor_key = 6 (positive_key stays KEY: the 可 clause is off),
    sensitive 1, credit 风险 2 → 9.
    GENERAL: 30 plain + petition_closed + complaints_split + penalty_old = 33.
    Inspectors: 4 certified active of 430900 (not the auxiliary, uncertified, retired ones, nor
    the one of 431000).
    四（二）1 GENERAL per year: min(33, ceil(5 × 4)) = 20; done in 2025: 4 (the 2024 result not).
    四（二）2 KEY per quarter: ceil(25% × 9) = ceil(2.25) = 3; done in Q2: 1 (risky, 2025-04-20).
              KEY per year: all 9; done in 2025: 3 (two in Q1, one in Q2).
    四（二）3 SPECIAL per half-year: all 6; done in H1: 1 (media, 2025-01-20).
    Need this quarter: KEY max(ceil((3 − 1) / 1), ceil((9 − 3) / 3)) = max(2, 2) = 2;
    GENERAL ceil((20 − 4) / 3) = ceil(5.33) = 6; SPECIAL ceil((6 − 1) / 1) = 5.
    """
    build_yiyang(store)
    plan, _ = plan_for(store, "yiyang", Q2, REGION, DAY)
    assert plan.inspectors == 4
    assert numbers(plan) == {
        "KEY": (9, [("quarter", 3, 1, "四（二）2"), ("year", 9, 3, "四（二）2")]),
        "GENERAL": (33, [("year", 20, 4, "四（二）1")]),
        "SPECIAL": (6, [("half-year", 6, 1, "四（二）3")]),
    }
    assert {c.category.value: c.need for c in plan.categories} == {"KEY": 2, "GENERAL": 6,
                                                                   "SPECIAL": 5}


def test_precedence_special_then_key_then_general(sqlite_store: Store) -> None:
    named = build_yiyang(sqlite_store)
    _, found = plan_for(sqlite_store, "yiyang", Q2, REGION, DAY)
    assert found[named["poor_key"]].category is Category.SPECIAL
    assert [r.category for r in found[named["poor_key"]].reasons if r.outranked] == [Category.KEY]
    assert found[named["sensitive_listed"]].category is Category.SPECIAL
    assert found[named["sensitive"]].category is Category.KEY
    assert found[named["risky"]].category is Category.KEY
    penalty = next(r for r in found[named["penalty_recent"]].reasons if not r.outranked)
    assert penalty.facts["window"] == "2023-05-15..2025-05-15"
    for who in ("petition_closed", "complaints_split", "penalty_old"):
        assert found[named[who]].category is Category.GENERAL


def test_positive_list_key_unit_managed_as_general_when_switched_on(sqlite_store: Store) -> None:
    """三（二） "可": with the switch on, positive_key leaves KEY for GENERAL.

    KEY 9 − 1 = 8 → ceil(25% × 8) = 2 per quarter, all 8 per year; GENERAL 33 + 1 = 34 →
    min(34, ceil(5 × 4)) = 20 per year.
    """
    named = build_yiyang(sqlite_store)
    plan, found = plan_for(sqlite_store, "yiyang", Q2, REGION, DAY, positive_list_key_as_general=True)
    assert found[named["positive_key"]].category is Category.GENERAL
    assert numbers(plan)["KEY"] == (8, [("quarter", 2, 1, "四（二）2"), ("year", 8, 3, "四（二）2")])
    assert numbers(plan)["GENERAL"] == (34, [("year", 20, 4, "四（二）1")])


def test_higher_level_clean_inspection_excludes_except_special() -> None:
    """四（三）: inspected this year by a higher level, with no problem found."""
    [exclusion] = build().draw_exclusions
    by_higher = [PastResult("X", date(2025, 3, 1), "01", HIGHER_ORG)]
    by_us = [PastResult("X", date(2025, 3, 1), "01", OWN_ORG)]
    assert exclusion.excludes(by_higher, [Category.GENERAL], Q2, OWN_ORG)
    assert not exclusion.excludes(by_us, [Category.GENERAL], Q2, OWN_ORG)
    assert not exclusion.excludes(by_higher, [Category.SPECIAL], Q2, OWN_ORG)
    assert not exclusion.excludes([PastResult("X", date(2025, 3, 1), "03", HIGHER_ORG)],
                                  [Category.KEY], Q2, OWN_ORG)


def test_groups_expertise_conflicts_and_publication() -> None:
    policy = build()
    assert policy.group_size is not None and policy.group_size.min_inspectors == 2
    assert policy.group_size.clause == "五（一）"
    assert policy.expertise is not None and policy.expertise.clause == "四（四）"
    assert policy.conflict is not None and policy.conflict.action is ConflictAction.REDRAW
    assert [(d.days, d.clause) for d in policy.deadlines] == [(20, "五（三）")]
    assert policy.check_limit is None
    assert policy.matters[0].code == "M01" and not policy.matters[0].optional
