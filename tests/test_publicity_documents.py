"""The exchange's XML: batch documents as publicity.md shows them, responses read safely."""

from __future__ import annotations

import pytest
from lxml import etree

from ssj_bridge.errors import TransientError
from ssj_publicity.documents import (
    RECORD_FIELDS,
    UnsafeDocument,
    batch_document,
    field_problem,
    parse_error,
    parse_publications,
    parse_receipt,
    record_fields,
)

PAYLOAD = {"taskId": "371000-2025Q2-0001", "uscc": "91371002MA3C00000J", "name": "威海某化工有限公司",
           "inspectedOn": "2025-06-03", "resultCode": "02"}


def test_batch_document_has_the_documented_shape() -> None:
    fields = record_fields(PAYLOAD, "威海市生态环境局环翠分局")
    body = batch_document("371000-20250612-0001", "11371000MB0000000E", [fields, fields])
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(body)
    assert (root.tag, root.get("PCH"), root.get("FSJG"), root.get("RECORDS")) == (
        "BATCH", "371000-20250612-0001", "11371000MB0000000E", "2")
    first = root.find("RECORD")
    assert first is not None and first.get("XH") == "1"
    assert [child.tag for child in first] == list(RECORD_FIELDS)
    assert {child.tag: child.text for child in first} == {
        "TYSHXYDM": "91371002MA3C00000J", "QYMC": "威海某化工有限公司",
        "JCSSJG": "威海市生态环境局环翠分局", "JCLX": "双随机抽查", "JCRWBH": "371000-2025Q2-0001",
        "JCRQ": "2025-06-03", "JCJGDM": "02", "JCJG": "发现问题已责令整改"}
    assert [r.get("XH") for r in root.iter("RECORD")] == ["1", "2"]


def test_batch_number_longer_than_64_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="1–64"):
        batch_document("X" * 65, "11371000MB0000000E", [])


def test_a_value_xml_cannot_carry_is_named_with_its_field() -> None:
    fields = record_fields(PAYLOAD | {"name": "威海\x01化工"}, "局")
    assert "QYMC" in (field_problem(fields) or "")
    assert "JCSSJG" in (field_problem(record_fields(PAYLOAD, " ")) or "")


def test_receipts_are_read_item_by_item() -> None:
    done = parse_receipt(
        '<?xml version="1.0" encoding="UTF-8"?><RECEIPT PCH="P1" ZT="DONE"><ITEM XH="1" '
        'ZT="ACCEPTED"/><ITEM XH="2" ZT="REJECTED" CWDM="E102" CWXX="统一社会信用代码未登记"/>'
        '</RECEIPT>'.encode(), "receipt")
    assert done.done and done.decisions[2].code == "E102"
    assert done.decisions[1].status == "ACCEPTED"
    assert not parse_receipt(b'<RECEIPT PCH="P1" ZT="PROCESSING"/>', "receipt").done


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "boom">]><RECEIPT PCH="&x;" ZT="DONE"/>',
    b'<!doctype RECEIPT SYSTEM "http://example.invalid/r.dtd"><RECEIPT PCH="P" ZT="DONE"/>',
    b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><RECEIPT/>',
])
def test_responses_with_a_doctype_or_entities_are_refused_unparsed(body: bytes) -> None:
    with pytest.raises(UnsafeDocument, match="DOCTYPE"):
        parse_receipt(body, "receipt")


def test_a_cut_off_response_is_transient() -> None:
    with pytest.raises(TransientError, match="not a complete XML document"):
        parse_receipt(b'<RECEIPT PCH="P1" ZT="DONE"><ITEM XH="1" ZT="ACC', "receipt")


def test_an_html_gateway_page_is_no_receipt() -> None:
    with pytest.raises(TransientError):
        parse_receipt(b"<html><body><h1>502 Bad Gateway</h1></body></html>", "receipt")


def test_error_bodies_and_publication_listings_are_read() -> None:
    assert parse_error("<ERROR><CODE>E109</CODE><MSG>批次号重复</MSG></ERROR>".encode()) == (
        "E109", "批次号重复")
    assert parse_error(b"<html/>") == (None, None)
    page = parse_publications(
        b'<PUBLICATIONS total="1" page="1" size="500"><PUB><TYSHXYDM>9137</TYSHXYDM><JCRWBH>T'
        b'</JCRWBH><JCRQ>2025-06-03</JCRQ><JCJGDM>01</JCJGDM><GSRQ>2025-06-13</GSRQ></PUB>'
        b'</PUBLICATIONS>', "publications")
    assert page.total == 1 and page.rows[0]["GSRQ"] == "2025-06-13"
