"""`ssj-bridge demo`: the whole cycle against the bundled simulators, on embedded SQLite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ssj_bridge.errors import ExitCode
from ssj_bridge.plugins import load_plugins
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulators import start_simulators
from ssj_bridge.store import Store
from ssj_bridge.sync import run_sync

DEMO_REGION = "371000"  # 威海市
DEMO_ORG = ("11371000MB0000000E", "威海市生态环境局")
DEMO_POLICY = "weihai"
# A few faults, so the demo shows retries and the quarantine doing their work.
DEMO_FAULTS = {"error_rate": 0.03, "rate_429": 0.02, "malformed_rate": 0.01, "quirk_rate": 0.02,
               "live_updates": 1, "rate_limit": 0}


def run_demo(*, subjects: int, workdir: Path, echo: Callable[[str], Any]) -> int:
    """Start the simulators, sync twice (the second run finds nothing new), print what happened."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "demo.db"
    for stale in workdir.glob("demo.db*"):
        stale.unlink()
    host = load_plugins()
    sims = start_simulators(host, {"region": DEMO_REGION, "subjects": subjects, **DEMO_FAULTS})
    try:
        settings = demo_settings(sims.environment(), database)
        store = Store(settings.database_url)
        store.migrate()
        echo("simulators: " + ", ".join(f"{r} {s.base_url}" for r, s in sims.running.items()))
        echo(f"store: {database}")
        exit_code = ExitCode.OK
        for attempt in ("first sync", "second sync"):
            report = run_sync(settings, store, host)
            echo(f"{attempt}: {report.summary_line()}")
            exit_code = report.exit
        echo(f"subjects in store: {store.count('subjects')}, permits: {store.count('permits')}, "
             f"quarantined: {store.count('quarantine')}")
        for entry in store.quarantined()[:5]:
            echo(f"  set aside {entry['key']}: {entry['reason']}")
        store.dispose()
        return int(ExitCode.OK if exit_code in (ExitCode.OK, ExitCode.SET_ASIDE) else exit_code)
    finally:
        sims.stop()


def demo_settings(environment: dict[str, str], database: Path) -> Settings:
    """Settings pointing at the running simulators (environment variables still win)."""
    sections: dict[str, PlatformSettings] = {}
    for role in ("permit", "credit", "province", "publicity"):
        prefix = f"SSJ_{role.upper()}__"
        fields = {k[len(prefix):].lower(): v for k, v in environment.items()
                  if k.startswith(prefix)}
        if fields:
            sections[role] = PlatformSettings(**fields)
    values: dict[str, Any] = {"database_url": f"sqlite:///{database}",
                              "region_code": DEMO_REGION, "org_code": DEMO_ORG[0],
                              "org_name": DEMO_ORG[1], "policy": DEMO_POLICY, **sections}
    return Settings(**values)
