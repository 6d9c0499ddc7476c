"""Random transient faults, as simulators of JSON-envelope platforms serve them.

The permit platform and the reference provincial profile wrap every answer in
`{"code", "msg", "data"}` and share their busy and rate-limit codes; their simulators serve the
same mix of failures for the same `--error-rate` and `--rate-429`.
"""

from __future__ import annotations

import random
from contextlib import AbstractContextManager
from typing import Any

import orjson

from ssj_bridge.simulation.server import SimResponse
from ssj_bridge.testing.controls import PERMANENT, RATE_LIMIT, STALE_SIGNATURE, ForcedFault

GATEWAY_502 = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
               b"Gateway</h1></center><hr><center>nginx</center></body></html>")
GATEWAY_504 = GATEWAY_502.replace(b"502 Bad Gateway", b"504 Gateway Time-out")
BAD_PARAMETER = 40001
STALE_TIMESTAMP = 40102
BUSY = 50001
RATE_LIMITED = 42901


def envelope(code: int | str, msg: str, data: Any = None) -> bytes:
    """An answer in the platforms' envelope."""
    return orjson.dumps({"code": code, "msg": msg, "data": data})


# Every code of the envelope platforms (permit.md; province.md adds its own to them).
ENVELOPE_CODES = ("0", "40001", "40101", "40301", "40401", "42901", "50001")


def envelope_answer(code: str) -> SimResponse:
    """An envelope platform's answer carrying `code`: HTTP 200 (an ErrorModel's `answer`)."""
    return SimResponse(200, envelope(int(code) if code.isdigit() else code, "?"))


def random_fault(rng: random.Random, lock: AbstractContextManager[Any], *, error_rate: float,
                 rate_429: float) -> SimResponse | None:
    """A transient fault, or None for a normal answer.

    With probability `error_rate`, one of five failures in equal shares: a gateway's HTML 502
    or 504, a 503 or a 200 carrying the busy code, a 500; then with probability `rate_429` a
    429, half of them with `Retry-After: 1`.
    """
    with lock:
        roll = rng.random()
        pick = rng.random()
    if roll < error_rate:
        if pick < 0.2:
            return SimResponse(502, GATEWAY_502, "text/html")
        if pick < 0.4:
            return SimResponse(504, GATEWAY_504, "text/html")
        if pick < 0.6:
            return SimResponse(503, envelope(BUSY, "system busy"))
        if pick < 0.8:
            return SimResponse(200, envelope(BUSY, "system busy"))
        return SimResponse(500, envelope(BUSY, "internal error"))
    if roll - error_rate < rate_429:
        headers = {"Retry-After": "1"} if pick < 0.5 else {}
        return SimResponse(429, envelope(RATE_LIMITED, "rate limited"), headers=headers)
    return None


def forced_answer(fault: ForcedFault, *, signed: bool = False) -> SimResponse:
    """A fault a conformance check forced, in the envelope platforms' words.

    Permanent: 400 bad parameter; rate limit: 429 with the check's Retry-After; a stale
    signature (platforms that sign, `signed`): 401 timestamp expired; otherwise 503 busy.
    """
    if fault.kind == PERMANENT:
        return SimResponse(400, envelope(BAD_PARAMETER, "bad parameter"))
    if fault.kind == STALE_SIGNATURE and signed:
        return SimResponse(401, envelope(STALE_TIMESTAMP, "timestamp expired"))
    if fault.kind == RATE_LIMIT:
        return SimResponse(429, envelope(RATE_LIMITED, "rate limited"),
                           headers={"Retry-After": f"{fault.retry_after or 1:g}"})
    return SimResponse(503, envelope(BUSY, "system busy"))
