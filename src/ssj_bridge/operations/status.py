"""`ssj-bridge status`: the last runs and what is open now, read from the store alone.

Nothing here talks to a platform or changes the store: the figures are those the last runs
left (the `runs` table, the quarantine, open reconciliation breaks, publication due dates).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from ssj_bridge.errors import ExitCode
from ssj_bridge.features.deadlines import DeadlineItem, DeadlineRules, deadline_report
from ssj_bridge.i18n import _, pgettext
from ssj_bridge.outbox.queue import PENDING
from ssj_bridge.store import Store
from ssj_bridge.store.schema import breaks, outbox, quarantine, runs

RUNS = 10  # runs listed
OVERDUE_LISTED = 10  # overdue publications listed one by one (the count covers all)
GOOD_EXITS = (int(ExitCode.OK), int(ExitCode.SET_ASIDE))


@dataclass(frozen=True)
class RunEntry:
    """One row of the `runs` table."""

    id: int
    command: str
    started_at: str
    finished_at: str | None
    exit: int | None
    host: str | None
    pid: int | None
    state: str  # finished | running | interrupted
    errors: dict[str, str]  # platform → its error, from the run's summary
    duration_s: float | None  # None while running or when interrupted
    platforms: dict[str, Any]  # the run's summary per platform (sync --json's `platforms`)

    def as_json(self) -> dict[str, Any]:
        """`{"id", "command", "startedAt", "finishedAt", "durationS", "exit", "state", "host",
        "pid", "errors", "platforms"}`."""
        return {"id": self.id, "command": self.command, "startedAt": self.started_at,
                "finishedAt": self.finished_at, "durationS": self.duration_s,
                "exit": self.exit, "state": self.state, "host": self.host, "pid": self.pid,
                "errors": self.errors, "platforms": self.platforms}


@dataclass(frozen=True)
class Status:
    """The deployment as its store shows it now."""

    today: date
    runs: tuple[RunEntry, ...]  # newest first
    last_success_at: str | None
    pending_writes: int
    quarantine_by_platform: dict[str, int]
    breaks_by_kind: dict[str, int]
    overdue: tuple[DeadlineItem, ...]
    overdue_total: int
    provisional_years: tuple[int, ...] = field(default=())

    @classmethod
    def empty(cls, today: date) -> Status:
        """A deployment with no store yet: no run, nothing open."""
        return cls(today=today, runs=(), last_success_at=None, pending_writes=0,
                   quarantine_by_platform={}, breaks_by_kind={}, overdue=(), overdue_total=0)

    @property
    def last_run(self) -> RunEntry | None:
        """The newest run of `sync`, or None."""
        return next((r for r in self.runs if r.command == "sync"), None)

    @property
    def quarantined(self) -> int:
        """Records set aside and not yet accepted."""
        return sum(self.quarantine_by_platform.values())

    @property
    def open_breaks(self) -> int:
        """Reconciliation breaks open now."""
        return sum(self.breaks_by_kind.values())

    def as_json(self) -> dict[str, Any]:
        """The shape of `status --json` (see README, "Operations")."""
        last = self.last_run
        return {
            "today": self.today.isoformat(),
            "lastRun": None if last is None else last.as_json(),
            "lastSuccessAt": self.last_success_at,
            "runs": [r.as_json() for r in self.runs],
            "pendingWrites": self.pending_writes,
            "setAside": self.quarantined,
            "quarantine": {"open": self.quarantined, "byPlatform": self.quarantine_by_platform},
            "breaks": {"open": self.open_breaks, "byKind": self.breaks_by_kind},
            "overduePublications": {
                "count": self.overdue_total,
                "items": [i.as_json("workingDaysLate") for i in self.overdue]},
        }


def read_status(store: Store, rules: DeadlineRules, today: date, *, limit: int = RUNS,
                overdue_listed: int = OVERDUE_LISTED) -> Status:
    """Gather the status from the store (read only)."""
    with store.engine.connect() as conn:
        recent = tuple(_run_entry(row) for row in conn.execute(
            select(runs).order_by(runs.c.id.desc()).limit(limit)))
        good = conn.execute(select(runs.c.finished_at).where(
            runs.c.command == "sync", runs.c.exit_code.in_(GOOD_EXITS))
            .order_by(runs.c.id.desc()).limit(1)).scalar()
        pending = conn.execute(select(func.count()).select_from(outbox)
                               .where(outbox.c.status == PENDING)).scalar_one()
        held = _counts(conn, quarantine.c.platform)
        open_breaks = _counts(conn, breaks.c.kind, breaks.c.resolved_at.is_(None))
        deadlines = deadline_report(conn, rules, today, 0)
    overdue = sorted(deadlines.overdue, key=lambda i: (-i.working_days, i.task_id, i.uscc))
    return Status(today=today, runs=recent, last_success_at=good, pending_writes=int(pending),
                  quarantine_by_platform=held, breaks_by_kind=open_breaks,
                  overdue=tuple(overdue[:overdue_listed]), overdue_total=len(overdue),
                  provisional_years=tuple(deadlines.provisional_years))


def _counts(conn: Connection, column: Any, *where: Any) -> dict[str, int]:
    rows = conn.execute(select(column, func.count()).where(*where).group_by(column)
                        .order_by(column))
    return {str(key): int(n) for key, n in rows}


def _run_entry(row: Any) -> RunEntry:
    summary = orjson.loads(row.summary) if row.summary else {}
    errors = {name: str(p["error"]) for name, p in (summary.get("platforms") or {}).items()
              if isinstance(p, dict) and p.get("error")}
    if row.finished_at is not None:
        state = "finished"
    elif row.host == socket.gethostname() and row.pid is not None and not _alive(int(row.pid)):
        state = "interrupted"  # its process is gone: killed, or the machine restarted
    else:
        state = "running"
    return RunEntry(id=int(row.id), command=row.command, started_at=row.started_at,
                    finished_at=row.finished_at, exit=row.exit_code, host=row.host,
                    pid=row.pid, state=state, errors=errors, duration_s=_duration(row, summary),
                    platforms=dict(summary.get("platforms") or {}))


def _duration(row: Any, summary: dict[str, Any]) -> float | None:
    """The run's own measure (sync records it to the millisecond), else the difference of
    the recorded times (to the second)."""
    if row.finished_at is None:
        return None
    if isinstance(summary.get("durationS"), int | float):
        return float(summary["durationS"])
    delta = datetime.fromisoformat(row.finished_at) - datetime.fromisoformat(row.started_at)
    return round(delta.total_seconds(), 3)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def status_lines(status: Status) -> list[str]:
    """The status for a terminal, in the language in force: the last runs, then what is open."""
    from rich.cells import cell_len

    from ssj_bridge.model import words
    from ssj_bridge.reconcile.words import kind

    def pad(text: str, width: int, right: bool = False) -> str:
        space = " " * max(0, width - cell_len(text))
        return space + text if right else text + space

    states = {"finished": pgettext("run", "finished"), "running": pgettext("run", "running"),
              "interrupted": pgettext("run", "interrupted")}
    lines = [_("status as of {today}").format(today=status.today.isoformat())]
    if not status.runs:
        lines.append(_("no run recorded yet (the first `ssj-bridge sync` records one)"))
    else:
        heads = (pgettext("status", "run"), pgettext("status", "command"),
                 pgettext("status", "started"), pgettext("status", "took"),
                 pgettext("status", "exit"), pgettext("status", "state"))
        lines.append(f"{pad(heads[0], 5, True)}  {pad(heads[1], 10)} {pad(heads[2], 25)} "
                     f"{pad(heads[3], 8, True)}  {pad(heads[4], 4, True)}  {heads[5]}")
        for run in status.runs:
            took = "" if run.duration_s is None else f"{run.duration_s:.1f} s"
            code = "" if run.exit is None else str(run.exit)
            lines.append(f"{run.id:>5}  {run.command:<10} {run.started_at:<25} {took:>8}  "
                         f"{code:>4}  {states.get(run.state, run.state)}")
            lines += [f"{'':>7}{words.role(platform)}: {error}"
                      for platform, error in run.errors.items()]
    lines.append(_("last successful sync: {when}").format(
        when=status.last_success_at or pgettext("sync", "never")))
    lines.append(_("writes waiting to be sent: {count}").format(count=status.pending_writes))
    held = ", ".join(f"{words.role(p)} {n}" for p, n in status.quarantine_by_platform.items())
    lines.append(_("records set aside (quarantine): {count}").format(count=status.quarantined)
                 + (f" ({held})" if held else ""))
    kinds = ", ".join(f"{kind(k)} {n}" for k, n in status.breaks_by_kind.items())
    lines.append(_("reconciliation breaks open: {count}").format(count=status.open_breaks)
                 + (f" ({kinds})" if kinds else ""))
    lines.append(_("publications overdue: {count}").format(count=status.overdue_total))
    lines += ["  " + _("{task}  {uscc}  {name}  due {due}  {days} working days late").format(
        task=i.task_id, uscc=i.uscc, name=i.name or "?", due=i.due, days=i.working_days)
        for i in status.overdue]
    if status.overdue_total > len(status.overdue):
        lines.append("  " + _("… and {count} more (`ssj-bridge report deadlines`)").format(
            count=status.overdue_total - len(status.overdue)))
    return lines
