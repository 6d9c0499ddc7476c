"""Request signing of the provincial platform (province.md, "Signing"), pinned to vectors
computed outside the project with `openssl dgst -sha256 -hmac`."""

from __future__ import annotations

import re

from ssj_province.signing import (
    body_digest,
    canonical_query,
    percent_encode,
    sign_request,
    signature,
    string_to_sign,
)

SECRET = "demo-province-secret"
STAMP = "1767225600000"
NONCE = "AbCdEf0123456789XyZ"
BODY = b'{"requestId":"req-0001","items":[]}'


def test_post_signature_matches_the_hand_computed_vector() -> None:
    # printf '{"requestId":"req-0001","items":[]}' | openssl dgst -sha256
    assert body_digest(BODY) == "b95c40865fa0e4a02e2532b02071b7e05742a2431f494a1c6af172569b81b401"
    # printf 'POST\n/ssj/v1/subjects:batchUpsert\n\n1767225600000\nAbCdEf0123456789XyZ\n<digest>'
    #   | openssl dgst -sha256 -hmac demo-province-secret
    assert signature(SECRET, "post", "/ssj/v1/subjects:batchUpsert", "", STAMP, NONCE, BODY) == (
        "96eb22c21f41f8230df2cd150a3d467f2adee6a53f2a03e8d21196b6e53c298e")


def test_get_signature_covers_the_canonical_query_and_the_empty_body() -> None:
    assert body_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    query = canonical_query({"regionCode": "371000", "updatedSince": "2026-10-01T08:00:00+08:00",
                             "pageSize": 100, "pageNo": 1})
    assert query == ("pageNo=1&pageSize=100&regionCode=371000"
                     "&updatedSince=2026-10-01T08%3A00%3A00%2B08%3A00")
    assert signature(SECRET, "GET", "/ssj/v1/tasks", query, STAMP, NONCE, b"") == (
        "794a35b0cdb5082f6548f041e577f1a9591bd2020958a69c10d9dfdf024969e2")


def test_string_to_sign_is_six_lines_in_the_documented_order() -> None:
    lines = string_to_sign("get", "/p", "a=1", STAMP, NONCE, b"").split("\n")
    assert lines == ["GET", "/p", "a=1", STAMP, NONCE, body_digest(b"")]


def test_space_is_percent_20_and_non_ascii_is_utf8_percent_encoded() -> None:
    assert percent_encode("a b") == "a%20b"
    assert percent_encode("威海") == "%E5%A8%81%E6%B5%B7"
    assert percent_encode("A-Z_a.z~0") == "A-Z_a.z~0"  # unreserved characters stay
    assert percent_encode("+/:=&?%") == "%2B%2F%3A%3D%26%3F%25"
    assert canonical_query({"name": "威海 化工"}) == "name=%E5%A8%81%E6%B5%B7%20%E5%8C%96%E5%B7%A5"


def test_query_is_sorted_by_name_then_value_and_empty_without_parameters() -> None:
    assert canonical_query([("b", "2"), ("a", "z"), ("a", "y"), ("A", "x")]) == "A=x&a=y&a=z&b=2"
    assert canonical_query(None) == ""
    assert canonical_query({}) == ""
    assert canonical_query({"a": None, "b": "1"}) == "b=1"


def test_every_signed_request_has_a_fresh_nonce_and_sends_the_signed_query() -> None:
    first = sign_request("key", SECRET, "GET", "/ssj/v1/tasks", {"q": "a b"})
    second = sign_request("key", SECRET, "GET", "/ssj/v1/tasks", {"q": "a b"})
    assert first.url == "/ssj/v1/tasks?q=a%20b"
    assert first.headers["X-Nonce"] != second.headers["X-Nonce"]
    for request in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9]{16,64}", request.headers["X-Nonce"])
        assert re.fullmatch(r"[0-9]{13}", request.headers["X-Timestamp"])
        assert request.headers["X-Signature"] == signature(
            SECRET, "GET", "/ssj/v1/tasks", "q=a%20b", request.headers["X-Timestamp"],
            request.headers["X-Nonce"], b"")
