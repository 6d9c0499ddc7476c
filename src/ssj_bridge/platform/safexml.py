"""The one way the project parses XML a platform sent: no entities, no DTD, no network.

A document that declares a DOCTYPE or an entity is refused before it is parsed (and again if
the parser finds one the quick look missed); one larger than the caller's cap is refused
unparsed; one that does not parse is a transient failure (a body cut off in transit).

A caller whose platform's contract names the encodings its documents come in passes them: a
document declaring another (a gateway rewriting the prolog over the original bytes) would be
read into garbled text that looks like data, so it fails as a transient error, never stored.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lxml import etree

from ssj_bridge.errors import PermanentError, TransientError

# Case-insensitive on purpose: anything that looks like a DOCTYPE or an entity declaration is
# refused. In GB18030 and UTF-8 these ASCII bytes cannot occur inside a multi-byte character.
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Encodings whose ASCII is not single bytes, told by their first bytes (XML 1.0, appendix F).
_WIDE = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"))
_ENCODING_DECLARATION = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1""")


class UnsafeDocument(PermanentError):
    """A document refused unread: it carries a DOCTYPE or an entity, or is larger than allowed."""


def safe_parser() -> etree.XMLParser:
    """A parser that resolves no entity, loads no DTD and reaches no network."""
    # One per document: lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True, collect_ids=False)


def parse_xml(body: bytes, *, platform: str, what: str, max_bytes: int | None = None,
              cap_setting: str = "", encodings: Collection[str] | None = None,
              contract: str = "") -> etree._Element:
    """The document's root element, or UnsafeDocument / TransientError saying why not.

    `max_bytes` caps the document's size; `cap_setting` names the setting that sets the cap.
    `encodings` (upper case), when given, are the only declared encodings read (see
    `declared_encoding`); `contract` names the document that allows them.
    """
    if max_bytes is not None and len(body) > max_bytes:
        by = f" {cap_setting}" if cap_setting else ""
        raise UnsafeDocument(f"{platform}: {what}: the document has {len(body)} bytes, more "
                             f"than the {max_bytes}{by} allows; refused unparsed",
                             platform=platform)
    if _DECLARATION.search(_sniffable(body)):
        raise UnsafeDocument(f"{platform}: {what}: the document carries a DOCTYPE or an entity "
                             "declaration; refused unparsed", platform=platform)
    if encodings is not None:
        declared = declared_encoding(body)
        if declared.upper() not in encodings:
            by = contract or f"{platform}'s contract"
            raise TransientError(f"{platform}: {what}: the document declares encoding "
                                 f"{declared!r}; {by} allows {', '.join(sorted(encodings))}: "
                                 "not read, so that no name is stored garbled",
                                 platform=platform)
    try:
        root = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise TransientError(f"{platform}: {what}: the body is not a complete XML document "
                             f"(cut off in transit?): {exc}", platform=platform) from None
    if root is None:
        raise TransientError(f"{platform}: {what}: empty document", platform=platform)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise UnsafeDocument(f"{platform}: {what}: the document carries a DOCTYPE; refused",
                             platform=platform)
    if next(root.iter(etree.Entity), None) is not None:
        raise UnsafeDocument(f"{platform}: {what}: the document holds an entity reference; "
                             "refused, never resolved", platform=platform)
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
