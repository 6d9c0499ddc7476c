"""The exchange simulator behaves as publicity.md describes: receipts, E101–E109, limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from lxml import etree
from publicity_support import ORG, people

from ssj_bridge.model import beijing_today
from ssj_bridge.simulation.server import SimRequest, SimResponse
from ssj_publicity.documents import batch_document, record_fields
from ssj_publicity.simulator.app import PublicitySimulator

BASE = "/gsxt/exchange/v1"
TOKEN = {"x-exchange-token": "demo-publicity-token"}


def post(sim: PublicitySimulator, body: bytes, headers: Mapping[str, str] = TOKEN) -> SimResponse:
    return sim(SimRequest("POST", f"{BASE}/batches", {}, headers, body))


def poll(sim: PublicitySimulator, pch: str) -> SimResponse:
    return sim(SimRequest("GET", f"{BASE}/batches/{pch}/receipt", {}, TOKEN, b""))


def document(pch: str, count: int = 2, **changes: str) -> bytes:
    records = [record_fields({"taskId": "371000-2025Q2-0001", "uscc": uscc, "name": name,
                              "inspectedOn": "2025-06-03", "resultCode": "01"}, ORG[1]) | changes
               for uscc, name in people(count)]
    return batch_document(pch, ORG[0], records)


def root(response: SimResponse) -> etree._Element:
    return etree.fromstring(response.body)


def items(response: SimResponse) -> list[tuple[str | None, str | None]]:
    return [(i.get("ZT"), i.get("CWDM")) for i in root(response).iter("ITEM")]


def test_receipt_is_processing_for_the_configured_polls_then_done() -> None:
    sim = PublicitySimulator(processing_polls=2, rate_limit=0)
    accepted = post(sim, document("P1"))
    assert accepted.status == 202 and root(accepted).get("ZT") == "PROCESSING"
    assert root(poll(sim, "P1")).get("ZT") == "PROCESSING"
    assert root(poll(sim, "P1")).get("ZT") == "PROCESSING"
    done = poll(sim, "P1")
    assert root(done).get("ZT") == "DONE"
    assert items(done) == [("ACCEPTED", None), ("ACCEPTED", None)]
    assert len(sim.public_keys()) == 2


def test_the_same_batch_number_and_content_again_publishes_nothing_twice() -> None:
    sim = PublicitySimulator(processing_polls=0, rate_limit=0)
    assert post(sim, document("P1")).status == 202
    poll(sim, "P1")
    again = post(sim, document("P1"))
    assert again.status == 200 and root(again).get("ZT") == "DONE"
    assert sim.posts("P1") == 2 and sim.double_publications() == []


def test_the_same_batch_number_with_other_content_is_e109() -> None:
    sim = PublicitySimulator(rate_limit=0)
    post(sim, document("P1"))
    clash = post(sim, document("P1", count=3))
    assert clash.status == 409 and root(clash).findtext("CODE") == "E109"


def test_a_broken_document_is_e101_and_nothing_of_it_is_kept() -> None:
    sim = PublicitySimulator(rate_limit=0)
    for body in (b"<BATCH PCH='P1'><RECORD>", document("P1").replace(b'RECORDS="2"', b'RECORDS="3"'),
                 b'<!DOCTYPE BATCH><BATCH PCH="P1" FSJG="X" RECORDS="0"/>'):
        refused = post(sim, body)
        assert refused.status == 400 and root(refused).findtext("CODE") == "E101"
    assert sim.batches == {}


def test_more_than_the_limit_of_records_is_413() -> None:
    sim = PublicitySimulator(rate_limit=0)
    assert post(sim, document("P1", count=501)).status == 413
    assert post(sim, document("P2", count=500)).status == 202
    small = PublicitySimulator(rate_limit=0, max_records=3)
    assert post(small, document("P3", count=4)).status == 413


def test_record_rules_e102_to_e106() -> None:
    sim = PublicitySimulator(processing_polls=0, rate_limit=0)
    (first, _), (second, _) = people(2)
    sim.unregister(second)
    post(sim, document("P1"))
    tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
    post(sim, document("P2", count=1, JCRQ=tomorrow))
    post(sim, document("P3", count=1, QYMC=""))
    post(sim, document("P4", count=1, JCJG="未发现问题了"))
    post(sim, document("P5", count=1))
    assert items(poll(sim, "P1")) == [("ACCEPTED", None), ("REJECTED", "E102")]
    assert items(poll(sim, "P2")) == [("REJECTED", "E104")]
    assert items(poll(sim, "P3")) == [("REJECTED", "E103")]
    assert items(poll(sim, "P4")) == [("REJECTED", "E106")]
    assert items(poll(sim, "P5")) == [("REJECTED", "E105")]
    assert sim.public_keys() == {(first, "371000-2025Q2-0001", "2025-06-03")}
    sim.register(second)
    post(sim, document("P6"))
    assert items(poll(sim, "P6")) == [("REJECTED", "E105"), ("ACCEPTED", None)]


def test_a_bad_token_is_401_and_an_unknown_batch_404() -> None:
    sim = PublicitySimulator(rate_limit=0)
    assert post(sim, document("P1"), {"x-exchange-token": "wrong"}).status == 401
    assert poll(sim, "NOPE").status == 404


def test_more_than_five_requests_a_second_are_answered_429_with_retry_after() -> None:
    sim = PublicitySimulator()
    answers = [poll(sim, "NOPE") for _ in range(6)]
    assert [a.status for a in answers[:5]] == [404] * 5
    assert answers[5].status == 429 and answers[5].headers["Retry-After"] == "1"


def test_forced_refusal_and_faults() -> None:
    sim = PublicitySimulator(rate_limit=0, refuse_next=1)
    assert post(sim, document("P1")).status == 400
    assert post(sim, document("P1")).status == 202
    flaky = PublicitySimulator(rate_limit=0, error_rate=1.0)
    assert post(flaky, document("P1")).status in (500, 502, 503)


def test_the_publications_listing_pages_what_the_sender_made_public() -> None:
    sim = PublicitySimulator(processing_polls=0, rate_limit=0, today=date(2025, 6, 13))
    post(sim, document("P1", count=3))
    poll(sim, "P1")
    listing = sim(SimRequest("GET", f"{BASE}/publications",
                             {"FSJG": ORG[0], "since": "2025-01-01", "page": "2", "size": "2"},
                             TOKEN, b""))
    page = root(listing)
    assert page.get("total") == "3" and len(page.findall("PUB")) == 1
    assert page.find("PUB/GSRQ") is not None and page.findtext("PUB/GSRQ") == "2025-06-13"
    other = sim(SimRequest("GET", f"{BASE}/publications", {"FSJG": "OTHER"}, TOKEN, b""))
    assert root(other).get("total") == "0"


def test_options_build_the_simulator_and_give_the_demo_credentials() -> None:
    sim = PublicitySimulator.from_options({"processing_polls": "3", "unregistered": "A, B",
                                           "region": "371000", "error_rate": None})
    assert sim.processing_polls == 3 and sim.unregistered == {"A", "B"}
    assert sim.demo_credentials() == {"token": "demo-publicity-token"}
