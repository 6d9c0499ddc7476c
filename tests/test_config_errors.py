"""Configuration mistakes exit 78 naming the setting or the file; misspelt settings are warned
about instead of being silently ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sync_support import Platform, environment, run_cli, simulator

from ssj_bridge.errors import ExitCode


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        running.app = simulator(20)
        yield running


def log_lines(stderr: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def failure(stderr: str) -> str:
    """The message of the one `command failed` line."""
    failed = [line for line in log_lines(stderr) if line["event"] == "command failed"]
    assert len(failed) == 1, stderr
    assert failed[0]["exit"] == ExitCode.CONFIGURATION
    assert "exception" not in failed[0]  # a mistake of the operator's, not a traceback
    return str(failed[0]["error"])


def test_a_toml_syntax_error_names_the_file(platform: Platform, tmp_path: Path) -> None:
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}")
    given = tmp_path / "settings.toml"
    given.write_text('region_code = "371000\n[permit\n', encoding="utf-8")
    done = run_cli(["--config", str(given), "sync"], env, tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    assert f"config file {given} is not valid TOML" in failure(done.stderr)
    # The default file, found in the working directory, is named the same way.
    (tmp_path / "ssj-bridge.toml").write_text("policy = weihai\n", encoding="utf-8")
    done = run_cli(["sync"], env, tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    assert "config file ssj-bridge.toml is not valid TOML" in failure(done.stderr)


def test_a_platform_section_of_malformed_json_names_the_variable(
        platform: Platform, tmp_path: Path) -> None:
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_PERMIT='{"base_url": ', SSJ_PERMIT__BASE_URL="",
                      SSJ_PERMIT__APP_ID="", SSJ_PERMIT__APP_SECRET="")
    done = run_cli(["sync", "--json"], env, tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    summary = orjson.loads(done.stdout)
    # when it ran is said too (startedAt, finishedAt, durationS); no platform was reached
    assert summary.keys() - {"startedAt", "finishedAt", "durationS"} == {"exit", "platforms"}
    assert summary["exit"] == 78 and summary["platforms"] == {}
    assert failure(done.stderr).startswith("SSJ_PERMIT is not valid JSON")


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://ssj@127.0.0.1/ssj", "'mysql' is not a store this project runs on"),
    ("sqlite+nosuchdriver:///store.db", "driver 'sqlite+nosuchdriver' cannot be loaded"),
    ("postgresql+nosuchdriver://ssj@127.0.0.1/ssj", "cannot be loaded"),
])
def test_an_unknown_database_driver_names_the_database_url(
        platform: Platform, tmp_path: Path, url: str, says: str) -> None:
    done = run_cli(["sync"], environment(platform.base_url, url), tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    message = failure(done.stderr)
    assert message.startswith("SSJ_DATABASE_URL") and says in message


@pytest.mark.parametrize("where", ["missing/store.db", "a-file/store.db", "."])
def test_an_sqlite_path_that_cannot_be_opened_is_78_not_75(
        platform: Platform, tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    path = tmp_path / where
    done = run_cli(["sync"], environment(platform.base_url, f"sqlite:///{path}"), tmp_path)
    assert done.returncode == ExitCode.CONFIGURATION
    message = failure(done.stderr)
    assert message.startswith("SSJ_DATABASE_URL") and str(path) in message


def test_a_report_path_that_cannot_be_written_names_the_file(
        platform: Platform, tmp_path: Path) -> None:
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_POLICY="weihai")
    (tmp_path / "a-file").write_text("not a directory")
    target = tmp_path / "a-file" / "report"
    for args in (["report", "compliance", "--period", "2025Q2", "--html", f"{target}.html"],
                 ["report", "breaks", "--format", "csv", "--out", f"{target}.csv"],
                 ["report", "breaks", "--format", "xlsx", "--out", f"{target}.xlsx"],
                 ["export", "objects", "--format", "xlsx", "--out", f"{target}.xlsx"],
                 ["plan", "--year", "2026", "--html", f"{target}.html"],
                 ["report", "ledger", "--period", "2025Q2", "--xlsx", f"{target}.xlsx"]):
        done = run_cli(args, env, tmp_path)
        assert done.returncode == ExitCode.CONFIGURATION, (args, done.stderr)
        assert f"cannot write the report {target}." in failure(done.stderr)


def test_misspelt_variables_are_warned_about_naming_the_close_setting(
        platform: Platform, tmp_path: Path) -> None:
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_PERMIT__BASE_URL="", SSJ_PERMIT__BASEURL=platform.base_url,
                      SSJ_REGION_COD="371000", SSJ_NOTHING_LIKE_IT="1")
    done = run_cli(["sync"], env, tmp_path)
    # Nothing is configured once the base URL's name is wrong: 78, and the warning says why.
    assert done.returncode == ExitCode.CONFIGURATION
    warned = {line["variable"]: line["hint"] for line in log_lines(done.stderr)
              if line["event"] == "unknown setting"}
    assert warned == {"SSJ_PERMIT__BASEURL": "did you mean SSJ_PERMIT__BASE_URL?",
                      "SSJ_REGION_COD": "did you mean SSJ_REGION_CODE?",
                      "SSJ_NOTHING_LIKE_IT": "no setting has this name; it is ignored"}


def test_a_misspelt_adapter_field_is_warned_about_by_its_adapter(
        platform: Platform, tmp_path: Path) -> None:
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_PERMIT__PAGESIZE="50")
    done = run_cli(["sync"], env, tmp_path)
    assert done.returncode == ExitCode.OK, done.stderr
    warned = {line["variable"]: line["hint"] for line in log_lines(done.stderr)
              if line["event"] == "unknown setting"}
    assert warned == {"SSJ_PERMIT__PAGESIZE": "did you mean SSJ_PERMIT__PAGE_SIZE?"}
