"""Request signing of the reference profile (docs/platforms/province.md, "Signing").

    string_to_sign = METHOD \\n PATH \\n CANONICAL_QUERY \\n X-Timestamp \\n X-Nonce \\n hex(sha256(body))
    X-Signature    = lower-case hex of HMAC-SHA256(appSecret, string_to_sign)

The client and the simulator share these functions; the tests pin them to a vector computed
by hand, so a shared mistake cannot hide.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
NONCE_LENGTH = 32
QueryParams = Mapping[str, object] | Iterable[tuple[str, object]]


def percent_encode(text: str) -> str:
    """RFC 3986: unreserved characters (A–Z a–z 0–9 - . _ ~) as they are, every other byte %XX."""
    return quote(text, safe="-._~", encoding="utf-8")


def _pairs(params: QueryParams | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    return [(str(name), _text(value)) for name, value in items if value is not None]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_query(params: QueryParams | None) -> str:
    """Parameters sorted by name, then value; `name=value` percent-encoded; joined by `&`.

    The order is that of the unencoded texts (by code point). The client sends exactly this
    string as its query, so what is signed is what goes on the wire.
    """
    return "&".join(f"{percent_encode(name)}={percent_encode(value)}"
                    for name, value in sorted(_pairs(params)))


def body_digest(body: bytes) -> str:
    """hex(sha256(body)); the empty body gives the digest of the empty string."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, query: str, timestamp: str, nonce: str,
                   body: bytes) -> str:
    """The six lines that are signed."""
    return "\n".join((method.upper(), path, query, timestamp, nonce, body_digest(body)))


def signature(secret: str, method: str, path: str, query: str, timestamp: str, nonce: str,
              body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the string to sign."""
    message = string_to_sign(method, path, query, timestamp, nonce, body)
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    """32 characters of [A-Za-z0-9] from the OS's secure generator: never reused in practice."""
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))


def timestamp_ms(now: float | None = None) -> str:
    """Unix time in milliseconds, as X-Timestamp carries it."""
    return str(int((time.time() if now is None else now) * 1000))


@dataclass(frozen=True)
class SignedRequest:
    """What goes on the wire: the path with its canonical query, the headers, the body bytes."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def sign_request(app_key: str, secret: str, method: str, path: str,
                 params: QueryParams | None = None, body: bytes = b"", *,
                 now: float | None = None, nonce: str | None = None) -> SignedRequest:
    """A freshly signed request: a new timestamp and nonce every call, so a retry is new too."""
    query = canonical_query(params)
    stamp = timestamp_ms(now)
    once = nonce or new_nonce()
    headers = {"X-App-Key": app_key, "X-Timestamp": stamp, "X-Nonce": once,
               "X-Signature": signature(secret, method, path, query, stamp, once, body)}
    if body:
        headers["Content-Type"] = "application/json; charset=utf-8"
    return SignedRequest(method.upper(), f"{path}?{query}" if query else path, headers, body)
