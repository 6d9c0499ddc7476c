"""What the gd tests share: a clock they move by hand, and runs of the adapter against the
simulator on loopback through the ssj-bridge harness."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ssj_bridge.api.simulation import SimRequest, SimResponse, serve, subjects
from ssj_bridge.api.testing import Harness, Served, WriteSample
from ssj_province_gd.plugin import SPEC
from ssj_province_gd.simulator import Simulator

REGION = "440305"
FAST = {"initial_backoff": 0.005, "max_backoff": 0.02, "deadline": 30, "page_size": 50}


class Clock:
    """Unix time that only moves when told to, or when the client sleeps."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def library(count: int) -> list[WriteSample]:
    """`count` GENERAL library subjects of 南山, as the core queues them."""
    return [WriteSample("subject", s.uscc, {
        "uscc": s.uscc, "name": s.name, "regionCode": s.region_code, "industryCode": "C2614",
        "active": True, "creditLevel": "UNRATED", "riskClass": None, "tags": [],
        "category": "GENERAL", "categories": ["GENERAL"]}) for s in subjects(REGION, count, 5)]


@contextmanager
def harness(tmp_path: Path, simulator: Simulator,
            wrap: Callable[[Callable[[SimRequest], SimResponse]],
                           Callable[[SimRequest], SimResponse]] | None = None,
            **settings: Any) -> Iterator[tuple[Harness, Served]]:
    """A harness of the gd adapter and `simulator` (optionally behind `wrap`) on loopback."""
    runs = Harness(SPEC, tmp_path, REGION, lambda options: simulator, {},
                   {**FAST, **settings})
    running = serve("gd", wrap(simulator) if wrap else simulator)
    try:
        yield runs, Served(simulator, running)
    finally:
        running.stop()
        runs.close()
