"""Secrets kept out of every text the project keeps or prints: one mechanism, fed by settings.

Two things are masked wherever text leaves the process or is stored (log events, error
messages, `sync --json`, the run logs, quarantine reasons, outbox errors):
- every configured secret value, as it is and as a gateway may echo it back (JSON-escaped,
  URL-encoded, XML-escaped). The settings hand them over when they are read (`remember`), so
  a secret a platform repeats in its error message — the credit API key, the publicity token,
  the province's app key and secret, the database password — is masked whatever the platform
  calls it and wherever it puts it;
- credentials recognisable by their shape, whatever their value: bearer tokens, passwords in
  URLs, `name=value` and `"name": value` pairs with a credential's name.
A value shorter than MIN_SECRET_LENGTH characters is masked by shape only: masking each
occurrence of a short string would garble every message that happens to contain it.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import orjson
from pydantic import SecretStr

REDACTED = "**********"
MIN_SECRET_LENGTH = 6
SECRET_WORDS = ("secret", "token", "password", "api_key", "apikey", "app_key")

# Values that look like credentials inside free text (URLs with passwords, bearer tokens,
# `name=value` pairs, quoted `"name": value` pairs). An unquoted `token: ` is left alone: that
# is how messages name what failed ("permit: token: ConnectError: …").
_CREDENTIAL_NAMES = r"(?:app_?secret|api_?key|access_?token|token|password)"
_SHAPES = [
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(" + _CREDENTIAL_NAMES + r"\s*=\s*[\"']?)[^\s\"'&,}]+", re.IGNORECASE),
     r"\1" + REDACTED),
    (re.compile(r"([\"']" + _CREDENTIAL_NAMES + r"[\"']\s*:\s*[\"']?)[^\s\"'&,}]+", re.IGNORECASE),
     r"\1" + REDACTED),
]

_lock = threading.Lock()
_known: set[str] = set()
_values: re.Pattern[str] | None = None


def is_secret_name(name: str) -> bool:
    """True for field names that hold secrets (never printed, logged or reported)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def remember(secrets: Iterable[str]) -> None:
    """Mask these secret values (and the forms an echo may give them) from now on."""
    global _values
    forms = set()
    for secret in secrets:
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        forms |= {secret, orjson.dumps(secret).decode()[1:-1], quote(secret, safe=""),
                  quote_plus(secret), html.escape(secret)}
    with _lock:
        if forms <= _known:
            return
        _known.update(forms)
        # Longest first: a secret that contains another is masked whole.
        _values = re.compile("|".join(re.escape(f) for f in sorted(_known, key=len, reverse=True)))


def redact_text(text: str) -> str:
    """`text` with every remembered secret and every credential-shaped value masked."""
    values = _values
    if values is not None:
        text = values.sub(REDACTED, text)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, key: str = "") -> Any:
    """`value` with secrets masked: the value of a secret's field whole, text by `redact_text`,
    dicts and lists item by item."""
    if isinstance(value, SecretStr) or (key and is_secret_name(key) and value is not None):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
