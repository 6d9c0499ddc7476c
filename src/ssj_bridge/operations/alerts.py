"""Telling people when a sync fails or is degraded: 企业微信, 钉钉, email or any webhook.

Delivery is apprise's (a maintained library that speaks each service's own format); this
module decides whether a run deserves an alert (`SSJ_ALERTS__ON`), words it, and keeps the
alert URLs' secrets (robot keys, tokens, passwords) out of everything it prints or logs. An
alert that cannot be delivered is logged and never changes the run's exit code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog

from ssj_bridge.errors import ConfigurationError, ExitCode
from ssj_bridge.log import REDACTED, redact_text
from ssj_bridge.settings import AlertSettings

log = structlog.get_logger("ssj_bridge.operations.alerts")

SETTING = "SSJ_ALERTS__URL"
FAILED_EXITS = {int(ExitCode.UNAVAILABLE), int(ExitCode.CONFIGURATION), 1}
DEGRADED_EXITS = FAILED_EXITS | {int(ExitCode.SET_ASIDE), int(ExitCode.INPUT_REFUSED)}


@dataclass(frozen=True)
class Alert:
    """What is sent: a title, a body, and whether the run failed or was degraded."""

    title: str
    body: str
    failed: bool


def masked(text: str, settings: AlertSettings) -> str:
    """`text` with every alert URL's secrets replaced, then the usual redaction."""
    for part in settings.secrets():
        text = text.replace(part, REDACTED)
    return redact_text(text)


def alert_for(exit_code: int, summary: Mapping[str, Any], settings: AlertSettings, *,
              region: str | None = None, host: str | None = None) -> Alert | None:
    """The alert a run's outcome deserves under `SSJ_ALERTS__ON`, or None."""
    wanted = FAILED_EXITS if settings.on == "failed" else DEGRADED_EXITS
    if exit_code not in wanted:
        return None
    failed = exit_code in FAILED_EXITS
    state = "同步失败" if failed else "同步降级"
    where = f" {region}" if region else ""
    title = f"ssj-bridge{where}：{state}（exit {exit_code}）"
    lines = [f"开始 {summary.get('startedAt') or '?'}，用时 {summary.get('durationS', '?')} 秒"
             + (f"，主机 {host}" if host else "")]
    for name, platform in (summary.get("platforms") or {}).items():
        if not isinstance(platform, Mapping):
            continue
        counts = (f"读取 {platform.get('fetched', 0)}，入库 {platform.get('stored', 0)}，"
                  f"隔离 {platform.get('setAside', 0)}，发送 {platform.get('sent', 0)}，"
                  f"延后 {platform.get('deferred', 0)}")
        error = f"；错误：{platform['error']}" if platform.get("error") else ""
        lines.append(f"{name}：{counts}{error}")
    if summary.get("error"):
        lines.append(f"错误：{summary['error']}")
    lines.append("详情：ssj-bridge status")
    return Alert(title, masked("\n".join(lines), settings), failed)


def check_urls(settings: AlertSettings) -> list[str]:
    """Each configured URL in apprise's privacy form; ConfigurationError naming
    SSJ_ALERTS__URL for one no notification service understands."""
    import apprise

    shown = []
    for url in settings.urls():
        with _quiet():
            service = apprise.Apprise.instantiate(url)
        if not service:
            scheme = urlsplit(url).scheme or "?"
            raise ConfigurationError(f"{SETTING}: {scheme}:// … is not a notification URL "
                                     "(企业微信 wecombot://KEY, 钉钉 dingtalk://TOKEN, email "
                                     "mailtos://…, a webhook json://host/path)", SETTING)
        shown.append(masked(_private(service), settings))
    return shown


def send_alert(alert: Alert, settings: AlertSettings) -> bool:
    """Deliver `alert` to every configured URL; False (and a warning) when one fails."""
    import apprise

    targets = settings.urls()
    if not targets:
        return True
    notifier = apprise.Apprise()
    for url in targets:
        with _quiet():
            service = apprise.Apprise.instantiate(url)
        if not service:
            log.warning("alert URL not understood; alert not sent", setting=SETTING)
            return False
        service.socket_read_timeout = service.socket_connect_timeout = settings.timeout
        notifier.add(service)
    kind = apprise.NotifyType.FAILURE if alert.failed else apprise.NotifyType.WARNING
    with _quiet():
        delivered = bool(notifier.notify(title=alert.title, body=alert.body, notify_type=kind))
    if delivered:
        log.info("alert sent", title=alert.title, targets=len(targets))
    else:
        log.warning("alert not delivered", title=alert.title,
                    targets=[masked(_private(s), settings) for s in notifier])
    return delivered


def notify_run(settings: AlertSettings, exit_code: int, summary: Mapping[str, Any], *,
               region: str | None = None) -> bool | None:
    """Alert about a finished run when it deserves one: None when none was due, else
    whether it was delivered. Never raises: an alert is never the reason a run fails."""
    import socket

    try:
        alert = alert_for(exit_code, summary, settings, region=region, host=socket.gethostname())
        if alert is None or not settings.urls():
            return None
        return send_alert(alert, settings)
    except Exception as exc:
        log.warning("alert failed", error=masked(f"{type(exc).__name__}: {exc}", settings))
        return False


@contextmanager
def _quiet() -> Iterator[None]:
    """apprise's own log lines may quote a service's address: only ours are kept."""
    logger = logging.getLogger("apprise")
    before, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = before


def _private(service: Any) -> str:
    """A service's URL as apprise shows it in privacy mode (credentials elided)."""
    return str(service.url(privacy=True))
