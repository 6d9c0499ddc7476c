"""What the draw tests share: a small policy, and a store filled directly with subjects,
classifications and a roster (no sync needed)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, delete, update

from ssj_bridge.model import Category
from ssj_bridge.model.periods import Per, Quarter
from ssj_bridge.policy.classify import ActivePolicy
from ssj_bridge.policy.rules import (
    CheckLimit,
    DrawExclusion,
    GroupSize,
    Matter,
    Obligation,
    ObligationKind,
    PastResult,
    PolicySpec,
    RuleBook,
    percent,
)
from ssj_bridge.simulation.synthetic import make_uscc
from ssj_bridge.store import Store
from ssj_bridge.store.schema import classifications, inspectors, results, subjects, tasks

REGION = "371000"
ORG = "11371000MB0000000E"
PERIOD = "2026Q2"
QUARTER = Quarter.parse(PERIOD)
TODAY = date(2026, 4, 15)
POLICY_NAME = "test-policy"
K, G, X = Category.KEY, Category.GENERAL, Category.SPECIAL


def _clean_this_year(found: Sequence[PastResult], quarter: Quarter, _org: str | None) -> bool:
    this_year = [r for r in found if r.inspected_on.year == quarter.year]
    return bool(this_year) and all(r.result_code == "01" for r in this_year)


def small_policy(*, group: int = 2) -> ActivePolicy:
    """KEY 25 % a quarter, GENERAL 10 % a quarter, SPECIAL all every half-year; groups of
    `group`; at most 2 checks a year except SPECIAL; inspected clean this year: no candidate."""
    book = RuleBook(
        name=POLICY_NAME, locality="测试市", precedence=(X, K, G), rules=(),
        obligation_list=(
            Obligation(K, Per.QUARTER, ObligationKind.RATIO, percent("25"), "KEY 25%", "一"),
            Obligation(G, Per.QUARTER, ObligationKind.RATIO, percent("10"), "GENERAL 10%", "二"),
            Obligation(X, Per.HALF_YEAR, ObligationKind.FULL_COVERAGE, percent("100"),
                       "SPECIAL all", "三"),
        ),
        check_limit=CheckLimit(2, frozenset({X}), "四"),
        group_size=GroupSize(group, "五"),
        matters=(Matter("M01", "污染源日常环境监督管理", "六", optional=False),
                 Matter("M02", "核与辐射安全日常环境监督管理", "六")),
        draw_exclusions=(DrawExclusion("clean", "inspected clean this year", "七",
                                       _clean_this_year, exempt=frozenset({X})),),
    )
    return ActivePolicy(POLICY_NAME, PolicySpec(POLICY_NAME, "测试市", lambda: book), book)


def usccs(count: int, seed: int = 7) -> list[str]:
    """`count` distinct valid USCCs of the region, sorted."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        found.add(make_uscc(rng, "371002"))
    return sorted(found)


@dataclass(frozen=True)
class Person:
    """One roster row."""

    inspector_id: str
    name: str
    cert_no: str | None = "C"
    expertise: tuple[str, ...] = ("大气",)
    auxiliary: bool = False
    active: bool = True
    conflicts: tuple[str, ...] = ()


def roster(count: int, certified: int | None = None,
           expertise: Sequence[tuple[str, ...]] = (("大气",), ("水",), ("辐射", "监测"))) -> list[Person]:
    """`count` people, the first `certified` holding a certNo, expertise in turn."""
    certified = count if certified is None else certified
    surnames = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗"
    return [Person(f"WH-{i:03d}", surnames[i % len(surnames)] + "某人",
                   f"3710{i:08d}" if i < certified else None, tuple(expertise[i % len(expertise)]))
            for i in range(count)]


def fill(store: Store, categories: dict[Category, list[str]], people: Sequence[Person],
         policy: str = POLICY_NAME, period: str = PERIOD) -> None:
    """Subjects (active, in the region), their classification for PERIOD, and the roster."""
    now = "2026-04-01T09:00:00+08:00"
    with store.engine.begin() as conn:
        for category, codes in categories.items():
            for index, code in enumerate(codes):
                conn.execute(subjects.insert().values(
                    uscc=code, name=f"威海市华泰{index}化工有限公司", region_code="371002",
                    key_discharge_unit=False, active=True, permit_count=1, updated_at=now))
                conn.execute(classifications.insert().values(
                    uscc=code, period=period, policy=policy, category=category.value,
                    categories=category.value, reasons="[]", classified_at=now))
        put_roster(conn, people)


def fill_small(store: Store) -> dict[Category, list[str]]:
    """The small policy's world: 20 KEY, 30 GENERAL, 10 SPECIAL; 10 people, 7 certified."""
    codes = usccs(60)
    categories = {K: codes[:20], G: codes[20:50], X: codes[50:]}
    fill(store, categories, roster(10, certified=7))
    return categories


def put_roster(conn: Connection, people: Sequence[Person]) -> None:
    """Replace the roster."""
    conn.execute(delete(inspectors))
    for p in people:
        conn.execute(inspectors.insert().values(
            inspector_id=p.inspector_id, name=p.name, cert_no=p.cert_no, org_code=ORG,
            region_code=REGION, expertise=";".join(p.expertise), auxiliary=p.auxiliary,
            active=p.active, conflicts=";".join(p.conflicts), updated_at=now_text()))


def now_text() -> str:
    """A fixed time for rows written by tests."""
    return "2026-04-01T09:00:00+08:00"


def declare_conflict(store: Store, inspector_id: str, uscc: str) -> None:
    """The data manager records a conflict on the roster after the fact."""
    with store.engine.begin() as conn:
        row = conn.execute(inspectors.select().where(inspectors.c.inspector_id == inspector_id)).one()
        conflicts = [c for c in row.conflicts.split(";") if c] + [uscc]
        conn.execute(update(inspectors).where(inspectors.c.inspector_id == inspector_id)
                     .values(conflicts=";".join(conflicts)))


def record_result(store: Store, task_id: str, uscc: str, on: date, code: str = "01") -> None:
    """A recorded result (as if synced from the platform)."""
    with store.engine.begin() as conn:
        conn.execute(results.insert().values(
            task_id=task_id, uscc=uscc, version=1, result_code=code, inspected_on=on,
            inspector_ids="", findings="", origin="platform", recorded_at=now_text()))


def complete(store: Store, task_id: str) -> None:
    """Mark a task complete."""
    with store.engine.begin() as conn:
        conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(status="已完成"))
