"""Benchmark of the whole cron cycle at city scale, as the commands a deployment runs.

    .venv/bin/python benchmarks/cycle.py [--sizes 25000,50000,100000,200000] [--repeat 3]
        [--postgres] [--commands] [--credit-subjects 170000] [--workdir DIR]

For each size (permits; the permit simulator gives every seventh holder a second permit, so
200,000 permits are 175,000 subjects), simulators of the permit and provincial platforms run
in a process of their own with no rate limit, and a fresh store (SQLite; PostgreSQL too with
--postgres and SSJ_TEST_POSTGRES_URL) goes through:

1. `ssj-bridge sync --only permit` with SSJ_POLICY=weihai and the provincial platform
   configured (so classification and the library queue run), as the command: wall time, and
   each step's time and peak memory from the run's own `step done` log lines;
2. the same command again with nothing changed (the unchanged rerun);
3. `ssj-bridge sync --only province`: the library queued by (1) pushed (`library push`).

With --commands, at the largest size: `inspectors import`, `plan`, `draw commit`, `draw run`,
`report compliance`, `report deadlines`, `export subjects`, `explain`, then a credit simulator
(about 1,000,000 records: 455,000 subjects, the city's among them), `sync --only credit`,
`reconcile --platform credit` (listing, staging both sides, comparing) and `plan` for the next
quarter (classified then, over the million credit records).

Every figure is wall time on a machine others share: --repeat N runs (1) N times, each into a
fresh store, and prints the median and the spread. See docs/benchmarks.md for figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from permit_sync import database, printed_settings  # the permit benchmark's set-up

REGION = "371000"
ORG = "11371000MB0000000E"
BIN = Path(sys.executable).parent
UNLIMITED = "1000000"  # requests/s: the client's own pacing off

TARGET_RATE = 15_000.0  # permits/s, whole command, SQLite, largest size
TARGET_FLAT = 1.3  # per-record cost, largest size ÷ smallest, every step
TARGET_RERUN_S = 2.0
TARGET_PEAK_MB = 300.0
TARGET_COMMAND_S = 5.0  # plan, draw commit, report compliance
TARGET_RECONCILE_S = 60.0
TARGET_PG_STREAM = 20_000.0  # permits/s


def subjects_for(permits: int) -> int:
    """Simulator subjects that hold `permits` permits (every seventh holds two)."""
    return round(permits * 7 / 8)


# -- simulators and stores -------------------------------------------------------------------------

@contextmanager
def simulators(roles: str, subjects: int) -> Iterator[dict[str, str]]:
    """`ssj-bridge simulate` for `roles`, no rate limit; yields the settings pointing at it."""
    process = subprocess.Popen(
        [str(BIN / "ssj-bridge"), "simulate", "--only", roles, "--region", REGION,
         "--subjects", str(subjects), "--rate-limit", "0"],
        stdout=subprocess.PIPE, text=True)
    environment = printed_settings(process)
    if "SSJ_REGION_CODE" not in environment:
        process.kill()
        raise SystemExit(f"the simulators did not start (exit {process.wait()})")
    for role in roles.split(","):
        environment[f"SSJ_{role.upper()}__RATE_LIMIT"] = UNLIMITED
    try:
        yield environment
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- running a command -----------------------------------------------------------------------------

@dataclass
class Run:
    """One command: wall time, exit code, its steps (name → seconds) and peak memory."""

    wall: float
    exit: int
    steps: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # the command's own CPU per step
    stream_peak_mb: float = 0.0  # the command's own process, when its streams were done
    peak_mb: float = 0.0  # the command's own process
    writer_peak_mb: float = 0.0  # the largest process it started (the store's writer)
    stdout: str = ""


def run(env: dict[str, str], *args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)
        ) -> Run:
    """`ssj-bridge ARGS` as cron runs it: a fresh interpreter, JSON logs on stderr."""
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "ssj-bridge"), *args], env={**os.environ, **env},
                          input=stdin, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in ok:
        raise SystemExit(f"ssj-bridge {' '.join(args)} exited {done.returncode}:\n"
                         f"{done.stderr[-3000:]}")
    result = Run(wall, done.returncode, stdout=done.stdout)
    for line in done.stderr.splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "step done":
            name = entry["step"]
            result.steps[name] = result.steps.get(name, 0.0) + entry["seconds"]
            result.cpu[name] = result.cpu.get(name, 0.0) + entry.get("cpu_seconds", 0.0)
            if name.startswith("platform "):
                result.stream_peak_mb = max(result.stream_peak_mb, entry.get("peak_mb", 0.0))
            result.peak_mb = max(result.peak_mb, entry.get("peak_mb", 0.0))
            result.writer_peak_mb = max(result.writer_peak_mb, entry.get("children_peak_mb", 0.0))
    return result


def cycle_env(sims: dict[str, str], url: str) -> dict[str, str]:
    """The settings of a deployment with a policy and the provincial platform configured."""
    return {**sims, "SSJ_DATABASE_URL": url, "SSJ_POLICY": "weihai", "SSJ_ORG_CODE": ORG,
            "SSJ_ORG_NAME": "威海市生态环境局"}


# -- the measurements ------------------------------------------------------------------------------

@dataclass
class SizeResult:
    """What one size gave on one backend."""

    permits: int
    firsts: list[Run]
    rerun: Run
    push: Run
    commands: dict[str, float] = field(default_factory=dict)

    @property
    def first(self) -> Run:
        """The median run (by wall time)."""
        ordered = sorted(self.firsts, key=lambda r: r.wall)
        return ordered[(len(ordered) - 1) // 2]


def measure_size(backend: str, permits: int, repeat: int, workdir: Path, *,
                 commands: bool, credit_subjects: int) -> SizeResult:
    """Every run of one size on one backend (module docstring)."""
    firsts = []
    with simulators("permit,province", subjects_for(permits)) as sims:
        for attempt in range(repeat):
            with database(backend, workdir, f"cycle-{permits}-{attempt}") as url:
                env = cycle_env(sims, url)
                firsts.append(run(env, "sync", "--only", "permit", "--json"))
                print(f"  {backend} {permits:,}: sync {firsts[-1].wall:.2f} s", flush=True)
                if attempt < repeat - 1:
                    continue
                rerun = run(env, "sync", "--only", "permit", "--json")
                push = run(env, "sync", "--only", "province", "--json", ok=(0, 3))
                result = SizeResult(permits, firsts, rerun, push)
                if commands:
                    result.commands = measure_commands(env, workdir, credit_subjects)
    return result


def roster_file(workdir: Path, people: int) -> Path:
    """A roster of `people` certified inspectors of the city and of each district the
    simulators place subjects in (a district's matter draws its own staff)."""
    from ssj_bridge.simulation.synthetic import counties_of

    path = workdir / "roster.csv"
    expertise = ["大气;水", "固废;危废", "水;海洋", "大气;噪声"]
    places = [REGION, *counties_of(REGION)]
    lines = ["inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,conflicts"]
    lines += [f"WH-{n:04d},检查员{n},37100120190{n:05d},{ORG},{places[n % len(places)]},"
              f"{expertise[n % 4]},false,true," for n in range(1, people + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure_commands(env: dict[str, str], workdir: Path, credit_subjects: int
                     ) -> dict[str, float]:
    """The other commands on the largest store, then credit at a million records."""
    from ssj_bridge.model import beijing_today
    from ssj_bridge.model.periods import Quarter

    period = Quarter.of(beijing_today()).label
    times: dict[str, float] = {}

    def timed(name: str, *args: str, ok: tuple[int, ...] = (0,)) -> Run:
        done = run(env, *args, ok=ok)
        times[name] = done.wall
        print(f"    {name}: {done.wall:.2f} s", flush=True)
        return done

    timed("inspectors import (400)", "inspectors", "import", str(roster_file(workdir, 400)))
    timed("plan", "plan", "--period", period, "--json")
    timed("draw commit", "draw", "commit", "--period", period, "--matter", "M01", "--json")
    timed("draw run", "draw", "run", "--period", period, "--matter", "M01",
          "--witness", "20261208-4417")
    timed("report compliance", "report", "compliance", "--period", period, "--json")
    timed("report deadlines", "report", "deadlines", "--json")
    exported = timed("export subjects", "export", "subjects")
    some = json.loads(exported.stdout.splitlines()[len(exported.stdout.splitlines()) // 2])
    timed("explain", "explain", some["uscc"], "--json")
    with simulators("credit", credit_subjects) as credit:
        credit_env = {**env, **credit}
        records = run(credit_env, "sync", "--only", "credit", "--json", ok=(0, 3))
        times["sync --only credit"] = records.wall
        fetched = json.loads(records.stdout.splitlines()[-1])["platforms"]["credit"]["fetched"]
        times["credit records"] = float(fetched)
        print(f"    sync --only credit ({fetched:,} records): {records.wall:.2f} s", flush=True)
        recon = run(credit_env, "reconcile", "--platform", "credit", "--json", ok=(0, 3))
        times["reconcile --platform credit"] = recon.wall
        print(f"    reconcile --platform credit: {recon.wall:.2f} s", flush=True)
    # Classification again, now over a million credit records: a quarter nobody classified.
    later = Quarter.of(Quarter.of(beijing_today()).end + timedelta(days=1))
    timed("plan, next quarter (classifies it, 1M credit records)", "plan", "--period",
          later.label, "--json")
    return times


# -- the table -------------------------------------------------------------------------------------

def spread(values: list[float]) -> str:
    """`median (min–max)`."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def verdict(ok: bool) -> str:
    """A target's column."""
    return "met" if ok else "NOT MET"


def report(backend: str, results: list[SizeResult]) -> list[str]:
    """The per-step table of one backend and its targets."""
    small, large = results[0], results[-1]
    steps = list(dict.fromkeys(s for r in results for s in r.first.steps))
    lines = [f"\n## {backend}: `sync --only permit` (SSJ_POLICY=weihai, province configured)\n",
             "| step | " + " | ".join(f"{r.permits:,}: s (µs/permit)" for r in results)
             + f" | {large.permits // 1000}k ÷ {small.permits // 1000}k per permit |",
             "|---" * (len(results) + 2) + "|"]

    def row(name: str, value: Any) -> None:
        cells = []
        for r in results:
            seconds = value(r)
            cells.append(f"{seconds:.2f} ({seconds / r.permits * 1e6:.1f})")
        a, b = value(small) / small.permits, value(large) / large.permits
        ratio = f"{b / a:.2f}" if a > 0 else "—"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")

    for step in steps:
        row(step, lambda r, s=step: r.first.steps.get(s, 0.0))
        row(f"{step}: CPU of the command's process",
            lambda r, s=step: r.first.cpu.get(s, 0.0))
    row("**whole command** (interpreter start included)", lambda r: r.first.wall)
    lines.append("| runs of the whole command, s: median (min–max) | "
                 + " | ".join(spread([x.wall for x in r.firsts]) for r in results) + " | |")
    lines.append("| permits/s (median run) | " + " | ".join(
        f"{r.permits / r.first.wall:,.0f}" for r in results) + " | |")
    lines.append("| peak memory, MB: sync + writer process while streaming; sync after | "
                 + " | ".join(f"{r.first.stream_peak_mb:.0f} + {r.first.writer_peak_mb:.0f}; "
                              f"{r.first.peak_mb:.0f}" for r in results) + " | |")
    lines.append("| unchanged rerun, s (command) | " + " | ".join(
        f"{r.rerun.wall:.2f}" for r in results) + " | |")
    lines.append("| library push (`sync --only province`), s (µs/permit) | " + " | ".join(
        f"{r.push.steps.get('platform province', r.push.wall):.2f} "
        f"({r.push.steps.get('platform province', r.push.wall) / r.permits * 1e6:.1f})"
        for r in results) + " | |")

    rate = large.permits / large.first.wall
    flat = {s: (large.first.steps.get(s, 0.0) / large.permits)
            / max(small.first.steps.get(s, 0.0) / small.permits, 1e-9)
            for s in steps if small.first.steps.get(s, 0.0) >= 0.05}
    # The writer process has exited before the steps after the streams begin: the most held
    # at once is the larger of the two phases.
    peaks = [max(r.first.stream_peak_mb + r.first.writer_peak_mb, r.first.peak_mb)
             for r in results]
    lines.append("")
    if backend == "sqlite":
        lines.append(f"- whole sync ≥ {TARGET_RATE:,.0f} permits/s at {large.permits:,}: "
                     f"{rate:,.0f} — {verdict(rate >= TARGET_RATE)}")
    worst = max(flat.items(), key=lambda kv: kv[1], default=("—", 0.0))
    lines.append(f"- per-record cost flat (≤ {TARGET_FLAT}× for every step of ≥ 0.05 s): worst "
                 f"{worst[0]} {worst[1]:.2f}× — {verdict(worst[1] <= TARGET_FLAT)}")
    lines.append(f"- unchanged rerun < {TARGET_RERUN_S} s: {large.rerun.wall:.2f} s — "
                 f"{verdict(large.rerun.wall < TARGET_RERUN_S)}")
    lines.append(f"- peak memory < {TARGET_PEAK_MB:.0f} MB, flat: "
                 + ", ".join(f"{p:.0f}" for p in peaks)
                 + f" — {verdict(max(peaks) < TARGET_PEAK_MB)}")
    stream = large.first.steps.get("platform permit", 0.0)
    if backend == "postgresql" and stream:
        lines.append(f"- stream into PostgreSQL ≥ {TARGET_PG_STREAM:,.0f} permits/s: "
                     f"{large.permits / stream:,.0f} — "
                     f"{verdict(large.permits / stream >= TARGET_PG_STREAM)}")
    if large.commands:
        lines.append(f"\n### {backend}: other commands at {large.permits:,} permits\n")
        lines.append("| command | s | target |")
        lines.append("|---|---|---|")
        targets = {"plan": TARGET_COMMAND_S, "draw commit": TARGET_COMMAND_S,
                   "report compliance": TARGET_COMMAND_S,
                   "reconcile --platform credit": TARGET_RECONCILE_S}
        for name, value in large.commands.items():
            if name == "credit records":
                continue
            target = targets.get(name)
            mark = f"< {target:.0f} s: {verdict(value < target)}" if target else ""
            lines.append(f"| {name} | {value:.2f} | {mark} |")
        lines.append(f"\n(credit records fetched: {large.commands.get('credit records', 0):,.0f})")
    return lines


def main() -> int:
    """Run every measurement and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,50000,100000,200000",
                        help="permit counts, comma-separated, smallest first")
    parser.add_argument("--repeat", type=int, default=1,
                        help="first syncs per size and backend (the median is shown)")
    parser.add_argument("--postgres", action="store_true",
                        help="also on PostgreSQL (needs SSJ_TEST_POSTGRES_URL)")
    parser.add_argument("--commands", action="store_true",
                        help="the other commands and credit at the largest size")
    parser.add_argument("--credit-subjects", type=int, default=455_000,
                        help="subjects of the credit simulator (2.2 records each: about a "
                             "million records)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the SQLite stores go (default: a temporary directory)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = ["sqlite"]
    if args.postgres:
        if not os.environ.get("SSJ_TEST_POSTGRES_URL"):
            raise SystemExit("--postgres needs SSJ_TEST_POSTGRES_URL")
        backends.append("postgresql")
    with tempfile.TemporaryDirectory(prefix="ssj-cycle-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        lines = [f"cycle benchmark, {os.cpu_count()} cores, load average "
                 f"{os.getloadavg()[0]:.1f} at the start; wall times"]
        for backend in backends:
            results = [measure_size(backend, permits, args.repeat, workdir,
                                    commands=args.commands and permits == sizes[-1],
                                    credit_subjects=args.credit_subjects)
                       for permits in sizes]
            lines += report(backend, results)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
