"""A store with a known quarter (2025Q2 under weihai) for the compliance report's tests.

Subjects (region 371002), 2 certified inspectors:
- KEY (4): k0 inspected 04-10 in its own task; k1 assigned in an open task of Q2; k2 drawn by
  the province (a platform task) and inspected 05-20; k3 inspected in Q1 only.
- SIMPLIFIED (3): none drawn, none inspected.
- GENERAL (5): g0 inspected 05-05, g1 inspected 06-10.
- SPECIAL (1, 矿井): inspected 03-01 (Q1, inside the half-year).

Publications: k0 published the next working day; k2 published 07-25 (late); g0 pending and
overdue; g1 never queued (no row); k3 (Q1) pending and overdue.
Breaks: two open (a field mismatch of permit P-A, a permit missing in the store), one resolved;
three reconciliation runs, the last with the credit platform failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import orjson
from policy_world import HIGHER_ORG, World, active_policy

from ssj_bridge.features.deadlines import DeadlineRules
from ssj_bridge.model.periods import Quarter
from ssj_bridge.policy.classify import ActivePolicy, classify_period
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, breaks, publications, recon_runs, results, tasks

Q2 = Quarter(2025, 2)
TODAY = date(2025, 8, 1)
NOW = "2025-08-01T09:00:00+08:00"
REGION = "371000"
HOSTILE_NAME = "<script>alert(1)</script>有限公司"


@dataclass
class Quarter2:
    """The USCCs of the built store, by role."""

    keys: list[str]
    simplified: list[str]
    general: list[str]
    special: str
    active: ActivePolicy
    rules: DeadlineRules


def build(store: Store) -> Quarter2:
    """Fill `store` as the module docstring says and classify 2025Q2 under weihai."""
    w = World(store, "371002")
    keys = w.subjects(4, "重点管理")
    simplified = w.subjects(3, "简化管理")
    general = [w.subject("登记管理", name=HOSTILE_NAME), *w.subjects(4, "登记管理")]
    special = w.subject("登记管理")
    w.tag(special, "矿井")
    w.inspectors(2)
    w.result(keys[0], date(2025, 4, 10))
    w.assigned(keys[1], Q2)
    w.result(keys[3], date(2025, 2, 10))
    w.result(general[0], date(2025, 5, 5))
    w.result(general[1], date(2025, 6, 10))
    w.result(special, date(2025, 3, 1))
    with store.engine.begin() as conn:
        conn.execute(tasks.insert().values(
            task_id="PROV-1", name="省级双随机抽查", region_code="371002", matter_code="M01",
            drawn_by=HIGHER_ORG, draw_mode="不定向", period=Q2.label, status="已完成",
            origin="platform"))
        conn.execute(assignments.insert().values(task_id="PROV-1", uscc=keys[2],
                                                 inspector_ids="P1;P2", mode="现场",
                                                 status="已检查"))
        conn.execute(results.insert().values(
            task_id="PROV-1", uscc=keys[2], version=1, result_code="01",
            inspected_on=date(2025, 5, 20), inspector_ids="P1;P2", findings="",
            origin="platform", recorded_at=NOW))
        task_of = {row.uscc: row.task_id for row in conn.execute(
            results.select().where(results.c.origin == "local"))}
        rows = [
            (task_of[keys[0]], keys[0], date(2025, 4, 10), "published", date(2025, 4, 11)),
            ("PROV-1", keys[2], date(2025, 5, 20), "published", date(2025, 7, 25)),
            (task_of[general[0]], general[0], date(2025, 5, 5), "pending", None),
            (task_of[keys[3]], keys[3], date(2025, 2, 10), "pending", None),
        ]
        conn.execute(publications.insert(), [
            {"task_id": t, "uscc": u, "inspected_on": on, "result_code": "01", "status": status,
             "due_provisional": False, "published_on": published, "updated_at": NOW}
            for t, u, on, status, published in rows])
    add_breaks(store)
    active = active_policy("weihai")
    classify_period(store, active, Q2, region=REGION, day=Q2.end)
    return Quarter2(keys, simplified, general, special, active, DeadlineRules.default())


def summary(**kinds: int) -> dict[str, object]:
    """One platform's reconciled summary with the given break counts for entity `permit`."""
    counts = {"matched": 50, "missing_on_platform": 0, "missing_in_store": 0,
              "field_mismatch": 0, "stale": 0, "duplicate_key": 0, **kinds}
    return {"status": "reconciled", "error": None, "permit": counts}


def add_breaks(store: Store) -> None:
    """Two open breaks, one resolved, and three runs of history."""
    with store.engine.begin() as conn:
        conn.execute(breaks.insert(), [
            {"platform": "permit", "entity": "permit", "key": "P-A", "kind": "field_mismatch",
             "fields": orjson.dumps({"validTo": {"store": "2026-01-01", "platform": "2026-02-01"},
                                     "orgName": {"store": "甲公司",
                                                 "platform": '=HYPERLINK("x")'}}).decode(),
             "first_seen": "2025-07-30T09:00:00+08:00", "last_seen": NOW, "runs_open": 3,
             "resolved_at": None, "last_run_id": 3, "repaired_at": None},
            {"platform": "permit", "entity": "permit", "key": "P-B", "kind": "missing_in_store",
             "fields": None, "first_seen": NOW, "last_seen": NOW, "runs_open": 1,
             "resolved_at": None, "last_run_id": 3, "repaired_at": None},
            {"platform": "permit", "entity": "permit", "key": "P-C", "kind": "missing_on_platform",
             "fields": None, "first_seen": "2025-07-30T09:00:00+08:00",
             "last_seen": "2025-07-31T09:00:00+08:00", "runs_open": 2,
             "resolved_at": NOW, "last_run_id": 3, "repaired_at": "2025-07-31T10:00:00+08:00"},
        ])
        conn.execute(recon_runs.insert(), [
            {"run_at": "2025-07-30T09:00:00+08:00",
             "summary": orjson.dumps({"permit": summary(field_mismatch=1,
                                                        missing_on_platform=1)}).decode()},
            {"run_at": "2025-07-31T09:00:00+08:00",
             "summary": orjson.dumps({"permit": summary(field_mismatch=1,
                                                        missing_on_platform=1)}).decode()},
            {"run_at": NOW, "summary": orjson.dumps({
                "permit": summary(field_mismatch=1, missing_in_store=1),
                "credit": {"status": "failed", "error": "credit service unavailable"}}).decode()},
            {"run_at": "2025-08-01T09:30:00+08:00", "summary": None},  # still running
        ])
