"""One sync cycle: take the lock, read every configured platform's streams, store batch by batch.

Each batch is stored with its cursor in the same transaction (batches already read when one is
stored may share it), so a run killed at any instant resumes where its last committed batch
ended and the store ends as if it had never stopped.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

try:
    import resource
except ImportError:  # not on POSIX
    resource = None  # type: ignore[assignment]

import structlog

from ssj_bridge.errors import (
    ConfigurationError,
    DeadlineReached,
    ExitCode,
    PlatformError,
    SsjError,
    exit_code_of,
)
from ssj_bridge.features.library import (
    LIBRARY_PLATFORM,
    LibraryCounts,
    LibraryPass,
    enqueue_library,
)
from ssj_bridge.features.publications import after_relay, before_relay
from ssj_bridge.features.statutory import log_warnings
from ssj_bridge.i18n import _
from ssj_bridge.log import redact_text
from ssj_bridge.model import beijing_now, beijing_today, iso_beijing
from ssj_bridge.outbox.relay import relay
from ssj_bridge.platform.adapter import AdapterContext, Batch, Writes
from ssj_bridge.platform.prefetch import prefetch
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.policy.classify import (
    ActivePolicy,
    ClassifyReport,
    classify_current_quarter,
    resolve_policy,
)
from ssj_bridge.policy.closing import keep_periods
from ssj_bridge.policy.incremental import changes_since_last_run
from ssj_bridge.settings import PLATFORM_ROLES, PlatformSettings, Settings, env_name
from ssj_bridge.store import SYNC_LOCK, Store

log = structlog.get_logger("ssj_bridge.sync")

Progress = Callable[[str, str, Batch], None]


@dataclass
class PlatformReport:
    """What one platform's part of a run did (the `platforms` entries of `sync --json`)."""

    fetched: int = 0
    stored: int = 0
    set_aside: int = 0
    sent: int = 0
    deferred: int = 0
    error: str | None = None
    exit: ExitCode = ExitCode.OK

    def add_writes(self, other: PlatformReport) -> None:
        """Count a second relay of the same platform in this run into this report."""
        self.sent += other.sent
        self.set_aside += other.set_aside
        self.deferred += other.deferred
        self.error = self.error or other.error
        self.exit = ExitCode.worst(self.exit, other.exit)

    def as_json(self) -> dict[str, Any]:
        """The shape interface.md fixes."""
        return {"fetched": self.fetched, "stored": self.stored, "setAside": self.set_aside,
                "sent": self.sent, "deferred": self.deferred, "error": self.error}


@dataclass
class SyncReport:
    """A whole run: one report per platform; the exit code is the worst that applies."""

    platforms: dict[str, PlatformReport] = field(default_factory=dict)
    hook_failures: list[str] = field(default_factory=list)  # plugins whose after_sync raised
    started_at: datetime = field(default_factory=beijing_now)
    finished_at: datetime | None = None

    @property
    def exit(self) -> ExitCode:
        """78 > 75 > 3 > 0 over every platform."""
        return ExitCode.worst(*(p.exit for p in self.platforms.values()))

    def as_json(self) -> dict[str, Any]:
        """`{"exit", "platforms": {NAME: {...}}, "startedAt", "finishedAt", "durationS"}`."""
        return {"exit": int(self.exit),
                "platforms": {n: p.as_json() for n, p in self.platforms.items()},
                **run_times(self.started_at, self.finished_at)}

    def summary_line(self) -> str:
        """The one-line summary printed at the end of a run, in the language in force."""
        from ssj_bridge.i18n import _
        from ssj_bridge.model import words

        parts = []
        for name, p in self.platforms.items():
            part = _("{platform}: fetched {fetched}, stored {stored}, set aside {set_aside}").format(
                platform=words.role(name), fetched=p.fetched, stored=p.stored,
                set_aside=p.set_aside)
            if p.sent:
                part += _(", sent {count}").format(count=p.sent)
            if p.deferred:
                part += _(", deferred {count}").format(count=p.deferred)
            if p.error:
                part += _(", error: {error}").format(error=p.error)
            parts.append(part)
        line = _("sync exit {code} — {platforms}").format(
            code=int(self.exit), platforms=words.clauses(parts) or _("nothing configured"))
        if self.hook_failures:
            line += _(" (after_sync failed in: {names})").format(names=", ".join(self.hook_failures))
        return line


def run_times(started: datetime, finished: datetime | None) -> dict[str, Any]:
    """`startedAt`, `finishedAt` (ISO-8601, +08:00; null while running) and `durationS`
    (seconds, to the millisecond, from the clock's own difference, not the rounded texts)."""
    return {"startedAt": iso_beijing(started),
            "finishedAt": None if finished is None else iso_beijing(finished),
            "durationS": None if finished is None
            else round((finished - started).total_seconds(), 3)}


def configured_roles(settings: Settings, only: list[str] | None) -> list[str]:
    """The platform roles this run syncs: those asked for, each needing its base URL."""
    if only:
        unknown = [r for r in only if r not in PLATFORM_ROLES]
        if unknown:
            raise ConfigurationError(
                _("--only: unknown platform {names} (known: {known})").format(
                    names=", ".join(unknown), known=", ".join(PLATFORM_ROLES)),
                "--only")
        for role in only:
            if not settings.platform(role).base_url:
                raise ConfigurationError(_("{setting} is not set").format(
                                             setting=env_name((role, "base_url"))),
                                         env_name((role, "base_url")))
        return list(only)
    roles = [r for r in PLATFORM_ROLES if settings.platform(r).base_url]
    if not roles:
        raise ConfigurationError(_("no platform is configured: set SSJ_PERMIT__BASE_URL "
                                   "(and the other platforms' base URLs)"), "SSJ_PERMIT__BASE_URL")
    return roles


def run_sync(settings: Settings, store: Store, host: PluginHost, *,
             only: list[str] | None = None, progress: Progress | None = None) -> SyncReport:
    """One cron cycle. Raises LockHeld when another run holds the lock."""
    settings.require("region_code")
    roles = configured_roles(settings, only)
    # An unknown SSJ_POLICY is a configuration error: say so before syncing anything.
    policy = resolve_policy(host, settings.policy) if settings.policy else None
    report = SyncReport()
    with store.lock(SYNC_LOCK):
        run_id = store.start_run("sync")
        failure: BaseException | None = None
        # A run allocates records by the thousand and holds each batch until it is stored;
        # what exists before it (modules, models, plugins) outlives it. Collect less often,
        # and never look at the latter: together a tenth of a large run's time otherwise.
        collect_after = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(100_000, *collect_after[1:])
        try:
            # Due dates brought up to date, changed refusals queued again, before any relay.
            with _step("publications before relay"):
                deadline_rules = before_relay(settings, store, host)
            # A roster imported since the last run: the people a task names must be in the
            # platform's library before the task is pushed.
            with _step("inspector library"):
                enqueue_library(store, settings, include_subjects=False)
            for role in roles:
                with _step(f"platform {role}"):
                    report.platforms[role] = _sync_platform(settings, store, host, role,
                                                            progress)
            with _step("publications after relay"):
                after_relay(store, deadline_rules)  # a warning for each overdue publication
            synced = [r for r, p in report.platforms.items() if p.error is None]
            with _step("after-sync hooks"):
                report.hook_failures = call_after_sync(host, report.as_json(), synced)
            queued = after_streams(settings, store, policy).queued
            if policy is not None:
                with _step("closed periods"):
                    # The quarter's roster counts while it runs; a quarter that ended, frozen.
                    keep_periods(store, policy, settings.region_code)
                with _step("statutory dates"):
                    # A filing, draw or report date of the policy nearing or passed: say so.
                    log_warnings(store, policy.policy, deadline_rules.calendar, beijing_today(),
                                 region=settings.region_code, own_org=settings.org_code)
            if LIBRARY_PLATFORM in synced and (queued.subjects or queued.inspectors):
                # What classification just changed goes out in this run, not the next.
                with _step("library push"):
                    again = _sync_platform(settings, store, host, LIBRARY_PLATFORM, progress,
                                           writes_only=True)
                report.platforms[LIBRARY_PLATFORM].add_writes(again)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            gc.set_threshold(*collect_after)
            gc.unfreeze()
            report.finished_at = beijing_now()
            summary = report.as_json()
            if failure is not None:  # the run log says how the process ended, not 0
                summary.update(exit=exit_code_of(failure), error=redact_text(str(failure)))
            store.finish_run(run_id, summary["exit"], summary)
    return report


@dataclass
class AfterStreams:
    """What classification (None without a policy) and the library queue did."""

    classified: ClassifyReport | None
    queued: LibraryCounts


def after_streams(settings: Settings, store: Store, policy: ActivePolicy | None, *,
                  today: date | None = None) -> AfterStreams:
    """Classification and the library queue, over the subjects whose facts changed since the
    last run (`today`: the day the run counts as, Beijing's by default)."""
    if policy is None and not settings.platform(LIBRARY_PLATFORM).base_url:
        # Nothing reads the marks: they wait for a step that does.
        return AfterStreams(None, LibraryCounts())
    with changes_since_last_run(store, today) as changes:
        reclassified = library = None
        if policy is not None:
            # One pass: each chunk of subjects classified has its library records queued.
            if settings.platform(LIBRARY_PLATFORM).base_url:
                library = LibraryPass(changes.today)
            with _step("classification and library queue"):
                reclassified = classify_current_quarter(store, policy, settings.region_code,
                                                        changes=changes, on_chunk=library)
        with _step("library queue"):
            queued = enqueue_library(store, settings, changes=changes,
                                     reclassified=reclassified, queued_with=library)
    return AfterStreams(reclassified, queued)


@contextmanager
def _step(name: str) -> Iterator[None]:
    """Log how long a step of the run took, and the peak memory so far (this process, and
    the largest process it started and waited for: the store's writer process)."""
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        log.info("step done", step=name, seconds=round(time.perf_counter() - started, 3),
                 cpu_seconds=round(time.process_time() - cpu, 3), **_peaks())


def _peaks() -> dict[str, float]:
    if resource is None:
        return {}
    # Kilobytes on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return {"peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, 1),
            "children_peak_mb": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale, 1)}


def call_after_sync(host: PluginHost, report: dict[str, Any], platforms: list[str]) -> list[str]:
    """Call every `after_sync` implementation on its own; the names of those that raised."""
    failed = []
    for impl in host.manager.hook.after_sync.get_hookimpls():
        try:
            impl.function(report=report, platforms=list(platforms))
        except Exception as exc:
            log.error("plugin failed in after_sync; the run goes on", plugin=impl.plugin_name,
                      error=redact_text(f"{type(exc).__name__}: {exc}"))
            failed.append(impl.plugin_name)
    return failed


def _failure(role: str, section: PlatformSettings, exc: SsjError, result: PlatformReport) -> str:
    """What a platform's failure says; a deadline names its setting and what the run kept."""
    if not isinstance(exc, DeadlineReached):
        return str(exc)
    setting = env_name((role, "deadline"))
    return (f"{role}: {setting}={section.deadline:g}s reached, the run stops here; "
            f"{result.stored} records stored by this run are kept and the next run goes on "
            f"from there ({exc})")


def _sync_platform(settings: Settings, store: Store, host: PluginHost, role: str,
                   progress: Progress | None, *, writes_only: bool = False) -> PlatformReport:
    result = PlatformReport()
    section = settings.platform(role)
    try:
        spec = host.adapter(section.adapter or role, env_name((role, "adapter")))
        # A reject the quarantine already holds, unchanged, is not set aside again: like an
        # unchanged record, it is not news (the overlap re-reads it every run).
        held = {(q["entity"], q["key"]): q["payload"] for q in store.quarantined(role)}
        context = AdapterContext(platform=role, section=section,
                                 region_code=settings.region_code or "",
                                 org_code=settings.org_code,
                                 org_name=settings.org_name,
                                 allowed_usccs=store.allowed_usccs(),
                                 quarantined_keys=tuple(key for _, key in held),
                                 logger=log.bind(platform=role))
        adapter = spec.factory(context)
        try:
            # Writes first, so what is read back reflects them.
            for sink in adapter.sinks() if isinstance(adapter, Writes) else ():
                sent = relay(store, role, sink)
                result.sent += sent.sent
                result.set_aside += sent.rejected
                result.deferred += sent.deferred
            for stream in [] if writes_only else adapter.streams():
                cursor = store.cursor(role, stream.name)
                log.info("stream start", platform=role, stream=stream.name, cursor=cursor)
                # Batches already read when the last one is stored share its commit; the
                # writer commits whenever the next batch is not ready yet.
                writer = store.batch_writer(
                    role, stream.name, writer_process_from=settings.writer_process_from or None)
                try:
                    with writer:
                        for batch in prefetch(stream.read(cursor), on_wait=writer.commit):
                            writer.apply(batch)
                            result.fetched += len(batch.records) + len(batch.rejects)
                            fresh = [r for r in batch.rejects
                                     if held.get((batch.entity, r.key)) != r.payload]
                            result.set_aside += len(fresh)
                            for reject in fresh:
                                held[(batch.entity, reject.key)] = reject.payload
                                # One line per record for the collector; a person at a
                                # terminal gets the count once the platform is done (below).
                                log.info("record set aside", platform=role,
                                         entity=batch.entity, key=reject.key,
                                         reason=reject.reason)
                            if progress is not None:
                                progress(role, stream.name, batch)
                finally:
                    # Known once the writer is closed; what it committed counts even when the
                    # stream stopped part-way (a deadline, a platform gone).
                    result.stored += writer.totals.stored
        finally:
            adapter.close()
        if result.set_aside:
            log.warning("records set aside", platform=role, count=result.set_aside,
                        see="ssj-bridge export quarantine")
    except (PlatformError, ConfigurationError) as exc:
        result.error = redact_text(_failure(role, section, exc, result))
        result.exit = exc.exit_code
        log.error("platform failed", platform=role, error=result.error,
                  exit=int(exc.exit_code))
        return result
    except SsjError as exc:
        result.error = redact_text(str(exc))
        result.exit = exc.exit_code
        return result
    if result.set_aside or result.deferred:
        result.exit = ExitCode.SET_ASIDE
    log.info("platform done", platform=role, **asdict(result) | {"exit": int(result.exit)})
    return result
