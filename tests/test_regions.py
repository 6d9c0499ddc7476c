"""Regions as data on one PostgreSQL: the registry, a schema per region with the single-region
tables, region-keyed store locks, region-scoped request ids, and what a worker does with each
exit code of a region's sync."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from ssj_bridge.errors import ConfigurationError, LockHeld
from ssj_bridge.outbox.queue import OutboxItem, enqueue, pending
from ssj_bridge.regions.jobs import cron_every
from ssj_bridge.regions.registry import Province, attempts, region_url
from ssj_bridge.regions.runner import outcome, sync_command
from ssj_bridge.store import Store
from ssj_bridge.store.schema import metadata

CLI = [sys.executable, "-m", "ssj_bridge.cli"]


@pytest.fixture
def province_url(postgres_database: str) -> str:
    return postgres_database


def _config(tmp_path: Path, name: str, body: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(body + '\n[permit]\nbase_url = "http://127.0.0.1:9"\n', encoding="utf-8")
    return path


def _run(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    return subprocess.run([*CLI, *args], env={**env, "SSJ_DATABASE_URL": url}, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


# -- exit codes, commands, URLs (no database) ---------------------------------------------------


@pytest.mark.parametrize("code, verdict", [(0, "done"), (3, "done"), (75, "retry"),
                                           (1, "retry"), (-9, "retry"), (78, "failed"),
                                           (2, "failed"), (65, "failed")])
def test_exit_codes_map_to_done_retry_or_failed(code: int, verdict: str) -> None:
    assert outcome(code) == verdict


def test_a_regions_sync_gets_its_own_store_and_none_of_the_workers_settings(
        tmp_path: Path) -> None:
    from datetime import datetime

    from ssj_bridge.regions.registry import Region

    region = Region("371002", "weihai", tmp_path / "r.toml", 900, "region_371002", True,
                    datetime.now().astimezone(), None)
    command = sync_command(region, "postgresql+psycopg://u:p@db/province?sslmode=prefer",
                           base_env={"PATH": "/bin", "SSJ_PERMIT__BASE_URL": "http://other",
                                     "SSJ_POLICY": "quzhou"})
    assert command.env["SSJ_REGION_CODE"] == "371002"
    assert command.env["SSJ_POLICY"] == "weihai"
    assert "SSJ_PERMIT__BASE_URL" not in command.env
    url = command.env["SSJ_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://u:p@db/province?")
    assert "search_path%3Dregion_371002" in url or "search_path=region_371002" in url
    assert "sslmode=prefer" in url
    assert command.argv[-4:] == ["--config", str(region.config_path), "sync", "--json"][-4:]


def test_region_url_keeps_existing_options() -> None:
    url = region_url("postgresql+psycopg://u@h/db?options=-cstatement_timeout%3D5000", "region_1")
    assert url.query["options"] == "-cstatement_timeout=5000 -csearch_path=region_1"


def test_ticks_are_cron_lines() -> None:
    assert cron_every(5) == "* * * * * */5"
    assert cron_every(120) == "*/2 * * * *"
    with pytest.raises(ValueError):
        cron_every(7)


def test_the_province_deployment_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs PostgreSQL"):
        Province(f"sqlite:///{tmp_path / 'x.db'}")


# -- the store lock and request ids ---------------------------------------------------------------


@pytest.mark.postgres
def test_regions_sharing_a_database_do_not_block_each_other(province_url: str) -> None:
    one, two, again = (Store(province_url, region="371001"), Store(province_url, region="371002"),
                       Store(province_url, region="371001"))
    try:
        with one.lock("sync"), two.lock("sync"), two.lock("draw"):
            with pytest.raises(LockHeld, match="region 371001"), again.lock("sync"):
                pass
        with again.lock("sync"):  # released with the block
            pass
    finally:
        for store in (one, two, again):
            store.dispose()


def test_new_versions_carry_the_region_in_their_request_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    legacy = Store(url)
    legacy.migrate()
    with legacy.engine.begin() as conn:
        enqueue(conn, "province", "inspector", "WH-001", {"name": "甲"})
        before = pending(conn, "province", "inspector", 10)
    legacy.dispose()
    assert before[0].scope is None
    unscoped = OutboxItem(0, "province", "inspector", "WH-001", 1, {}, "")
    assert before[0].request_id == unscoped.request_id  # ids of existing versions unchanged
    store = Store(url, region="371002")
    try:
        with store.engine.begin() as conn:
            assert pending(conn, "province", "inspector", 10)[0].request_id == before[0].request_id
            enqueue(conn, "province", "inspector", "WH-001", {"name": "乙"})
            item = pending(conn, "province", "inspector", 10)[0]
        assert (item.version, item.scope) == (2, "371002")
        other = OutboxItem(0, "province", "inspector", "WH-001", 2, {}, "", "371003")
        assert item.request_id != other.request_id
        assert len(item.request_id) <= 64
    finally:
        store.dispose()


# -- the registry and the commands ------------------------------------------------------------------


@pytest.mark.postgres
def test_regions_add_list_and_migrate_give_each_region_the_single_region_tables(
        province_url: str, tmp_path: Path) -> None:
    assert _run(province_url, tmp_path, "migrate", "--all-regions").returncode == 0
    for code in ("371002", "371003"):
        done = _run(province_url, tmp_path, "regions", "add", code, "--policy", "weihai",
                    "--config", str(_config(tmp_path, code)), "--interval", "600")
        assert done.returncode == 0, done.stderr
    listed = _run(province_url, tmp_path, "regions", "list").stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["371002", "371003"]
    province = Province(province_url)
    try:
        tables = set(inspect(province.engine).get_table_names(schema="region_371002"))
        assert set(metadata.tables) <= tables
        migrated = _run(province_url, tmp_path, "migrate", "--all-regions")
        assert "2 regions migrated: 371002 371003" in migrated.stdout
        # Due once, then not again before the interval.
        assert {r.code for r in province.claim_due()} == {"371002", "371003"}
        assert province.claim_due() == []
        assert [r.code for r in province.claim_due(force=True, only=["371003"])] == ["371003"]
    finally:
        province.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("code, body, why", [
    ("37100", "", "must be 6 digits"),
    ("371002", 'region_code = "371003"', "sets region_code"),
    ("371002", 'database_url = "sqlite:///x.db"', "sets database_url"),
])
def test_regions_add_refuses_what_cannot_run(province_url: str, tmp_path: Path, code: str,
                                             body: str, why: str) -> None:
    done = _run(province_url, tmp_path, "regions", "add", code, "--policy", "weihai",
                "--config", str(_config(tmp_path, "bad", body)))
    assert done.returncode == 78
    assert why in done.stderr


@pytest.mark.postgres
def test_unknown_policy_is_a_configuration_error(province_url: str, tmp_path: Path) -> None:
    done = _run(province_url, tmp_path, "regions", "add", "371002", "--policy", "atlantis",
                "--config", str(_config(tmp_path, "r")))
    assert done.returncode == 78


@pytest.mark.postgres
def test_a_platform_down_is_retried_and_a_configuration_error_is_not(
        province_url: str, tmp_path: Path) -> None:
    assert _run(province_url, tmp_path, "migrate", "--all-regions").returncode == 0
    # 371002: its permit platform does not answer (exit 75); 371003: a malformed setting
    # (exit 78).
    down = tmp_path / "down.toml"
    down.write_text('[permit]\nbase_url = "http://127.0.0.1:9"\napp_id = "a"\napp_secret = "s"\n'
                    'deadline = 2\n', encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text('[permit]\nbase_url = "http://127.0.0.1:9"\nrate_limit = -1\n',
                      encoding="utf-8")
    for code, config in (("371002", down), ("371003", broken)):
        added = _run(province_url, tmp_path, "regions", "add", code, "--policy", "weihai",
                     "--config", str(config))
        assert added.returncode == 0, added.stderr
    assert "queued: 2" in _run(province_url, tmp_path, "schedule", "--once").stdout
    ran = _run(province_url, tmp_path, "worker", "--until-idle")
    assert ran.returncode == 0, ran.stderr
    province = Province(province_url)
    try:
        with province.engine.connect() as conn:
            exits = dict(conn.execute(select(attempts.c.region, attempts.c.exit_code)).all())
            jobs = dict(conn.execute(text(
                "SELECT args->>'region', status::text FROM procrastinate_jobs "
                "WHERE task_name = 'ssj.sync_region'")).all())
        assert exits == {"371002": 75, "371003": 78}
        assert jobs == {"371002": "todo", "371003": "failed"}  # retried later; not retried
        # A region's job is not queued twice while one waits.
        assert "queued: 0" in _run(province_url, tmp_path, "schedule", "--once", "--now",
                                   "--region", "371002").stdout
        status = _run(province_url, tmp_path, "regions", "status", "--json")
        assert status.returncode == 0, status.stderr
        assert '"region":"371003"' in status.stdout and '"status":"failed"' in status.stdout
    finally:
        province.dispose()
