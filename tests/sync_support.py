"""What the sync tests share: the permit simulator on loopback, the settings and environment
that point a run at it, a gate that holds a run mid-way, and the store's contents to compare."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.server import SimRequest, SimResponse, serve
from ssj_bridge.store import Store
from ssj_bridge.store.schema import cursors, permits, quarantine, subjects
from ssj_bridge.sync import Progress, SyncReport, run_sync
from ssj_permit.simulator.app import PermitSimulator

REGION = "371000"
APP_ID = "sync-test-app"
# Distinctive, so a test can grep every output for it.
APP_SECRET = "Zq8-sync-test-secret-4tW"
LIST = "/api/v1/permits"
CONSOLE_SCRIPT = Path(sys.executable).with_name("ssj-bridge")
# Retries fast enough for tests; every other setting as in production.
FAST_RETRIES = {"initial_backoff": "0.005", "max_backoff": "0.02", "deadline": "30",
                "max_retry_after": "2", "rate_limit": "1000"}


def simulator(subjects: int = 120, **options: Any) -> PermitSimulator:
    """A permit simulator of `subjects` holders in REGION, with no rate limit unless asked."""
    return PermitSimulator.from_options({
        "region": REGION, "subjects": subjects, "app_id": APP_ID, "app_secret": APP_SECRET,
        "rate_limit": 0, **options})


class Platform:
    """The permit platform on loopback, serving whatever simulator a test gives it: one server
    for a whole module, so no test waits for a server to stop."""

    def __init__(self) -> None:
        self.app: Callable[[SimRequest], SimResponse] | None = None
        self.base_url = ""

    def __call__(self, request: SimRequest) -> SimResponse:
        assert self.app is not None, "the test has not set platform.app"
        return self.app(request)

    @classmethod
    @contextmanager
    def serving(cls) -> Iterator[Platform]:
        """Serve on a free loopback port until the block ends."""
        platform = cls()
        running = serve("permit", platform)
        platform.base_url = running.base_url
        try:
            yield platform
        finally:
            running.stop()

    def sync(self, database_url: str, host: PluginHost, progress: Progress | None = None,
             **permit: Any) -> SyncReport:
        """One run in this process against the platform, into `database_url`."""
        store = Store(database_url)
        store.migrate()
        try:
            return run_sync(settings(self.base_url, database_url, **permit), store, host,
                            progress=progress)
        finally:
            store.dispose()


def settings(base_url: str, database_url: str, **permit: Any) -> Settings:
    """Settings of a run against `base_url` storing into `database_url`."""
    section = PlatformSettings(base_url=base_url, app_id=APP_ID, app_secret=APP_SECRET,
                               **{**FAST_RETRIES, **permit})
    values: dict[str, Any] = {"database_url": database_url, "region_code": REGION,
                              "permit": section}
    return Settings(**values)


def environment(base_url: str, database_url: str, **overrides: str) -> dict[str, str]:
    """The process environment of an `ssj-bridge` run, free of the caller's SSJ_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update({"SSJ_DATABASE_URL": database_url, "SSJ_REGION_CODE": REGION,
                "SSJ_PERMIT__BASE_URL": base_url, "SSJ_PERMIT__APP_ID": APP_ID,
                "SSJ_PERMIT__APP_SECRET": APP_SECRET})
    env.update({f"SSJ_PERMIT__{k.upper()}": v for k, v in FAST_RETRIES.items()})
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the console script to completion, capturing stdout and stderr."""
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=dict(env), cwd=cwd, text=True,
                          capture_output=True, timeout=timeout, check=False)


def start_cli(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start the console script; the caller waits for it or kills it."""
    return subprocess.Popen([str(CONSOLE_SCRIPT), *args], env=dict(env), cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Gate:
    """Passes requests to `app`, but holds every permits page after the first `pages`
    until opened: a run is caught mid-way, deterministically."""

    def __init__(self, app: Callable[[SimRequest], SimResponse], pages: int) -> None:
        self.app = app
        self.pages = pages
        self.served = 0
        self.reached = threading.Event()
        self.opened = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, request: SimRequest) -> SimResponse:
        if request.path == LIST:
            with self._lock:
                self.served += 1
                held = self.served > self.pages
            if held:
                self.reached.set()
                self.opened.wait(timeout=60)
        return self.app(request)

    def close(self) -> None:
        """Hold nothing any more, from now on."""
        self.pages = sys.maxsize
        self.opened.set()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll `condition` until it holds; fail naming `what` when it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def count_rows(database_url: str, table: str) -> int:
    """Rows of `table`, or 0 while the schema does not exist yet."""
    store = Store(database_url)
    try:
        return store.count(table)
    except (OperationalError, ProgrammingError):  # the run has not created the table yet
        return 0
    finally:
        store.dispose()


@dataclass(frozen=True)
class Contents:
    """What a sync leaves in the store, without the times of the run itself."""

    permits: list[tuple[Any, ...]]
    subjects: list[tuple[Any, ...]]
    quarantine: list[tuple[Any, ...]]
    cursors: list[tuple[Any, ...]]


def contents(database_url: str) -> Contents:
    """The store's permits, subjects, quarantine (key, reason) and cursors, sorted."""
    store = Store(database_url)
    subject_columns = [c for c in subjects.c if c.name != "updated_at"]
    try:
        with store.engine.connect() as conn:
            return Contents(
                permits=sorted(tuple(r) for r in conn.execute(select(permits))),
                subjects=sorted(tuple(r) for r in conn.execute(select(*subject_columns))),
                quarantine=sorted(tuple(r) for r in conn.execute(select(
                    quarantine.c.platform, quarantine.c.entity, quarantine.c.key,
                    quarantine.c.reason))),
                cursors=sorted(tuple(r) for r in conn.execute(select(
                    cursors.c.platform, cursors.c.stream, cursors.c.value))))
    finally:
        store.dispose()


def valid_keys(sim: PermitSimulator) -> set[str]:
    """Permit numbers a correct client stores: every record the platform has that is not bad."""
    return set(sim.records) - set(sim.dataset.malformed)


def stored_keys(database_url: str) -> set[str]:
    """Permit numbers in the store."""
    return {row[0] for row in contents(database_url).permits}


def quarantined_keys(database_url: str) -> set[str]:
    """Keys in the quarantine."""
    return {row[2] for row in contents(database_url).quarantine}
