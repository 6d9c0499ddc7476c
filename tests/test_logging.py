"""Logs: JSON lines off a terminal, readable lines on one, never a secret, never a local."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from pydantic import SecretStr
from sync_support import APP_SECRET, Platform, environment, run_cli, simulator

from ssj_bridge.log import configure_logging, redact_text

log = structlog.get_logger("test")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Let the test configure logging afresh, and put the process's logging back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging.captureWarnings(False)  # an earlier in-process command may have left it on
    yield
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level
    logging.captureWarnings(False)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines()]


def test_logs_are_json_lines_when_not_on_a_terminal(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(out)
    log.info("stream start", platform="permit", cursor=None)
    logging.getLogger("some.library").warning("pool %s is full", "permit")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("an old call", DeprecationWarning, stacklevel=1)
    lines = json_lines(out.getvalue())
    assert [line["event"] for line in lines[:2]] == ["stream start", "pool permit is full"]
    assert "an old call" in lines[2]["event"]
    assert all(line["timestamp"].endswith("+08:00") for line in lines)
    assert lines[0]["level"] == "info" and lines[1]["logger"] == "some.library"


def test_logs_are_readable_lines_on_a_terminal(restore_logging: None) -> None:
    out = Terminal()
    configure_logging(out)
    log.info("stream start", platform="permit")
    text = out.getvalue()
    assert "stream start" in text and "platform" in text
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text)


def test_secrets_never_reach_a_log_line(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(out)
    log.info("connecting", app_secret="plain-app-secret", api_key=SecretStr("typed-api-key"),
             settings={"permit": {"app_secret": "nested-secret", "app_id": "visible-app"}},
             url="postgresql+psycopg://ssj:db-password@db/ssj",
             error='token refused: {"accessToken": "issued-token"}, retry ?token=query-token',
             header="Authorization: Bearer bearer-token")
    text = out.getvalue()
    for secret in ("plain-app-secret", "typed-api-key", "nested-secret", "db-password",
                   "issued-token", "query-token", "bearer-token"):
        assert secret not in text
    assert "visible-app" in text


def test_what_failed_is_not_mistaken_for_a_secret() -> None:
    message = "permit: token: ConnectError: [Errno 111] Connection refused"
    assert redact_text(message) == message


def _call_platform(secret: str) -> None:
    body = {"appId": "app", "appSecret": secret}  # a local that must never be shown
    raise RuntimeError(f"token request refused for {body['appId']}")


def test_tracebacks_carry_no_local_variables(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(out)
    try:
        _call_platform("secret-held-in-a-local")
    except RuntimeError:
        log.exception("call failed")
    [line] = json_lines(out.getvalue())
    frames = line["exception"][0]["frames"]
    assert frames[-1]["name"] == "_call_platform"
    assert all("locals" not in frame for frame in frames)
    assert "secret-held-in-a-local" not in out.getvalue()


# -- the console script -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def test_a_run_logs_json_lines_and_never_shows_the_app_secret(platform: Platform,
                                                              tmp_path: Path) -> None:
    sim = simulator(100, seed=3, error_rate=0.3, revoke_every=3, malformed_rate=0.05)
    platform.app = sim
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_PERMIT__PAGE_SIZE="20")
    wrong = "Wr0ng-secret-value-7Qx"
    runs = [run_cli(["sync"], env, tmp_path),
            run_cli(["sync", "--json"], {**env, "SSJ_PERMIT__APP_SECRET": wrong}, tmp_path)]
    assert [done.returncode for done in runs] == [3, 78]
    assert sim.faults_served > 0
    events = [{line["event"] for line in json_lines(done.stderr)} for done in runs]
    assert {"retrying", "record set aside", "platform done"} <= events[0]
    assert "platform failed" in events[1]
    assert "SSJ_PERMIT__APP_SECRET" in runs[1].stdout
    for done in runs:
        assert APP_SECRET not in done.stdout + done.stderr
        assert wrong not in done.stdout + done.stderr


def test_a_crash_is_one_json_line_without_local_variables(tmp_path: Path) -> None:
    (tmp_path / "broken.db").write_bytes(b"this is not a database")
    (tmp_path / "broken.db").chmod(0o600)  # private, as the store makes its files
    env = environment("http://127.0.0.1:9", f"sqlite:///{tmp_path / 'broken.db'}")
    done = run_cli(["export", "quarantine"], env, tmp_path)
    assert done.returncode == 1
    [line] = json_lines(done.stderr)
    assert line["event"] == "command crashed"
    assert line["exception"][0]["exc_type"] == "DatabaseError"
    assert all("locals" not in frame for error in line["exception"]
               for frame in error["frames"])
    assert APP_SECRET not in done.stderr
