"""The plan: its JSON shape, rounding, the quarter's k, the CLI, and classification after sync."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from policy_world import World, active_policy, plan_for
from sqlalchemy import text

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.log import configure_logging
from ssj_bridge.model import Category, beijing_today
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.policy.classify import classification_of, resolve_policy, stored_classifications
from ssj_bridge.policy.plan import inspected_subjects, plan_text, quarter_k, quarter_need
from ssj_bridge.policy.rules import Obligation, ObligationKind, percent
from ssj_bridge.store import Store

CLI = Path(sys.executable).with_name("ssj-bridge")
Q2 = Quarter(2025, 2)


# -- periods and the pure rules ---------------------------------------------------------------


def test_quarter_spans_and_quarters_left_in_each_period() -> None:
    q3 = Quarter.parse("2025q3")
    assert (q3.start, q3.end) == (date(2025, 7, 1), date(2025, 9, 30))
    assert q3.span(Per.HALF_YEAR) == (date(2025, 7, 1), date(2025, 12, 31))
    assert q3.span(Per.YEAR) == (date(2025, 1, 1), date(2025, 12, 31))
    assert [q3.quarters_to_end(p) for p in Per] == [1, 2, 2]
    assert [Quarter(2025, n).quarters_to_end(Per.YEAR) for n in (1, 2, 3, 4)] == [4, 3, 2, 1]
    assert Quarter(2025, 2).quarters_to_end(Per.HALF_YEAR) == 1
    assert Quarter.of(date(2024, 2, 29)).label == "2024Q1"
    assert Quarter(2025, 4).period_label(Per.HALF_YEAR) == "2025H2"
    with pytest.raises(ValueError, match="YYYYQn"):
        Quarter.parse("2025-Q5")


def test_quarter_need_spreads_what_is_missing_over_the_quarters_left() -> None:
    """ceil(max(0, required − covered) ÷ quarters left, this one included)."""
    assert quarter_need(required=14, covered=3, quarters_left=3) == 4  # ceil(11 / 3)
    assert quarter_need(required=8, covered=2, quarters_left=1) == 6
    assert quarter_need(required=5, covered=9, quarters_left=2) == 0  # more than required
    assert quarter_need(required=20, covered=0, quarters_left=4) == 5
    with pytest.raises(ValueError):
        quarter_need(required=1, covered=0, quarters_left=0)


def test_quarter_k_is_the_largest_need_at_most_the_candidates() -> None:
    assert quarter_k([2, 4], candidates=10) == 4
    assert quarter_k([2, 4], candidates=3) == 3
    assert quarter_k([0, 0], candidates=10) == 0  # not drawn
    assert quarter_k([], candidates=10) == 0
    assert quarter_k([5], candidates=0) == 0


@pytest.mark.parametrize(("kind", "value", "population", "inspectors", "required"), [
    (ObligationKind.RATIO, percent("7"), 100, 0, 7),  # 7% × 100 is 7 exactly, not 7.000…1 → 8
    (ObligationKind.RATIO, percent("12.5"), 12, 0, 2),  # ceil(1.5)
    (ObligationKind.RATIO, percent("25"), 0, 0, 0),
    (ObligationKind.RATIO, percent("1"), 1, 0, 1),  # ceil(0.01)
    (ObligationKind.PER_INSPECTOR, Fraction(5, 2), 32, 6, 15),
    (ObligationKind.PER_INSPECTOR, Fraction(5, 2), 13, 6, 13),  # at most the population
    (ObligationKind.PER_INSPECTOR, Fraction(5, 4), 10, 7, 9),  # ceil(8.75)
    (ObligationKind.FULL_COVERAGE, Fraction(1), 8, 3, 8),
])
def test_required_rounds_up_and_never_exceeds_the_population(
        kind: ObligationKind, value: Fraction, population: int, inspectors: int, required: int) -> None:
    obligation = Obligation(Category.KEY, Per.QUARTER, kind, value, "rule", "clause")
    assert obligation.required(population, inspectors) == required


# -- the plan in the store --------------------------------------------------------------------


def small_weihai(store: Store) -> dict[str, str]:
    """4 KEY (one inspected in Q2, one assigned), 3 SIMPLIFIED, 5 GENERAL, 1 SPECIAL; 2 inspectors."""
    w = World(store, "371002")
    keys = w.subjects(4, "重点管理")
    w.subjects(3, "简化管理")
    w.subjects(5, "登记管理")
    special = w.subject("登记管理")
    w.tag(special, "矿井")
    w.inspectors(2)
    w.result(keys[0], date(2025, 4, 2))
    w.assigned(keys[1], Q2)
    return {"key": keys[0], "special": special}


def test_plan_json_has_exactly_the_shape_of_the_interface(store: Store) -> None:
    """KEY 4: ceil(25% × 4) = 1, done 1; SIMPLIFIED 3: ceil(0.15) = 1; GENERAL 5: ceil(0.05) = 1;
    SPECIAL 1: all once in 2025H1."""
    small_weihai(store)
    plan, _ = plan_for(store, "weihai", Q2, "371000", date(2025, 5, 15))
    shape = json.loads(json.dumps(plan.as_json()))
    assert set(shape) == {"period", "policy", "inspectors", "categories", "matters", "notes"}
    assert list(shape["matters"]) == ["M01"]
    routine = shape["matters"]["M01"]
    assert set(routine) == {"name", "objectKind", "categories", "regions"}
    assert routine["categories"] == shape["categories"]  # the top level stays M01's
    for line in routine["regions"].values():
        assert set(line) == {"categories"}
    assert (shape["period"], shape["policy"], shape["inspectors"]) == ("2025Q2", "weihai", 2)
    assert list(shape["categories"]) == ["KEY", "SIMPLIFIED", "GENERAL", "SPECIAL"]
    for category in shape["categories"].values():
        assert set(category) == {"population", "obligations"}
        for obligation in category["obligations"]:
            assert set(obligation) == {"per", "required", "done", "rule"}
    assert shape["categories"]["KEY"] == {
        "population": 4, "obligations": [{"per": "quarter", "required": 1, "done": 1,
                                          "rule": "第十四条（一）"}]}
    assert shape["categories"]["SPECIAL"]["obligations"] == [
        {"per": "half-year", "required": 1, "done": 0, "rule": "第十四条（四）"}]
    assert all(set(note) == {"text", "clause"} for note in shape["notes"])
    assert "第十四条（一）" in plan_text(plan)


def test_plan_of_an_unclassified_quarter_classifies_it_first(store: Store) -> None:
    small_weihai(store)
    active = active_policy("weihai")
    from ssj_bridge.policy.plan import make_plan

    plan = make_plan(store, active, Quarter(2025, 1), region="371000")
    assert {c.category.value: c.population for c in plan.categories} == {
        "KEY": 4, "SIMPLIFIED": 3, "GENERAL": 5, "SPECIAL": 1}
    assert len(stored_classifications(store, Quarter(2025, 1), "weihai")) == 13


def test_done_is_empty_when_the_store_keeps_no_results(sqlite_store: Store) -> None:
    World(sqlite_store, "371002").result(World(sqlite_store, "371002", counter=50).subject(),
                                         date(2025, 4, 1))
    assert len(inspected_subjects(sqlite_store, Q2.start, Q2.end)) == 1
    with sqlite_store.engine.begin() as conn:
        conn.execute(text("DROP TABLE results"))
    assert inspected_subjects(sqlite_store, Q2.start, Q2.end) == set()


# -- the commands -----------------------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """ssj-bridge in a clean environment (no SSJ_* of the caller), from an empty directory."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, cwd=tmp_path,
                          env={**clean, **env}, timeout=120, check=False)


def test_unknown_policy_exits_78_naming_ssj_policy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = run_cli(tmp_path, "plan", "--period", "2025Q2", SSJ_POLICY="nowhere",
                   SSJ_DATABASE_URL=url, SSJ_REGION_CODE="371000")
    assert done.returncode == 78, done.stderr
    assert "SSJ_POLICY" in done.stderr and "nowhere" in done.stderr


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
           ) -> Callable[..., tuple[int, str, str]]:
    """ssj-bridge run in-process as the console script runs it: (exit code, stdout, stderr + log)."""
    from ssj_bridge import cli, log

    # The log goes to a sink: set up on a captured stream, it would outlive the capture.
    sink = io.StringIO()
    monkeypatch.setattr(log, "configure_logging", lambda: configure_logging(sink, json=True))

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        for name in [k for k in os.environ if k.startswith("SSJ_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["ssj-bridge", *args])
        monkeypatch.chdir(tmp_path)
        capfd.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capfd.readouterr()
        logged = sink.getvalue()
        sink.seek(0)
        sink.truncate()
        return code, out, err + logged

    return run


def test_plan_without_a_policy_exits_78_and_a_bad_period_is_a_usage_error(
        tmp_path: Path, invoke: Callable[..., tuple[int, str, str]]) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code, _, err = invoke("plan", "--period", "2025Q2", SSJ_DATABASE_URL=url)
    assert code == 78 and "SSJ_POLICY is not set" in err
    code, _, err = invoke("plan", "--period", "2025-06", SSJ_POLICY="weihai", SSJ_DATABASE_URL=url)
    assert code == 2 and "YYYYQn" in err


def test_plan_and_explain_commands_read_the_store(
        tmp_path: Path, invoke: Callable[..., tuple[int, str, str]]) -> None:
    database = tmp_path / "store.db"
    store = Store(f"sqlite:///{database}")
    store.migrate()
    named = small_weihai(store)
    store.dispose()
    env = {"SSJ_POLICY": "weihai", "SSJ_DATABASE_URL": f"sqlite:///{database}",
           "SSJ_REGION_CODE": "371000"}
    code, out, err = invoke("plan", "--period", "2025Q2", "--json", **env)
    assert code == 0, err
    assert json.loads(out)["categories"]["GENERAL"]["population"] == 5
    code, out, _ = invoke("plan", "--period", "2025Q2", **env)
    assert code == 0 and "第十四条（三）" in out and "SPECIAL" in out
    code, out, err = invoke("explain", named["special"], "--period", "2025Q2", **env)
    assert code == 0, err
    assert "矿井企业" in out and "第九条（四）" in out
    assert "outranked" in out and "第九条（三）" in out
    code, out, _ = invoke("explain", named["special"], "--period", "2025Q2", "--json", **env)
    found = json.loads(out)
    assert (found["category"], found["reasons"][0]["facts"]["tag"]) == ("SPECIAL", "矿井")
    code, _, err = invoke("explain", "91371002MA3C00000J", **env)
    assert code == 65 and "no subject" in err
    code, _, err = invoke("explain", named["key"], "--period", "2024Q1", **env)
    assert code == 65 and "not classified for 2024Q1" in err


# -- after a sync -----------------------------------------------------------------------------


def test_sync_classifies_the_current_quarter_and_export_shows_it(tmp_path: Path) -> None:
    from ssj_bridge.simulation.demo import choose_deployment, demo_settings
    from ssj_bridge.simulation.launch import start_simulators
    from ssj_bridge.sync import run_sync

    host = load_plugins()
    sims = start_simulators(host, {"region": "371000", "subjects": 40}, roles=["permit"])
    try:
        deployment = choose_deployment(host, policy="weihai")
        settings = demo_settings(sims.environment(), tmp_path / "s.db", deployment)
        store = Store(settings.database_url, lock_dir=tmp_path)
        store.migrate()
        run_sync(settings, store, host, only=["permit"])
    finally:
        sims.stop()
    current = Quarter.of(beijing_today())
    found = stored_classifications(store, current, "weihai")
    assert len(found) == store.count("subjects") > 0
    rows = {row["uscc"]: row for row in default_registry().rows("subjects", store)}
    for uscc, classification in found.items():
        category = classification.category.value if classification.category else None
        assert rows[uscc]["category"] == category
        assert rows[uscc]["categories"] == [c.value for c in classification.categories]
    some = next(iter(found))
    stored = classification_of(store, some)
    assert stored is not None and stored.period == current.label
    store.dispose()


def test_sync_with_an_unknown_policy_is_refused_before_syncing(tmp_path: Path) -> None:
    from ssj_bridge.settings import Settings
    from ssj_bridge.sync import run_sync

    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", region_code="371000",
                        policy="nowhere", permit={"base_url": "http://127.0.0.1:9"})
    store = Store(settings.database_url, lock_dir=tmp_path)
    store.migrate()
    with pytest.raises(ConfigurationError) as refused:
        run_sync(settings, store, load_plugins())
    assert refused.value.setting == "SSJ_POLICY"
    assert store.count("runs") == 0
    with pytest.raises(ConfigurationError, match="SSJ_POLICY is not set"):
        resolve_policy(load_plugins(), None)
    store.dispose()
