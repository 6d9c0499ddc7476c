"""Running the conformance suite on a generated adapter package without installing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def point_tests_at_spec(root: Path, name: str, package: str) -> None:
    """Make the package's tests find its adapter by importing it, not by its entry point."""
    conftest = root / "tests" / "conftest.py"
    text = conftest.read_text(encoding="utf-8")
    generated = f'installed_adapter("{name}")'
    assert generated in text
    conftest.write_text(text.replace(generated, f"__import__('{package}.plugin').plugin.SPEC"),
                        encoding="utf-8")


def run_suite(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """pytest in the package, with the package importable and none of the caller's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *options, "tests"], cwd=root, env=env, text=True,
                          capture_output=True, timeout=600, check=False)
