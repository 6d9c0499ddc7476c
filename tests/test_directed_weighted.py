"""定向 draws (a scope of designations or credit-risk classes, carried by the label) and ratios
weighted by risk class (阳城 三) or by risk and 两高 (威海 第十五条), against numbers worked by hand."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from click.testing import CliRunner
from draw_support import ORG, QUARTER, REGION, TODAY, G, K, X, fill_small, small_policy
from policy_world import World, active_policy, plan_for
from sqlalchemy import select, update

from ssj_bridge.cli import cli
from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.run import run_draws
from ssj_bridge.draw.strata import DrawScope
from ssj_bridge.draw.verify import verify_task
from ssj_bridge.errors import InputRefused
from ssj_bridge.model import Category
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import ActivePolicy, classification_of
from ssj_bridge.policy.directed import parse_directed
from ssj_bridge.store import Store
from ssj_bridge.store.schema import credit_records, designations, draws, tasks

# -- the scope -----------------------------------------------------------------------------------


def test_a_scope_reads_in_one_canonical_form() -> None:
    assert parse_directed(" 两高 | riskClass=c,D ").text() == "两高|riskClass=HIGH,VERY_HIGH"
    assert parse_directed("VOCs:C&riskClass=very_high").text() == "VOCs:C&riskClass=VERY_HIGH"
    assert parse_directed("挂牌督办").text() == "挂牌督办"
    for bad, why in (("", "empty"), ("nosuch", "not a designation tag"),
                     ("riskClass=E", "not a credit-risk class"), ("grade=A", "not TAG")):
        with pytest.raises(ValueError, match=why):
            parse_directed(bad)


# -- a directed draw -----------------------------------------------------------------------------


@pytest.fixture
def active() -> ActivePolicy:
    return small_policy()


@pytest.fixture
def filled(store: Store) -> dict[Category, list[str]]:
    """20 KEY (6 of them 两高, 3 of credit-risk class HIGH), 30 GENERAL, 10 SPECIAL."""
    categories = fill_small(store)
    codes = [*categories[K], *categories[G], *categories[X]]
    with store.engine.begin() as conn:
        for uscc in codes[:6]:
            conn.execute(designations.insert().values(
                uscc=uscc, tag="两高", since_key="2026-01-01", value=None,
                since=date(2026, 1, 1), until=None, source="两高项目清单"))
        for uscc in codes[6:9]:
            conn.execute(credit_records.insert().values(
                kind="risk", record_key=f"{uscc}/risk", uscc=uscc, risk_class="HIGH",
                published_on=date(2026, 3, 1), in_force=True))
    return categories


def _commit(store: Store, active: ActivePolicy, directed: str | None, **options: object) -> object:
    return commit_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                        own_org=ORG, scope=DrawScope(directed=directed),
                        **options)  # type: ignore[arg-type]


def test_a_directed_draw_takes_only_the_scope_and_stays_verifiable(
        store: Store, active: ActivePolicy, filled: dict[Category, list[str]]) -> None:
    report = _commit(store, active, "两高|riskClass=C")
    # KEY needs 25 % of 20 = 5; in scope: the 6 两高 and the 3 of class HIGH (C) — 9.
    [key] = report.committed  # type: ignore[attr-defined]
    assert key.label == "371000/2026Q2/M01/KEY/定向:两高|riskClass=HIGH"
    assert (key.k, key.candidates) == (5, 9)
    not_drawn = {n.category: n.reason for n in report.not_drawn}  # type: ignore[attr-defined]
    assert "outside the directed scope 两高|riskClass=HIGH" in not_drawn[G]
    with store.engine.connect() as conn:
        scope = orjson.loads(conn.execute(select(draws.c.scope)).scalar_one())
    assert scope["directed"] == "两高|riskClass=HIGH"
    drawn = run_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                      witness="20260401-定向", drawn_by=ORG, today=TODAY)
    [task] = drawn.tasks
    assert task.draw_mode.value == "定向"
    assert set(a.uscc for a in task.assignments) <= set(filled[K][:9])
    assert "定向：两高|riskClass=HIGH" in task.name
    checked = verify_task(store, task.task_id)
    assert checked.ok, checked.differences
    assert ("directed scope (定向)", "两高|riskClass=HIGH (in the label the picks are drawn "
            "with; task drawMode 定向)") in checked.compared
    # The scope is part of the label the picks are drawn with: another scope no longer verifies.
    with store.engine.begin() as conn:
        conn.execute(update(draws).values(scope=orjson.dumps({**scope, "directed": "两高"})
                                          .decode()))
    assert not verify_task(store, task.task_id).ok
    with store.engine.connect() as conn:
        assert conn.execute(select(tasks.c.draw_mode)).scalar_one() == "定向"


def test_a_bad_scope_or_one_on_an_object_matter_is_refused(
        store: Store, active: ActivePolicy, filled: dict[Category, list[str]]) -> None:
    with pytest.raises(InputRefused, match="--directed 'nosuch'"):
        _commit(store, active, "nosuch")
    w = World(store, "140522")
    w.objects("机动车排放检验机构", 4)
    w.inspectors(4, expertise="移动源;大气")
    with pytest.raises(InputRefused, match="applies to matters of 排污单位"):
        commit_draws(store, active_policy("yangcheng"), region_code="140522", quarter=Q2,
                     matter_code="M07", own_org=ORG, scope=DrawScope(directed="两高"))
    assert store.count("draws") == 0


def test_the_command_refuses_a_bad_scope(sqlite_store: Store) -> None:
    env = {"SSJ_DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "SSJ_POLICY": "weihai", "SSJ_REGION_CODE": REGION}
    out = CliRunner().invoke(cli, ["draw", "commit", "--period", QUARTER.label, "--matter", "M01",
                                   "--directed", "riskClass=Z"], env=env)
    assert out.exit_code == 2 and "not a credit-risk class" in out.output


# -- ratios weighted by risk class ----------------------------------------------------------------

Q2 = Quarter(2025, 2)
DAY = date(2025, 5, 15)


def _yangcheng(store: Store) -> dict[str, list[str]]:
    w = World(store, "140522")
    key = w.subjects(12, "重点管理", key=True)
    general = w.subjects(20, "登记管理")
    for uscc in key[:2]:
        w.risk(uscc, "VERY_HIGH")
    for uscc in key[2:6]:
        w.risk(uscc, "HIGH")
    for uscc in general[:2]:
        w.risk(uscc, "MEDIUM")
    w.risk(general[2], "LOW")
    w.inspectors(6)
    return {"key": key, "general": general}


def test_yangcheng_draws_more_of_the_riskier_classes(store: Store) -> None:
    named = _yangcheng(store)
    plan, found = plan_for(store, "yangcheng", Q2, "140522", DAY)
    key = next(c for c in plan.categories if c.category is Category.KEY)
    quarter = key.obligations[0]
    # 三 KEY 25 % a quarter, 递加 by class: D ×2.5 → 62.5 % of 2 = 1.25 → 2; C ×2 → 50 % of 4 = 2;
    # the other 6 at 25 % → 1.5 → 2: 6 in all (the unweighted ratio gives ceil(25 % × 12) = 3).
    assert [(g.name, g.population, g.required) for g in quarter.groups] == [
        ("高风险", 2, 2), ("较高风险", 4, 2), ("", 6, 2)]
    assert quarter.required == 6
    general = next(c for c in plan.categories if c.category is Category.GENERAL)
    # GENERAL 5 %: B ×1.5 → 7.5 % of 2 = 0.15 → 1; the other 18 (A 低风险 keeps 5 %) → 0.9 → 1.
    assert [(g.name, g.required) for g in general.obligations[0].groups] == [
        ("一般风险", 1), ("", 1)]
    assert general.obligations[0].required == 2
    shown = plan.as_json()["categories"]["KEY"]["obligations"][0]
    assert shown["required"] == 6
    assert shown["weights"][0] == {"name": "高风险", "factor": "2.5", "rule": "三",
                                   "population": 2, "required": 2}
    # explain: the weight is a reason of its own, with its clause and the fact behind it.
    reason = next(r for r in found[named["key"][0]].reasons if r.weight is not None)
    assert (reason.clause, str(reason.weight), reason.facts) == ("三", "5/2",
                                                                 {"riskClass": "VERY_HIGH"})
    unweighted, _ = plan_for(store, "yangcheng", Q2, "140522", DAY, risk_weighted=False)
    assert unweighted.categories[0].obligations[0].required == 3


def test_a_weighted_category_is_drawn_in_parts_each_verifiable(store: Store) -> None:
    named = _yangcheng(store)
    active = active_policy("yangcheng")
    plan_for(store, "yangcheng", Q2, "140522", DAY)
    report = commit_draws(store, active, region_code="140522", quarter=Q2, matter_code="M01",
                          own_org=ORG)
    key = [(c.label, c.k, c.candidates) for c in report.committed if c.category is Category.KEY]
    assert key == [("140522/2025Q2/M01/KEY/高风险", 2, 2), ("140522/2025Q2/M01/KEY/较高风险", 2, 4),
                   ("140522/2025Q2/M01/KEY", 2, 6)]
    drawn = run_draws(store, active, region_code="140522", quarter=Q2, matter_code="M01",
                      witness="7", drawn_by=ORG, today=date(2025, 4, 20))
    picked = {t.draw_proof.label: {a.uscc for a in t.assignments}
              for t in drawn.tasks if t.draw_proof}
    assert picked["140522/2025Q2/M01/KEY/高风险"] == set(named["key"][:2])
    assert picked["140522/2025Q2/M01/KEY/较高风险"] <= set(named["key"][2:6])
    for task in drawn.tasks:
        assert verify_task(store, task.task_id).ok


def test_weihai_doubles_the_ratio_for_high_risk_and_two_highs(store: Store) -> None:
    w = World(store, "371002")
    general = w.subjects(150, "登记管理")
    w.tag(general[0], "两高", since=date(2025, 1, 1))
    w.risk(general[1], "HIGH")
    w.risk(general[2], "LOW")  # 低风险: no change
    plan, found = plan_for(store, "weihai", Q2, "371002", DAY)
    [quarter] = next(c for c in plan.categories if c.category is Category.GENERAL).obligations
    # 第十四条（三） 1 % a quarter; 第十五条 ×2 → 2 % of 1 (两高) → 1; 2 % of 1 (较高风险) → 1;
    # the other 148 at 1 % → 1.48 → 2: 4 in all, against ceil(1 % × 150) = 2 unweighted.
    assert sorted((g.name, g.required) for g in quarter.groups) == [
        ("", 2), ("两高", 1), ("较高风险", 1)]
    assert quarter.required == 4
    assert classification_of(store, general[0], Q2) is not None
    assert any(r.weight == 2 and r.clause == "第十五条" for r in found[general[0]].reasons)
