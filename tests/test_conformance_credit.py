"""The credit adapter passes the adapter conformance suite against its simulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from lxml import etree

from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.simulation.server import SimResponse
from ssj_bridge.testing.conformance import (
    SHORT_PAGE,
    ConformanceSuite,
    ConformanceTarget,
    ErrorModel,
    PagingModel,
)
from ssj_credit.simulator.app import CONTENT_TYPE, error_document

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "credit"


def status_answer(code: str) -> SimResponse:
    """credit.md's error: the code is the HTTP status, the body an ERROR document."""
    return SimResponse(int(code), error_document(code, "?"), CONTENT_TYPE)


def row_validator(xsd: str) -> Callable[[bytes], list[str]]:
    """Validate one stored ROW (its elements as read) against the feed's XSD in contracts/."""
    schema = etree.XMLSchema(etree.parse(str(CONTRACTS / xsd)))

    def validate(payload: bytes) -> list[str]:
        document = etree.Element("DATA", total="1")
        row = etree.SubElement(document, "ROW")
        for name, value in orjson.loads(payload).items():
            if value is not None:
                etree.SubElement(row, name).text = value
        if schema.validate(document):
            return []
        return [str(error.message) for error in schema.error_log]

    return validate


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """The credit adapter as installed, against a small simulated region."""
    read_whole = ("credit.md offers page/size paging and nothing to read incrementally by: "
                  "every run reads both feeds whole and the store drops what is unchanged")
    return ConformanceTarget(
        spec=load_plugins().adapters["credit"],
        region_code="371000",
        options={"subjects": 40},
        bad_record_options={"malformed_rate": 0.15},
        settings={"page_size": 10, "retry_backoff": 0.005, "deadline": 30,
                  "max_retry_after": 5, "vocabulary": "cn-words"},
        capabilities={"reauth": False, "signing": False, "live_updates": False,
                      "incremental": False, "writes": False, "write_rejects": False},
        reasons={"reauth": "an API key, not a session: there is nothing to end mid-run",
                 "signing": "credit.md sends X-Api-Key; nothing is signed",
                 "live_updates": read_whole, "incremental": read_whole,
                 "writes": "the credit service is read only",
                 "write_rejects": "the credit service is read only"},
        payload_validators={"evaluation": row_validator("evaluations.xsd"),
                            "risk": row_validator("risk-classes.xsd")},
        paging=PagingModel(SHORT_PAGE, page_size_setting="page_size",
                           source="credit.md: page/size, served as asked"),
        # credit.md's errors are HTTP statuses (429 with Retry-After beside them).
        errors=ErrorModel(("200", "400", "401", "429", "500", "503"), status_answer),
    )


class TestCreditConformance(ConformanceSuite):
    """Every conformance check, on the credit adapter."""
