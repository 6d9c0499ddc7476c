"""南山 (440305) under the nanshan policy, synced through SSJ_PROVINCE__ADAPTER=gd: permits and
credit read, subjects classified (nanshan has no SIMPLIFIED), the library saved on the
Guangdong-style platform, its tasks and results read back; a second run sends nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from ssj_bridge.api.simulation import SimulatorSet, start_simulators
from ssj_bridge.api.testing import load_plugins
from ssj_province_gd.simulator import Simulator

REGION = "440305"
CONSOLE_SCRIPT = Path(sys.executable).with_name("ssj-bridge")


@pytest.fixture
def platforms() -> Iterator[SimulatorSet]:
    """Permit, credit and the gd province simulators for 南山."""
    sims = start_simulators(load_plugins(), {"region": REGION, "subjects": 60},
                            roles=["permit", "credit", "province"],
                            adapters={"province": "gd"})
    try:
        yield sims
    finally:
        sims.stop()


def sync(env: dict[str, str], cwd: Path) -> tuple[int, dict[str, object]]:
    done = subprocess.run([str(CONSOLE_SCRIPT), "sync", "--json"], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=300, check=False)
    return done.returncode, orjson.loads(done.stdout.strip().splitlines()[-1])


def test_nanshan_syncs_through_the_gd_adapter(platforms: SimulatorSet, tmp_path: Path) -> None:
    gd = platforms.running["province"].app
    assert isinstance(gd, Simulator)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update(platforms.environment())
    env.update({"SSJ_PROVINCE__ADAPTER": "gd", "SSJ_POLICY": "nanshan",
                "SSJ_REGION_CODE": REGION, "SSJ_ORG_CODE": "11440305MB2C00000X",
                "SSJ_ORG_NAME": "深圳市生态环境局南山管理局",
                "SSJ_DATABASE_URL": f"sqlite:///{tmp_path / 'nanshan.db'}"})

    code, report = sync(env, tmp_path)
    province = report["platforms"]["province"]  # type: ignore[index]
    assert code == 0, report
    assert province["error"] is None
    assert province["sent"] > 0 and province["deferred"] == 0
    # Every library subject is on the platform with a jglb it knows: no 简化 in nanshan.
    assert len(gd.subjects) == province["sent"]
    assert {s["jglb"] for s in gd.subjects.values()} <= {"1", "2", "3"}
    assert all(s["xzqhdm"].startswith("440305") for s in gd.subjects.values())
    assert province["fetched"] >= len(gd.expected_keys("task")) + len(gd.expected_keys("result"))

    exported = subprocess.run([str(CONSOLE_SCRIPT), "export", "subjects", "--format", "jsonl"],
                              env=env, cwd=tmp_path, text=True, capture_output=True,
                              timeout=120, check=True).stdout
    categories = {orjson.loads(line)["category"] for line in exported.splitlines() if line}
    assert "SIMPLIFIED" not in categories
    assert {"KEY", "GENERAL"} <= categories

    applied = gd.applied_writes()
    code, report = sync(env, tmp_path)
    assert code == 0, report
    assert report["platforms"]["province"]["sent"] == 0  # type: ignore[index]
    assert gd.applied_writes() == applied
