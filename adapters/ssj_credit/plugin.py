"""Registers the credit adapter and its simulator through the public hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ssj_bridge.api import AdapterContext, AdapterSpec, Listing, Stream, hookimpl
from ssj_credit import PLATFORM
from ssj_credit.client import CreditClient
from ssj_credit.config import CreditConfig
from ssj_credit.listing import listings
from ssj_credit.stream import EvaluationStream, RiskClassStream

VERSION = "1.0.0"


class CreditAdapter:
    """The credit service for one run: the evaluations and the risk-classes streams."""

    def __init__(self, context: AdapterContext) -> None:
        self.context = context
        self.config = context.config(CreditConfig)
        self.client = CreditClient(self.config)

    def streams(self) -> list[Stream]:
        """Both feeds, read whole each run."""
        return [EvaluationStream(self.client, self.config, self.context),
                RiskClassStream(self.client, self.config, self.context)]

    def listings(self) -> list[Listing]:
        """Both feeds as the service holds them, for reconciliation."""
        return listings(self.client, self.config, self.context)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _simulator(options: Mapping[str, Any]) -> Any:
    from ssj_credit.simulator.app import CreditSimulator

    return CreditSimulator.from_options(options)


@hookimpl
def register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """The credit systems adapter (docs/platforms/credit.md)."""
    register(AdapterSpec(
        name=PLATFORM, role="credit", factory=CreditAdapter, version=VERSION,
        description="environmental credit evaluations and enterprise credit risk classes, "
                    "data service v2",
        simulator=_simulator))
