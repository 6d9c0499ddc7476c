"""What a platform simulator may import: requests and answers, synthetic subjects, faults.

A simulator answers real HTTP on 127.0.0.1 (`serve`), as its platform does, and offers the
controls the conformance suite steers it with (`SimulatorControls`); `ForcedFaults` keeps the
bookkeeping of the faults a check forces, so a simulator only words each one its platform's way.
"""

from ssj_bridge.simulation.launch import SimulatorSet, start_simulators
from ssj_bridge.simulation.server import RunningSimulator, SimRequest, SimResponse, over_limit, serve
from ssj_bridge.simulation.synthetic import SyntheticSubject, subjects
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
from ssj_bridge.testing.faults import (
    ENVELOPE_CODES,
    envelope,
    envelope_answer,
    forced_answer,
    random_fault,
)

__all__ = [
    "ENVELOPE_CODES", "FAULT_KINDS", "PERMANENT", "RATE_LIMIT", "STALE_SIGNATURE", "TRANSIENT",
    "ForcedFault", "ForcedFaults", "RunningSimulator", "SimRequest", "SimResponse",
    "SimulatorControls", "SimulatorSet", "SyntheticSubject", "envelope", "envelope_answer",
    "forced_answer", "over_limit", "random_fault", "serve", "start_simulators", "subjects",
]
