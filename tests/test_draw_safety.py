"""Draw safety: a commitment is replaced only on purpose, a short count says why, an empty
witness is refused on a terminal, a second run says "already drawn", verify shows what it
compared, and a replaced inspector carries its approver."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import orjson
import pytest
from click.testing import CliRunner
from draw_support import ORG, QUARTER, REGION, TODAY, G, K, X, fill, fill_small, roster, small_policy, usccs
from sqlalchemy import select

from ssj_bridge.cli import cli
from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.export import draw_rows
from ssj_bridge.draw.redraw import redraw_task
from ssj_bridge.draw.run import run_draws
from ssj_bridge.draw.verify import verify_task
from ssj_bridge.errors import InputRefused
from ssj_bridge.model import Category
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.rules import replacement_rule
from ssj_bridge.store import Store
from ssj_bridge.store.schema import draws


@pytest.fixture
def active() -> ActivePolicy:
    return small_policy()


@pytest.fixture
def filled(store: Store) -> dict[Category, list[str]]:
    return fill_small(store)


def _commit(store: Store, active: ActivePolicy, **options: object) -> object:
    return commit_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                        own_org=ORG, **options)  # type: ignore[arg-type]


def _scopes(store: Store) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        return [orjson.loads(s) for s in conn.execute(select(draws.c.scope).order_by(draws.c.id))
                .scalars()]


def test_a_second_commit_is_refused_unless_it_replaces_with_a_reason(
        store: Store, active: ActivePolicy, filled: dict[Category, list[str]]) -> None:
    first = _commit(store, active)
    assert store.count("draws") == 3
    with pytest.raises(InputRefused, match=r"not run yet .* give --replace --reason TEXT"):
        _commit(store, active)
    with pytest.raises(InputRefused, match="--replace needs --reason"):
        _commit(store, active, replace=True)
    assert store.count("draws") == 3  # nothing stored by the refusals
    second = _commit(store, active, replace=True, reason="名单公示前发现漏录3家重点单位")
    assert store.count("draws") == 6
    earlier = [s for s in _scopes(store)[3:]]
    ids = sorted({i for s in earlier for i in s["replaces"]})  # type: ignore[union-attr]
    assert len(ids) == 3 and all(s["replaceReason"] == "名单公示前发现漏录3家重点单位"
                                 for s in earlier)
    tasks = run_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                      witness="77", drawn_by=ORG, today=TODAY).tasks
    proofs = {t.draw_proof.commitment for t in tasks if t.draw_proof}
    assert proofs == {second.committed[0].commitment}  # type: ignore[attr-defined]
    assert first.committed[0].commitment not in proofs  # type: ignore[attr-defined]


def test_replace_with_nothing_waiting_is_refused(
        store: Store, active: ActivePolicy, filled: dict[Category, list[str]]) -> None:
    with pytest.raises(InputRefused, match="no commit of 2026Q2 M01 is waiting"):
        _commit(store, active, replace=True, reason="x")


def test_a_count_below_the_plans_need_needs_a_reason_and_keeps_it(
        store: Store, active: ActivePolicy, filled: dict[Category, list[str]]) -> None:
    # KEY: 25 % of 20 = 5 this quarter; GENERAL 10 % of 30 = 3; SPECIAL all 10 in the
    # half-year, of which 2026Q2 is the last quarter: 10.
    with pytest.raises(InputRefused, match=r"371000 KEY: k=1, the plan needs 5.*--reason"):
        _commit(store, active, counts={K: 1})
    assert store.count("draws") == 0
    _commit(store, active, counts={K: 5, G: 3, X: 10})  # at or above the need: no reason asked
    assert store.count("draws") == 3
    _commit(store, active, counts={K: 1, G: 0}, replace=True, reason="检查力量不足，报分管领导同意")
    newest = _scopes(store)[3:]
    assert [s["countReason"] for s in newest] == ["检查力量不足，报分管领导同意"] * 2
    assert newest[0]["belowNeed"] == ["371000 KEY: k=1, the plan needs 5",
                                      "371000 GENERAL: k=0, the plan needs 3"]


def _env(store: Store) -> dict[str, str]:
    return {**os.environ, "SSJ_DATABASE_URL": store.url.render_as_string(hide_password=False),
            "SSJ_REGION_CODE": REGION, "SSJ_ORG_CODE": ORG, "SSJ_POLICY": "weihai"}


@pytest.fixture
def weihai_store(sqlite_store: Store) -> Store:
    codes = usccs(40)
    fill(sqlite_store, {K: codes[:12], G: codes[12:36], X: codes[36:]}, roster(8),
         policy="weihai", period=QUARTER.label)
    return sqlite_store


def test_a_second_run_says_already_drawn_and_verify_shows_what_it_compared(
        weihai_store: Store) -> None:
    env = _env(weihai_store)
    runner = CliRunner()
    args = ["--period", QUARTER.label, "--matter", "M01"]
    assert runner.invoke(cli, ["draw", "commit", *args], env=env).exit_code == 0
    first = runner.invoke(cli, ["draw", "run", *args, "--witness", "20260415-31337"], env=env)
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["draw", "run", *args, "--witness", "1"], env=env)
    assert isinstance(again.exception, InputRefused) and again.exception.exit_code == 65
    assert "already drawn" in str(again.exception)
    with weihai_store.engine.connect() as conn:
        row = conn.execute(select(draws).where(draws.c.task_id.is_not(None))
                           .order_by(draws.c.id)).first()
    assert row is not None
    shown = runner.invoke(cli, ["draw", "verify", row.task_id], env=env)
    assert shown.exit_code == 0, shown.output
    for value in (row.label, row.candidates_hash, row.commitment, row.inspector_candidates_hash,
                  "'20260415-31337'", f"{row.k} of {len(orjson.loads(row.candidates))}",
                  ", ".join(orjson.loads(row.selected))):
        assert value in shown.output
    assert "matches" in shown.output


def test_an_empty_witness_is_refused_on_a_terminal(weihai_store: Store) -> None:
    env = _env(weihai_store)
    args = ["--period", QUARTER.label, "--matter", "M01"]
    command = [sys.executable, "-m", "ssj_bridge.cli", "draw"]
    assert subprocess.run([*command, "commit", *args], env=env, capture_output=True,
                          check=False, timeout=120).returncode == 0
    main, child = pty.openpty()  # a real terminal on stdin
    try:
        refused = subprocess.run([*command, "run", *args, "--witness", ""], env=env,
                                 stdin=child, capture_output=True, text=True, check=False,
                                 timeout=120)
    finally:
        os.close(child)
        os.close(main)
    assert refused.returncode == 2
    assert "a witness's text is needed" in refused.stderr
    assert weihai_store.count("tasks") == 0
    # Off a terminal (cron), no --witness: unwitnessed, and said so.
    quiet = subprocess.run([*command, "run", *args], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, check=False, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert "unwitnessed" in quiet.stdout


def test_a_replacement_under_weihai_needs_the_approver_and_stays_verifiable(
        weihai_store: Store) -> None:
    spec = load_plugins().policy("weihai")
    rule = replacement_rule(spec.factory())
    assert rule is not None and rule.clause == "第二十一条" and "分管负责同志" in rule.approver
    active = ActivePolicy("weihai", spec, spec.factory())
    commit_draws(weihai_store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                 own_org=ORG)
    task = run_draws(weihai_store, active, region_code=REGION, quarter=QUARTER,
                     matter_code="M01", witness="5", drawn_by=ORG, today=TODAY).tasks[0]
    first = task.assignments[0]
    with pytest.raises(InputRefused, match=r"approval of 本单位分管负责同志 \(第二十一条\)"):
        redraw_task(weihai_store, task.task_id, first.uscc, first.inspector_ids[0],
                    "因病无法继续履行检查任务", rule=rule)
    entry = redraw_task(weihai_store, task.task_id, first.uscc, first.inspector_ids[0],
                        "因病无法继续履行检查任务", approved_by="王副局长", rule=rule)
    assert entry.approved_by == "王副局长"
    exported = next(r for r in draw_rows(weihai_store) if r["taskId"] == task.task_id)
    assert exported["redraws"][0]["approvedBy"] == "王副局长"
    assert exported["redraws"][0]["reason"] == "因病无法继续履行检查任务"
    checked = verify_task(weihai_store, task.task_id)
    assert checked.ok, checked.differences
    assert any("approved by 王副局长" in value for _, value in checked.compared)
    out = CliRunner().invoke(cli, ["draw", "redraw", task.task_id, "--uscc",
                                   task.assignments[1].uscc, "--inspector",
                                   task.assignments[1].inspector_ids[0]], env=_env(weihai_store))
    assert isinstance(out.exception, InputRefused) and "--approved-by" in str(out.exception)
