"""Registers the publicity adapter and its simulator through the public hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ssj_bridge.api import AdapterContext, AdapterSpec, ConfigurationError, Listing, Stream, hookimpl
from ssj_publicity import PLATFORM
from ssj_publicity.client import PublicityClient
from ssj_publicity.config import PublicityConfig
from ssj_publicity.listing import PublicationListing
from ssj_publicity.sink import PublicationSink

VERSION = "1.0.0"


class PublicityAdapter:
    """The exchange for one run: nothing to read, publications to send."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = context.config(PublicityConfig)
        self.client = PublicityClient(self.config)

    def streams(self) -> list[Stream]:
        """The exchange feeds nothing into the store."""
        return []

    def sinks(self) -> list[PublicationSink]:
        """Publications, sent as the deployment's authority (SSJ_ORG_CODE, SSJ_ORG_NAME)."""
        return [PublicationSink(self.client, self.config,
                                region_code=self.context.region_code,
                                org_code=_required(self.context.org_code, "SSJ_ORG_CODE",
                                                   "the sender's USCC (FSJG)"),
                                org_name=_required(self.context.org_name, "SSJ_ORG_NAME",
                                                   "the inspecting authority (JCSSJG)"))]

    def listings(self) -> list[Listing]:
        """What the authority has made public, for reconciliation."""
        return [PublicationListing(self.client, self.config,
                                   _required(self.context.org_code, "SSJ_ORG_CODE",
                                             "the sender's USCC (FSJG)"))]

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _required(value: str | None, setting: str, what: str) -> str:
    if not value or not value.strip():
        raise ConfigurationError(f"{PLATFORM}: {setting} is not set: the exchange needs {what}",
                                 setting)
    return value.strip()


def _simulator(options: Mapping[str, Any]) -> Any:
    from ssj_publicity.simulator.app import PublicitySimulator

    return PublicitySimulator.from_options(options)


@hookimpl
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """The enterprise credit publicity system's data exchange (docs/platforms/publicity.md)."""
    register(AdapterSpec(
        name=PLATFORM, role="publicity", factory=PublicityAdapter, version=VERSION,
        description="enterprise credit publicity system, data exchange v1",
        simulator=_simulator))
