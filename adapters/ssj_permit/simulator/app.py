"""The permit platform simulator: docs/platforms/permit.md's endpoints over the synthetic
dataset, with faults.

Pages are assembled from pre-rendered record JSON, so a client is measured, not the simulator.
Faults (all off by default): error_rate (500/502 HTML/503/504/200+50001), rate_429 (half with
Retry-After), truncate_rate (a body cut off mid-document), latency (seconds), revoke_every (revoke
every token after N data calls), live_updates (records moved to the end per list call),
rate_limit (requests per second per appId, as the platform enforces it; 0 for none).
"""

from __future__ import annotations

import bisect
import json
import random
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from ssj_bridge.api import BEIJING, beijing_now, region_prefix
from ssj_bridge.api.simulation import (
    ForcedFaults,
    SimRequest,
    SimResponse,
    forced_answer,
    over_limit,
    random_fault,
)
from ssj_bridge.api.simulation import envelope as _envelope
from ssj_permit.simulator.dataset import PermitDataset, build, iso


def _render(record: dict[str, Any]) -> bytes:
    """A record's JSON, copied to its own size: orjson ≥ 3.12 returns bytes inside a buffer of
    4 KiB or more, which would make 200,000 pre-rendered records take 2 GB."""
    return bytes(memoryview(orjson.dumps(record)))


class PermitSimulator:
    """A live permit platform for one region."""

    def __init__(self, dataset: PermitDataset, *, region: str, app_id: str = "demo-app",
                 app_secret: str = "demo-secret",  # noqa: S107 - the simulator's own credential
                 seed: int = 1, error_rate: float = 0.0,
                 rate_429: float = 0.0, truncate_rate: float = 0.0, latency: float = 0.0,
                 revoke_every: int = 0, live_updates: int = 0, rate_limit: float = 20.0) -> None:
        self.dataset = dataset
        self.region = region
        self.app_id = app_id
        self.app_secret = app_secret
        self.error_rate = error_rate
        self.rate_429 = rate_429
        self.truncate_rate = truncate_rate
        self.latency = latency
        self.revoke_every = revoke_every
        self.live_updates = live_updates
        self.rate_limit = rate_limit
        self.rng = random.Random(f"faults/{seed}")
        self.lock = threading.Lock()
        self.clock_offset = 0.0  # seconds its stamps run off this machine's clock (set_clock)
        self.tokens: set[str] = set()
        self.data_calls = 0
        self.requests = 0
        self.faults_served = 0
        self._window: list[float] = []
        self.forced = ForcedFaults()  # faults a conformance check asks for
        self.records: dict[str, dict[str, Any]] = {}
        self.rendered: dict[str, bytes] = {}
        self.order: list[tuple[str, str]] = []
        for record in dataset.records:
            key = str(record["permitNo"])
            self.records[key] = record
            self.rendered[key] = _render(record)
            self.order.append((str(record["updateTime"]), key))
        self.order.sort()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PermitSimulator:
        """Build from the `simulate` command's options (unknown options are ignored)."""
        region = str(options.get("region", "371000"))
        seed = int(options.get("seed", 1))
        dataset = build(region, int(options.get("subjects", 1000)), seed,
                        malformed_rate=float(options.get("malformed_rate", 0.0)),
                        quirk_rate=float(options.get("quirk_rate", 0.0)),
                        same_instant=int(options.get("same_instant", 0)),
                        multi_site_every=int(options.get("multi_site_every", 7)))
        known = ("app_id", "app_secret", "error_rate", "rate_429", "truncate_rate", "latency",
                 "revoke_every", "live_updates", "rate_limit")
        kwargs = {k: options[k] for k in known if k in options and options[k] is not None}
        for name in ("error_rate", "rate_429", "truncate_rate", "latency", "rate_limit"):
            if name in kwargs:
                kwargs[name] = float(kwargs[name])
        for name in ("revoke_every", "live_updates"):
            if name in kwargs:
                kwargs[name] = int(kwargs[name])
        return cls(dataset, region=region, seed=seed, **kwargs)

    def demo_credentials(self) -> dict[str, str]:
        """The settings a client needs for this simulator (SSJ_PERMIT__…)."""
        return {"app_id": self.app_id, "app_secret": self.app_secret}

    # -- what tests and the demo change on a live platform -------------------------------------

    def revoke_tokens(self) -> None:
        """Revoke every issued token (the next data call gets 40101)."""
        with self.lock:
            self.tokens.clear()

    def touch(self, permit_no: str, **changes: Any) -> None:
        """Change a permit now: it gets a new updateTime and moves to the end of the order."""
        with self.lock:
            self._touch(permit_no, changes)

    def add(self, record: dict[str, Any]) -> None:
        """Add a permit now."""
        with self.lock:
            key = record["permitNo"]
            self.records[key] = dict(record)
            self.order.append(("", key))
            self._touch(key, {}, known=False)

    def poison(self, permit_no: str, depth: int = 300) -> None:
        """Nest the address of a permit `depth` lists deep, now: valid JSON (the platform's
        parser takes it) that a client's mapping may not survive. The permit counts as bad."""
        with self.lock:
            nested: Any = "山东省威海市"
            for _ in range(depth):
                nested = [nested]
            self._touch(permit_no, {})
            record = self.records[permit_no]
            record["address"] = nested
            # orjson refuses to write past 255 levels; the standard library goes deeper.
            self.rendered[permit_no] = json.dumps(record, ensure_ascii=False).encode()
            self.dataset.malformed[permit_no] = "deep_nesting"

    # -- the controls of ssj_bridge.testing (conformance suite) --------------------------------

    def expected_keys(self, entity: str) -> set[str]:
        """Permit numbers a correct client stores: every record that is not wrong at the source."""
        with self.lock:
            return set(self.records) - set(self.dataset.malformed)

    def bad_keys(self, entity: str) -> set[str]:
        """Permit numbers a correct client sets aside."""
        with self.lock:
            return set(self.dataset.malformed) & set(self.records)

    def change_first(self, entity: str) -> str | None:
        """Change the permit first in the listing's order now (it moves to the end)."""
        with self.lock:
            if not self.order:
                return None
            key = self.order[0][1]
            self._touch(key, {})
            return key

    def set_clock(self, offset: float) -> None:
        """Stamp changes `offset` seconds off this machine's clock (negative: behind)."""
        with self.lock:
            self.clock_offset = offset

    def revoke_credentials(self) -> None:
        """Revoke every issued token."""
        self.revoke_tokens()

    def applied_writes(self) -> int:
        """The permit platform takes no writes."""
        raise NotImplementedError("the permit platform takes no writes")

    def signature_failures(self) -> int:
        """The permit platform signs nothing."""
        raise NotImplementedError("the permit platform signs nothing")

    def _touch(self, permit_no: str, changes: Mapping[str, Any], known: bool = True) -> None:
        record = self.records[permit_no]
        old = (str(record["updateTime"]), permit_no)
        if known:
            index = bisect.bisect_left(self.order, old)
            if index < len(self.order) and self.order[index] == old:
                del self.order[index]
        else:
            self.order.remove(("", permit_no))
        stamp = iso(beijing_now() + timedelta(seconds=self.clock_offset))
        if self.order and self.order[-1][0] > stamp:
            stamp = self.order[-1][0]
        record.update(changes)
        record["updateTime"] = stamp
        if self.dataset.malformed.get(permit_no) == "bad_update_time":
            del self.dataset.malformed[permit_no]  # the update wrote a readable time
        self.rendered[permit_no] = _render(record)
        bisect.insort(self.order, (stamp, permit_no))

    # -- HTTP ---------------------------------------------------------------------------------

    def __call__(self, request: SimRequest) -> SimResponse:
        """Answer one request as docs/platforms/permit.md describes."""
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.requests += 1
            if self._over_limit():
                return SimResponse(429, _envelope(42901, "rate limited"),
                                   headers={"Retry-After": "1"})
        if request.method == "POST" and request.path == "/api/v1/auth/token":
            return self._token(request)
        if request.method != "GET" or not request.path.startswith("/api/v1/permits"):
            return SimResponse(404, _envelope(40401, "no such endpoint"))
        auth = request.headers.get("authorization", "")
        with self.lock:
            self.data_calls += 1
            if self.revoke_every and self.data_calls % self.revoke_every == 0:
                self.tokens.clear()
            authorised = auth.startswith("Bearer ") and auth[7:] in self.tokens
        if not authorised:
            return SimResponse(401, _envelope(40101, "token invalid or expired"))
        forced = self.forced.take()
        if forced is not None:
            return forced_answer(forced)
        fault = self._fault()
        if fault is not None:
            return fault
        path = request.path
        if path == "/api/v1/permits":
            return self._list(request.query)
        if path == "/api/v1/permits/count":
            return self._count(request.query)
        return self._one(path.removeprefix("/api/v1/permits/"))

    def _over_limit(self) -> bool:
        return over_limit(self._window, self.rate_limit)

    def _token(self, request: SimRequest) -> SimResponse:
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return SimResponse(400, _envelope(40001, "body is not JSON"))
        if body.get("appId") != self.app_id or body.get("appSecret") != self.app_secret:
            return SimResponse(401, _envelope(40101, "bad appId or appSecret"))
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens.add(token)
        return SimResponse(200, _envelope(0, "ok", {"accessToken": token, "expiresIn": 7200}))

    def _fault(self) -> SimResponse | None:
        fault = random_fault(self.rng, self.lock, error_rate=self.error_rate,
                             rate_429=self.rate_429)
        if fault is not None:
            self.faults_served += 1
        return fault

    def _scope(self, query: Mapping[str, str]) -> tuple[str | None, SimResponse | None]:
        region = query.get("regionCode")
        if not region or len(region) != 6 or not region.isdigit():
            return None, SimResponse(400, _envelope(40001, "regionCode is required"))
        if not region.startswith(region_prefix(self.region)):
            return None, SimResponse(403, _envelope(40301, "no permission for this region"))
        return region, None

    def _list(self, query: Mapping[str, str]) -> SimResponse:
        region, error = self._scope(query)
        if error is not None or region is None:
            return error or SimResponse(400)
        try:
            page_no = int(query.get("pageNo", "1"))
            page_size = int(query.get("pageSize", "100"))
            since = _since(query.get("updatedSince"))
        except ValueError as exc:
            return SimResponse(400, _envelope(40001, f"bad parameter: {exc}"))
        if page_no < 1 or not 1 <= page_size <= 1000:
            return SimResponse(400, _envelope(40001, "pageNo ≥ 1, pageSize 1–1000"))
        with self.lock:
            order = self.order
            start = bisect.bisect_left(order, (since, "")) if since else 0
            prefix = region_prefix(region)
            if prefix == region_prefix(self.region):
                total = len(order) - start
                chosen = order[start + (page_no - 1) * page_size:start + page_no * page_size]
            else:
                matching = [o for o in order[start:]
                            if str(self.records[o[1]].get("regionCode", "")).startswith(prefix)]
                total = len(matching)
                chosen = matching[(page_no - 1) * page_size:page_no * page_size]
            body = b",".join(self.rendered[key] for _, key in chosen)
            for _ in range(self.live_updates):
                if self.order:
                    _, key = self.order[self.rng.randrange(len(self.order))]
                    self._touch(key, {})
            truncate = self.truncate_rate and self.rng.random() < self.truncate_rate
        payload = (b'{"code":0,"msg":"ok","data":{"total":%d,"pageNo":%d,"pageSize":%d,'
                   b'"records":[%s]}}' % (total, page_no, page_size, body))
        if truncate:
            self.faults_served += 1
            return SimResponse(200, payload, truncate_to=max(1, len(payload) // 2))
        return SimResponse(200, payload)

    def _count(self, query: Mapping[str, str]) -> SimResponse:
        region, error = self._scope(query)
        if error is not None or region is None:
            return error or SimResponse(400)
        prefix = region_prefix(region)
        with self.lock:
            total = sum(1 for r in self.records.values()
                        if str(r.get("regionCode", "")).startswith(prefix))
        return SimResponse(200, _envelope(0, "ok", {"total": total}))

    def _one(self, permit_no: str) -> SimResponse:
        with self.lock:
            rendered = self.rendered.get(permit_no)
        if rendered is None:
            return SimResponse(404, _envelope(40401, "not found"))
        return SimResponse(200, b'{"code":0,"msg":"ok","data":%s}' % rendered)


def _since(value: str | None) -> str | None:
    """updatedSince as a string comparable with stored updateTimes (whole seconds, +08:00)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value).astimezone(BEIJING)
    if moment.microsecond:
        # Records carry whole seconds: `>= 12:00:00.5` means `>= 12:00:01`.
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return iso(moment)
