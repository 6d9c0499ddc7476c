"""Test helpers shipped with ssj-bridge: the adapter conformance suite and simulator controls.

Adapter packages use them in their own tests (`pytest_plugins =
["ssj_bridge.testing.conformance"]`); they need pytest, and jsonschema for the contract check.
"""

from ssj_bridge.testing.controls import (
    FAULT_KINDS,
    PERMANENT,
    RATE_LIMIT,
    STALE_SIGNATURE,
    TRANSIENT,
    ForcedFault,
    ForcedFaults,
    SimulatorControls,
)
from ssj_bridge.testing.harness import Harness, SyncRun, WriteSample, WriteSamples

__all__ = [
    "FAULT_KINDS",
    "PERMANENT",
    "RATE_LIMIT",
    "STALE_SIGNATURE",
    "TRANSIENT",
    "ForcedFault",
    "ForcedFaults",
    "Harness",
    "SimulatorControls",
    "SyncRun",
    "WriteSample",
    "WriteSamples",
]
