"""Shared fixtures: stores on SQLite and PostgreSQL, simulators on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser  # noqa: F401 - the browser tests' Chromium, one per module
from sqlalchemy import create_engine, text

from ssj_bridge.plugins.host import PluginHost, load_plugins
from ssj_bridge.simulation.server import RunningSimulator, serve
from ssj_bridge.store import Store

POSTGRES_URL = os.environ.get("SSJ_TEST_POSTGRES_URL")
# The suite reads what commands print in English, the code's own words; the tests of the
# Chinese (the default) set SSJ_LANGUAGE=zh themselves (test_language.py).
os.environ["SSJ_LANGUAGE"] = "en"
IN_CI = os.environ.get("CI", "").lower() == "true"


def postgres_url_or_skip() -> str:
    """The test PostgreSQL server; skipped on a machine without one, never in CI."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail("CI=true but SSJ_TEST_POSTGRES_URL is not set: PostgreSQL tests must run")
    pytest.skip("no PostgreSQL (set SSJ_TEST_POSTGRES_URL)")


def fresh_postgres_database() -> str:
    """A new, empty database on the test server (dropped by the caller's fixture)."""
    base = postgres_url_or_skip()
    name = f"ssj_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    """Drop a database made by fresh_postgres_database."""
    base = postgres_url_or_skip()
    name = url.rsplit("/", 1)[1]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def no_settings_from_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without `SSJ_` variables: the suite's own (SSJ_TEST_POSTGRES_URL, read
    above) is no setting of the project, and a command run in the test would warn about it.
    SSJ_LANGUAGE stays: the suite reads English (above)."""
    for name in [n for n in os.environ if n.startswith("SSJ_") and n != "SSJ_LANGUAGE"]:
        monkeypatch.delenv(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend the store supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = fresh_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases on one backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
        return
    urls = fresh_postgres_database(), fresh_postgres_database()
    try:
        yield urls
    finally:
        for url in urls:
            drop_postgres_database(url)


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    """A migrated store on each backend."""
    s = Store(database_url, lock_dir=tmp_path)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def second_store(store: Store, tmp_path: Path) -> Iterator[Store]:
    """Another empty store on the same backend as `store`."""
    if store.dialect == "sqlite":
        other = Store(f"sqlite:///{tmp_path / 'second.db'}")
        other.migrate()
        yield other
        other.dispose()
        return
    url = fresh_postgres_database()
    other = Store(url)
    try:
        other.migrate()
        yield other
    finally:
        other.dispose()
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def host() -> PluginHost:
    """The plugins installed with the project, loaded once per module."""
    return load_plugins()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store (tests that are not about the backend)."""
    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    s.migrate()
    yield s
    s.dispose()


def start(name: str, app: Any) -> RunningSimulator:
    """Serve a simulator on a free loopback port."""
    return serve(name, app)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server (dropped afterwards)."""
    url = fresh_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
