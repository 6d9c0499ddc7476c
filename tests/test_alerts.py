"""Alerts on a failed or degraded sync, delivered through apprise to real receivers on loopback
(a webhook, the 企业微信 and 钉钉 robot endpoints behind an HTTPS proxy, an SMTP server); the
alert URLs' secrets never reach the output; an alert that cannot be delivered never changes the
run's exit code."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
from sync_support import Platform, environment, run_cli, simulator

from ssj_bridge.errors import ConfigurationError, ExitCode
from ssj_bridge.operations.alerts import alert_for, check_urls, masked
from ssj_bridge.settings import AlertSettings

PASSWORD = "Hk7-alert-pass-Q2z"
TOKEN = "tok-9f8e7d6c5b4a"


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request it is sent."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append({"path": self.path, "headers": dict(self.headers),
                                 "body": json.loads(self.rfile.read(length) or b"null")})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self) -> str:
        """The alert URL pointing here, with a user, password and token to keep secret."""
        return f"json://alerts:{PASSWORD}@127.0.0.1:{self.port}/hook/{TOKEN}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def sync(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    done = run_cli(["sync", "--json"], env, cwd)
    return done.returncode, done.stdout + done.stderr


def test_a_degraded_sync_alerts_the_webhook_with_what_happened(
        platform: Platform, receiver: Receiver, tmp_path: Path) -> None:
    platform.app = simulator(120, malformed_rate=0.05)
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_ALERTS__URL=receiver.url())
    code, output = sync(env, tmp_path)
    assert code == ExitCode.SET_ASIDE
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request["path"] == f"/hook/{TOKEN}"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(
        f"alerts:{PASSWORD}".encode()).decode()
    body = request["body"]
    assert body["type"] == "warning"
    assert "同步降级（exit 3）" in body["title"] and "371000" in body["title"]
    assert "permit：读取" in body["message"] and "隔离" in body["message"]
    assert PASSWORD not in output and TOKEN not in output


def test_a_failed_sync_alerts_and_on_failed_leaves_degraded_runs_quiet(
        platform: Platform, receiver: Receiver, tmp_path: Path) -> None:
    platform.app = simulator(60, malformed_rate=0.1)
    quiet = environment(platform.base_url, f"sqlite:///{tmp_path / 'a.db'}",
                        SSJ_ALERTS__URL=receiver.url(), SSJ_ALERTS__ON="failed")
    assert sync(quiet, tmp_path)[0] == ExitCode.SET_ASIDE
    assert receiver.received == []

    # Credentials refused: exit 78, an alert of kind failure naming the error.
    wrong = {**quiet, "SSJ_PERMIT__APP_SECRET": "not-the-secret-xyz"}
    code, output = sync(wrong, tmp_path)
    assert code == ExitCode.CONFIGURATION
    assert len(receiver.received) == 1
    body = receiver.received[0]["body"]
    assert body["type"] == "failure" and "同步失败（exit 78）" in body["title"]
    assert "错误" in body["message"]
    assert "not-the-secret-xyz" not in body["message"] + output


def test_an_alert_that_cannot_be_delivered_is_logged_and_the_exit_code_stays(
        platform: Platform, tmp_path: Path) -> None:
    platform.app = simulator(60, malformed_rate=0.1)
    nowhere = Receiver()
    url = nowhere.url()
    nowhere.close()  # the port is closed now
    env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                      SSJ_ALERTS__URL=url, SSJ_ALERTS__TIMEOUT="2")
    code, output = sync(env, tmp_path)
    assert code == ExitCode.SET_ASIDE
    assert "alert not delivered" in output
    assert PASSWORD not in output and TOKEN not in output
    report = orjson.loads(output.splitlines()[0])
    assert report["exit"] == 3


def test_robot_and_mail_urls_are_understood_and_their_keys_masked() -> None:
    key, token, secret = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", "a1b2c3d4e5f6g7h8", "SECabc123456"
    settings = AlertSettings(url=f"wecombot://{key} dingtalk://{secret}@{token}/ "
                                 f"mailtos://ops:{PASSWORD}@smtp.example.org?to=ops@example.org")
    shown = " ".join(check_urls(settings))
    for value in (key, token, secret, PASSWORD):
        assert value not in shown
    assert shown.count("://") == 3
    assert {key, token, secret, PASSWORD} <= set(settings.secrets())
    text = masked(f"POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key} failed", settings)
    assert key not in text
    with pytest.raises(ConfigurationError) as refused:
        check_urls(AlertSettings(url="nosuchservice://x"))
    assert refused.value.setting == "SSJ_ALERTS__URL"


def test_which_runs_deserve_an_alert() -> None:
    degraded, failed = AlertSettings(url="json://h/x"), AlertSettings(url="json://h/x", on="failed")
    summary = {"startedAt": "2026-12-01T02:00:00+08:00", "durationS": 3.5, "platforms": {}}
    assert alert_for(0, summary, degraded) is None
    assert alert_for(3, summary, degraded) is not None and alert_for(3, summary, failed) is None
    for code in (75, 78):
        alert = alert_for(code, summary, failed)
        assert alert is not None and alert.failed and f"exit {code}" in alert.title


def test_wecom_and_dingtalk_robots_receive_the_alert_in_their_own_format(
        platform: Platform, tmp_path: Path) -> None:
    """Through an HTTPS proxy, as a bureau's network would carry it: apprise's own 企业微信
    and 钉钉 formats, the 钉钉 request signed with its secret; no key in the output."""
    from robot_support import RobotEndpoints

    robots = RobotEndpoints(tmp_path)
    key, token, secret = "5b2a7c9e-1d3f-4a6b-8c0d-2e4f6a8b0c1d", "d1e2f3a4b5c6d7e8f9a0", "SECb7c1d9e2f4"
    try:
        platform.app = simulator(60, malformed_rate=0.1)
        env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                          SSJ_ALERTS__URL=f"wecombot://{key} dingtalk://{secret}@{token}/",
                          **robots.environment())
        code, output = sync(env, tmp_path)
    finally:
        robots.close()
    assert code == ExitCode.SET_ASIDE
    calls = {call.host: call for call in robots.calls}
    assert set(calls) == {"qyapi.weixin.qq.com", "oapi.dingtalk.com"}, robots.calls
    wecom = calls["qyapi.weixin.qq.com"]
    assert (wecom.method, wecom.target) == ("POST", f"/cgi-bin/webhook/send?key={key}")
    assert wecom.body["msgtype"] == "text"
    assert "同步降级（exit 3）" in wecom.body["text"]["content"]
    ding = calls["oapi.dingtalk.com"]
    assert ding.target.startswith(f"/robot/send?access_token={token}")
    assert "timestamp=" in ding.target and "sign=" in ding.target
    content = json.dumps(ding.body, ensure_ascii=False)
    assert "同步降级（exit 3）" in content and "permit" in content
    for value in (key, token, secret):
        assert value not in output


def test_an_email_alert_reaches_an_smtp_server_on_loopback(
        platform: Platform, tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    mails: list[tuple[str, list[str], bytes]] = []

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            return "250 OK"

    port = free_port()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        platform.app = simulator(60, malformed_rate=0.1)
        url = (f"mailto://127.0.0.1:{port}?from=ssj@bureau.example&to=ops@bureau.example"
               "&mode=insecure")
        env = environment(platform.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                          SSJ_ALERTS__URL=url)
        code, _output = sync(env, tmp_path)
    finally:
        smtp.stop()
    assert code == ExitCode.SET_ASIDE
    [(sender, recipients, raw)] = mails
    assert (sender, recipients) == ("ssj@bureau.example", ["ops@bureau.example"])
    mail = message_from_bytes(raw, policy=policy.default)
    assert "同步降级（exit 3）" in str(mail["Subject"])
    body = mail.get_body(("plain",))
    assert body is not None and "permit：读取" in body.get_content()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
