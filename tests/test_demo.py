"""`ssj-bridge demo` runs the whole cycle for any installed adapter, policy and region, and an
adapter that is not installed is an error, never a quiet fallback to the bundled one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sync_support import run_cli


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update(extra)
    return env


@pytest.mark.parametrize("how", [["--adapter", "province=zj"], []])
def test_an_adapter_that_is_not_installed_is_refused_naming_it(how: list[str],
                                                               tmp_path: Path) -> None:
    env = clean_environment() if how else clean_environment(SSJ_PROVINCE__ADAPTER="zj")
    done = run_cli(["demo", "--dir", str(tmp_path / "out"), *how], env, tmp_path)
    assert done.returncode == 78, done.stdout + done.stderr
    assert "no adapter named 'zj' is installed" in done.stderr
    assert "sync" not in done.stdout  # nothing ran with another adapter


def test_an_unknown_policy_is_refused_naming_the_installed_ones(tmp_path: Path) -> None:
    done = run_cli(["demo", "--dir", str(tmp_path / "out"), "--policy", "hangzhou"],
                   clean_environment(), tmp_path)
    assert done.returncode == 78, done.stdout + done.stderr
    assert "no policy named 'hangzhou'" in done.stderr and "weihai" in done.stderr


@pytest.mark.slow
def test_the_demo_runs_the_cycle_with_a_second_provinces_adapter_and_policy(
        tmp_path: Path) -> None:
    done = run_cli(["demo", "--subjects", "60", "--dir", str(tmp_path / "out"),
                    "--adapter", "province=gd", "--policy", "nanshan"],
                   clean_environment(), tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    [deployment] = [line for line in done.stdout.splitlines() if line.startswith("deployment:")]
    assert deployment.startswith("deployment: policy nanshan, region 440305")
    assert "province gd" in deployment
    assert "draw run with witness" in done.stdout
    lines = done.stdout.splitlines()
    # The year around the draws: next year's annual plan written where it says, one joint
    # draw with the partner department's own inspectors, one directed (定向) draw; each run.
    [plan] = [line for line in lines if line.startswith("annual plan ")]
    written = Path(plan.rsplit(": ", 1)[1])
    assert written.name.startswith("annual-plan-") and written.is_file()
    assert written.with_suffix(".xlsx").is_file()
    for kind in (" joint (", " directed ("):
        at = next(n for n, line in enumerate(lines)
                  if line.startswith("draw commit ") and kind in line)
        assert not lines[at].split(": ", 1)[1].startswith("0 draws"), lines[at]
        ran = next(line for line in lines[at + 1:] if line.startswith(("draw run", "draw commit ")))
        assert ran.startswith("draw run with witness") and " 0 tasks" not in ran, ran
    assert any(line.strip().startswith("department ") and "inspectors of its own" in line
               for line in lines)
    assert any("/定向:" in line for line in lines)
    assert "reconcile province: reconciled" in done.stdout
    assert list((tmp_path / "out").glob("compliance-*.html"))
    # The documents a bureau files, for the policy's own unit and the quarter's draw.
    for pattern in ("draw-announcement-*-M01.html", "draw-record-*-M01.html",
                    "publications-*.html"):
        [document] = (tmp_path / "out").glob(pattern)
        assert f"document: {document.resolve()}" in done.stdout
        assert "第 \" counter(page) \" 页" in document.read_text(encoding="utf-8")
    assert done.stdout.strip().splitlines()[-1].startswith("compliance report ")
