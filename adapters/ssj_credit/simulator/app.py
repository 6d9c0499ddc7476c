"""The credit service simulator: docs/platforms/credit.md's two feeds over the synthetic dataset, with faults.

Documents are GB18030-encoded XML with the prolog, assembled from pre-rendered rows. Faults
(all off by default): error_rate (500 error document, 503 with Retry-After, gateway 502/504 HTML),
rate_429, truncate_rate (a document cut off mid-way: half of them as a complete HTTP response
whose XML stops after a ROW, half as a connection dropped mid-body), latency (seconds),
doctype_rate (a document carrying a DOCTYPE whose external entity points back at this
simulator's `/credit/v2/entity-probe`, which counts any fetch), encoding_lie_rate (a page whose
prolog declares ISO-8859-1 over its GB18030 bytes, as a misconfigured gateway rewrites it),
rate_limit (requests/s; 0: none).
A wrong X-Api-Key gets 401 with an error document.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from ssj_bridge.api import normalise_code, region_prefix
from ssj_bridge.api.simulation import (
    PERMANENT,
    RATE_LIMIT,
    ForcedFault,
    ForcedFaults,
    SimRequest,
    SimResponse,
    over_limit,
)
from ssj_credit.simulator.dataset import CreditDataset, Placed, Row, build

CONTENT_TYPE = "application/xml; charset=GB18030"
PROLOG = '<?xml version="1.0" encoding="GB18030"?>\n'
PROBE = "/credit/v2/entity-probe"
_HTML_502 = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
             b"Gateway</h1></center><hr><center>nginx</center></body></html>")
_HTML_504 = _HTML_502.replace(b"502 Bad Gateway", b"504 Gateway Time-out")


def error_document(code: str, message: str) -> bytes:
    """docs/platforms/credit.md's error document."""
    return (f"{PROLOG}<ERROR><CODE>{escape(code)}</CODE><MSG>{escape(message)}</MSG></ERROR>"
            .encode("gb18030"))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> SimResponse:
    return SimResponse(status, error_document(str(status), message), CONTENT_TYPE,
                       headers=headers or {})


class CreditSimulator:
    """A live credit service for one region."""

    def __init__(self, dataset: CreditDataset, *, region: str,
                 api_key: str = "demo-credit-key", seed: int = 1,  # the simulator's own key
                 error_rate: float = 0.0, rate_429: float = 0.0, truncate_rate: float = 0.0,
                 latency: float = 0.0, doctype_rate: float = 0.0, rate_limit: float = 0.0,
                 retry_after: int = 1, encoding_lie_rate: float = 0.0) -> None:
        self.dataset = dataset
        self.region = region
        self.api_key = api_key
        self.error_rate = error_rate
        self.rate_429 = rate_429
        self.truncate_rate = truncate_rate
        self.latency = latency
        self.doctype_rate = doctype_rate
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.encoding_lie_rate = encoding_lie_rate
        self.rng = random.Random(f"credit-faults/{seed}")
        self.lock = threading.Lock()
        self.requests = 0
        self.faults_served = 0
        self.probe_hits = 0
        self._window: list[float] = []
        self.forced = ForcedFaults()  # faults a conformance check asks for
        order = random.Random(f"credit-order/{seed}")
        self.evaluations = {year: [(p.region, _render(p.row, order))
                                   for p in placed]
                            for year, placed in dataset.evaluations.items()}
        self.risks = [(p.region, _render(p.row, order)) for p in dataset.risks]

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> CreditSimulator:
        """Build from the `simulate` command's options (unknown options are ignored).

        Its own options (`--set credit.KEY=VALUE`): vocabulary, today (YYYY-MM-DD), years
        (comma-separated), api_key, doctype_rate, retry_after, encoding_lie_rate.
        """
        region = str(options.get("region", "371000"))
        seed = int(options.get("seed", 1))
        today = options.get("today")
        years = options.get("years")
        if isinstance(years, str):
            years = [int(y) for y in years.replace(";", ",").split(",") if y.strip()]
        dataset = build(region, int(options.get("subjects", 1000)), seed,
                        vocabulary=str(options.get("vocabulary", "cn-words")),
                        today=date.fromisoformat(str(today)) if today else None,
                        years=list(years) if years else None,
                        malformed_rate=float(options.get("malformed_rate") or 0.0),
                        quirk_rate=float(options.get("quirk_rate") or 0.0))
        floats = ("error_rate", "rate_429", "truncate_rate", "latency", "doctype_rate",
                  "rate_limit", "encoding_lie_rate")
        kwargs: dict[str, Any] = {k: float(options[k]) for k in floats
                                  if options.get(k) is not None}
        if options.get("api_key"):
            kwargs["api_key"] = str(options["api_key"])
        if options.get("retry_after") is not None:
            kwargs["retry_after"] = int(options["retry_after"])
        return cls(dataset, region=region, seed=seed, **kwargs)

    def demo_credentials(self) -> dict[str, str]:
        """The settings a client needs for this simulator (SSJ_CREDIT__…)."""
        return {"api_key": self.api_key, "vocabulary": self.dataset.vocabulary}

    # -- the controls of ssj_bridge.testing (conformance suite) --------------------------------

    def _rows(self, entity: str) -> list[Row]:
        if entity == "evaluation":
            return [p.row for placed in self.dataset.evaluations.values() for p in placed]
        if entity == "risk":
            return [p.row for p in self.dataset.risks]
        raise ValueError(f"the credit service has no entity {entity!r}")

    def expected_keys(self, entity: str) -> set[str]:
        """Record keys a correct client stores: every row not made wrong at the source."""
        keys = {_row_key(row, entity) for row in self._rows(entity)}
        return keys - self.bad_keys(entity)

    def bad_keys(self, entity: str) -> set[str]:
        """Record keys a correct client sets aside."""
        keys = {_row_key(row, entity) for row in self._rows(entity)}
        return keys & set(self.dataset.malformed)

    def change_first(self, entity: str) -> str | None:
        """The feeds carry no update time: nothing moves while a client pages."""
        raise NotImplementedError("docs/platforms/credit.md's feeds have no order by update time")

    def set_clock(self, offset: float) -> None:
        """Nothing is read from this platform by update time."""
        raise NotImplementedError("nothing on this platform is read by update time")

    def revoke_credentials(self) -> None:
        """An API key is not a session: nothing to end."""
        raise NotImplementedError("the credit service has no sessions")

    def applied_writes(self) -> int:
        """The credit service takes no writes."""
        raise NotImplementedError("the credit service takes no writes")

    def signature_failures(self) -> int:
        """The credit service signs nothing."""
        raise NotImplementedError("the credit service signs nothing")

    # -- differences a reconciliation test plants (entity: evaluation or risk) ----------------

    def _feed(self, entity: str, year: int | None = None
              ) -> list[tuple[list[Placed], list[tuple[str, bytes]]]]:
        """(dataset rows, rendered rows) of the feed, per evaluation year."""
        if entity == "risk":
            return [(self.dataset.risks, self.risks)]
        if entity != "evaluation":
            raise ValueError(f"the credit service has no entity {entity!r}")
        years = [year] if year is not None else list(self.dataset.evaluations)
        for wanted in years:
            self.dataset.evaluations.setdefault(wanted, [])
            self.evaluations.setdefault(wanted, [])
        return [(self.dataset.evaluations[y], self.evaluations[y]) for y in years]

    def _find(self, entity: str, key: str) -> tuple[list[Placed], list[tuple[str, bytes]], int]:
        for placed, rendered in self._feed(entity):
            for index, item in enumerate(placed):
                if _row_key(item.row, entity) == key:
                    return placed, rendered, index
        raise KeyError(f"{entity} {key} is not in the feed")

    def drop(self, entity: str, key: str) -> Row:
        """The service stops listing a row."""
        with self.lock:
            placed, rendered, index = self._find(entity, key)
            rendered.pop(index)
            return placed.pop(index).row

    def change(self, entity: str, key: str, **elements: str | None) -> None:
        """Change elements of a listed row (None: leave the element out)."""
        with self.lock:
            placed, rendered, index = self._find(entity, key)
            placed[index].row.update(elements)
            rendered[index] = (placed[index].region,
                               _render(placed[index].row, random.Random(key)))

    def add(self, entity: str, row: Row, region: str | None = None) -> None:
        """A row the store has never seen appears (evaluations: in the year of its PJND)."""
        with self.lock:
            year = int(str(row["PJND"])) if entity == "evaluation" else None
            [(placed, rendered)] = self._feed(entity, year)
            where = region or str(row.get("XZQHDM") or self.region)
            placed.append(Placed(where, dict(row)))
            rendered.append((where, _render(row, random.Random(_row_key(row, entity)))))

    def list_twice(self, entity: str, key: str) -> None:
        """The feed lists a row twice, one right after the other."""
        with self.lock:
            placed, rendered, index = self._find(entity, key)
            placed.insert(index + 1, Placed(placed[index].region, dict(placed[index].row)))
            rendered.insert(index + 1, rendered[index])

    # -- HTTP ---------------------------------------------------------------------------------

    def __call__(self, request: SimRequest) -> SimResponse:
        """Answer one request as docs/platforms/credit.md describes."""
        if request.path == PROBE:
            with self.lock:
                self.probe_hits += 1
            return SimResponse(200, b"resolved", "text/plain")
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.requests += 1
            if self._over_limit():
                return _error(429, "请求过于频繁", {"Retry-After": "1"})
        feeds = {"/credit/v2/evaluations": self._evaluations,
                 "/credit/v2/risk-classes": self._risk_classes}
        handler = feeds.get(request.path)
        if request.method != "GET" or handler is None:
            return _error(404, "no such endpoint")
        if request.headers.get("x-api-key") != self.api_key:
            return _error(401, "API key 无效")
        forced = self.forced.take()
        if forced is not None:
            return _forced(forced)
        fault = self._fault()
        if fault is not None:
            return fault
        return handler(request)

    def _over_limit(self) -> bool:
        return over_limit(self._window, self.rate_limit)

    def _fault(self) -> SimResponse | None:
        with self.lock:
            roll = self.rng.random()
            pick = self.rng.random()
        if roll < self.error_rate:
            self.faults_served += 1
            if pick < 0.4:
                return _error(500, "系统内部错误")
            if pick < 0.7:
                return _error(503, "系统维护中", {"Retry-After": str(self.retry_after)})
            if pick < 0.85:
                return SimResponse(502, _HTML_502, "text/html")
            return SimResponse(504, _HTML_504, "text/html")
        roll -= self.error_rate
        if roll < self.rate_429:
            self.faults_served += 1
            return _error(429, "请求过于频繁", {"Retry-After": "1"})
        return None

    def _paging(self, query: Mapping[str, str]) -> tuple[str, int, int] | SimResponse:
        region = query.get("regionCode", "")
        if len(region) != 6 or not region.isdigit():
            return _error(400, "regionCode 必须为 6 位行政区划代码")
        try:
            page = int(query.get("page", "1"))
            size = int(query.get("size", "200"))
        except ValueError:
            return _error(400, "page 与 size 必须为整数")
        if page < 1 or not 1 <= size <= 500:
            return _error(400, "page ≥ 1，size 为 1–500")
        return region, page, size

    def _evaluations(self, request: SimRequest) -> SimResponse:
        paging = self._paging(request.query)
        if isinstance(paging, SimResponse):
            return paging
        year = request.query.get("year", "")
        if len(year) != 4 or not year.isdigit():
            return _error(400, "year 必须为 4 位年度")
        region, page, size = paging
        return self._page(self.evaluations.get(int(year), []), region, page, size, request)

    def _risk_classes(self, request: SimRequest) -> SimResponse:
        paging = self._paging(request.query)
        if isinstance(paging, SimResponse):
            return paging
        region, page, size = paging
        return self._page(self.risks, region, page, size, request)

    def _page(self, rows: list[tuple[str, bytes]], region: str, page: int, size: int,
              request: SimRequest) -> SimResponse:
        prefix = region_prefix(region)
        matching = [body for where, body in rows if where.startswith(prefix)]
        chosen = matching[(page - 1) * size:page * size]
        head = f'{PROLOG}<DATA total="{len(matching)}" page="{page}" size="{size}">'
        with self.lock:
            hostile = self.doctype_rate and self.rng.random() < self.doctype_rate
            truncate = self.truncate_rate and self.rng.random() < self.truncate_rate
            cut_in_transit = self.rng.random() < 0.5
            lie = self.encoding_lie_rate and self.rng.random() < self.encoding_lie_rate
        if hostile:
            self.faults_served += 1
            return SimResponse(200, self._hostile(page, size, request), CONTENT_TYPE)
        body = head.encode("gb18030") + b"".join(chosen) + b"</DATA>"
        if lie:
            self.faults_served += 1
            body = body.replace(b'encoding="GB18030"', b'encoding="ISO-8859-1"', 1)
        if truncate:
            self.faults_served += 1
            if cut_in_transit or not chosen:
                return SimResponse(200, body, CONTENT_TYPE, truncate_to=max(1, len(body) // 2))
            # A gateway that ends the document after a whole ROW: well-formed up to there.
            kept = head.encode("gb18030") + b"".join(chosen[:max(0, len(chosen) // 2)])
            return SimResponse(200, kept, CONTENT_TYPE)
        return SimResponse(200, body, CONTENT_TYPE)

    def _hostile(self, page: int, size: int, request: SimRequest) -> bytes:
        """A page whose external entities would fetch from this simulator and read a file."""
        host = request.headers.get("host", "127.0.0.1")
        return (f'{PROLOG}<!DOCTYPE DATA [\n'
                f'  <!ENTITY probe SYSTEM "http://{host}{PROBE}">\n'
                '  <!ENTITY local SYSTEM "file:///etc/hostname">\n]>\n'
                f'<DATA total="1" page="{page}" size="{size}"><ROW>'
                "<TYSHXYDM>91371002MA3C00000J</TYSHXYDM><QYMC>&probe;&local;</QYMC>"
                "<PJND>2024</PJND><PJDJ>环保诚信企业</PJDJ><FXFL>A</FXFL></ROW></DATA>"
                ).encode("gb18030")


def _forced(fault: ForcedFault) -> SimResponse:
    """A forced fault in docs/platforms/credit.md's words."""
    if fault.kind == PERMANENT:
        return _error(400, "参数错误")
    if fault.kind == RATE_LIMIT:
        return _error(429, "请求过于频繁", {"Retry-After": f"{fault.retry_after or 1:g}"})
    return _error(500, "系统内部错误")


def _row_key(row: Row, entity: str) -> str:
    """The record key of docs/platforms/credit.md's README: USCC/PJND/FBRQ or USCC/FLRQ, USCC normalised."""
    uscc = normalise_code(row.get("TYSHXYDM") or "")
    if entity == "evaluation":
        return f"{uscc}/{row.get('PJND') or ''}/{row.get('FBRQ') or ''}"
    return f"{uscc}/{row.get('FLRQ') or ''}"


def _render(row: Mapping[str, str | None], rng: random.Random) -> bytes:
    """One ROW, its elements in a random order; None is left out, "" rendered empty."""
    names = [name for name in row if row[name] is not None]
    rng.shuffle(names)
    parts = []
    for name in names:
        value = row[name] or ""
        parts.append(f"<{name}/>" if not value and rng.random() < 0.5
                     else f"<{name}>{escape(value)}</{name}>")
    return ("<ROW>" + "".join(parts) + "</ROW>").encode("gb18030")

