"""`ssj-bridge demo` runs the whole cycle for any installed adapter, policy and region, and an
adapter that is not installed is an error, never a quiet fallback to the bundled one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sync_support import run_cli


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_") or k == "SSJ_LANGUAGE"}
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
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("ssj-bridge demo · ") and "policy nanshan · region 440305" in lines[0]
    assert "provincial platform (gd)" in lines[1]
    # The routine matter, the object library's matter jointly with the partner department,
    # and a directed (定向) draw of next quarter: each drawn, every task verified.
    [drew] = [line for line in lines if line.startswith("3 draw M01 ")]
    assert "draw verify: all match" in drew and " joint " in drew and " directed " in drew
    assert " 0 tasks drawn" not in drew
    [reconciled] = [line for line in lines if line.startswith("5 reconcile: ")]
    assert "provincial platform in step" in reconciled
    # One screen: a line per step, then the documents it wrote, the report last.
    assert len(lines) <= 40, done.stdout
    assert lines[-1].split()[:2] == ["compliance", "report"]
    report = Path(lines[-1].split()[-1])
    assert report.exists() and report.parent == tmp_path / "out"
    documents = [Path(line.split()[-1]) for line in lines[lines.index("documents written:") + 1:]]
    assert all(path.exists() for path in documents)
    assert {p.name for p in documents} >= {"tasks.xlsx", "results.xlsx", "quarantine.xlsx",
                                             "demo.db", "demo-roster.csv", "demo-joint.csv"}
    assert (tmp_path / "out" / "demo.log").stat().st_size > 0  # the warnings went there
    assert "warning" not in done.stderr
    # The year around the draws: next year's annual plan written where it says.
    [plan] = [line for line in lines if line.strip().startswith("annual plan ")
              and line.strip().endswith(".html")]
    written = Path(plan.split()[-1])
    assert written.name.startswith("annual-plan-") and written.is_file()
    assert written.with_suffix(".xlsx").is_file()
    record = next(p for p in documents if p.name.startswith("draw-") and p.suffix == ".txt")
    text = record.read_text(encoding="utf-8")
    assert "inspectors of its own" in text and "/定向:" in text
    # The documents a bureau files, for the policy's own unit and the quarter's draw.
    for pattern in ("draw-announcement-*-M01.html", "draw-record-*-M01.html",
                    "publications-*.html"):
        [document] = (tmp_path / "out").glob(pattern)
        assert document in documents
        assert "第 \" counter(page) \" 页" in document.read_text(encoding="utf-8")
