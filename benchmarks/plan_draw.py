"""Benchmark of planning and drawing a city per district: `plan`, `draw commit` and
`report compliance` of 威海's M01 at a city (371000) drawing for its four districts, and the
year's documents: `plan --year` (the annual plan and its A4 HTML and XLSX), `report ledger` and
`report statistics` (HTML and XLSX).

    .venv/bin/python benchmarks/plan_draw.py [--subjects 200000] [--small 20000] [--repeat N]

A fresh SQLite store per size is filled directly (subjects in 371002..371005, their 2025Q2
classification, a year of results for a tenth of them, a roster of district and city staff),
then each command's function runs as the command runs it, in this process, each measured
`--repeat` times. Printed per size: wall and CPU seconds, and microseconds per subject (the cost
per record at two sizes shows whether it grows with the city).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import insert

from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.features.annual import annual_plan
from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.model.periods import Quarter
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.plan import make_plan
from ssj_bridge.report.annual_plan import plan_document
from ssj_bridge.report.compliance import compliance_report
from ssj_bridge.report.document import write_document
from ssj_bridge.report.statutory_docs import Context, produce
from ssj_bridge.store import Store
from ssj_bridge.store.schema import (
    assignments,
    classifications,
    inspectors,
    results,
    subjects,
    tasks,
)

REGION = "371000"
DISTRICTS = ("371002", "371003", "371004", "371005")
Q2 = Quarter(2025, 2)
NOW = "2025-04-10T09:00:00+08:00"
ORG = "11371000MB0000000E"
CATEGORIES = (("KEY", "重点管理", 0.1), ("SIMPLIFIED", "简化管理", 0.25), ("GENERAL", "登记管理", 0.6),
              ("SPECIAL", "登记管理", 0.05))


def _category(pick: float) -> tuple[str, str]:
    total = 0.0
    for category, klass, share in CATEGORIES:
        total += share
        if pick <= total:
            return category, klass
    return CATEGORIES[-1][0], CATEGORIES[-1][1]


def fill(store: Store, size: int) -> None:
    """`size` subjects over the four districts, classified for 2025Q2; results of a tenth."""
    rng = random.Random(size)
    subject_rows, class_rows, task_rows, assignment_rows, result_rows = [], [], [], [], []
    for number in range(size):
        district = DISTRICTS[number % len(DISTRICTS)]
        body = f"91{district}{number:09d}"
        uscc = body + uscc_check_character(body)
        category, klass = _category(rng.random())
        subject_rows.append({"uscc": uscc, "name": f"单位{number}", "region_code": district,
                             "management_class": klass, "key_discharge_unit": False,
                             "active": True, "permit_count": 1, "updated_at": NOW})
        class_rows.append({"uscc": uscc, "period": Q2.label, "policy": "weihai",
                           "category": category, "categories": category, "reasons": "[]",
                           "classified_at": NOW})
        if number % 10 == 0:
            task_id = f"T{number // 1000:05d}"
            if number % 1000 == 0:
                task_rows.append({"task_id": task_id, "name": "抽查", "region_code": district,
                                  "matter_code": "M01", "drawn_by": ORG, "draw_mode": "不定向",
                                  "period": "2025Q1", "status": "已完成", "origin": "local"})
            assignment_rows.append({"task_id": task_id, "uscc": uscc, "inspector_ids": "P1;P2",
                                    "mode": "现场", "status": "已检查"})
            result_rows.append({"task_id": task_id, "uscc": uscc, "version": 1,
                                "result_code": "01" if number % 20 else "02",
                                "inspected_on": date(2025, 2, 10), "inspector_ids": "P1;P2",
                                "findings": "", "origin": "local", "recorded_at": NOW})
    people = [{"inspector_id": f"P{n:03d}", "name": f"检查员{n}", "cert_no": f"C{n}",
               "org_code": ORG, "region_code": (REGION, *DISTRICTS)[n % 5], "expertise": "大气",
               "auxiliary": False, "active": True, "conflicts": "", "updated_at": NOW}
              for n in range(40)]
    with store.engine.begin() as conn:
        for table, rows in ((subjects, subject_rows), (classifications, class_rows),
                            (tasks, task_rows), (assignments, assignment_rows),
                            (results, result_rows), (inspectors, people)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])


def measure(name: str, size: int, repeat: int, run: object) -> None:
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        run()  # type: ignore[operator]
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    best = min(walls)
    print(f"{name:<20} {size:>8} subjects  wall {best:7.2f} s (spread {min(walls):.2f}–"
          f"{max(walls):.2f})  cpu {min(cpus):7.2f} s  {best / size * 1e6:7.1f} µs/subject",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = load_plugins().policy("weihai")
    active = ActivePolicy("weihai", spec, spec.factory())
    for size in (args.small, args.subjects):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            store.migrate()
            fill(store, size)
            measure("plan", size, args.repeat,
                    lambda store=store: make_plan(store, active, Q2, region=REGION))
            measure("report compliance", size, args.repeat,
                    lambda store=store: compliance_report(
                        store, active, Q2, DeadlineRules.default(), today=date(2025, 5, 20),
                        region=REGION))
            commits = iter(range(args.repeat))
            measure("draw commit", size, args.repeat,
                    lambda store=store, commits=commits: commit_draws(
                        store, active, region_code=REGION, quarter=Q2, matter_code="M01",
                        own_org=ORG, replace=next(commits) > 0, reason="measured again"))
            rules = DeadlineRules.default()
            measure("plan --year", size, args.repeat,
                    lambda store=store, tmp=tmp, rules=rules: write_document(plan_document(annual_plan(
                        store, active, 2026, rules, today=date(2025, 5, 20), region=REGION)),
                        html=Path(tmp) / "plan.html", xlsx=Path(tmp) / "plan.xlsx"))
            context = Context(store, active, rules, date(2025, 5, 20), REGION, "威海市生态环境局",
                              ORG)
            for kind, period in (("ledger", "2025Q1"), ("statistics", "2025Q2")):
                measure(f"report {kind}", size, args.repeat,
                        lambda context=context, kind=kind, period=period, tmp=tmp: produce(
                            context, kind, period, directory=Path(tmp)))
            store.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
