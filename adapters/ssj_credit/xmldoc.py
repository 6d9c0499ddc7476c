"""Reading the service's XML documents safely: no entities, no network, no DTD, bounded size.

credit.md requires a client to refuse any document that carries a DOCTYPE. A DOCTYPE is looked
for before parsing (so an internal subset is never processed) and again in the parsed
document's info (for encodings where a byte scan cannot see it); either finding refuses the
document. A document that is not well-formed — most often one cut off in transit — is a
transient failure, never a short page.

The prolog's declared encoding decides how the bytes are read. credit.md's documents are
GB18030; one that declares another encoding (a gateway rewriting the prolog, a proxy that
re-encodes) would be read into garbled names that look like data. Only GB18030, its subset
GBK and UTF-8 (also what a document without a declaration is) are read; any other declared
encoding, or a UTF-16/32 document, fails that page as a transient error: retried, never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ssj_bridge.errors import PermanentError, TransientError
from ssj_credit import PLATFORM

# Case-insensitive on purpose: anything that looks like a DOCTYPE or an entity declaration is
# refused. In GB18030 and UTF-8 these ASCII bytes cannot occur inside a multi-byte character.
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Encodings whose ASCII is not single bytes, told by their first bytes (XML 1.0, appendix F).
_WIDE = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"))


# Declared encodings credit.md's documents may carry (compared upper case).
ENCODINGS = frozenset({"GB18030", "GBK", "UTF-8"})
_ENCODING_DECLARATION = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1""")


class DocumentRefused(PermanentError):
    """A response the client will not read: it carries a DOCTYPE, or is larger than the cap."""


@dataclass(frozen=True)
class Page:
    """One page of a feed: the `total` the service declares and its ROW elements as text."""

    total: int | None
    rows: list[dict[str, str | None]] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    # A parser per document: lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, collect_ids=False)


def parse(body: bytes, *, max_bytes: int, what: str) -> etree._Element:
    """The document's root element, or DocumentRefused / TransientError saying why not."""
    if len(body) > max_bytes:
        raise DocumentRefused(f"{PLATFORM}: {what}: the document has {len(body)} bytes, more than "
                              f"the {max_bytes} SSJ_CREDIT__MAX_DOCUMENT_BYTES allows; refused "
                              "unparsed", platform=PLATFORM)
    if _DECLARATION.search(_sniffable(body)):
        raise DocumentRefused(f"{PLATFORM}: {what}: the document carries a DOCTYPE or an entity "
                              "declaration; refused unparsed (credit.md: documents with a "
                              "DOCTYPE are refused)", platform=PLATFORM)
    declared = declared_encoding(body)
    if declared.upper() not in ENCODINGS:
        raise TransientError(f"{PLATFORM}: {what}: the document declares encoding {declared!r}; "
                             f"credit.md's documents are {', '.join(sorted(ENCODINGS))}: not "
                             "read, so that no name is stored garbled", platform=PLATFORM)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise TransientError(f"{PLATFORM}: {what}: the body is not a complete XML document "
                             f"(cut off in transit?): {exc}", platform=PLATFORM) from None
    if root is None:
        raise TransientError(f"{PLATFORM}: {what}: empty document", platform=PLATFORM)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DocumentRefused(f"{PLATFORM}: {what}: the document carries a DOCTYPE; refused "
                              "(credit.md)", platform=PLATFORM)
    if next(root.iter(etree.Entity), None) is not None:
        raise DocumentRefused(f"{PLATFORM}: {what}: the document holds an entity reference; "
                              "refused, never resolved", platform=PLATFORM)
    return root


def declared_encoding(body: bytes) -> str:
    """The encoding the document says it is in: its prolog's, else what its first bytes show
    (UTF-16/32), else UTF-8 (XML's default)."""
    for start, codec in _WIDE:
        if body.startswith(start):
            return codec
    found = _ENCODING_DECLARATION.match(body[:512])
    return found.group(2).decode("ascii", "replace").strip() if found else "UTF-8"


def _sniffable(body: bytes) -> str:
    """The body as text good enough to find markup declarations in."""
    for start, codec in _WIDE:
        if body.startswith(start):
            return body.decode(codec, errors="replace")
    return body.decode("latin-1")


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
