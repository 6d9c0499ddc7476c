"""The exchange's XML: batch documents built with lxml, responses read safely.

Responses are parsed with entities unresolved, no network and no DTD; a document carrying a
DOCTYPE or an entity declaration is refused before it is parsed (and again if the parsed
document shows one). A body that is not well-formed — most often one cut off in transit — is a
transient failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ssj_bridge.api import ResultCode, TransientError, UnsafeDocument, parse_xml
from ssj_publicity import PLATFORM

# Record fields in the order docs/platforms/publicity.md lists them.
RECORD_FIELDS = ("TYSHXYDM", "QYMC", "JCSSJG", "JCLX", "JCRWBH", "JCRQ", "JCJGDM", "JCJG")
FIELD_NAMES = {"TYSHXYDM": "统一社会信用代码", "QYMC": "企业名称", "JCSSJG": "检查实施机关",
               "JCLX": "检查类型", "JCRWBH": "抽查任务编号", "JCRQ": "检查日期",
               "JCJGDM": "检查结果代码", "JCJG": "检查结果"}
INSPECTION_TYPE = "双随机抽查"
MAX_BATCH_NO = 64


def parse(body: bytes, what: str) -> etree._Element:
    """The root element of a response, or UnsafeDocument / TransientError saying why not."""
    return parse_xml(body, platform=PLATFORM, what=what)


# -- batches ------------------------------------------------------------------------------------


def record_fields(payload: Mapping[str, Any], org_name: str) -> dict[str, str]:
    """A queued publication (canonical fields) as the exchange's RECORD fields."""
    code = str(payload.get("resultCode") or "")
    try:
        wording = ResultCode(code).wording
    except ValueError:
        wording = ""
    return {"TYSHXYDM": str(payload.get("uscc") or ""), "QYMC": str(payload.get("name") or ""),
            "JCSSJG": org_name, "JCLX": INSPECTION_TYPE,
            "JCRWBH": str(payload.get("taskId") or ""),
            "JCRQ": str(payload.get("inspectedOn") or ""), "JCJGDM": code, "JCJG": wording}


def batch_document(batch_no: str, sender: str, records: Sequence[Mapping[str, str]]) -> bytes:
    """`<BATCH PCH FSJG RECORDS>` with one `<RECORD XH>` per record, numbered from 1.

    Raises ValueError when a value holds characters XML cannot carry (control characters).
    """
    if not batch_no or len(batch_no) > MAX_BATCH_NO:
        raise ValueError(f"batch number {batch_no!r} must have 1–{MAX_BATCH_NO} characters")
    root = etree.Element("BATCH", PCH=batch_no, FSJG=sender, RECORDS=str(len(records)))
    for number, fields in enumerate(records, start=1):
        record = etree.SubElement(root, "RECORD", XH=str(number))
        for name in RECORD_FIELDS:
            etree.SubElement(record, name).text = fields[name]
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def field_problem(fields: Mapping[str, str]) -> str | None:
    """Why these fields cannot go into a document (an empty or unencodable field), or None."""
    for name in RECORD_FIELDS:
        value = fields[name]
        if not value.strip():
            return f"{name} ({FIELD_NAMES[name]}) is empty"
        try:
            etree.Element("X").text = value
        except ValueError:
            return f"{name} ({FIELD_NAMES[name]}) value {value!r} holds characters XML cannot carry"
    return None


# -- responses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The receipt's decision on one record."""

    number: int
    status: str  # ACCEPTED | REJECTED
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Receipt:
    """A batch's receipt: PROCESSING until every record is decided, then DONE."""

    batch_no: str
    status: str
    decisions: dict[int, Decision] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Every record is decided."""
        return self.status == "DONE"


def parse_receipt(body: bytes, what: str) -> Receipt:
    """`<RECEIPT PCH ZT>` with its `<ITEM XH ZT CWDM CWXX>` elements."""
    root = parse(body, what)
    if root.tag != "RECEIPT" or root.get("ZT") not in ("PROCESSING", "DONE"):
        raise TransientError(f"{PLATFORM}: {what}: expected <RECEIPT ZT=PROCESSING|DONE>, got "
                             f"<{root.tag} ZT={root.get('ZT')!r}>", platform=PLATFORM)
    decisions: dict[int, Decision] = {}
    for item in root.iter("ITEM"):
        try:
            number = int(item.get("XH") or "")
        except ValueError:
            raise TransientError(f"{PLATFORM}: {what}: receipt ITEM with XH "
                                 f"{item.get('XH')!r}", platform=PLATFORM) from None
        decisions[number] = Decision(number, item.get("ZT") or "", item.get("CWDM"),
                                     item.get("CWXX"))
    return Receipt(root.get("PCH") or "", str(root.get("ZT")), decisions)


def parse_error(body: bytes) -> tuple[str | None, str | None]:
    """`<ERROR><CODE/><MSG/></ERROR>` as (code, message); (None, None) when unreadable."""
    try:
        root = parse(body, "error")
    except (TransientError, UnsafeDocument):
        return None, None
    if root.tag != "ERROR":
        return None, None
    return root.findtext("CODE"), root.findtext("MSG")


@dataclass(frozen=True)
class PublicationsPage:
    """One page of the publications listing."""

    total: int
    rows: list[dict[str, str | None]]


def parse_publications(body: bytes, what: str) -> PublicationsPage:
    """`<PUBLICATIONS total>` with `<PUB>` elements (TYSHXYDM JCRWBH JCRQ JCJGDM GSRQ)."""
    root = parse(body, what)
    if root.tag != "PUBLICATIONS":
        raise TransientError(f"{PLATFORM}: {what}: expected <PUBLICATIONS>, got <{root.tag}>",
                             platform=PLATFORM)
    try:
        total = int(root.get("total") or "0")
    except ValueError:
        raise TransientError(f"{PLATFORM}: {what}: total {root.get('total')!r} is not a number",
                             platform=PLATFORM) from None
    rows = [{child.tag: (child.text or None) for child in pub if isinstance(child.tag, str)}
            for pub in root.iter("PUB")]
    return PublicationsPage(total, rows)
