"""Registers the reference province adapter and its simulator through the public hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ssj_bridge.api import AdapterContext, AdapterSpec, Listing, Sink, Stream, hookimpl
from ssj_province import PLATFORM
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.listing import listings
from ssj_province.mapping import inspector_to_platform, subject_to_platform
from ssj_province.sinks import CorrectionSink, LibrarySink, ResultSink, TaskSink
from ssj_province.streams import result_stream, task_stream

VERSION = "1.0.0"


class ProvinceAdapter:
    """The provincial platform for one run: writes first (libraries, tasks, results,
    corrections), then the task and result listings."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = context.config(ProvinceConfig)
        self.client = ProvinceClient(self.config)

    def sinks(self) -> list[Sink]:
        """In the order the platform needs them: the people and subjects a task names first."""
        batch = self.config.library_batch
        return [
            LibrarySink(self.client, "subject", "subjects", "uscc", subject_to_platform, batch),
            LibrarySink(self.client, "inspector", "inspectors", "inspectorId",
                        inspector_to_platform, batch),
            TaskSink(self.client),
            ResultSink(self.client),
            CorrectionSink(self.client, self.context.region_code),
        ]

    def streams(self) -> list[Stream]:
        """Tasks (a higher level's included), then their results."""
        return [task_stream(self.client, self.config, self.context),
                result_stream(self.client, self.config, self.context)]

    def listings(self) -> list[Listing]:
        """The libraries, tasks and results as the platform holds them, for reconciliation."""
        return listings(self.client, self.config, self.context)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _simulator(options: Mapping[str, Any]) -> Any:
    from ssj_province.simulator.app import ProvinceSimulator

    return ProvinceSimulator.from_options(options)


@hookimpl
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """The provincial double-random platform, reference profile (docs/platforms/province.md)."""
    register(AdapterSpec(
        name="reference", role=PLATFORM, factory=ProvinceAdapter, version=VERSION,
        description="provincial double-random platform, reference profile v1",
        simulator=_simulator, simulator_options={"auto_results": True}))
