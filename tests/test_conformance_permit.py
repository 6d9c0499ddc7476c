"""The permit adapter passes the adapter conformance suite against its simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.testing.conformance import (
    SHORT_PAGE,
    ConformanceSuite,
    ConformanceTarget,
    ErrorModel,
    PagingModel,
)
from ssj_bridge.testing.faults import ENVELOPE_CODES, envelope_answer

ROOT = Path(__file__).resolve().parents[1]


def permit_target() -> ConformanceTarget:
    """The permit adapter as installed, against a small simulated region."""
    return ConformanceTarget(
        spec=load_plugins().adapters["permit"],
        region_code="371000",
        options={"subjects": 40, "rate_limit": 0},
        bad_record_options={"malformed_rate": 0.15},
        # The small dataset's records span two minutes, inside the default five-minute
        # overlap a run reads again: without it a second run reads only the cursor's instant.
        settings={"page_size": 10, "initial_backoff": 0.005, "max_backoff": 0.02,
                  "deadline": 30, "max_retry_after": 5, "rate_limit": 1000,
                  "overlap_seconds": 0},
        capabilities={"signing": False, "writes": False, "write_rejects": False},
        reasons={"signing": "permit.md authenticates with a bearer token; nothing is signed",
                 "writes": "the permit platform is read only",
                 "write_rejects": "the permit platform is read only"},
        contracts={"permit": ROOT / "contracts" / "permit" / "permit.schema.json"},
        paging=PagingModel(SHORT_PAGE, source="permit.md: pageNo/pageSize, served as asked"),
        errors=ErrorModel(ENVELOPE_CODES, envelope_answer),
    )


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """The target the suite's checks use."""
    return permit_target()


class TestPermitConformance(ConformanceSuite):
    """Every conformance check, on the permit adapter."""
