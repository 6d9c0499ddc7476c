"""Registers the gd adapter and its simulator through the public hook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ssj_bridge.api import AdapterContext, AdapterSpec, Sink, Stream, hookimpl
from ssj_province_gd import PLATFORM, ROLE
from ssj_province_gd.client import Client
from ssj_province_gd.config import Config
from ssj_province_gd.sinks import InspectorSink, SubjectSink, TaskSink
from ssj_province_gd.streams import TaskNumbers, result_stream, task_stream

VERSION = "0.1.0"


class Adapter:
    """The Guangdong-style platform for one run: writes first, then tasks and results."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = context.config(Config)
        self.client = Client(self.config, context.platform)
        self.numbers = TaskNumbers(self.client)

    def sinks(self) -> list[Sink]:
        """Subjects and inspectors before the tasks that name them."""
        return [SubjectSink(self.client), InspectorSink(self.client), TaskSink(self.client)]

    def streams(self) -> list[Stream]:
        """Tasks (a higher level's included), then their results."""
        return [task_stream(self.client, self.config, self.context, self.numbers),
                result_stream(self.client, self.config, self.context, self.numbers)]

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _simulator(options: Mapping[str, Any]) -> Any:
    from ssj_province_gd.simulator import Simulator

    return Simulator.from_options(options)


SPEC = AdapterSpec(name=PLATFORM, role=ROLE, factory=Adapter, version=VERSION,
                   description="provincial double-random platform, Guangdong-style profile v2",
                   simulator=_simulator)


@hookimpl
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """The Guangdong-style provincial platform (docs/platforms/province-gd.md)."""
    register(SPEC)
