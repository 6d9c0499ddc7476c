"""The command line: each command group loads only what it runs, help sets nothing up, and a
command that only reads never changes the store's schema."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sync_support import run_cli

LOADED_BY_HELP = """
import sys
from ssj_bridge.cli import main
sys.argv = ["ssj-bridge", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.startswith(("ssj_bridge.sync", "ssj_bridge.store",
               "ssj_bridge.features", "ssj_bridge.log", "sqlalchemy", "pydantic")))
print(",".join(heavy), file=sys.stderr)
"""


def loaded_by(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", LOADED_BY_HELP, *args], capture_output=True,
                          text=True, timeout=60, check=False)
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return [m for m in last.split(",") if m]


def test_help_loads_neither_the_engine_nor_the_logging() -> None:
    assert loaded_by("--help") == []
    assert loaded_by("sync", "--help") == []
    assert loaded_by("report", "compliance", "--help") == []


def test_a_command_that_only_reads_does_not_migrate_the_store(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env["SSJ_DATABASE_URL"] = f"sqlite:///{database}"
    for args in (["export", "subjects"], ["report", "breaks"], ["draw", "verify", "T-1"],
                 ["explain", "91371000MA3C1234X1"]):
        done = run_cli(args, env, tmp_path)
        assert done.returncode == 78, (args, done.stdout, done.stderr)
        assert "not at the newest schema" in done.stderr
    with sqlite3.connect(database) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert tables == []
    migrated = run_cli(["report", "deadlines"], env, tmp_path)  # it writes: it migrates
    assert migrated.returncode == 0, migrated.stderr
    assert run_cli(["export", "subjects"], env, tmp_path).returncode == 0
