"""Registers the permit adapter and its simulator through the public hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ssj_bridge.api import AdapterContext, AdapterSpec, Listing, Stream, hookimpl
from ssj_permit import PLATFORM
from ssj_permit.client import PermitClient
from ssj_permit.config import PermitConfig
from ssj_permit.listing import PermitListing
from ssj_permit.stream import PermitStream, QuarantineRetryStream

VERSION = "1.0.0"


class PermitAdapter:
    """The permit platform for one run: the permits stream and the allow-list re-reads."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = context.config(PermitConfig)
        self.client = PermitClient(self.config)

    def streams(self) -> list[Stream]:
        """Re-read allowed quarantined permits first, then the incremental listing."""
        retry = [key for key in self.context.quarantined_keys
                 if not key.startswith("?") and key[:18] in self.context.allowed_usccs]
        streams: list[Stream] = [PermitStream(self.client, self.config, self.context)]
        if retry:
            streams.insert(0, QuarantineRetryStream(self.client, self.context, retry))
        return streams

    def listings(self) -> list[Listing]:
        """The full permit listing, for reconciliation."""
        return [PermitListing(PermitStream(self.client, self.config, self.context))]

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _simulator(options: Mapping[str, Any]) -> Any:
    from ssj_permit.simulator.app import PermitSimulator

    return PermitSimulator.from_options(options)


@hookimpl
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """The national permit platform adapter (docs/platforms/permit.md)."""
    register(AdapterSpec(
        name=PLATFORM, role="permit", factory=PermitAdapter, version=VERSION,
        description="national pollutant-discharge permit platform, data service v1",
        simulator=_simulator))
