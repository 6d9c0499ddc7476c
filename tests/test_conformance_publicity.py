"""The publicity adapter passes the adapter conformance suite against its simulator."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ssj_bridge.api.simulation import SimulatorControls
from ssj_bridge.api.testing import WriteSample, WriteSamples
from ssj_bridge.features.publications import ENTITY, publication_key, publication_payload
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.simulation.server import SimRequest, SimResponse
from ssj_bridge.simulation.synthetic import subjects
from ssj_bridge.testing.conformance import ConformanceSuite, ConformanceTarget, ErrorModel
from ssj_publicity.simulator.app import XML, PublicitySimulator

# publicity.md's codes: document and record errors, and the ones beside its HTTP statuses.
CODES = ("E101", "E102", "E103", "E104", "E105", "E106", "E109", "E429", "E503")


def coded_answer(code: str) -> SimResponse:
    """The exchange's refusal of a document carrying `code` (HTTP 400, an ERROR document)."""
    return SimResponse(400, f"<ERROR><CODE>{code}</CODE><MSG>?</MSG></ERROR>".encode(), XML)

REGION = "371000"
INSPECTED = date(2025, 6, 3)


def publication(task_id: str, uscc: str, name: str, code: str) -> WriteSample:
    """A publication as the core queues it when a result is recorded."""
    return WriteSample(ENTITY, publication_key(task_id, uscc, INSPECTED),
                       publication_payload(task_id, uscc, name, INSPECTED, code))


def batch_number(request: SimRequest) -> str | None:
    """A submitted batch's number (PCH): the exchange takes a repeated number as a repeat."""
    if request.method != "POST" or not request.path.endswith("/batches"):
        return None
    found = re.search(rb'PCH="([^"]+)"', request.body)
    return found.group(1).decode() if found else None


def write_samples(simulator: SimulatorControls) -> WriteSamples:
    """Three results to publish; one of an enterprise the exchange has no registration of."""
    local = list(subjects(REGION, 4, 31))
    good = [publication(f"{REGION}-2025Q2-0001", s.uscc, s.name, code)
            for s, code in zip(local[:3], ("01", "02", "03"), strict=True)]
    unknown = local[3]
    assert isinstance(simulator, PublicitySimulator)
    simulator.unregister(unknown.uscc)
    bad = [publication(f"{REGION}-2025Q2-0001", unknown.uscc, unknown.name, "01")]
    return WriteSamples(good=good, bad=bad)


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """The publicity adapter as installed, against the simulated exchange."""
    no_reads = "the exchange is written to only: sync reads nothing from it"
    return ConformanceTarget(
        spec=load_plugins().adapters["publicity"],
        region_code=REGION,
        options={"rate_limit": 0, "processing_polls": 1},
        settings={"rate_limit": 1000, "deadline": 30, "max_retry_after": 5,
                  "initial_backoff": 0.005, "max_backoff": 0.02, "receipt_wait": 10,
                  "poll_interval": 0.05},
        capabilities={"reads": False, "live_updates": False, "incremental": False,
                      "bad_records": False, "platform_contract": False, "reauth": False,
                      "signing": False},
        reasons={"reads": no_reads, "live_updates": no_reads, "incremental": no_reads,
                 "bad_records": no_reads, "platform_contract": no_reads,
                 "reauth": "X-Exchange-Token is not a session: there is nothing to end",
                 "signing": "publicity.md sends a token; nothing is signed"},
        writes=write_samples,
        write_key=batch_number,
        errors=ErrorModel(CODES, coded_answer),
    )


class TestPublicityConformance(ConformanceSuite):
    """Every conformance check, on the publicity adapter."""
