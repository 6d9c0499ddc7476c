"""`ssj-bridge check`: can a run work? Settings, credentials, each platform, the store.

Nothing is synced and nothing is kept. Each configured platform is asked for the first page
of its first feed (or, for a platform that only receives, of its first listing): that one
call proves the address answers and the credentials are accepted, and its records are
dropped. The store is opened, its schema compared with this version's, and a write tried
and rolled back. Every check runs even when one before it failed, so one run lists every
problem; the exit code is the worst of theirs (interface.md: 78 > 75 > 0).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from ssj_bridge.errors import ConfigurationError, ExitCode, SsjError
from ssj_bridge.i18n import N_, _, pgettext
from ssj_bridge.log import redact_text
from ssj_bridge.platform.adapter import AdapterContext, Reconcilable
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.policy.classify import resolve_policy
from ssj_bridge.settings import PLATFORM_ROLES, Settings, env_name
from ssj_bridge.store import Store
from ssj_bridge.store.schema import runs

log = structlog.get_logger("ssj_bridge.operations.check")

OK, WARNING, FAILED = "ok", "warning", "failed"
PROBE_TIMEOUT = 10.0  # seconds for one call of a probe
PROBE_DEADLINE = 30.0  # seconds a platform's probe may take, retries included


@dataclass(frozen=True)
class Finding:
    """One check's outcome: `ok`, `warning` (a run works, but look) or `failed` (with the
    exit code a run would end with)."""

    name: str
    status: str
    detail: str
    exit: int = int(ExitCode.OK)

    def as_json(self) -> dict[str, Any]:
        """`{"name", "status", "detail", "exit"}`."""
        return {"name": self.name, "status": self.status, "detail": self.detail,
                "exit": self.exit}


@dataclass(frozen=True)
class CheckReport:
    """Every finding, in the order checked."""

    findings: tuple[Finding, ...]

    @property
    def exit(self) -> ExitCode:
        """The worst exit code of the failed checks (0 when none failed)."""
        return ExitCode.worst(*(f.exit for f in self.findings))

    def as_json(self) -> dict[str, Any]:
        """`{"exit", "checks": [...]}`."""
        return {"exit": int(self.exit), "checks": [f.as_json() for f in self.findings]}


def failed(name: str, exc: BaseException) -> Finding:
    """A failed check from the error that failed it (secrets masked)."""
    code = exc.exit_code if isinstance(exc, SsjError) else ExitCode.UNAVAILABLE
    return Finding(name, FAILED, redact_text(str(exc) or type(exc).__name__), int(code))


def run_checks(settings: Settings, host: PluginHost, *, timeout: float = PROBE_TIMEOUT,
               deadline: float = PROBE_DEADLINE) -> CheckReport:
    """Check the deployment `settings` describe (see the module's docstring)."""
    findings = [*check_settings(settings, host)]
    store = None
    missing = missing_sqlite_file(settings.database_url)
    if missing is not None:
        # Opening the store would create its file: say whether the first sync can, and leave it be.
        findings.append(missing)
    else:
        try:
            store = Store(settings.database_url, lock_dir=settings.lock_dir)
        except (ArgumentError, ValueError) as exc:
            findings.append(Finding("store", FAILED, _("SSJ_DATABASE_URL is not a database URL: "
                                                       "{reason}").format(
                reason=redact_text(str(exc))), int(ExitCode.CONFIGURATION)))
    try:
        readable = None
        if store is not None:
            findings.append(check_store(store, settings.database_url))
            # Only a store at this version's schema is read (cursors, allowed codes): opening
            # one that does not exist yet would create it.
            readable = store if findings[-1].status == OK else None
        for role in PLATFORM_ROLES:
            if settings.platform(role).base_url:
                findings.append(check_platform(settings, host, role, readable,
                                               timeout=timeout, deadline=deadline))
    finally:
        if store is not None:
            store.dispose()
    findings.append(check_alerts(settings))
    findings.append(check_printing(settings))
    return CheckReport(tuple(findings))


def check_printing(settings: Settings) -> Finding:
    """A Chromium to print documents to PDF (`--pdf`); without one, HTML documents only."""
    from ssj_bridge.report.pdf import find_chromium

    try:
        found = find_chromium(settings.chromium)
    except ConfigurationError as exc:
        if settings.chromium:  # named but missing: a setting to fix
            return failed("documents", exc)
        return Finding("documents", WARNING, _("no Chromium on PATH: documents are written as "
                                               "HTML only (`--pdf` needs it; SSJ_CHROMIUM names "
                                               "another)"))
    return Finding("documents", OK, _("PDFs printed by {chromium}").format(chromium=found))


def check_alerts(settings: Settings) -> Finding:
    """The alert URLs name services apprise knows (nothing is sent)."""
    from ssj_bridge.operations.alerts import check_urls

    try:
        shown = check_urls(settings.alerts)
    except ConfigurationError as exc:
        return failed("alerts", exc)
    if not shown:
        return Finding("alerts", WARNING, _("SSJ_ALERTS__URL is not set: nobody is told when a "
                                            "sync fails"))
    return Finding("alerts", OK, _("on {on} runs to: {urls}").format(
        on=settings.alerts.on, urls=", ".join(shown)))


def check_settings(settings: Settings, host: PluginHost) -> Iterator[Finding]:
    """What every run needs set: the region, the authority, the policy, a platform."""
    for failure in host.failures:
        yield Finding(f"plugin {failure.name}", WARNING,
                      _("failed to load ({group}): {error}").format(group=failure.group,
                                                                    error=failure.error))
    missing = [env_name((name,)) for name in ("region_code", "org_code", "org_name")
               if not getattr(settings, name)]
    if missing:
        yield Finding("settings", FAILED, _("not set: {names}").format(names=", ".join(missing)),
                      int(ExitCode.CONFIGURATION))
    else:
        yield Finding("settings", OK, _("region {region}, authority {name} ({code})").format(
            region=settings.region_code, name=settings.org_name, code=settings.org_code))
    try:
        active = resolve_policy(host, settings.policy)
    except ConfigurationError as exc:
        yield failed("policy", exc)
    else:
        yield Finding("policy", OK, f"{active.name} ({active.policy.locality})")
    configured = [role for role in PLATFORM_ROLES if settings.platform(role).base_url]
    if not configured:
        yield Finding("platforms", FAILED, _("no platform is configured: set "
                                             "SSJ_PERMIT__BASE_URL (and the other platforms' "
                                             "base URLs)"), int(ExitCode.CONFIGURATION))
    else:
        absent = [r for r in PLATFORM_ROLES if r not in configured]
        from ssj_bridge.model import words

        yield Finding("platforms", OK, _("configured: {roles}").format(
            roles=words.listing(words.role(r) for r in configured))
                      + (_("; not configured: {roles}").format(
                          roles=words.listing(words.role(r) for r in absent)) if absent else ""))


def check_store(store: Store, url: str) -> Finding:
    """Reachable, at this version's schema (or one the next sync creates or migrates), and
    writable (a row written and rolled back)."""
    missing = missing_sqlite_file(url)
    if missing is not None:
        return missing
    try:
        has_tables = inspect(store.engine).has_table(runs.name)
        current = has_tables and store.schema_current()
        with store.engine.connect() as conn, conn.begin() as transaction:
            if has_tables:
                conn.execute(runs.insert().values(command="check", started_at="-"))
            else:
                conn.execute(text("CREATE TABLE ssj_check_probe (x INTEGER)"))
            transaction.rollback()
    except OperationalError as exc:
        reason = redact_text(str(exc.orig) if exc.orig is not None else str(exc))
        if "readonly" in reason or "read-only" in reason or "permission denied" in reason:
            return Finding("store", FAILED, _("cannot be written: {reason} (SSJ_DATABASE_URL)")
                           .format(reason=reason), int(ExitCode.CONFIGURATION))
        return Finding("store", FAILED, _("unreachable: {reason}").format(reason=reason),
                       int(ExitCode.UNAVAILABLE))
    except SQLAlchemyError as exc:
        return Finding("store", FAILED, _("cannot be written: {reason} (SSJ_DATABASE_URL)")
                       .format(reason=redact_text(str(exc))), int(ExitCode.CONFIGURATION))
    where = redact_text(make_url(url).render_as_string(hide_password=True))
    if not has_tables:
        return Finding("store", WARNING, _("{where} is empty: the first sync creates the "
                                           "tables").format(where=where))
    if not current:
        return Finding("store", WARNING, _("{where} has an older schema: the next sync migrates "
                                           "it (read-only commands refuse it until then)")
                       .format(where=where))
    return Finding("store", OK, _("{where}: schema current, writable").format(where=where))


def missing_sqlite_file(url: str) -> Finding | None:
    """For a SQLite file that does not exist yet: whether the first sync can create it (opening
    the store would create it, so nothing here opens it). None for any other store."""
    try:
        database = sqlite_file(url)
    except (ArgumentError, ValueError):
        return None  # the store's own check names the bad URL
    if database is None or database.exists():
        return None
    folder = database.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return Finding("store", FAILED, _("{database} does not exist and its folder {folder} "
                                          "cannot be written (SSJ_DATABASE_URL)").format(
            database=database, folder=folder), int(ExitCode.CONFIGURATION))
    return Finding("store", WARNING, _("{database} does not exist yet: the first sync creates "
                                       "it").format(database=database))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another backend, memory or a `file:` URI)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or \
            parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def check_platform(settings: Settings, host: PluginHost, role: str, store: Store | None, *,
                   timeout: float = PROBE_TIMEOUT, deadline: float = PROBE_DEADLINE) -> Finding:
    """One call to the platform as the next run would make it, its answer dropped."""
    section = settings.platform(role)
    limited = section.model_copy(update={"timeout": min(section.timeout, timeout),
                                         "deadline": min(section.deadline, deadline)})
    name = f"platform {role}"
    started = time.monotonic()
    try:
        spec = host.adapter(section.adapter or role, env_name((role, "adapter")))
        context = AdapterContext(platform=role, section=limited,
                                 region_code=settings.region_code or "",
                                 org_code=settings.org_code, org_name=settings.org_name,
                                 allowed_usccs=_allowed(store),
                                 logger=log.bind(platform=role))
        adapter = spec.factory(context)
        try:
            what = probe(adapter, lambda stream: _cursor(store, role, stream))
        finally:
            adapter.close()
    except Exception as exc:
        return failed(name, exc)
    took = time.monotonic() - started
    return Finding(name, OK, _("{adapter} at {url}: {what} ({took} s)").format(
        adapter=spec.name, url=section.base_url, what=what, took=f"{took:.1f}"))


def probe(adapter: Any, cursor_of: Callable[[str], str | None]) -> str:
    """Read one page of the adapter's first feed, or else of its first listing; what was read."""
    streams = list(adapter.streams())
    if streams:
        stream = streams[0]
        batch = next(iter(stream.read(cursor_of(stream.name))), None)
        got = 0 if batch is None else len(batch.records) + len(batch.rejects)
        return _("answered, credentials accepted ({stream}: {count} records on the first "
                 "page)").format(stream=stream.name, count=got)
    listings = list(adapter.listings()) if isinstance(adapter, Reconcilable) else []
    if listings:
        page = next(islice(listings[0].read(), 1), None)
        got = 0 if page is None else len(page)
        return _("answered, credentials accepted ({entity}: {count} records listed)").format(
            entity=listings[0].entity, count=got)
    return _("nothing to read without sending: its credentials are checked by the first sync")


def _allowed(store: Store | None) -> frozenset[str]:
    if store is None:
        return frozenset()
    try:
        return store.allowed_usccs()
    except SQLAlchemyError:
        return frozenset()


def _cursor(store: Store | None, role: str, stream: str) -> str | None:
    """The stored cursor, so the probe reads the newest page, not the platform's history."""
    if store is None:
        return None
    try:
        return store.cursor(role, stream)
    except SQLAlchemyError:
        return None


def check_lines(report: CheckReport) -> list[str]:
    """One line per check for a terminal, then the verdict."""
    from rich.cells import cell_len

    mark = {OK: pgettext("check", "ok"), WARNING: pgettext("check", "warn"),
            FAILED: pgettext("check", "FAIL")}
    marks = max(cell_len(m) for m in mark.values())
    names = [_finding_name(f.name) for f in report.findings]
    width = max([18, *(cell_len(n) for n in names)])
    lines = [f"{_pad(mark[f.status], marks)}  {_pad(name, width)} {f.detail}"
             + (_("  (exit {code})").format(code=f.exit) if f.status == FAILED else "")
             for f, name in zip(report.findings, names, strict=True)]
    verdict = (_("ready: a sync can run") if report.exit == ExitCode.OK
               else _("not ready: a sync would exit {code}").format(code=int(report.exit)))
    return [*lines, verdict]


# The checks' names as a person reads them (the JSON keeps the names above).
_NAMES = {"settings": N_("settings"), "policy": N_("policy"), "platforms": N_("platforms"),
          "store": N_("store"), "alerts": N_("alerts"), "documents": N_("documents")}


def _finding_name(name: str) -> str:
    from ssj_bridge.model import words

    if name in _NAMES:
        return _(_NAMES[name])
    kind, _sep, which = name.partition(" ")
    if kind == "platform":
        return words.role(which)
    if kind == "plugin":
        return _("plugin {name}").format(name=which)
    return name


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))
