"""Helpers of the publicity tests: results recorded the way the store records them, an
exchange simulator on loopback, and the adapter pointed at it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from ssj_bridge.features.results import record_version
from ssj_bridge.model import Result, ResultCode, beijing_now, beijing_today, iso_beijing
from ssj_bridge.outbox.queue import PENDING
from ssj_bridge.platform.adapter import AdapterContext
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.server import RunningSimulator, serve
from ssj_bridge.simulation.synthetic import subjects as synthetic_subjects
from ssj_bridge.store import Store
from ssj_bridge.store.schema import assignments, outbox, publications, subjects, tasks
from ssj_publicity.plugin import PublicityAdapter
from ssj_publicity.simulator.app import PublicitySimulator
from ssj_publicity.sink import PublicationSink

REGION = "371000"
ORG = ("11371000MB0000000E", "威海市生态环境局")
FAST = {"receipt_wait": 2.0, "poll_interval": 0.01, "initial_backoff": 0.01,
        "max_backoff": 0.05, "rate_limit": 200.0, "deadline": 20.0}


@dataclass
class Exchange:
    """A running exchange simulator and the settings that point at it."""

    sim: PublicitySimulator
    running: RunningSimulator

    def section(self, **overrides: Any) -> PlatformSettings:
        fields = {"base_url": self.running.base_url, "token": self.sim.token, **FAST, **overrides}
        return PlatformSettings(**fields)

    def settings(self, store: Store, **overrides: Any) -> Settings:
        return Settings(database_url=str(store.url), region_code=REGION, org_code=ORG[0],
                        org_name=ORG[1], publicity=self.section(**overrides))

    def sink(self, **overrides: Any) -> PublicationSink:
        context = AdapterContext(platform="publicity", section=self.section(**overrides),
                                 region_code=REGION, org_code=ORG[0], org_name=ORG[1])
        [sink] = PublicityAdapter(context).sinks()
        return sink


@contextmanager
def exchange(**options: Any) -> Iterator[Exchange]:
    """An exchange simulator on a free loopback port (no rate limit unless asked)."""
    sim = PublicitySimulator(**{"rate_limit": 0.0, **options})
    running = serve("publicity", sim)
    try:
        yield Exchange(sim, running)
    finally:
        running.stop()


def people(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(USCC, name) of `count` synthetic subjects with valid check characters."""
    return [(s.uscc, s.name) for s in synthetic_subjects(REGION, count, seed)]


def add_subjects(store: Store, who: Sequence[tuple[str, str]]) -> None:
    """Subjects as the permit sync derives them (only what publications read)."""
    now = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        conn.execute(subjects.insert(), [
            {"uscc": uscc, "name": name, "region_code": "371002", "industry_code": None,
             "management_class": "重点管理", "key_discharge_unit": False, "active": True,
             "permit_count": 1, "updated_at": now} for uscc, name in who])


def add_task(store: Store, task_id: str, usccs: Sequence[str], *, period: str = "2025Q2",
             status: str = "检查中") -> None:
    """A locally drawn task with one assignment per subject."""
    with store.engine.begin() as conn:
        conn.execute(tasks.insert().values(
            task_id=task_id, name=f"{task_id} 双随机抽查", region_code=REGION, matter_code="M01",
            drawn_by=ORG[0], draw_mode="不定向", period=period, status=status, origin="local"))
        conn.execute(assignments.insert(), [
            {"task_id": task_id, "uscc": uscc, "inspector_ids": "I1;I2", "mode": "现场",
             "status": "待检查"} for uscc in usccs])


def record(store: Store, task_id: str, uscc: str, inspected_on: date,
           code: ResultCode = ResultCode.NO_PROBLEM, version: int = 1) -> Result:
    """Record a result (or a new version) as the store does, subscribers included."""
    result = Result(task_id=task_id, uscc=uscc, result_code=code, inspected_on=inspected_on,
                    inspector_ids=["I1", "I2"])
    with store.engine.begin() as conn:
        record_version(conn, result, version, result_id=None, origin="local")
    return result


def inspected_task(store: Store, task_id: str, who: Sequence[tuple[str, str]], *,
                   days_ago: int = 3, period: str | None = None) -> date:
    """A task whose every subject was inspected `days_ago` days ago; returns that day."""
    day = beijing_today() - timedelta(days=days_ago)
    add_task(store, task_id, [u for u, _ in who],
             period=period or f"{day.year}Q{(day.month - 1) // 3 + 1}")
    for uscc, _ in who:
        record(store, task_id, uscc, day)
    return day


def publication_rows(store: Store) -> dict[str, dict[str, Any]]:
    """Rows of `publications` by USCC."""
    with store.engine.connect() as conn:
        return {row.uscc: dict(row._mapping) for row in conn.execute(select(publications))}


def pending_items(store: Store) -> int:
    """Outbox items of publications still pending."""
    with store.engine.connect() as conn:
        return len(conn.execute(select(outbox.c.id).where(
            outbox.c.platform == "publicity", outbox.c.status == PENDING)).all())
