"""A province of simulated regions, and the checks that its writes went out exactly once.

Each region gets its own permit and provincial platform simulators on loopback and a settings
file pointing at them (`RegionFleet.start`). Every write the provincial simulator executes —
not the repeats it answers from its request-id memory — is logged item by item, so
`write_ledger` can compare what each platform applied with what the region's store says it
owes: an item applied twice, or owed and never applied, is counted. `overlapping_runs` checks
from a store's run log that two syncs of one region never ran at the same time. Used by the
scale-out test and `benchmarks/scale_out.py`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from ssj_bridge.outbox.queue import ACCEPTED, PENDING
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.simulation.launch import start_simulators
from ssj_bridge.simulation.server import RunningSimulator, serve
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, runs

ORG = ("11371000MB0000000E", "威海市生态环境局")
ROLES = ("permit", "province")
_KIND_ENTITY = {"subjects": "subject", "inspectors": "inspector"}


def item_digest(item: Mapping[str, Any]) -> str:
    """A platform item's content, as a short digest."""
    return hashlib.sha256(orjson.dumps(dict(item), option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]


@dataclass
class SimulatedRegion:
    """One region's simulators, its settings file and the writes its platform executed."""

    code: str
    permits: int
    config: Path
    running: dict[str, RunningSimulator]
    applied: list[tuple[str, str, str]] = field(default_factory=list)  # entity, key, digest
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_down(self, role: str) -> None:
        """Stop serving one platform (its state is kept for `bring_up`)."""
        self.running[role].stop()

    def bring_up(self, role: str) -> None:
        """Serve the platform again on the same port, with the state it had."""
        old = self.running[role]
        port = int(old.base_url.rsplit(":", 1)[1])
        self.running[role] = serve(role, old.app, port)


@dataclass
class RegionFleet:
    """The simulated regions of a province."""

    regions: dict[str, SimulatedRegion]

    @classmethod
    def start(cls, host: PluginHost, sizes: Mapping[str, int], directory: Path, *,
              options: Mapping[str, Any] | None = None) -> RegionFleet:
        """Start the simulators of each region (code → permits) and write its settings file."""
        directory.mkdir(parents=True, exist_ok=True)
        fleet: dict[str, SimulatedRegion] = {}
        for code, permits in sizes.items():
            merged = {"region": code, "subjects": permits, "seed": int(code), "rate_limit": 0,
                      **(options or {})}
            sims = start_simulators(host, merged, roles=ROLES)
            config = directory / f"region-{code}.toml"
            config.write_text(_settings_file(sims.environment()), encoding="utf-8")
            region = SimulatedRegion(code, permits, config, dict(sims.running))
            _log_applied(region)
            fleet[code] = region
        return cls(fleet)

    def stop(self) -> None:
        """Stop every simulator."""
        for region in self.regions.values():
            for sim in region.running.values():
                sim.stop()


def _settings_file(environment: Mapping[str, str]) -> str:
    lines = [f'org_code = "{ORG[0]}"', f'org_name = "{ORG[1]}"', ""]
    for role in ROLES:
        prefix = f"SSJ_{role.upper()}__"
        lines.append(f"[{role}]")
        lines.extend(f'{name[len(prefix):].lower()} = "{value}"'
                     for name, value in sorted(environment.items()) if name.startswith(prefix))
        lines.append("")
    return "\n".join(lines)


def _log_applied(region: SimulatedRegion) -> None:
    """Log every library item the provincial simulator executes (repeats answered from its
    memory never reach the platform, so they are not logged)."""
    platform = region.running["province"].app.platform  # type: ignore[attr-defined]
    upsert: Callable[[str, Any], Any] = platform.upsert_library
    key_fields = {"subjects": "uscc", "inspectors": "inspectorId"}

    def logged(kind: str, items: Any) -> Any:
        answer = upsert(kind, items)
        if isinstance(items, list):
            with region.lock:
                region.applied.extend(
                    (_KIND_ENTITY[kind], str(item.get(key_fields[kind])), item_digest(item))
                    for item in items if isinstance(item, dict))
        return answer

    platform.upsert_library = logged


@dataclass(frozen=True)
class WriteLedger:
    """One region's platform writes against what its store owes."""

    owed: int  # versions the store records as accepted by the platform
    applied: int  # items the platform executed (repeats from its memory excluded)
    duplicated: int  # the same content of a key executed more than once
    lost: int  # accepted versions the platform never executed
    pending: int  # versions still waiting in the store's outbox


# An outbox payload of an entity as the platform's item (the adapter's own mapping).
ToPlatform = Mapping[str, Callable[[Mapping[str, Any]], Mapping[str, Any]]]


def write_ledger(store: Store, applied: Iterable[tuple[str, str, str]], *,
                 to_platform: ToPlatform) -> WriteLedger:
    """Compare the platform's executed library writes (`SimulatedRegion.applied`, perhaps
    read back from another process) with the store's outbox.

    `to_platform` maps each library entity (`subject`, `inspector`) to the adapter's function
    that turns its outbox payload into the item the platform executes: the core does not
    import an adapter.
    """
    with store.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.entity, outbox.c.key, outbox.c.status,
                                   outbox.c.payload).where(
            outbox.c.platform == "province", outbox.c.entity.in_(tuple(to_platform)),
            outbox.c.status.in_((ACCEPTED, PENDING)))).all()
    executed = Counter((str(e), str(k), str(d)) for e, k, d in applied)
    owed = lost = pending = 0
    for row in rows:
        if row.status == PENDING:
            pending += 1
            continue
        owed += 1
        mapped = to_platform[row.entity](orjson.loads(row.payload))
        if executed[(row.entity, row.key, item_digest(mapped))] == 0:
            lost += 1
    duplicated = sum(count - 1 for count in executed.values() if count > 1)
    return WriteLedger(owed, sum(executed.values()), duplicated, lost, pending)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def overlapping_runs(store: Store, ended: Mapping[int, datetime] | None = None) -> int:
    """Syncs of the store's region that started before the previous one ended.

    A run killed with its worker has no end in the log: `ended` gives it by the run's pid
    (when its process died). Such a run without a known end is taken to have ended when the
    next run began (a kill the caller did not report cannot be checked). Times have second
    resolution: a run starting in the second its predecessor ended does not count.
    """
    with store.engine.connect() as conn:
        log = conn.execute(select(runs.c.started_at, runs.c.finished_at, runs.c.pid).where(
            runs.c.command == "sync").order_by(runs.c.started_at, runs.c.id)).all()
    overlaps = 0
    previous_end: datetime | None = None
    for row in log:
        start = _moment(row.started_at)
        if previous_end is not None and start < previous_end.replace(microsecond=0):
            overlaps += 1
        if row.finished_at is not None:
            end = _moment(row.finished_at)
        else:
            end = (ended or {}).get(row.pid, start)
        previous_end = end if previous_end is None else max(previous_end, end)
    return overlaps


def sizes_between(count: int, smallest: int, largest: int) -> list[int]:
    """`count` region sizes spread geometrically from `smallest` to `largest`."""
    if count == 1:
        return [largest]
    ratio = (largest / smallest) ** (1 / (count - 1))
    return [round(smallest * ratio ** i) for i in range(count)]


def region_codes(count: int, prefix: str = "3710") -> list[str]:
    """`count` six-digit region codes under a city prefix."""
    return [f"{prefix}{index + 1:02d}" for index in range(count)]


def killed_children(pids: Iterable[int]) -> list[int]:
    """Of `pids`, those of processes still alive (a child that outlived its killed worker)."""
    import os

    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        try:  # a zombie waiting to be reaped has ended
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            state = "?"
        if state != "Z":
            alive.append(pid)
    return alive
