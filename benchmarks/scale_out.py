"""Benchmark of the province deployment: many regions on one PostgreSQL, run by worker processes.

    .venv/bin/python benchmarks/scale_out.py [--regions 24] [--smallest 2000] [--largest 100000]
        [--workers 1,2,4] [--kills 20] [--chaos-workers 4] [--skip-throughput] [--skip-chaos]
        [--workdir DIR] [--port 55432]

It runs its own PostgreSQL 15 cluster (initdb into the work directory, as the `postgres` user
when run as root), because the chaos phase stops the server. Each region has its own permit
and provincial platform simulators (the provincial client keeps to province.md's 10 requests a
second per app key), served by a few simulator processes apart from the workers.

1. **Throughput**, for each worker count: a fresh province database and fresh simulators, the
   regions registered (sizes spread geometrically from --smallest to --largest permit
   holders), every region's first (full) sync queued at once, largest first; the time until
   the last one ends gives syncs per minute and permits per second.
2. **Chaos**, with --chaos-workers workers and the regions syncing back to back (a short
   interval): kill -9 a busy worker --kills times (a supervisor restarts it, as systemd's
   Restart=always would), freeze one busy worker with its sync (SIGSTOP) past the stall
   timeout and let it go again, stop PostgreSQL for 30 s, take one region's provincial
   platform down for 30 s. Then a clean round, and the counts: library writes each platform
   executed against what the region's store owes (duplicated, lost, still pending), runs of a
   region that overlapped, and for each killed job how long until its work started again.

Figures vary with whatever else the two cores run: the script prints the load average before
and after each phase, and every measurement, so a run under contention shows as such.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

CLI = [sys.executable, "-m", "ssj_bridge.cli"]
POLICY = "weihai"
STALL, HEARTBEAT, TICK = 10.0, 2.0, 5
HOSTS = 4  # simulator processes


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def now() -> datetime:
    return datetime.now().astimezone()


# -- PostgreSQL of its own ------------------------------------------------------------------------


@dataclass
class Postgres:
    """A PostgreSQL cluster in a directory, on a loopback port."""

    directory: Path
    port: int

    @property
    def bin(self) -> Path:
        return max(Path("/usr/lib/postgresql").glob("*/bin"))

    def _as_owner(self, *argv: str) -> list[str]:
        if os.geteuid() == 0:
            return ["su", "postgres", "-c", " ".join(argv)]
        return list(argv)

    def init(self) -> None:
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        subprocess.run(self._as_owner(str(self.bin / "initdb"), "-D", str(self.directory / "data"),
                                      "-U", "postgres", "--auth=trust", "-E", "UTF8"),
                       check=True, stdout=subprocess.DEVNULL)
        with (self.directory / "data" / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.directory}'\nmax_connections = 300\n"
                       "fsync = on\nshared_buffers = 256MB\n")

    def start(self) -> None:
        subprocess.run(self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"),
                                      "-l", str(self.directory / "log"), "-w", "start"),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        subprocess.run(self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"),
                                      "-m", "fast", "-w", "stop"),
                       check=False, stdout=subprocess.DEVNULL)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def fresh_database(self, name: str) -> str:
        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)


# -- simulator processes --------------------------------------------------------------------------


def serve(directory: Path, specs: list[str]) -> None:
    """(--serve) Host some regions' simulators; obey `down|up CODE ROLE`, `dump PATH`, `quit`."""
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.testing.fleet import RegionFleet

    sizes = {code: int(size) for code, size in (spec.split("=") for spec in specs)}
    fleet = RegionFleet.start(load_plugins(), sizes, directory,
                              options={"live_updates": 2, "platform_tasks": 1})
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] in ("down", "up"):
            region = fleet.regions[words[1]]
            (region.take_down if words[0] == "down" else region.bring_up)(words[2])
        elif words[0] == "dump":
            Path(words[1]).write_text(json.dumps(
                {code: r.applied for code, r in fleet.regions.items()}), encoding="utf-8")
        elif words[0] == "quit":
            break
        print("ok", flush=True)
    fleet.stop()


@dataclass
class SimulatorHosts:
    """Simulator processes, each serving some regions."""

    processes: list[tuple[subprocess.Popen[str], list[str]]]
    configs: dict[str, Path]

    @classmethod
    def start(cls, directory: Path, sizes: dict[str, int]) -> SimulatorHosts:
        codes = list(sizes)
        processes = []
        for index in range(HOSTS):
            mine = codes[index::HOSTS]
            if not mine:
                continue
            process = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(directory),
                 *(f"{code}={sizes[code]}" for code in mine)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                env={k: v for k, v in os.environ.items() if not k.startswith("SSJ_")})
            processes.append((process, mine))
        for process, _ in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        return cls(processes, {code: directory / f"region-{code}.toml" for code in codes})

    def command(self, code: str | None, line: str) -> None:
        for process, mine in self.processes:
            if code is None or code in mine:
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(line + "\n")
                process.stdin.flush()
                assert process.stdout.readline().strip() == "ok"

    def applied(self, directory: Path) -> dict[str, list[tuple[str, str, str]]]:
        merged: dict[str, list[tuple[str, str, str]]] = {}
        for index, (_process, mine) in enumerate(self.processes):
            path = directory / f"applied-{index}.json"
            self.command(mine[0], f"dump {path}")
            merged.update({code: [tuple(x) for x in items]  # type: ignore[misc]
                           for code, items in json.loads(path.read_text()).items()})
        return merged

    def stop(self) -> None:
        for process, _ in self.processes:
            with suppress(Exception):
                assert process.stdin is not None
                process.stdin.write("quit\n")
                process.stdin.flush()
        for process, _ in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# -- workers under a supervisor ---------------------------------------------------------------------


@dataclass
class Supervisor:
    """Worker processes, restarted when they die (what systemd's Restart=always does)."""

    env: dict[str, str]
    logs: Path
    count: int
    restart_delay: float = 2.0
    last_spawn: float = 0.0
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    exits: dict[int, datetime] = field(default_factory=dict)  # worker pid → when it ended
    started: int = 0

    def spawn(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = (self.logs / f"worker-{self.started}.log").open("wb")
        process = subprocess.Popen(
            [*CLI, "worker", "--stall-timeout", str(STALL), "--heartbeat", str(HEARTBEAT)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return process

    def fill(self) -> None:
        for process in list(self.workers):
            code = process.poll()
            if code is not None:
                self.exits.setdefault(process.pid, now())
                self.workers.remove(process)
        if len(self.workers) < self.count and (
                time.monotonic() - self.last_spawn >= self.restart_delay or not self.last_spawn):
            while len(self.workers) < self.count:
                self.workers.append(self.spawn())
            self.last_spawn = time.monotonic()

    def stop(self) -> None:
        for process in self.workers:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=180)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            self.exits.setdefault(process.pid, now())
        self.workers = []


@contextmanager
def province(pg: Postgres, name: str, workdir: Path, sizes: dict[str, int],
             interval: int, policy: str | None) -> Iterator[tuple[str, SimulatorHosts, dict[str, str]]]:
    """A fresh province database with the regions registered, and their simulators."""
    url = pg.fresh_database(name)
    sims_dir = workdir / name / "regions"
    sims_dir.mkdir(parents=True, exist_ok=True)
    hosts = SimulatorHosts.start(sims_dir, sizes)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SSJ_")},
           "SSJ_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    try:
        run(env, workdir, "migrate", "--all-regions")
        for code in sizes:
            run(env, workdir, "regions", "add", code, *(["--policy", policy] if policy else []),
                "--config", str(hosts.configs[code]), "--interval", str(interval))
        yield url, hosts, env
    finally:
        hosts.stop()


def run(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def attempt_rows(url: str) -> list[Any]:
    from ssj_bridge.regions.registry import attempts

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(attempts).order_by(attempts.c.id)))
    finally:
        engine.dispose()


def job_events(url: str) -> dict[int, list[tuple[datetime, str]]]:
    """procrastinate's record of each job's state changes."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT job_id, at, type::text FROM procrastinate_events ORDER BY at")).all()
    finally:
        engine.dispose()
    events: dict[int, list[tuple[datetime, str]]] = {}
    for job_id, at, kind in rows:
        events.setdefault(job_id, []).append((at, kind))
    return events


def fetched_permits(url: str, codes: list[str]) -> int:
    """Permits fetched by each region's first successful sync (from its run log)."""
    from ssj_bridge.regions.registry import region_url
    from ssj_bridge.store.schema import runs

    total = 0
    for code in codes:
        engine = create_engine(region_url(url, f"region_{code}"))
        try:
            with engine.connect() as conn:
                summary = conn.execute(select(runs.c.summary).where(
                    runs.c.exit_code.in_((0, 3))).order_by(runs.c.id).limit(1)).scalar()
        finally:
            engine.dispose()
        if summary:
            total += json.loads(summary)["platforms"].get("permit", {}).get("fetched", 0)
    return total


# -- phase 1: throughput ----------------------------------------------------------------------------


def throughput(pg: Postgres, workdir: Path, sizes: dict[str, int], workers: int,
               policy: str | None) -> dict[str, Any]:
    name = f"throughput_{workers}"
    with province(pg, name, workdir, sizes, 86_400, policy) as (url, _hosts, env):
        logs = workdir / name / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        supervisor = Supervisor(env, logs, workers)
        supervisor.fill()
        time.sleep(3)  # workers started and listening
        before = load()
        cpu0 = os.times()
        start = time.monotonic()
        run(env, workdir, "schedule", "--once", "--now")
        while True:
            rows = attempt_rows(url)
            done = {r.region for r in rows if r.exit_code in (0, 3)}
            if done == set(sizes):
                break
            if any(r.exit_code not in (None, 0, 3, 75) for r in rows):
                raise SystemExit(f"a sync failed: {[r for r in rows if r.exit_code]}")
            supervisor.fill()
            time.sleep(0.5)
        wall = time.monotonic() - start
        supervisor.stop()
        cpu1 = os.times()
        permits = fetched_permits(url, list(sizes))
        durations = sorted((r.finished_at - r.started_at).total_seconds() for r in rows
                           if r.exit_code in (0, 3))
    return {"workers": workers, "wall": wall, "syncs_per_minute": len(sizes) / wall * 60,
            "permits": permits, "permits_per_s": permits / wall,
            "child_cpu": (cpu1.children_user + cpu1.children_system
                          - cpu0.children_user - cpu0.children_system),
            "longest_sync": durations[-1], "median_sync": durations[len(durations) // 2],
            "load_before": before, "load_after": load()}


# -- phase 2: chaos -----------------------------------------------------------------------------------


def chaos(pg: Postgres, workdir: Path, sizes: dict[str, int], workers: int, kills: int,
          seed: int, policy: str | None) -> dict[str, Any]:
    from ssj_bridge.regions.registry import Province
    from ssj_bridge.testing.fleet import overlapping_runs, write_ledger
    from ssj_province.mapping import inspector_to_platform, subject_to_platform

    library_items = {"subject": subject_to_platform, "inspector": inspector_to_platform}

    rng = random.Random(seed)
    name = "chaos"
    events: list[str] = []
    killed: list[tuple[int, int | None, datetime]] = []  # (job id, child pid, when)
    with province(pg, name, workdir, sizes, 20, policy) as (url, hosts, env):
        logs = workdir / name / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        schedule_log = (logs / "schedule.log").open("wb")

        def start_schedule() -> subprocess.Popen[bytes]:
            return subprocess.Popen([*CLI, "schedule", "--tick", str(TICK), "--stall-timeout",
                                     str(STALL), "--heartbeat", str(HEARTBEAT)], env=env,
                                    stdout=schedule_log, stderr=subprocess.STDOUT)

        scheduler = start_schedule()
        supervisor = Supervisor(env, logs, workers)
        supervisor.fill()
        began = now()
        print(f"chaos: {len(sizes)} regions, {sum(sizes.values()):,} permit holders "
              f"({min(sizes.values()):,}–{max(sizes.values()):,}), policy {policy or 'none'}, "
              f"{workers} workers, load {load()}", flush=True)

        def tend(seconds: float) -> None:
            nonlocal scheduler
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                supervisor.fill()
                if scheduler.poll() is not None:  # the schedule has a supervisor too
                    scheduler = start_schedule()
                time.sleep(0.25)

        def busy_worker() -> tuple[subprocess.Popen[bytes], Any] | None:
            running = {r.worker_pid: r for r in attempt_rows(url)
                       if r.finished_at is None and r.child_pid is not None}
            candidates = [w for w in supervisor.workers if w.pid in running and w.poll() is None]
            if not candidates:
                return None
            chosen = rng.choice(candidates)
            return chosen, running[chosen.pid]

        def wait_busy() -> tuple[subprocess.Popen[bytes], Any]:
            while True:
                found = busy_worker()
                if found is not None:
                    return found
                tend(0.5)

        tend(15)  # the first full syncs under way
        # Kills first, spaced by more than the recovery they measure; the outages after.
        while len(killed) < kills:
            process, attempt = wait_busy()
            os.kill(process.pid, signal.SIGKILL)
            when = now()
            killed.append((attempt.job_id, attempt.child_pid, when))
            events.append(f"{when:%H:%M:%S} kill -9 worker {process.pid} running region "
                          f"{attempt.region} (job {attempt.job_id})")
            tend(rng.uniform(STALL + TICK, STALL + TICK + 8) if len(killed) % 4 == 0
                 else rng.uniform(3, 8))
        process, attempt = wait_busy()
        os.killpg(process.pid, signal.SIGSTOP)
        events.append(f"{now():%H:%M:%S} SIGSTOP worker {process.pid} and its sync of region "
                      f"{attempt.region} for {STALL + 20:.0f} s")
        tend(STALL + 20)
        os.killpg(process.pid, signal.SIGCONT)
        events.append(f"{now():%H:%M:%S} SIGCONT worker {process.pid}")
        tend(15)
        events.append(f"{now():%H:%M:%S} PostgreSQL stopped for 30 s")
        pg.stop()
        tend(30)
        pg.start()
        events.append(f"{now():%H:%M:%S} PostgreSQL started")
        tend(15)
        victim = rng.choice(list(sizes))
        hosts.command(victim, f"down {victim} province")
        events.append(f"{now():%H:%M:%S} provincial platform of {victim} down for 30 s")
        tend(30)
        hosts.command(victim, f"up {victim} province")
        events.append(f"{now():%H:%M:%S} provincial platform of {victim} up")
        calm = now()
        events.append(f"{calm:%H:%M:%S} chaos over; waiting for a clean sync of every region")
        while True:
            rows = attempt_rows(url)
            clean = {r.region for r in rows if r.started_at > calm and r.exit_code in (0, 3)}
            if clean == set(sizes):
                break
            tend(2)
        supervisor.stop()
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=60)
        # The last writes out: one more round with nothing in the way.
        run(env, workdir, "schedule", "--once", "--now")
        run(env, workdir, "worker", "--until-idle")
        rows = attempt_rows(url)
        applied = hosts.applied(workdir / name)
        # When each sync process ended: its attempt's end, else its worker's death.
        ended: dict[int, datetime] = {}
        for row in rows:
            if row.child_pid is None:
                continue
            end = row.finished_at or supervisor.exits.get(row.worker_pid)
            for job, child, when in killed:
                if child == row.child_pid and row.job_id == job:
                    end = when
            if end is not None:
                ended[row.child_pid] = end
        recovery = []
        handed_back = []
        region_of = {r.job_id: r.region for r in rows}
        events_of = job_events(url)
        for job, _child, when in killed:
            # Queued again (the schedule found the worker silent) …
            back = [at for at, kind in events_of.get(job, [])
                    if at > when and kind in ("deferred_for_retry", "retried", "failed")]
            handed_back.append((min(back) - when).total_seconds() if back else None)
            # … and started again by a free worker.
            later = [r.started_at for r in rows
                     if r.region == region_of.get(job) and r.started_at > when]
            recovery.append((min(later) - when).total_seconds() if later else None)
        ledgers = {}
        overlaps = 0
        owner = Province(url)
        try:
            for code in sizes:
                store = owner.store(code)
                try:
                    ledgers[code] = write_ledger(store, applied.get(code, []),
                                                 to_platform=library_items)
                    overlaps += overlapping_runs(store, ended)
                finally:
                    store.dispose()
        finally:
            owner.dispose()
        lock_refusals = sum(1 for r in rows if r.exit_code == 75)
    return {"events": events, "kills": len(killed), "recovery": recovery,
            "handed_back": handed_back, "ledgers": ledgers,
            "overlaps": overlaps, "attempts": len(rows), "refused_or_unavailable": lock_refusals,
            "seconds": (now() - began).total_seconds(), "load_after": load()}


# -- report --------------------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=24)
    parser.add_argument("--smallest", type=int, default=2_000)
    parser.add_argument("--largest", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="Throughput rounds.")
    parser.add_argument("--chaos-workers", type=int, default=4)
    parser.add_argument("--chaos-largest", type=int, default=None,
                        help="Largest region in the chaos phase (default --largest).")
    parser.add_argument("--policy", default=POLICY,
                        help="Policy of every region in the throughput phase ('': none, so no "
                             "classification and no library writes).")
    parser.add_argument("--chaos-policy", default=POLICY,
                        help="Policy in the chaos phase: its library writes are what is counted.")
    parser.add_argument("--chaos-smallest", type=int, default=None)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-chaos", action="store_true")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ssj-scale-out"))  # noqa: S108
    parser.add_argument("--port", type=int, default=55432)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    policy = args.policy or None

    from ssj_bridge.testing.fleet import region_codes, sizes_between

    codes = region_codes(args.regions)
    # Largest first: the queue takes jobs in the order they were queued (by region code).
    sizes = dict(zip(codes, sorted(sizes_between(args.regions, args.smallest, args.largest),
                                   reverse=True), strict=True))
    args.workdir.mkdir(parents=True, exist_ok=True)
    pg = Postgres(args.workdir / "pg", args.port)
    pg.init()
    pg.start()
    print(f"{args.regions} regions, {sum(sizes.values()):,} permit holders "
          f"({args.smallest:,}–{args.largest:,}); {os.cpu_count()} cores; load {load()}",
          flush=True)
    try:
        if not args.skip_throughput:
            results = []
            counts = [int(x) for x in args.workers.split(",")]
            # Rounds alternate the worker counts, so contention from other work on the
            # machine falls on all of them alike; each count's fastest round is compared.
            for round_no in range(args.repeat):
                for count in counts:
                    result = throughput(pg, args.workdir, sizes, count, policy)
                    result["round"] = round_no + 1
                    results.append(result)
                    print(f"  round {round_no + 1}, {count} worker(s): {result['wall']:.1f} s, "
                      f"{result['syncs_per_minute']:.1f} syncs/min, "
                          f"{result['permits_per_s']:,.0f} permits/s ({result['permits']:,} "
                          f"permits), syncs' CPU {result['child_cpu']:.0f} s, median sync "
                          f"{result['median_sync']:.1f} s, longest {result['longest_sync']:.1f} s;"
                          f" load {result['load_before']} → {result['load_after']}", flush=True)
            best = {c: min(r["wall"] for r in results if r["workers"] == c) for c in counts}
            for count in counts[1:]:
                walls = sorted(r["wall"] for r in results if r["workers"] == count)
                base = sorted(r["wall"] for r in results if r["workers"] == counts[0])
                print(f"  speed-up {count} vs {counts[0]} workers: fastest rounds "
                      f"{best[counts[0]] / best[count]:.2f}×; every pair of rounds "
                      + ", ".join(f"{b / w:.2f}×" for b in base for w in walls), flush=True)
        if not args.skip_chaos:
            chaos_sizes = sizes
            if args.chaos_largest:
                smallest = args.chaos_smallest or min(args.smallest, args.chaos_largest)
                chaos_sizes = dict(zip(codes, sorted(sizes_between(
                    args.regions, smallest, args.chaos_largest), reverse=True), strict=True))
            result = chaos(pg, args.workdir, chaos_sizes, args.chaos_workers, args.kills,
                           args.seed, args.chaos_policy or None)
            for event in result["events"]:
                print(f"  {event}")
            ledgers = result["ledgers"].values()
            print(f"chaos: {result['kills']} kills over {result['seconds']:.0f} s, "
                  f"{result['attempts']} attempts ({result['refused_or_unavailable']} exited 75)")
            print(f"  platform writes: owed {sum(x.owed for x in ledgers):,}, executed "
                  f"{sum(x.applied for x in ledgers):,}, duplicated "
                  f"{sum(x.duplicated for x in ledgers)}, lost {sum(x.lost for x in ledgers)}, "
                  f"pending {sum(x.pending for x in ledgers)}")
            print(f"  overlapping runs of a region: {result['overlaps']}")
            back = [r for r in result["handed_back"] if r is not None]
            print("  killed job queued again after (s): "
                  + ", ".join(f"{r:.1f}" if r is not None else "never"
                              for r in result["handed_back"])
                  + (f"; max {max(back):.1f}, target ≤ stall timeout {STALL:.0f} + heartbeat "
                     f"{HEARTBEAT:.0f} + tick {TICK} = {STALL + HEARTBEAT + TICK:.0f}"
                     if back else ""))
            known = [r for r in result["recovery"] if r is not None]
            print("  killed region's sync started again after (s): "
                  + ", ".join(f"{r:.1f}" if r is not None else "never"
                              for r in result["recovery"])
                  + (f"; max {max(known):.1f}, target ≤ stall timeout {STALL:.0f} + tick "
                     f"{TICK} = {STALL + TICK:.0f}" if known else ""))
            print(f"  load after: {result['load_after']}")
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
