"""`ssj-bridge reconcile`: every configured platform's listings against the store.

A platform whose listing fails part-way is reported `failed` and compared not at all, so a
broken connection never shows as everything missing; its breaks keep their previous state.

`--repair` queues each break the project can mend again (an owned entity's record it wrote,
a kind a re-send mends) through the entity's `repair`, then relays it through the platform's
sinks as a sync would; the report says what each re-send got (`repaired[].outcome`). Every
other break is listed in `fixAtSource` with where it must be fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import select

from ssj_bridge.errors import ConfigurationError, ExitCode, SsjError
from ssj_bridge.log import redact_text
from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.outbox.relay import relay
from ssj_bridge.platform.adapter import AdapterContext, Listing, PartialListing, Reconcilable, Writes
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.reconcile import history
from ssj_bridge.reconcile.diff import KINDS, MISSING_IN_STORE, Break, compare
from ssj_bridge.reconcile.entities import EntitySpec
from ssj_bridge.reconcile.staging import Side, clear, stage
from ssj_bridge.settings import PLATFORM_ROLES, Settings, env_name
from ssj_bridge.store import SYNC_LOCK, Store
from ssj_bridge.store.schema import outbox, recon_runs

log = structlog.get_logger("ssj_bridge.reconcile")


@dataclass
class ReconReport:
    """A reconciliation run, in the shape of `reconcile --json`."""

    run_at: str
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)
    breaks: list[dict[str, Any]] = field(default_factory=list)
    fix_at_source: list[dict[str, Any]] = field(default_factory=list)
    repaired: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit(self) -> ExitCode:
        """3 when breaks were found, 75 when a platform could not be reconciled, else 0."""
        codes = [ExitCode.SET_ASIDE if self.breaks else ExitCode.OK]
        codes += [ExitCode.UNAVAILABLE for s in self.summary.values() if s["status"] == "failed"]
        return ExitCode.worst(*codes)

    def as_json(self) -> dict[str, Any]:
        """interface.md's shape, plus what a repair did and what must be fixed at source."""
        out: dict[str, Any] = {"runAt": self.run_at, "summary": self.summary,
                               "breaks": self.breaks}
        if self.repaired or self.fix_at_source:
            out["repaired"] = self.repaired
            out["fixAtSource"] = self.fix_at_source
        return out


def reconcile(settings: Settings, store: Store, host: PluginHost, *,
              platform: str | None = None, repair: bool = False) -> ReconReport:
    """Compare each configured platform's listings with the store; optionally repair."""
    roles = [r for r in PLATFORM_ROLES if settings.platform(r).base_url]
    if platform is not None:
        if platform not in PLATFORM_ROLES:
            raise ConfigurationError(f"--platform: unknown platform {platform!r}", "--platform")
        if platform not in roles:
            name = env_name((platform, "base_url"))
            raise ConfigurationError(f"{name} is not set", name)
        roles = [platform]
    # A repair sends through the outbox as a sync does: never beside one.
    with store.lock(SYNC_LOCK) if repair else nullcontext():
        return _reconcile(settings, store, host, roles, repair)


def _reconcile(settings: Settings, store: Store, host: PluginHost, roles: list[str],
               repair: bool) -> ReconReport:
    now = iso_beijing(beijing_now())
    report = ReconReport(now)
    with store.engine.begin() as conn:
        inserted = conn.execute(recon_runs.insert().values(run_at=now)).inserted_primary_key
        assert inserted is not None
        run_id = int(inserted[0])
    try:
        for role in roles:
            _reconcile_platform(settings, store, host, role, run_id, now, report, repair)
    finally:
        clear(store, run_id)
        import orjson

        with store.engine.begin() as conn:
            conn.execute(recon_runs.update().where(recon_runs.c.id == run_id).values(
                summary=redact_text(orjson.dumps(report.summary).decode())))
    return report


def _reconcile_platform(settings: Settings, store: Store, host: PluginHost, role: str,
                        run_id: int, now: str, report: ReconReport, repair: bool) -> None:
    section = settings.platform(role)
    status: dict[str, Any] = {"status": "reconciled", "error": None}
    report.summary[role] = status
    try:
        spec = host.adapter(section.adapter or role, env_name((role, "adapter")))
        adapter = spec.factory(_context(settings, store, role))
    except SsjError as exc:
        status.update(status="failed", error=redact_text(str(exc)))
        return
    try:
        listings: list[Listing] = (list(adapter.listings()) if isinstance(adapter, Reconcilable)
                                   else [])
        staged: list[tuple[EntitySpec, set[str], set[str]]] = []
        entities = default_registry().entities
        for listing in listings:
            entity = entities.get((role, listing.entity))
            if entity is None:
                continue
            in_flight: set[str] = set()
            not_owned: set[str] = set()
            stage(store, Side(run_id, role, listing.entity, "p"), _listed(listing, in_flight),
                  entity.fields)
            stage(store, Side(run_id, role, listing.entity, "s"),
                  _expected(entity, store, in_flight, not_owned,
                            listing.covers if isinstance(listing, PartialListing) else None),
                  entity.fields)
            staged.append((entity, in_flight, not_owned))
    except SsjError as exc:
        clear(store, run_id, role)
        status.update(status="failed", error=redact_text(str(exc)))
        log.error("reconcile failed", platform=role, error=status["error"])
        return
    finally:
        adapter.close()
    owned_breaks: list[tuple[EntitySpec, Break]] = []
    for entity, in_flight, not_owned in staged:
        comparison = compare(store, run_id, role, entity.entity)
        found = [b for b in comparison.breaks if b.key not in in_flight]
        counts = {kind: 0 for kind in KINDS}
        for item in found:
            counts[item.kind] += 1
        status[entity.entity] = {"matched": comparison.matched, **counts}
        with store.engine.begin() as conn:
            seen = history.record(conn, run_id, role, entity.entity, found, now, in_flight)
        for item in found:
            report.breaks.append({"platform": role, "entity": entity.entity, "key": item.key,
                                  "kind": item.kind, "fields": item.fields,
                                  **seen[(item.key, item.kind)]})
            if (entity.owned and entity.repair is not None and item.kind != MISSING_IN_STORE
                    and item.kind in entity.repairable and item.key not in not_owned):
                owned_breaks.append((entity, item))
            else:
                report.fix_at_source.append(_at_source(role, entity, item))
    if repair and owned_breaks:
        _repair(settings, store, host, role, owned_breaks, now, report)


def _repair(settings: Settings, store: Store, host: PluginHost, role: str,
            owned: list[tuple[EntitySpec, Break]], now: str, report: ReconReport) -> None:
    """Re-send what the project owns through the outbox and the platform's normal adapter."""
    repaired: list[dict[str, Any]] = []
    with store.engine.begin() as conn:
        for entity, item in owned:
            assert entity.repair is not None
            if entity.repair(conn, item.key):
                history.mark_repaired(conn, role, entity.entity, item.key, now)
                repaired.append({"platform": role, "entity": entity.entity,
                                 "key": item.key, "kind": item.kind})
            else:
                # Nothing the store holds can be sent for it: only its source can mend it.
                report.fix_at_source.append(_at_source(role, entity, item))
    if not repaired:
        return
    section = settings.platform(role)
    error: str | None = None
    try:
        spec = host.adapter(section.adapter or role, env_name((role, "adapter")))
        adapter = spec.factory(_context(settings, store, role))
        try:
            for sink in adapter.sinks() if isinstance(adapter, Writes) else ():
                relay(store, role, sink)
        finally:
            adapter.close()
    except SsjError as exc:
        # The re-sends stay queued: the next sync relays them like any other write.
        error = redact_text(str(exc))
        log.error("repair not sent", platform=role, error=error)
    # What the platform answered to each re-send (pending: deferred to the next sync).
    with store.engine.connect() as conn:
        for sent in repaired:
            if error is not None:
                sent["error"] = error
            sent["outcome"] = conn.execute(
                select(outbox.c.status).where(outbox.c.platform == role,
                                              outbox.c.entity == sent["entity"],
                                              outbox.c.key == sent["key"])
                .order_by(outbox.c.version.desc()).limit(1)).scalar()
    report.repaired.extend(repaired)


def _context(settings: Settings, store: Store, role: str) -> AdapterContext:
    return AdapterContext(platform=role, section=settings.platform(role),
                          region_code=settings.region_code or "", org_code=settings.org_code,
                          org_name=settings.org_name, allowed_usccs=store.allowed_usccs())


def _at_source(role: str, entity: EntitySpec, item: Break) -> dict[str, Any]:
    return {"platform": role, "entity": entity.entity, "key": item.key, "kind": item.kind,
            "hint": entity.source_hint}


def _listed(listing: Listing, in_flight: set[str]) -> Iterator[tuple[str, Any, str | None]]:
    for page in listing.read():
        for record in page:
            if record.in_flight:
                in_flight.add(record.key)  # changed while the listing ran: compare it next time
                continue
            yield record.key, record.fields, record.version


def _expected(entity: EntitySpec, store: Store, in_flight: set[str], not_owned: set[str],
              covers: Callable[[str, Mapping[str, Any]], bool] | None
              ) -> Iterator[tuple[str, Any, str | None]]:
    for record in entity.expected(store):
        if covers is not None and not covers(record.key, record.fields):
            continue  # outside what the listing reads (e.g. an evaluation year no longer read)
        if record.in_flight:
            in_flight.add(record.key)
            continue
        if not record.owned:
            not_owned.add(record.key)
        yield record.key, record.fields, record.version
