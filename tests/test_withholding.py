"""`results withhold`: a result kept out of publication, with its reason and approver; never
sent, never overdue, shown apart in compliance, and done where done means published (益阳)."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from policy_world import World, active_policy
from sqlalchemy import select, update

from ssj_bridge.cli import cli
from ssj_bridge.errors import InputRefused
from ssj_bridge.features.deadlines import DeadlineRules, report_deadlines
from ssj_bridge.features.publications import catch_up
from ssj_bridge.features.withholding import withhold_result
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import classify_period
from ssj_bridge.policy.plan import make_plan
from ssj_bridge.report.compliance import compliance_report
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, publications, results, withholdings

Q2 = Quarter(2025, 2)
REGION = "430902"


def _world(store: Store) -> tuple[World, list[str], list[str]]:
    """Four 重点排污单位 of 益阳, each inspected on 2025-04-10 in a task of its own."""
    w = World(store, REGION)
    keys = w.subjects(4, "重点管理", key=True)
    tasks = [w.result(u, date(2025, 4, 10)) for u in keys]
    with store.engine.begin() as conn:
        for number, (task_id, uscc) in enumerate(zip(tasks, keys, strict=True), start=1):
            conn.execute(update(results).where(results.c.task_id == task_id,
                                               results.c.uscc == uscc)
                         .values(result_id=f"R-{number}"))
        catch_up(conn)  # each result's publication queued, as a recorded result's is
    return w, keys, tasks


def _rules() -> DeadlineRules:
    from ssj_bridge.features.deadlines import publication_deadline
    from ssj_bridge.model.calendar import WorkingCalendar

    policy = active_policy("yiyang").policy
    return DeadlineRules(WorkingCalendar.load(None), publication_deadline(policy), "yiyang")


def test_a_withheld_result_is_never_sent_nor_overdue_and_keeps_who_and_why(store: Store) -> None:
    _, keys, tasks = _world(store)
    held = withhold_result(store, "R-2", reason="涉及国家秘密", approved_by="李局长",
                           recorded_by="数据管理员", clause="五（三）")
    assert (held.task_id, held.uscc, held.taken_back) == (tasks[1], keys[1], 1)
    with store.engine.connect() as conn:
        row = conn.execute(select(withholdings)).one()
        statuses = dict(conn.execute(select(outbox.c.key, outbox.c.status)).all())
        status = conn.execute(select(publications.c.status, publications.c.due).where(
            publications.c.task_id == tasks[1])).one()
    assert (row.reason, row.approved_by, row.clause) == ("涉及国家秘密", "李局长", "五（三）")
    assert statuses[f"{tasks[1]}/{keys[1]}/2025-04-10"] == "withheld"
    assert statuses[f"{tasks[0]}/{keys[0]}/2025-04-10"] == "pending"
    assert tuple(status) == ("withheld", None)
    # 益阳 五（三）: 20 working days after the task is complete. Complete 2025-04-10 (Thu):
    # April 11–30 give 14 working days, 劳动节 1–5 May is off, 6–9 May make 18, 12 May is the 20th
    # (as the review's Y27 computed). On 2025-06-02 the other three are overdue, this one is not.
    report = report_deadlines(store, _rules(), date(2025, 6, 2))
    assert {i.task_id for i in report.overdue} == {tasks[0], tasks[2], tasks[3]}
    assert {i.due for i in report.overdue} == {date(2025, 5, 12)}
    assert [i.task_id for i in report.withheld] == [tasks[1]]
    entry = report.as_json()["withheld"][0]
    assert (entry["reason"], entry["approvedBy"]) == ("涉及国家秘密", "李局长")
    # Recording the result again (a correction synced back) does not queue it.
    with store.engine.begin() as conn:
        conn.execute(update(publications).where(publications.c.task_id == tasks[1])
                     .values(result_code="02"))
        catch_up(conn)
        assert conn.execute(select(outbox.c.status).where(
            outbox.c.key.like(f"{tasks[1]}/%"))).scalars().all() == ["withheld"]


def test_compliance_shows_withheld_apart_and_yiyang_counts_it_done(store: Store) -> None:
    _, keys, tasks = _world(store)
    with store.engine.begin() as conn:  # two published on 2025-05-06
        conn.execute(update(publications).where(publications.c.task_id.in_(tasks[:2]))
                     .values(status="published", published_on=date(2025, 5, 6)))
    active = active_policy("yiyang")
    classify_period(store, active, Q2, region=REGION, day=date(2025, 5, 15))
    # 益阳 五（三）: done = published. KEY 25 % of 4 = 1 a quarter, every KEY once a year (4).
    before = make_plan(store, active, Q2, region=REGION)
    assert [o.done for o in before.categories[0].obligations] == [2, 2]
    withhold_result(store, f"{tasks[2]}/{keys[2]}", reason="涉及公共安全", approved_by="王副局长",
                    recorded_by="test")
    after = make_plan(store, active, Q2, region=REGION)
    assert [o.done for o in after.categories[0].obligations] == [3, 3]
    report = compliance_report(store, active, Q2, _rules(), today=date(2025, 6, 2), region=REGION)
    pub = report.publication
    assert (pub.results, pub.published, pub.withheld, pub.pending) == (4, 2, 1, 1)
    assert pub.rate == pytest.approx(2 / 3)  # withheld results are not owed
    assert [i.task_id for i in report.overdue] == [tasks[3]]
    assert report.as_json()["publication"]["withheld"] == 1


def test_refusals(store: Store) -> None:
    _, _, tasks = _world(store)
    with pytest.raises(InputRefused, match="--reason is required"):
        withhold_result(store, "R-1", reason=" ", approved_by="x", recorded_by="t")
    with pytest.raises(InputRefused, match="--approved-by is required"):
        withhold_result(store, "R-1", reason="涉及国家秘密", approved_by="", recorded_by="t")
    with pytest.raises(InputRefused, match="not in the store"):
        withhold_result(store, "R-404", reason="涉及国家秘密", approved_by="x", recorded_by="t")
    with store.engine.begin() as conn:
        conn.execute(update(publications).where(publications.c.task_id == tasks[0])
                     .values(status="published", published_on=date(2025, 5, 6)))
    with pytest.raises(InputRefused, match="published on 2025-05-06"):
        withhold_result(store, "R-1", reason="涉及国家秘密", approved_by="x", recorded_by="t")
    withhold_result(store, "R-2", reason="涉及国家秘密", approved_by="x", recorded_by="t")
    with pytest.raises(InputRefused, match="already withheld"):
        withhold_result(store, "R-2", reason="again", approved_by="y", recorded_by="t")
    assert store.count("withholdings") == 1


def test_the_command_records_the_policys_clause(sqlite_store: Store) -> None:
    _world(sqlite_store)
    env = {"SSJ_DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "SSJ_POLICY": "yiyang", "SSJ_REGION_CODE": REGION}
    out = CliRunner().invoke(cli, ["results", "withhold", "R-3", "--reason", "涉及国家安全",
                                   "--approved-by", "张局长"], env=env)
    assert out.exit_code == 0, out.output
    assert "withheld from publication (五（三）): 涉及国家安全; approved by 张局长" in out.output
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(withholdings.c.clause)).scalar_one() == "五（三）"
