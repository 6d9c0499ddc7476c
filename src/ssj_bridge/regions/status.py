"""What every region's deployment looks like now: its last sync, its queue, what is open.

`store_status` reads one store (any backend): the single-region `status` command can show the
same facts for its own store. `province_status` adds, per registered region, its schedule, its
latest job in the queue and its latest attempt by a worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ssj_bridge.model import iso_beijing
from ssj_bridge.outbox.queue import PENDING
from ssj_bridge.regions.registry import Province, attempts
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, quarantine, runs


def store_status(store: Store, command: str = "sync") -> dict[str, Any]:
    """The last run of `command`, the last one that ended 0 or 3, writes pending, set aside."""
    with store.engine.connect() as conn:
        last = conn.execute(select(runs).where(runs.c.command == command)
                            .order_by(runs.c.id.desc()).limit(1)).first()
        good = conn.execute(select(runs.c.finished_at).where(
            runs.c.command == command, runs.c.exit_code.in_((0, 3)))
            .order_by(runs.c.id.desc()).limit(1)).scalar()
        waiting = conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.status == PENDING)).scalar_one()
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    return {
        "lastRun": None if last is None else {
            "startedAt": last.started_at, "finishedAt": last.finished_at,
            "exit": last.exit_code, "host": last.host, "pid": last.pid,
            "platforms": (orjson.loads(last.summary).get("platforms", {})
                          if last.summary else {})},
        "lastSuccessAt": good,
        "pendingWrites": int(waiting),
        "setAside": int(held),
    }


def _iso(moment: datetime | None) -> str | None:
    return iso_beijing(moment) if moment is not None else None


def _latest_jobs(province: Province) -> dict[str, dict[str, Any]]:
    """Each region's newest sync job in the queue (none before the queue is installed)."""
    from ssj_bridge.regions.jobs import SYNC_TASK

    query = text("""
        SELECT DISTINCT ON (args->>'region') args->>'region' AS region, id, status::text,
               attempts, scheduled_at
          FROM procrastinate_jobs WHERE task_name = :task
         ORDER BY args->>'region', id DESC""")
    try:
        with province.connect() as conn:
            rows = conn.execute(query, {"task": SYNC_TASK}).all()
    except SQLAlchemyError:  # the queue's tables are not installed yet
        return {}
    return {row.region: {"id": row.id, "status": row.status, "attempts": row.attempts,
                         "scheduledAt": _iso(row.scheduled_at)} for row in rows}


def _latest_attempts(province: Province) -> dict[str, dict[str, Any]]:
    query = (select(attempts).distinct(attempts.c.region)
             .order_by(attempts.c.region, attempts.c.id.desc()))
    with province.connect() as conn:
        rows = conn.execute(query).all()
    return {row.region: {"job": row.job_id, "attempt": row.attempt, "host": row.host,
                         "startedAt": _iso(row.started_at), "finishedAt": _iso(row.finished_at),
                         "exit": row.exit_code} for row in rows}


def province_status(province: Province) -> list[dict[str, Any]]:
    """One entry per registered region: schedule, queue, latest attempt, its store's status."""
    jobs = _latest_jobs(province)
    tried = _latest_attempts(province)
    entries = []
    for region in province.regions():
        store = province.store(region)
        try:
            stored: dict[str, Any] = store_status(store)
        except SQLAlchemyError as exc:
            stored = {"error": f"store unreadable: {type(exc).__name__}"}
        finally:
            store.dispose()
        entries.append({
            "region": region.code, "policy": region.policy, "enabled": region.enabled,
            "intervalSeconds": region.interval_seconds, "config": str(region.config_path),
            "scheduledAt": _iso(region.scheduled_at),
            "nextDue": _iso(province.next_due(region)),
            "job": jobs.get(region.code), "attempt": tried.get(region.code), **stored})
    return entries


def status_lines(entries: list[dict[str, Any]]) -> list[str]:
    """A line per region for a terminal."""
    lines = [f"{'region':<7} {'policy':<12} {'job':<10} {'last run (exit)':<34} "
             f"{'pending':>7} {'set aside':>9}  next due"]
    for e in entries:
        job = e.get("job") or {}
        last = e.get("lastRun") or {}
        run = (f"{last.get('startedAt', '')} ({last.get('exit')})" if last else
               e.get("error", "never"))
        lines.append(f"{e['region']:<7} {e['policy'] or '-':<12} {job.get('status', '-'):<10} "
                     f"{run:<34} {e.get('pendingWrites', '-'):>7} {e.get('setAside', '-'):>9}  "
                     f"{e.get('nextDue') or 'next tick'}"
                     + ("" if e["enabled"] else "  (disabled)"))
    return lines
