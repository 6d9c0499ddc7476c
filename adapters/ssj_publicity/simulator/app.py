"""The publicity exchange simulator: docs/platforms/publicity.md's endpoints, receipts, rules and faults.

- Batches: at most `max_records` records (413 above); a document that is not well-formed,
  carries a DOCTYPE or breaks the structure → 400 E101 and nothing of it is kept; the same PCH
  with the same content → 200 with the batch's current receipt, with other content → 409 E109.
- Receipts are PROCESSING for the first `processing_polls` polls and until `processing_seconds`
  have passed since the submission, then DONE; records are decided once, on that transition:
  E103 mandatory field missing, E104 JCRQ after today, E102 USCC not registered (in
  `unregistered`, or failing the GB 32100 check), E106 JCJG not the wording of JCJGDM,
  E105 already published (same USCC, JCRWBH and JCRQ), else ACCEPTED and public today.
- Faults (off by default): error_rate (500/503/502 HTML), rate_429, latency (seconds),
  rate_limit (requests per second, 5 as documented; 0 for none), refuse_next (the next N new
  batches are refused with E101).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from lxml import etree

from ssj_bridge.api import ResultCode, beijing_today, safe_parser, uscc_problem
from ssj_bridge.api.simulation import (
    PERMANENT,
    RATE_LIMIT,
    ForcedFault,
    ForcedFaults,
    SimRequest,
    SimResponse,
    over_limit,
)
from ssj_publicity.documents import RECORD_FIELDS

BASE = "/gsxt/exchange/v1"
XML = "application/xml; charset=utf-8"
_HTML_502 = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
             b"Gateway</h1></center><hr><center>nginx</center></body></html>")


@dataclass
class SimBatch:
    """A batch the exchange took."""

    pch: str
    sender: str
    content: bytes  # canonical content, to tell a repeat from a clash
    records: list[dict[str, str | None]]
    submitted: float
    posts: int = 1
    polls: int = 0
    decisions: list[tuple[str, str | None, str | None]] | None = None  # (ZT, CWDM, CWXX)


@dataclass
class SimPublication:
    """A record made public."""

    sender: str
    fields: dict[str, str | None]
    public_on: date
    pch: str


@dataclass
class PublicitySimulator:
    """A live exchange for one deployment (any sender with the token may submit)."""

    token: str = "demo-publicity-token"  # noqa: S105 - the simulator's own credential
    seed: int = 1
    processing_polls: int = 1
    processing_seconds: float = 0.0
    error_rate: float = 0.0
    rate_429: float = 0.0
    latency: float = 0.0
    rate_limit: float = 5.0
    max_records: int = 500
    refuse_next: int = 0
    unregistered: set[str] = field(default_factory=set)
    today: date | None = None  # the exchange's date (None: Beijing today)
    batches: dict[str, SimBatch] = field(default_factory=dict)
    published: dict[tuple[str, str, str], SimPublication] = field(default_factory=dict)
    # How many times each record was made public: more than 1 is a double publication.
    publish_counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    requests: int = 0
    faults_served: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(f"publicity-faults/{self.seed}")
        self._window: list[float] = []
        self.forced = ForcedFaults()  # faults a conformance check asks for

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PublicitySimulator:
        """Build from the `simulate` command's options (unknown options are ignored)."""
        kwargs: dict[str, Any] = {}
        for name, kind in (("token", str), ("seed", int), ("processing_polls", int),
                           ("processing_seconds", float), ("error_rate", float),
                           ("rate_429", float), ("latency", float), ("rate_limit", float),
                           ("max_records", int), ("refuse_next", int)):
            if options.get(name) is not None:
                kwargs[name] = kind(options[name])
        unregistered = options.get("unregistered")
        if unregistered:
            values = unregistered.split(",") if isinstance(unregistered, str) else unregistered
            kwargs["unregistered"] = {str(v).strip().upper() for v in values if str(v).strip()}
        return cls(**kwargs)

    def demo_credentials(self) -> dict[str, str]:
        """The settings a client needs for this simulator (SSJ_PUBLICITY__…)."""
        return {"token": self.token}

    # -- what tests and the demo change on a live exchange ------------------------------------

    def register(self, uscc: str) -> None:
        """The enterprise gets registered: E102 no longer applies to it."""
        with self.lock:
            self.unregistered.discard(uscc)

    def unregister(self, *usccs: str) -> None:
        """These USCCs are answered E102 from now on."""
        with self.lock:
            self.unregistered.update(usccs)

    def posts(self, pch: str) -> int:
        """How many times a batch number was submitted (first time and repeats)."""
        with self.lock:
            batch = self.batches.get(pch)
            return batch.posts if batch else 0

    def receipt_status(self, pch: str) -> str | None:
        """PROCESSING or DONE, without counting as a poll (None: unknown batch)."""
        with self.lock:
            batch = self.batches.get(pch)
            if batch is None:
                return None
            return "PROCESSING" if batch.decisions is None else "DONE"

    # -- the controls of ssj_bridge.testing (conformance suite) --------------------------------

    def expected_keys(self, entity: str) -> set[str]:
        """The exchange feeds nothing into the store."""
        raise NotImplementedError("the exchange is written to, not read from, by sync")

    def bad_keys(self, entity: str) -> set[str]:
        """The exchange feeds nothing into the store."""
        raise NotImplementedError("the exchange is written to, not read from, by sync")

    def change_first(self, entity: str) -> str | None:
        """The exchange feeds nothing into the store."""
        raise NotImplementedError("the exchange is written to, not read from, by sync")

    def set_clock(self, offset: float) -> None:
        """Nothing is read from this platform by update time."""
        raise NotImplementedError("nothing on this platform is read by update time")

    def revoke_credentials(self) -> None:
        """The token is not a session: nothing to end."""
        raise NotImplementedError("the exchange has no sessions")

    def applied_writes(self) -> int:
        """Records made public (a repeat publishes nothing)."""
        with self.lock:
            return sum(self.publish_counts.values())

    def signature_failures(self) -> int:
        """The exchange signs nothing."""
        raise NotImplementedError("the exchange signs nothing")

    # -- HTTP -----------------------------------------------------------------------------------

    def __call__(self, request: SimRequest) -> SimResponse:
        """Answer one request as docs/platforms/publicity.md describes."""
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.requests += 1
            if self._over_limit():
                return SimResponse(429, _error("E429", "请求过于频繁"), XML, {"Retry-After": "1"})
        if request.headers.get("x-exchange-token") != self.token:
            return SimResponse(401, _error("E401", "令牌无效"), XML)
        forced = self.forced.take()
        if forced is not None:
            return _forced(forced)
        fault = self._fault()
        if fault is not None:
            return fault
        path = request.path
        if request.method == "POST" and path == f"{BASE}/batches":
            return self._submit(request.body)
        if request.method == "GET" and path.startswith(f"{BASE}/batches/") \
                and path.endswith("/receipt"):
            return self._receipt(path[len(f"{BASE}/batches/"):-len("/receipt")])
        if request.method == "GET" and path == f"{BASE}/publications":
            return self._publications(request.query)
        return SimResponse(404, _error("E404", "接口不存在"), XML)

    def _over_limit(self) -> bool:
        return over_limit(self._window, self.rate_limit)

    def _fault(self) -> SimResponse | None:
        with self.lock:
            roll = self.rng.random()
            pick = self.rng.random()
            if roll < self.error_rate:
                self.faults_served += 1
                if pick < 0.4:
                    return SimResponse(503, _error("E503", "系统繁忙"), XML)
                if pick < 0.7:
                    return SimResponse(500, _error("E500", "系统错误"), XML)
                return SimResponse(502, _HTML_502, "text/html")
            if roll - self.error_rate < self.rate_429:
                self.faults_served += 1
                return SimResponse(429, _error("E429", "请求过于频繁"), XML,
                                   {"Retry-After": "1"} if pick < 0.5 else {})
        return None

    # -- batches --------------------------------------------------------------------------------

    def _submit(self, body: bytes) -> SimResponse:
        root, problem = _read(body)
        if root is None:
            return SimResponse(400, _error("E101", f"报文格式错误: {problem}"), XML)
        records = root.findall("RECORD")
        if len(records) > self.max_records:
            return SimResponse(413, _error("E413", f"记录数超过{self.max_records}条"), XML)
        broken = _structure(root, records)
        if broken is not None:
            return SimResponse(400, _error("E101", f"报文结构错误: {broken}"), XML)
        pch, sender = str(root.get("PCH")), str(root.get("FSJG"))
        fields = [{name: (r.findtext(name) or "").strip() or None for name in RECORD_FIELDS}
                  for r in records]
        content = orjson.dumps({"FSJG": sender, "records": fields})
        with self.lock:
            known = self.batches.get(pch)
            if known is not None:
                if known.content != content:
                    return SimResponse(409, _error("E109", "批次号重复"), XML)
                known.posts += 1
                return SimResponse(200, self._receipt_body(known), XML)
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return SimResponse(400, _error("E101", "报文结构不符合规范"), XML)
            batch = SimBatch(pch, sender, content, fields, time.monotonic())
            self.batches[pch] = batch
            return SimResponse(202, self._receipt_body(batch), XML)

    def _receipt(self, pch: str) -> SimResponse:
        with self.lock:
            batch = self.batches.get(pch)
            if batch is None:
                return SimResponse(404, _error("E404", "批次不存在"), XML)
            batch.polls += 1
            ready = (batch.polls > self.processing_polls
                     and time.monotonic() - batch.submitted >= self.processing_seconds)
            if batch.decisions is None and ready:
                batch.decisions = [self._decide(batch, r) for r in batch.records]
            return SimResponse(200, self._receipt_body(batch), XML)

    def _decide(self, batch: SimBatch, record: dict[str, str | None]
                ) -> tuple[str, str | None, str | None]:
        missing = [name for name in RECORD_FIELDS if not record[name]]
        if missing:
            return "REJECTED", "E103", f"必填项缺失: {','.join(missing)}"
        try:
            inspected = date.fromisoformat(str(record["JCRQ"]))
        except ValueError:
            return "REJECTED", "E103", "检查日期格式错误"
        if inspected > (self.today or beijing_today()):
            return "REJECTED", "E104", "检查日期晚于当前日期"
        uscc = str(record["TYSHXYDM"])
        if uscc in self.unregistered or uscc_problem(uscc) is not None:
            return "REJECTED", "E102", "统一社会信用代码未登记"
        try:
            wording: str | None = ResultCode(str(record["JCJGDM"])).wording
        except ValueError:
            wording = None
        if wording is None or record["JCJG"] != wording:
            return "REJECTED", "E106", "检查结果与检查结果代码不符"
        key = (uscc, str(record["JCRWBH"]), inspected.isoformat())
        if key in self.published:
            return "REJECTED", "E105", "该检查结果已公示"
        self.published[key] = SimPublication(batch.sender, dict(record),
                                             self.today or beijing_today(), batch.pch)
        self.publish_counts[key] += 1
        return "ACCEPTED", None, None

    def _receipt_body(self, batch: SimBatch) -> bytes:
        if batch.decisions is None:
            root = etree.Element("RECEIPT", PCH=batch.pch, ZT="PROCESSING")
        else:
            root = etree.Element("RECEIPT", PCH=batch.pch, ZT="DONE")
            for number, (status, code, message) in enumerate(batch.decisions, start=1):
                item = etree.SubElement(root, "ITEM", XH=str(number), ZT=status)
                if code:
                    item.set("CWDM", code)
                    item.set("CWXX", message or "")
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    # -- publications listing -------------------------------------------------------------------

    def _publications(self, query: Mapping[str, str]) -> SimResponse:
        sender = query.get("FSJG")
        try:
            since = date.fromisoformat(query.get("since", "1970-01-01"))
            page = int(query.get("page", "1"))
            size = int(query.get("size", "500"))
        except ValueError as exc:
            return SimResponse(400, _error("E100", f"参数错误: {exc}"), XML)
        if not sender or page < 1 or not 1 <= size <= 500:
            return SimResponse(400, _error("E100", "FSJG 必填, page ≥ 1, size 1–500"), XML)
        with self.lock:
            rows = sorted((p for p in self.published.values()
                           if p.sender == sender and p.public_on >= since),
                          key=lambda p: (p.public_on, str(p.fields["TYSHXYDM"]),
                                         str(p.fields["JCRWBH"]), str(p.fields["JCRQ"])))
        chosen = rows[(page - 1) * size:page * size]
        root = etree.Element("PUBLICATIONS", total=str(len(rows)), page=str(page),
                             size=str(size))
        for pub in chosen:
            element = etree.SubElement(root, "PUB")
            for name in ("TYSHXYDM", "JCRWBH", "JCRQ", "JCJGDM"):
                etree.SubElement(element, name).text = pub.fields[name]
            etree.SubElement(element, "GSRQ").text = pub.public_on.isoformat()
        return SimResponse(200, bytes(etree.tostring(root, xml_declaration=True,
                                                     encoding="UTF-8")), XML)

    # -- for tests ------------------------------------------------------------------------------

    def public_keys(self) -> set[tuple[str, str, str]]:
        """(USCC, JCRWBH, JCRQ) of everything made public."""
        with self.lock:
            return set(self.published)

    def double_publications(self) -> list[tuple[str, str, str]]:
        """Records made public more than once (must stay empty)."""
        with self.lock:
            return [key for key, count in self.publish_counts.items() if count > 1]

    def set_unregistered(self, usccs: Iterable[str]) -> None:
        """Replace the set of unregistered USCCs."""
        with self.lock:
            self.unregistered = set(usccs)

    # -- differences a reconciliation test plants; key: (USCC, JCRWBH, JCRQ) ---------------

    def lose(self, key: tuple[str, str, str]) -> None:
        """The exchange loses a public record, as if it had never been published."""
        with self.lock:
            del self.published[key]
            self.publish_counts[key] -= 1

    def change(self, key: tuple[str, str, str], **fields: str) -> None:
        """A public record's elements change at the exchange (e.g. JCJGDM)."""
        with self.lock:
            self.published[key].fields.update(fields)

    def add(self, sender: str, fields: dict[str, str | None], public_on: date) -> None:
        """A public record the sender's store has never sent appears."""
        with self.lock:
            key = (str(fields["TYSHXYDM"]), str(fields["JCRWBH"]), str(fields["JCRQ"]))
            self.published[key] = SimPublication(sender, dict(fields), public_on, "external")


def _read(body: bytes) -> tuple[Any, str]:
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        return None, "不接受 DOCTYPE"
    try:
        return etree.fromstring(body, safe_parser()), ""
    except etree.XMLSyntaxError as exc:
        return None, str(exc)


def _structure(root: Any, records: list[Any]) -> str | None:
    if root.tag != "BATCH":
        return f"根元素应为 BATCH, 实为 {root.tag}"
    pch = root.get("PCH") or ""
    if not pch or len(pch) > 64:
        return "PCH 应为 1–64 个字符"
    if not (root.get("FSJG") or "").strip():
        return "缺少 FSJG"
    if root.get("RECORDS") != str(len(records)):
        return f"RECORDS={root.get('RECORDS')!r} 与 RECORD 数 {len(records)} 不符"
    if len(root) != len(records):
        return "BATCH 只能包含 RECORD"
    for number, record in enumerate(records, start=1):
        if record.get("XH") != str(number):
            return f"第 {number} 个 RECORD 的 XH 应为 {number}"
        names = [child.tag for child in record]
        unknown = [n for n in names if n not in RECORD_FIELDS]
        if unknown or len(names) != len(set(names)):
            return f"RECORD XH={number} 含未知或重复的元素 {unknown or names}"
    return None


def _error(code: str, message: str) -> bytes:
    root = etree.Element("ERROR")
    etree.SubElement(root, "CODE").text = code
    etree.SubElement(root, "MSG").text = message
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _forced(fault: ForcedFault) -> SimResponse:
    """A forced fault in docs/platforms/publicity.md's words."""
    if fault.kind == PERMANENT:
        return SimResponse(400, _error("E101", "报文格式错误"), XML)
    if fault.kind == RATE_LIMIT:
        return SimResponse(429, _error("E429", "请求过于频繁"), XML,
                           {"Retry-After": f"{fault.retry_after or 1:g}"})
    return SimResponse(503, _error("E503", "系统繁忙"), XML)
