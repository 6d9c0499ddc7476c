"""Reading the service's XML documents safely: no entities, no network, no DTD, bounded size.

docs/platforms/credit.md requires a client to refuse any document that carries a DOCTYPE. A
DOCTYPE is looked for before parsing (so an internal subset is never processed) and again in the
parsed document's info (for encodings where a byte scan cannot see it); either finding refuses
the document. A document that is not well-formed — most often one cut off in transit — is a
transient failure, never a short page.

The prolog's declared encoding decides how the bytes are read. The platform's documents are
GB18030 (docs/platforms/credit.md); one that declares another encoding (a gateway rewriting the
prolog, a proxy that re-encodes) would be read into garbled names that look like data. Only
GB18030, its subset GBK and UTF-8 (also what a document without a declaration is) are read; any
other declared encoding, or a UTF-16/32 document, fails that page as a transient error: retried,
never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ssj_bridge.api import TransientError, UnsafeDocument, parse_xml
from ssj_credit import PLATFORM

# A response the client will not read: it carries a DOCTYPE, or is larger than the cap.
DocumentRefused = UnsafeDocument

# Declared encodings docs/platforms/credit.md's documents may carry (compared upper case).
ENCODINGS = frozenset({"GB18030", "GBK", "UTF-8"})


@dataclass(frozen=True)
class Page:
    """One page of a feed: the `total` the service declares and its ROW elements as text."""

    total: int | None
    rows: list[dict[str, str | None]] = field(default_factory=list)


def parse(body: bytes, *, max_bytes: int, what: str) -> etree._Element:
    """The document's root element, or DocumentRefused / TransientError saying why not
    (docs/platforms/credit.md: documents with a DOCTYPE are refused; only GB18030, GBK and
    UTF-8 documents are read)."""
    return parse_xml(body, platform=PLATFORM, what=what, max_bytes=max_bytes,
                     cap_setting="SSJ_CREDIT__MAX_DOCUMENT_BYTES", encodings=ENCODINGS,
                     contract="docs/platforms/credit.md")


def read_page(root: etree._Element, *, what: str) -> Page:
    """The DATA document as a Page; any other root is not what the call should return."""
    if root.tag != "DATA":
        code, message = read_error(root)
        detail = f" (CODE {code} {message or ''})".rstrip() if code or message else ""
        raise TransientError(f"{PLATFORM}: {what}: expected a DATA document, got "
                             f"<{root.tag}>{detail}", platform=PLATFORM)
    rows = [_row(element) for element in root if element.tag == "ROW"]
    return Page(_int(root.get("total")), rows)


def read_error(root: etree._Element | None) -> tuple[str | None, str | None]:
    """CODE and MSG of an `<ERROR>` document (None for what is missing)."""
    if root is None or root.tag != "ERROR":
        return None, None
    return _text(root.find("CODE")), _text(root.find("MSG"))


def error_of(body: bytes, *, max_bytes: int) -> tuple[str | None, str | None]:
    """CODE and MSG of an error response's body, or (None, None) when it is not one to read."""
    try:
        return read_error(parse(body, max_bytes=max_bytes, what="error document"))
    except (DocumentRefused, TransientError):
        return None, None


def _row(element: etree._Element) -> dict[str, str | None]:
    # Elements come in any order; an empty element is the same as a missing one. The first of
    # a repeated element counts.
    row: dict[str, str | None] = {}
    for child in element:
        if isinstance(child.tag, str) and child.tag not in row:
            row[child.tag] = _text(child)
    return row


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
