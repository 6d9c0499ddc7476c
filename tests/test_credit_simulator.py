"""The credit simulator serves credit.md's documents, faults included, and the client copes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from ssj_bridge.errors import PlatformUnavailable
from ssj_bridge.simulation.server import RunningSimulator, serve
from ssj_credit.client import CreditClient
from ssj_credit.config import CreditConfig
from ssj_credit.simulator.app import CreditSimulator
from ssj_credit.xmldoc import DocumentRefused

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "credit"
TODAY = "2025-07-01"


def simulator(**options: Any) -> CreditSimulator:
    return CreditSimulator.from_options({"region": "371000", "subjects": 80, "seed": 3,
                                         "today": TODAY, **options})


@pytest.fixture
def running(request: pytest.FixtureRequest) -> Iterator[RunningSimulator]:
    options = getattr(request, "param", {})
    sim = serve("credit", simulator(**options))
    yield sim
    sim.stop()


def client(sim: RunningSimulator, **overrides: Any) -> CreditClient:
    app: CreditSimulator = sim.app  # type: ignore[assignment]
    values: dict[str, Any] = {"base_url": sim.base_url, "api_key": app.api_key,
                              "retry_backoff": 0.01, "deadline": 5, **overrides}
    return CreditClient(CreditConfig.model_validate(values))


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CONTRACTS / name)))


def test_documents_are_gb18030_with_the_prolog_and_follow_the_contracts(
        running: RunningSimulator) -> None:
    app: CreditSimulator = running.app  # type: ignore[assignment]
    headers = {"X-Api-Key": app.api_key}
    with httpx.Client(base_url=running.base_url, headers=headers) as http:
        evaluations = http.get("/credit/v2/evaluations",
                               params={"regionCode": "371000", "year": 2024, "size": 500})
        risks = http.get("/credit/v2/risk-classes", params={"regionCode": "371000", "size": 500})
        error = http.get("/credit/v2/evaluations", params={"regionCode": "371000", "year": "x"})
    assert evaluations.content.startswith(b'<?xml version="1.0" encoding="GB18030"?>')
    assert evaluations.headers["content-type"].startswith("application/xml")
    assert "有限公司".encode("gb18030") in evaluations.content
    assert "有限公司".encode() not in evaluations.content
    schema("evaluations.xsd").assertValid(etree.fromstring(evaluations.content))
    schema("risk-classes.xsd").assertValid(etree.fromstring(risks.content))
    assert error.status_code == 400
    schema("error.xsd").assertValid(etree.fromstring(error.content))
    rows = etree.fromstring(evaluations.content).findall("ROW")
    assert len(rows) == len(app.dataset.evaluations[2024])
    orders = {tuple(child.tag for child in row) for row in rows}
    assert len(orders) > 1  # elements come in any order


def test_the_same_options_serve_the_same_data() -> None:
    first, second = simulator(malformed_rate=0.1), simulator(malformed_rate=0.1)
    assert first.evaluations == second.evaluations
    assert first.risks == second.risks
    assert first.dataset.malformed == second.dataset.malformed
    assert simulator(seed=4).evaluations != first.evaluations


def test_the_population_is_the_permit_simulators() -> None:
    from ssj_permit.simulator.dataset import build

    permits = {record["uscc"] for record in build("371000", 80, 3).records}
    credit = simulator().dataset
    evaluated = {p.row["TYSHXYDM"] for rows in credit.evaluations.values() for p in rows}
    assert evaluated <= permits
    assert {p.row["TYSHXYDM"] for p in credit.risks} <= permits


def test_options_from_the_command_line_are_text() -> None:
    sim = CreditSimulator.from_options({"region": "371000", "subjects": "30", "seed": "2",
                                        "vocabulary": "letters", "years": "2023,2024",
                                        "today": TODAY, "error_rate": "0.5", "api_key": "k"})
    assert sim.demo_credentials() == {"api_key": "k", "vocabulary": "letters"}
    assert sorted(sim.dataset.evaluations) == [2023, 2024]
    assert sim.error_rate == 0.5


def test_a_wrong_key_gets_401_with_an_error_document(running: RunningSimulator) -> None:
    response = httpx.get(f"{running.base_url}/credit/v2/risk-classes",
                         params={"regionCode": "371000"}, headers={"X-Api-Key": "wrong"})
    assert response.status_code == 401
    schema("error.xsd").assertValid(etree.fromstring(response.content))


@pytest.mark.parametrize("running", [{"doctype_rate": 1.0}], indirect=True)
def test_a_document_with_a_doctype_is_refused_and_its_entities_never_fetched(
        running: RunningSimulator) -> None:
    app: CreditSimulator = running.app  # type: ignore[assignment]
    raw = httpx.get(f"{running.base_url}/credit/v2/evaluations",
                    params={"regionCode": "371000", "year": 2024},
                    headers={"X-Api-Key": app.api_key}).content
    assert b"<!DOCTYPE" in raw and b"entity-probe" in raw
    credit = client(running)
    for call in (lambda: credit.evaluations("371000", 2024, page=1, size=100),
                 lambda: credit.risk_classes("371000", page=1, size=100)):
        with pytest.raises(DocumentRefused, match="DOCTYPE"):
            call()
    assert credit.calls == 2  # refused at once, not retried
    assert app.probe_hits == 0


@pytest.mark.parametrize("running", [{"truncate_rate": 0.5}], indirect=True)
def test_cut_off_documents_are_retried_and_never_read_as_short_pages(
        running: RunningSimulator) -> None:
    app: CreditSimulator = running.app  # type: ignore[assignment]
    credit = client(running)
    for _ in range(6):
        page = credit.evaluations("371000", 2024, page=1, size=500)
        assert len(page.rows) == len(app.dataset.evaluations[2024]) == page.total
    assert app.faults_served > 0
    assert credit.calls > 6


@pytest.mark.parametrize("running", [{"truncate_rate": 1.0}], indirect=True)
def test_a_document_always_cut_off_leaves_the_service_unavailable(
        running: RunningSimulator) -> None:
    with pytest.raises(PlatformUnavailable):
        client(running, deadline=0.5).evaluations("371000", 2024, page=1, size=500)


@pytest.mark.parametrize("running", [{"error_rate": 1.0, "retry_after": 600}], indirect=True)
def test_maintenance_longer_than_the_client_waits_is_not_waited_out(
        running: RunningSimulator) -> None:
    credit = client(running, max_retry_after=60, deadline=30)
    with pytest.raises(PlatformUnavailable):
        credit.risk_classes("371000", page=1, size=100)
