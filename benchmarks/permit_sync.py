"""Benchmark of the sync core: a full permit sync from the simulator into the store.

    .venv/bin/python benchmarks/permit_sync.py [--permits 200000] [--small 50000]
                                               [--repeat N] [--postgres] [--profile FILE]

The permit simulator runs in its own process (no rate limit, pre-rendered pages, one permit per
holder), so neither its CPU nor its memory is counted. Every measurement runs in a fresh child
process, whose peak resident memory (VmHWM) is what the table reports:

1. download and decode alone: the adapter's requests (keyset paging, pageSize 1000) with
   httpx and orjson.loads, nothing else: the floor a sync can reach;
2. a full `run_sync` into a fresh store (SQLite file; PostgreSQL with --postgres);
3. the same at a smaller dataset, to show peak memory does not grow with the data;
4. an incremental sync with nothing changed, in-process and as the `ssj-bridge sync` command.

CPU seconds are reported beside wall time: on a machine shared with other work, they move
less than wall time does. See docs/benchmarks.md for figures and what limits them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

REGION = "371000"
PAGE_SIZE = 1000
TARGET_RATE = 20_000.0
TARGET_RATIO = 1.5
TARGET_PEAK_MB = 300.0
TARGET_INCREMENTAL_S = 2.0
BIN = Path(sys.executable).parent


# -- the simulator, in its own process ------------------------------------------------------------

@dataclass
class Simulator:
    """A permit simulator process and the settings that point a client at it."""

    process: subprocess.Popen[str]
    environment: dict[str, str]
    permits: int

    def stop(self) -> None:
        """Stop it (SIGTERM: it closes its socket and exits)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def simulator(permits: int) -> Iterator[Simulator]:
    """`ssj-bridge simulate` serving `permits` permits, one per holder, with no rate limit."""
    command = [str(BIN / "ssj-bridge"), "simulate", "--only", "permit", "--region", REGION,
               "--subjects", str(permits), "--rate-limit", "0",
               "--set", "permit.multi_site_every=0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    environment = printed_settings(process)
    if "SSJ_PERMIT__BASE_URL" not in environment:
        process.kill()
        raise SystemExit(f"the simulator did not start (exit {process.wait()})")
    sim = Simulator(process, environment, permits)
    try:
        yield sim
    finally:
        sim.stop()


# -- measurements, each in a child process ---------------------------------------------------------

def printed_settings(process: subprocess.Popen[str]) -> dict[str, str]:
    """The settings `ssj-bridge simulate` prints, one NAME=VALUE a line, up to SSJ_REGION_CODE
    (printed once every simulator listens); empty when it ends before that."""
    environment: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        name, _, value = line.strip().partition("=")
        environment[name] = value
        if name == "SSJ_REGION_CODE":
            break
    return environment


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User and system CPU time this process has used (both threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_cpu_seconds() -> float:
    """CPU time of the finished child processes (the store's writer process)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def current_rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def child_download(env: dict[str, str]) -> dict[str, Any]:
    """Fetch every page as the permit stream does (keyset paging) and decode it; nothing else."""
    import httpx
    import orjson

    base = current_rss_mb()
    cpu = cpu_seconds()
    started = time.perf_counter()
    records = pages = 0
    nbytes = 0
    with httpx.Client(base_url=env["SSJ_PERMIT__BASE_URL"], timeout=60) as http:
        token = orjson.loads(http.post("/api/v1/auth/token", json={
            "appId": env["SSJ_PERMIT__APP_ID"],
            "appSecret": env["SSJ_PERMIT__APP_SECRET"]}).content)["data"]["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        since: str | None = None
        seen_at: set[str] = set()
        while True:
            params: dict[str, Any] = {"regionCode": REGION, "pageNo": 1, "pageSize": PAGE_SIZE}
            if since is not None:
                params["updatedSince"] = since
            response = http.get("/api/v1/permits", params=params, headers=headers)
            nbytes += len(response.content)
            raws = orjson.loads(response.content)["data"]["records"]
            pages += 1
            records += sum(1 for r in raws if not (r["updateTime"] == since
                                                    and r["permitNo"] in seen_at))
            if len(raws) < PAGE_SIZE:
                break
            latest = max(r["updateTime"] for r in raws)
            seen_at = {r["permitNo"] for r in raws if r["updateTime"] == latest}
            since = latest
    wall = time.perf_counter() - started
    return {"wall": wall, "cpu": cpu_seconds() - cpu, "records": records, "pages": pages,
            "mbytes": nbytes / 1e6,
            "peak_mb": peak_rss_mb(), "base_mb": base}


def child_sync(env: dict[str, str], database_url: str, profile: str | None) -> dict[str, Any]:
    """One `run_sync` of the permit platform into `database_url`, timed."""
    import logging

    from ssj_bridge.log import configure_logging
    from ssj_bridge.plugins.host import load_plugins
    from ssj_bridge.settings import PlatformSettings, Settings
    from ssj_bridge.store import Store
    from ssj_bridge.sync import run_sync

    configure_logging(sys.stderr, json=True, level=logging.WARNING)
    settings = Settings(
        database_url=database_url, region_code=REGION,
        # No client-side rate limit either (the adapter's default is 15 requests/s): the
        # figure is the sync's own pace, as the download one is the client's.
        permit=PlatformSettings(base_url=env["SSJ_PERMIT__BASE_URL"],
                                app_id=env["SSJ_PERMIT__APP_ID"],
                                app_secret=env["SSJ_PERMIT__APP_SECRET"], rate_limit=None))
    host = load_plugins()
    store = Store(database_url)  # the run lock beside the SQLite file, or advisory on PostgreSQL
    store.migrate()
    base = current_rss_mb()
    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = cpu_seconds()
    writer_cpu = child_cpu_seconds()
    main_cpu = time.thread_time()
    started = time.perf_counter()
    report = run_sync(settings, store, host, only=["permit"])
    wall = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    writer_cpu = child_cpu_seconds() - writer_cpu
    main_cpu = time.thread_time() - main_cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    platform = report.platforms["permit"]
    if platform.error:
        raise SystemExit(f"sync failed: {platform.error}")
    # ru_maxrss of the children: the largest finished child's peak, in KiB on Linux.
    writer_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"wall": wall, "cpu": cpu, "store_cpu": main_cpu, "writer_cpu": writer_cpu,
              "writer_peak_mb": writer_peak, "fetched": platform.fetched,
              "stored": platform.stored, "set_aside": platform.set_aside,
              "peak_mb": peak_rss_mb(), "base_mb": base,
              "permits_in_store": store.count("permits"),
              "subjects_in_store": store.count("subjects")}
    store.dispose()
    return result


def run_child(kind: str, env: dict[str, str], database_url: str = "",
              profile: str | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return what it printed."""
    command = [sys.executable, __file__, "--child", kind, "--database-url", database_url]
    if profile:
        command += ["--profile", profile]
    done = subprocess.run(command, input=json.dumps(env), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def time_cli_sync(env: dict[str, str], database_url: str) -> float:
    """Wall time of `ssj-bridge sync --only permit` as cron runs it (interpreter start included)."""
    full = {**os.environ, **env, "SSJ_DATABASE_URL": database_url}
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "ssj-bridge"), "sync", "--only", "permit", "--json"],
                          env=full, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ssj-bridge sync failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return wall


def full_sync(env: dict[str, str], backend: str, workdir: Path, label: str,
              profile: str | None) -> dict[str, Any]:
    """A full sync into a fresh store, then an incremental one in-process and by the command."""
    with database(backend, workdir, label) as url:
        result = run_child("sync", env, url, profile)
        result["incremental"] = run_child("sync", env, url)
        result["cli"] = time_cli_sync(env, url)
    return result


# -- databases ------------------------------------------------------------------------------------

@contextmanager
def database(kind: str, workdir: Path, label: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if kind == "sqlite":
        path = workdir / f"{label}.db"
        for stale in workdir.glob(f"{label}.db*"):
            stale.unlink()
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text

    base = os.environ["SSJ_TEST_POSTGRES_URL"]
    name = f"ssj_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the report -----------------------------------------------------------------------------------

def mark(ok: bool) -> str:
    """A verdict column."""
    return "ok" if ok else "MISSED"


def best_of(runs: int, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The fastest of `runs` measurements (a shared machine only ever slows a run down)."""
    results = [measure() for _ in range(max(runs, 1))]
    best = min(results, key=lambda r: float(r["wall"]))
    best["walls"] = [float(r["wall"]) for r in results]  # every run, for the spread
    return best


def main() -> int:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permits", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=50_000,
                        help="the smaller dataset for the memory comparison (0: skip)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="full syncs per size and backend; the fastest is reported")
    parser.add_argument("--postgres", action="store_true",
                        help="also sync into PostgreSQL (needs SSJ_TEST_POSTGRES_URL)")
    parser.add_argument("--profile", default=None,
                        help="write a cProfile of the large SQLite sync to this file")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the SQLite stores here (default: a temporary directory)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        env = json.loads(sys.stdin.read())
        if args.child == "download":
            result = child_download(env)
        else:
            result = child_sync(env, args.database_url, args.profile)
        print(json.dumps(result))
        return 0

    backends = ["sqlite"]
    if args.postgres:
        if not os.environ.get("SSJ_TEST_POSTGRES_URL"):
            raise SystemExit("--postgres needs SSJ_TEST_POSTGRES_URL")
        backends.append("postgresql")
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="ssj-bench-") as scratch:
            return measure(args, backends, Path(scratch))
    args.workdir.mkdir(parents=True, exist_ok=True)
    return measure(args, backends, args.workdir)


def measure(args: argparse.Namespace, backends: list[str], workdir: Path) -> int:
    """Every measurement, then the table."""
    sizes = [args.permits] + ([args.small] if args.small and args.small < args.permits else [])
    print(f"permit sync benchmark: {', '.join(f'{n:,}' for n in sizes)} permits, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}, store in {workdir}", flush=True)

    rows: list[tuple[str, str]] = []
    verdicts: list[tuple[str, str, str]] = []
    peaks: dict[int, float] = {}
    for size in sizes:
        print(f"starting the simulator with {size:,} permits …", flush=True)
        with simulator(size) as sim:
            env = sim.environment
            download = best_of(args.repeat, partial(run_child, "download", env))
            rows.append((f"download + decode, {size:,}",
                         f"{download['wall']:6.2f} s  {download['records'] / download['wall']:>8,.0f}"
                         f" rec/s  cpu {download['cpu']:.2f} s  {download['pages']} pages, "
                         f"{download['mbytes']:.0f} MB  peak {download['peak_mb']:.0f} MB"))
            for backend in backends:
                if backend == "postgresql" and size != args.permits:
                    continue
                profile = args.profile if size == args.permits and backend == "sqlite" else None
                full = best_of(args.repeat, partial(full_sync, env, backend, workdir,
                                                    f"bench-{size}", profile))
                if full["permits_in_store"] != size or full["set_aside"]:
                    raise SystemExit(f"sync stored {full['permits_in_store']} permits and set "
                                     f"aside {full['set_aside']}; expected {size}")
                rate = full["fetched"] / full["wall"]
                # The writer process's peak counts too: the sync holds both at once.
                total_peak = full["peak_mb"] + full["writer_peak_mb"]
                ratio = full["wall"] / download["wall"]
                incremental = full["incremental"]
                rows.append((f"full sync {backend}, {size:,}",
                             f"{full['wall']:6.2f} s  {rate:>8,.0f} rec/s  cpu {full['cpu']:.2f} s"
                             f" (main thread {full['store_cpu']:.2f} s, writer process"
                             f" {full['writer_cpu']:.2f} s)  {ratio:.1f}× download"
                             f"  peak {full['peak_mb']:.0f} MB"
                             f" (after imports {full['base_mb']:.0f} MB;"
                             f" writer process {full['writer_peak_mb']:.0f} MB)"))
                if len(full["walls"]) > 1:
                    spread = ", ".join(f"{full['fetched'] / w:,.0f}" for w in full["walls"])
                    rows.append((f"  each full sync, {size:,}", f"{spread} rec/s"))
                rows.append((f"incremental {backend}, {size:,}",
                             f"{incremental['wall']:6.2f} s  run_sync, {full['cli']:.2f} s as "
                             f"`ssj-bridge sync` ({incremental['fetched']} re-read, "
                             f"{incremental['stored']} stored)"))
                if backend == "sqlite":
                    peaks[size] = full["peak_mb"] + full["writer_peak_mb"]
                if size == args.permits and backend == "sqlite":
                    # The throughput targets are set for SQLite on this machine.
                    verdicts += [
                        (f"records/s ({backend})", f"{rate:,.0f} ≥ {TARGET_RATE:,.0f}",
                         mark(rate >= TARGET_RATE)),
                        (f"sync / download ({backend})", f"{ratio:.1f} ≤ {TARGET_RATIO}",
                         mark(ratio <= TARGET_RATIO)),
                    ]
                if size == args.permits:
                    verdicts += [
                        (f"incremental ({backend})",
                         f"{incremental['wall']:.2f} s < {TARGET_INCREMENTAL_S} s",
                         mark(incremental["wall"] < TARGET_INCREMENTAL_S)),
                        (f"peak memory ({backend}, both processes)",
                         f"{total_peak:.0f} MB < {TARGET_PEAK_MB:.0f} MB",
                         mark(total_peak < TARGET_PEAK_MB)),
                    ]
    if len(peaks) == 2:
        small, large = sorted(peaks)
        growth = peaks[large] - peaks[small]
        verdicts.append(("peak growth (sqlite)",
                         f"{peaks[small]:.0f} MB at {small:,}, {peaks[large]:.0f} MB at {large:,}",
                         mark(growth < 0.1 * peaks[small] + 10)))
    width = max(len(label) for label, _ in rows)
    print()
    for label, figures in rows:
        print(f"{label:<{width}}  {figures}")
    print()
    width = max(len(label) for label, _, _ in verdicts)
    for label, figures, verdict in verdicts:
        print(f"{label:<{width}}  {figures:<40} {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
