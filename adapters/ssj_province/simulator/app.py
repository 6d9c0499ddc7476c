"""The provincial platform simulator over HTTP: signatures, clock and nonce rules, idempotent
writes, the rate limit, and faults on demand.

Every request's (X-Timestamp, X-Nonce) is recorded in `seen`, and every refusal of the signing
rules counted in `auth_rejections`, so tests can prove a client never sends a stale timestamp
or a used nonce, retries included.

Faults (all off by default): error_rate (500/502 HTML/503/504/200+50001, before anything is
applied), rate_429 (half with Retry-After), truncate_rate (a listing cut off mid-body),
latency (seconds), drop_after_apply_rate (a write is applied and remembered, then its answer is
lost: the connection drops, or with drop_delay > 0 the answer comes that many seconds late),
clock_offset (seconds the platform's clock is ahead). rate_limit: requests per second per app
key (10 as docs/platforms/province.md says; 0 for none).
"""

from __future__ import annotations

import hmac
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ssj_bridge.api import beijing_now, region_prefix
from ssj_bridge.api.simulation import (
    ForcedFaults,
    SimRequest,
    SimResponse,
    forced_answer,
    over_limit,
    random_fault,
)
from ssj_bridge.api.simulation import envelope as _envelope
from ssj_province.signing import canonical_query, signature
from ssj_province.simulator.dataset import higher_level_draws
from ssj_province.simulator.platform import KEY_FIELDS, Answer, ProvincePlatform, since_text

CLOCK_SKEW_MS = 300_000
NONCE_WINDOW = 15 * 60.0
REQUEST_MEMORY = 24 * 3600.0
_NONCE = re.compile(r"^[A-Za-z0-9]{16,64}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_LISTINGS = ("subjects", "inspectors", "tasks", "results")

def _answer(answer: Answer) -> SimResponse:
    status, code, msg, data = answer
    return SimResponse(status, _envelope(code, msg, data))


class ProvinceSimulator:
    """A live provincial platform for one app key and its area."""

    def __init__(self, platform: ProvincePlatform, *, app_key: str = "demo-province-key",
                 app_secret: str = "demo-province-secret",  # noqa: S107 - the simulator's own
                 seed: int = 1, error_rate: float = 0.0, rate_429: float = 0.0,
                 truncate_rate: float = 0.0, latency: float = 0.0, rate_limit: float = 10.0,
                 drop_after_apply_rate: float = 0.0, drop_delay: float = 0.0,
                 clock_offset: float = 0.0, request_memory: float = REQUEST_MEMORY) -> None:
        self.platform = platform
        self.app_key = app_key
        self.app_secret = app_secret
        self.error_rate = error_rate
        self.rate_429 = rate_429
        self.truncate_rate = truncate_rate
        self.latency = latency
        self.rate_limit = rate_limit
        self.drop_after_apply_rate = drop_after_apply_rate
        self.drop_delay = drop_delay
        self.clock_offset = clock_offset
        self.request_memory = request_memory  # seconds a requestId is remembered (24 h)
        self.rng = random.Random(f"province-faults/{seed}")
        self.lock = threading.RLock()
        self.requests = 0
        self.faults_served = 0
        self.dropped = 0
        self.rate_limited = 0  # requests refused by the 10/s limit (not by rate_429 faults)
        self.seen: list[tuple[str, str]] = []
        self.auth_rejections: dict[int, int] = {}
        self.request_ids: dict[str, int] = {}  # requestId → times it was received
        self._nonces: dict[str, float] = {}
        self._remembered: dict[str, tuple[float, SimResponse]] = {}
        self._window: list[float] = []
        self.forced = ForcedFaults()  # faults a conformance check asks for

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ProvinceSimulator:
        """Build from the `simulate` command's options (unknown options are ignored)."""
        region = str(options.get("region", "371000"))
        seed = int(options.get("seed", 1))
        offset = float(options.get("clock_offset") or 0.0)

        def clock() -> datetime:
            return beijing_now() + timedelta(seconds=offset)

        seeded = higher_level_draws(region, int(options.get("subjects", 1000)), seed,
                                    clock().date(), count=int(options.get("platform_tasks", 3)))
        platform = ProvincePlatform(region, seed=seed, seeded=seeded, clock=clock,
                                    auto_results=_flag(options.get("auto_results", True)),
                                    results_delay=float(options.get("results_delay") or 0.0))
        floats = ("error_rate", "rate_429", "truncate_rate", "latency", "rate_limit",
                  "drop_after_apply_rate", "drop_delay", "clock_offset", "request_memory")
        kwargs: dict[str, Any] = {k: float(options[k]) for k in floats
                                  if options.get(k) is not None}
        for name in ("app_key", "app_secret"):
            if options.get(name):
                kwargs[name] = str(options[name])
        return cls(platform, seed=seed, **kwargs)

    def demo_credentials(self) -> dict[str, str]:
        """The settings a client needs for this simulator (SSJ_PROVINCE__…)."""
        return {"app_key": self.app_key, "app_secret": self.app_secret}

    @property
    def applied(self) -> int:
        """Writes that changed something on the platform (a repeat changes nothing)."""
        return self.platform.applied

    def now(self) -> float:
        """The platform's clock, Unix seconds."""
        return time.time() + self.clock_offset

    # -- the controls of ssj_bridge.testing (conformance suite) --------------------------------

    def _listed(self, entity: str) -> dict[str, dict[str, Any]]:
        # The streams' entities (`task-listing`, `result-listing`) or the records' own names.
        kind = entity.removesuffix("-listing")
        if kind == "task":
            return self.platform.tasks
        if kind == "result":
            return self.platform.results
        raise ValueError(f"the provincial platform lists no entity {entity!r} for sync")

    def expected_keys(self, entity: str) -> set[str]:
        """taskIds or resultIds a correct client stores (the platform holds nothing malformed)."""
        with self.lock:
            return set(self._listed(entity))

    def bad_keys(self, entity: str) -> set[str]:
        """The platform validates what it takes: its listings hold nothing malformed."""
        return set()

    def change_first(self, entity: str) -> str | None:
        """Change the record first in the listing's order now (it moves to the end)."""
        with self.lock:
            records = self._listed(entity)
            if not records:
                return None
            key_field = "taskId" if entity.startswith("task") else "resultId"
            first = min(records.values(), key=lambda r: (r["updateTime"], r[key_field]))
            first["updateTime"] = self.platform.stamp()
            return str(first[key_field])

    def set_clock(self, offset: float) -> None:
        """Stamp changes `offset` seconds off this machine's clock (negative: behind)."""
        with self.lock:
            self.platform.stamp_offset = offset

    def revoke_credentials(self) -> None:
        """Every request is signed: there is no session to end."""
        raise NotImplementedError("the provincial platform has no sessions")

    def applied_writes(self) -> int:
        """Writes that changed something on the platform."""
        with self.lock:
            return self.applied

    def signature_failures(self) -> int:
        """Requests refused for a wrong signature (40104)."""
        with self.lock:
            return self.auth_rejections.get(40104, 0)

    # -- differences a reconciliation test plants (listing names: subjects, inspectors,
    #    tasks, results) -------------------------------------------------------------------------

    def _held(self, listing: str) -> dict[str, dict[str, Any]]:
        if listing not in KEY_FIELDS:
            raise ValueError(f"the provincial platform lists no {listing!r}")
        held: dict[str, dict[str, Any]] = getattr(self.platform, listing)
        return held

    def drop(self, listing: str, key: str) -> dict[str, Any]:
        """The platform loses a record (a task with recorded results cannot be lost alone)."""
        with self.lock:
            if listing == "tasks" and any(t == key for t, _ in self.platform.result_ids):
                raise ValueError(f"task {key} has recorded results; drop them first")
            record = self._held(listing).pop(key)
            if listing == "tasks":
                self.platform.pushed.pop(key, None)
                self.platform.pending = [p for p in self.platform.pending if p.task_id != key]
            if listing == "results":
                self.platform.result_ids.pop((record["taskId"], record["uscc"]), None)
                self.platform.versions.pop(key, None)
            return record

    def change(self, listing: str, key: str, *, stamp: str | None = None,
               **fields: Any) -> None:
        """Someone changes a record on the platform; `stamp` backdates its updateTime (a
        platform restored from an older copy), else it is stamped now."""
        with self.lock:
            record = self._held(listing)[key]
            record.update(fields)
            record["updateTime"] = stamp or self.platform.stamp()

    def add(self, listing: str, record: dict[str, Any]) -> None:
        """A record this deployment never sent appears on the platform."""
        with self.lock:
            key = str(record[KEY_FIELDS[listing]])
            self._held(listing)[key] = {**record, "updateTime": self.platform.stamp()}

    def list_twice(self, listing: str, key: str) -> None:
        """The listing shows one record twice from now on."""
        with self.lock:
            self.platform.listed_twice.add((listing, key))

    def revert_result(self, result_id: str) -> None:
        """The platform loses a result's latest correction: the version before is current."""
        with self.lock:
            versions = self.platform.versions[result_id]
            if len(versions) < 2:
                raise ValueError(f"result {result_id} has a single version")
            versions.pop()
            previous = {k: v for k, v in versions[-1].items()
                        if k not in ("approvedBy", "reason")}
            self.platform.results[result_id] = previous

    # -- HTTP -----------------------------------------------------------------------------------

    def __call__(self, request: SimRequest) -> SimResponse:
        """Answer one request as docs/platforms/province.md describes."""
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.requests += 1
            if self._over_limit():
                self.rate_limited += 1
                return SimResponse(429, _envelope(42901, "rate limited"),
                                   headers={"Retry-After": "1"})
            refused = self._authenticate(request)
            if refused is not None:
                return refused
            self.platform.advance()
        forced = self.forced.take()
        if forced is not None:
            return forced_answer(forced, signed=True)
        fault = self._fault()
        if fault is not None:
            return fault
        path = request.path
        if request.method == "GET" and path.startswith("/ssj/v1/"):
            kind = path.removeprefix("/ssj/v1/")
            if kind in _LISTINGS:
                return self._list(kind, request.query)
        if request.method == "POST":
            route = self._route(path)
            if route is not None:
                return self._write(request, route)
        return SimResponse(404, _envelope(40401, "no such endpoint"))

    def _route(self, path: str) -> Callable[[dict[str, Any]], Answer] | None:
        if path in ("/ssj/v1/subjects:batchUpsert", "/ssj/v1/inspectors:batchUpsert"):
            kind = path.removeprefix("/ssj/v1/").removesuffix(":batchUpsert")
            return lambda body: self.platform.upsert_library(kind, body.get("items"))
        if path == "/ssj/v1/tasks":
            return lambda body: self.platform.push_task(body.get("task"))
        if path == "/ssj/v1/results":
            return lambda body: self.platform.record_result(body.get("result"))
        match = re.fullmatch(r"/ssj/v1/results/([^/]+)/corrections", path)
        if match is not None:
            result_id = match.group(1)
            return lambda body: self.platform.correct(result_id, body.get("correction"))
        return None

    def _over_limit(self) -> bool:
        return over_limit(self._window, self.rate_limit)

    def _authenticate(self, request: SimRequest) -> SimResponse | None:
        headers = request.headers
        key, stamp = headers.get("x-app-key"), headers.get("x-timestamp")
        nonce, signed = headers.get("x-nonce"), headers.get("x-signature")
        if not (key and stamp and nonce and signed):
            return self._refuse(40104, "missing X-App-Key, X-Timestamp, X-Nonce or X-Signature")
        self.seen.append((stamp, nonce))
        if key != self.app_key:
            return self._refuse(40104, "unknown app key")
        try:
            skew = abs(self.now() * 1000 - int(stamp))
        except ValueError:
            return self._refuse(40102, "X-Timestamp is not Unix milliseconds")
        if skew > CLOCK_SKEW_MS:
            return self._refuse(40102, "timestamp expired")
        if not _NONCE.match(nonce):
            return self._refuse(40104, "X-Nonce must be 16–64 characters from [A-Za-z0-9]")
        query = canonical_query(parse_qsl(request.raw_query, keep_blank_values=True))
        expected = signature(self.app_secret, request.method, request.path, query, stamp, nonce,
                             request.body)
        if not hmac.compare_digest(expected, signed.lower()):
            return self._refuse(40104, "signature mismatch")
        now = time.monotonic()
        if len(self._nonces) > 10_000:
            self._nonces = {n: t for n, t in self._nonces.items() if now - t < NONCE_WINDOW}
        used = self._nonces.get(nonce)
        if used is not None and now - used < NONCE_WINDOW:
            return self._refuse(40103, "nonce already used")
        self._nonces[nonce] = now
        return None

    def _refuse(self, code: int, message: str) -> SimResponse:
        self.auth_rejections[code] = self.auth_rejections.get(code, 0) + 1
        return SimResponse(401, _envelope(code, message))

    def _fault(self) -> SimResponse | None:
        fault = random_fault(self.rng, self.lock, error_rate=self.error_rate,
                             rate_429=self.rate_429)
        if fault is not None:
            self.faults_served += 1
        return fault

    def _list(self, kind: str, query: Mapping[str, str]) -> SimResponse:
        region = query.get("regionCode", "")
        if len(region) != 6 or not region.isdigit():
            return SimResponse(400, _envelope(40001, "regionCode is required"))
        if not (region.startswith(region_prefix(self.platform.region)) or
                self.platform.region.startswith(region_prefix(region))):
            return SimResponse(403, _envelope(40301, "no permission for this region"))
        try:
            page_no = int(query.get("pageNo", "1"))
            page_size = int(query.get("pageSize", "100"))
            since = since_text(query.get("updatedSince"))
        except ValueError as exc:
            return SimResponse(400, _envelope(40001, f"bad parameter: {exc}"))
        if page_no < 1 or not 1 <= page_size <= 1000:
            return SimResponse(400, _envelope(40001, "pageNo ≥ 1, pageSize 1–1000"))
        with self.lock:
            data = self.platform.listing(kind, region, since, page_no, page_size)
            truncate = self.truncate_rate and self.rng.random() < self.truncate_rate
        payload = _envelope(0, "ok", data)
        if truncate:
            self.faults_served += 1
            return SimResponse(200, payload, truncate_to=max(1, len(payload) // 2))
        return SimResponse(200, payload)

    def _write(self, request: SimRequest, apply: Callable[[dict[str, Any]], Answer]) -> SimResponse:
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return SimResponse(400, _envelope(40001, "body is not JSON"))
        request_id = body.get("requestId") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
            return SimResponse(400, _envelope(40001, "requestId must be 8–64 characters from "
                                                     "[A-Za-z0-9_-]"))
        with self.lock:
            self.request_ids[request_id] = self.request_ids.get(request_id, 0) + 1
            now = time.monotonic()
            remembered = self._remembered.get(request_id)
            if remembered is not None and now - remembered[0] < self.request_memory:
                return remembered[1]  # the first answer, whatever this body says
            response = _answer(apply(body))
            self._remembered[request_id] = (now, response)
            drop = self.drop_after_apply_rate and self.rng.random() < self.drop_after_apply_rate
        if not drop:
            return response
        self.dropped += 1
        if self.drop_delay:
            time.sleep(self.drop_delay)
            return response
        return SimResponse(response.status, response.body, response.content_type,
                           dict(response.headers), truncate_to=0)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)
