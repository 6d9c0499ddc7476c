"""A simulator of docs/platforms/province-gd.md's gateway: real HTTP on loopback, deterministic data, faults.

- One endpoint, `POST /gateway/api`, form-encoded, MD5-signed, always HTTP 200 with
  `{"success", "errCode", "errMsg", "result"}`; a timestamp more than 600 s off its clock is
  TIMESTAMP_EXPIRED; past `calls_per_minute` calls in one calendar minute, FREQ_LIMIT.
- Cursor chains: the first page of a listing fixes the chain's order; later changes do not
  shift it.
- Data: tasks drawn on the platform by the province (no `wbbh`), results entered on its app for
  some of them; `malformed_rate` makes some wrong at the source.
- The controls of ssj_bridge.testing (the conformance suite) and `clock` (a Unix-time callable,
  shared with the client's pacing in tests).
Options: region, subjects (the pool tasks draw from), tasks, seed, malformed_rate,
calls_per_minute (the app's limit, 100 as documented; 0 for none), app_id, app_secret.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ssj_bridge.api import BEIJING, USCC_ALPHABET, normalise_code, region_within, uscc_problem
from ssj_bridge.api.simulation import (
    PERMANENT,
    RATE_LIMIT,
    STALE_SIGNATURE,
    ForcedFault,
    ForcedFaults,
    SimRequest,
    SimResponse,
    subjects,
)
from ssj_province_gd.signing import gd_time, parse_gd_time, sign

BASE_TIME = datetime(2025, 1, 6, 9, 0, tzinfo=BEIJING)
CLOCK_SKEW = 600
TASK_MALFORMATIONS = ("bad_uscc", "bad_mode", "missing_name", "bad_date")
RESULT_MALFORMATIONS = ("bad_code", "bad_date")


class Refusal(Exception):
    """An error answer: errCode and errMsg."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _answer(result: Any = None, code: str | None = None, message: str | None = None) -> SimResponse:
    return SimResponse(200, orjson.dumps({"success": code is None, "errCode": code,
                                          "errMsg": message, "result": result}))


def _broken_uscc(uscc: str) -> str:
    return uscc[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(uscc[17]) + 1) % 31]


class Simulator:
    """A live Guangdong-style platform for one app and its area."""

    def __init__(self, *, region: str, seed: int = 1, pool: int = 60, tasks: int = 12,
                 malformed_rate: float = 0.0, calls_per_minute: int = 100,
                 app_id: str = "demo-gd-app",
                 app_secret: str = "demo-gd-secret",  # noqa: S107 - the simulator's own secret
                 clock: Callable[[], float] = time.time) -> None:
        self.region = region
        self.app_id = app_id
        self.app_secret = app_secret
        self.calls_per_minute = calls_per_minute
        self.clock = clock
        self.clock_offset = 0.0  # seconds its stamps run off `clock` (set_clock)
        self.lock = threading.Lock()
        self.forced = ForcedFaults()
        self.subjects: dict[str, dict[str, Any]] = {}
        self.inspectors: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}  # by rwbh
        self.results: dict[tuple[str, str], dict[str, Any]] = {}
        self.malformed: dict[tuple[str, str], str] = {}  # (entity, key) → how
        self.applied = 0
        self.creates = 0
        self.calls = 0
        self.freq_limited = 0
        self.bad_signatures = 0
        self.expired = 0
        self._minute = -1
        self._in_minute = 0
        self._chains: dict[str, list[dict[str, Any]]] = {}
        self.page_cap: int | None = None  # at most this many items a page (short pages)
        self._sequence = 0
        self._seed(random.Random(f"gd/{seed}/{region}"), pool, tasks, seed, malformed_rate)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Simulator:
        """Build from the `simulate` command's options (unknown options are ignored)."""
        pool = int(options.get("subjects", 60))
        kwargs: dict[str, Any] = {
            "region": str(options.get("region", "440305")), "seed": int(options.get("seed", 1)),
            "pool": pool, "tasks": int(options.get("tasks") or max(3, pool // 5)),
            "malformed_rate": float(options.get("malformed_rate") or 0.0)}
        if options.get("calls_per_minute") is not None:
            kwargs["calls_per_minute"] = int(options["calls_per_minute"])
        for name in ("app_id", "app_secret"):
            if options.get(name):
                kwargs[name] = str(options[name])
        return cls(**kwargs)

    def demo_credentials(self) -> dict[str, str]:
        """The settings a client needs for this simulator (SSJ_PROVINCE__…)."""
        return {"app_id": self.app_id, "app_secret": self.app_secret}

    # -- the platform's own data ----------------------------------------------------------------

    def _seed(self, rng: random.Random, pool: int, count: int, seed: int,
              malformed_rate: float) -> None:
        people = list(subjects(self.region, max(pool, 1), seed))
        for index in range(count):
            quarter = index % 4 + 1
            rwbh = f"RW2025{index + 1:06d}"
            moment = BASE_TIME + timedelta(seconds=(index * 7) // 3)
            drawn = rng.sample(people, min(len(people), rng.randrange(1, 4)))
            task: dict[str, Any] = {
                "rwbh": rwbh, "wbbh": "", "rwmc": f"2025年第{quarter}季度省级双随机抽查{index + 1}",
                "xzqhdm": self.region, "sxdm": "GD-HB-001", "cqfs": "2", "nd": 2025, "jd": quarter,
                "ksrq": f"2025{quarter * 3 - 2:02d}01", "jsrq": f"2025{quarter * 3:02d}28",
                "cqzm": "", "cqjg": "11440000MB2C00000X",
                "mx": [{"tyshxydm": s.uscc, "ryids": f"GD{rng.randrange(1, 50):03d},"
                        f"GD{rng.randrange(50, 99):03d}", "jcfs": "1", "jczt": "1"}
                       for s in drawn],
                "rwzt": "1", "gxsj": gd_time(moment)}
            self.tasks[rwbh] = task
            if index % 2 == 0:
                for line in task["mx"]:
                    self._seed_result(rng, task, line, moment + timedelta(days=20),
                                      malformed_rate)
            if malformed_rate and rng.random() < malformed_rate:
                how = TASK_MALFORMATIONS[len(self.malformed) % len(TASK_MALFORMATIONS)]
                self._malform_task(task, how)
                self.malformed[("task", rwbh)] = how

    def _seed_result(self, rng: random.Random, task: dict[str, Any], line: dict[str, Any],
                     moment: datetime, malformed_rate: float) -> None:
        uscc = line["tyshxydm"]
        result = {"rwbh": task["rwbh"], "tyshxydm": uscc, "jcjg": str(rng.choice("111122345")),
                  "jcrq": (moment - timedelta(days=2)).strftime("%Y%m%d"),
                  "ryids": line["ryids"], "wtms": "", "gxsj": gd_time(moment)}
        key = (task["rwbh"], uscc)
        if malformed_rate and rng.random() < malformed_rate:
            how = RESULT_MALFORMATIONS[len(self.malformed) % len(RESULT_MALFORMATIONS)]
            if how == "bad_code":
                result["jcjg"] = "9"
            else:
                result["jcrq"] = "2025-02-30"
            self.malformed[("result", f"{key[0]}/{normalise_code(uscc)}")] = how
        self.results[key] = result

    @staticmethod
    def _malform_task(task: dict[str, Any], how: str) -> None:
        if how == "bad_uscc":
            task["mx"][0]["tyshxydm"] = _broken_uscc(task["mx"][0]["tyshxydm"])
        elif how == "bad_mode":
            task["mx"][0]["jcfs"] = "9"
        elif how == "missing_name":
            del task["rwmc"]
        elif how == "bad_date":
            task["ksrq"] = "20251301"

    # -- the controls of ssj_bridge.testing -----------------------------------------------------

    def _keys(self, entity: str) -> set[str]:
        entity = entity.removesuffix("-listing")
        if entity == "task":
            return {t["wbbh"] or t["rwbh"] for t in self.tasks.values()}
        if entity == "result":
            return {f"{r}/{normalise_code(u)}" for r, u in self.results}
        raise ValueError(f"the gd platform lists no entity {entity!r}")

    def expected_keys(self, entity: str) -> set[str]:
        """Keys a correct client stores: every record not wrong at the source."""
        with self.lock:
            return self._keys(entity) - self.bad_keys_unlocked(entity)

    def bad_keys(self, entity: str) -> set[str]:
        """Keys a correct client sets aside."""
        with self.lock:
            return self.bad_keys_unlocked(entity)

    def bad_keys_unlocked(self, entity: str) -> set[str]:
        """bad_keys, for a caller holding the lock."""
        return {key for (kind, key) in self.malformed if kind == entity.removesuffix("-listing")}

    def change_first(self, entity: str) -> str | None:
        """Change the record first in update order now; its gxsj becomes the latest."""
        entity = entity.removesuffix("-listing")
        with self.lock:
            records = list(self.tasks.values()) if entity == "task" else list(
                self.results.values())
            if not records:
                return None
            first = min(records, key=lambda r: (r["gxsj"], r["rwbh"], r.get("tyshxydm", "")))
            first["gxsj"] = self._stamp()
            return str(first["wbbh"] or first["rwbh"]) if entity == "task" else (
                f"{first['rwbh']}/{normalise_code(first['tyshxydm'])}")

    def set_clock(self, offset: float) -> None:
        """Stamp changes `offset` seconds off this machine's clock (negative: behind)."""
        with self.lock:
            self.clock_offset = offset

    def short_pages(self, size: int | None) -> None:
        """Serve at most `size` items a page, whatever `limit` asks (None: as asked); the
        chain goes on after the last item served."""
        self.page_cap = size

    def revoke_credentials(self) -> None:
        """Every request is signed; there is no session to end."""
        raise NotImplementedError("the gd platform has no sessions")

    def applied_writes(self) -> int:
        """Writes that changed something (a save of the same content changes nothing)."""
        with self.lock:
            return self.applied

    def signature_failures(self) -> int:
        """Requests refused with SIGN_ERROR for a wrong signature."""
        with self.lock:
            return self.bad_signatures

    def _stamp(self) -> str:
        now = datetime.fromtimestamp(self.clock() + self.clock_offset,
                                     BEIJING).replace(microsecond=0)
        latest = max([r["gxsj"] for r in [*self.tasks.values(), *self.results.values()]],
                     default="")
        if latest and gd_time(now) <= latest:
            now = parse_gd_time(latest) + timedelta(seconds=1)
        return gd_time(now)

    # -- HTTP -------------------------------------------------------------------------------------

    def __call__(self, request: SimRequest) -> SimResponse:
        """Answer one gateway call."""
        if request.method != "POST" or request.path != "/gateway/api":
            return SimResponse(404, b"<html><body>404 Not Found</body></html>", "text/html")
        fields = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        with self.lock:
            self.calls += 1
            try:
                self._authenticate(fields)
                self._count_call()
            except Refusal as exc:
                return _answer(code=exc.code, message=str(exc))
        forced = self.forced.take()
        if forced is not None:
            return _forced(forced)
        try:
            data = orjson.loads(fields.get("data") or "{}")
            if not isinstance(data, dict):
                raise Refusal("PARAM_ERROR", "data 须为 JSON 对象")
            with self.lock:
                return _answer(self._operate(str(fields.get("method")), data))
        except orjson.JSONDecodeError:
            return _answer(code="PARAM_ERROR", message="data 不是合法的 JSON")
        except Refusal as exc:
            return _answer(code=exc.code, message=str(exc))

    def _authenticate(self, fields: Mapping[str, str]) -> None:
        for name in ("appid", "timestamp", "method", "data", "sign"):
            if name not in fields:
                raise Refusal("PARAM_ERROR", f"缺少参数 {name}")
        expected = sign({k: v for k, v in fields.items() if k != "sign"}, self.app_secret)
        if fields["appid"] != self.app_id or fields["sign"] != expected:
            self.bad_signatures += 1
            raise Refusal("SIGN_ERROR", "签名错误")
        try:
            skew = abs(self.clock() - int(fields["timestamp"]))
        except ValueError:
            raise Refusal("PARAM_ERROR", "timestamp 须为 Unix 秒") from None
        if skew > CLOCK_SKEW:
            self.expired += 1
            raise Refusal("TIMESTAMP_EXPIRED", "时间戳已过期")

    def _count_call(self) -> None:
        minute = int(self.clock() // 60)
        if minute != self._minute:
            self._minute, self._in_minute = minute, 0
        if self.calls_per_minute and self._in_minute >= self.calls_per_minute:
            self.freq_limited += 1
            raise Refusal("FREQ_LIMIT", "调用频率超限")
        self._in_minute += 1

    def _operate(self, method: str, data: dict[str, Any]) -> Any:
        operations: dict[str, Callable[[dict[str, Any]], Any]] = {
            "jcdx.save": self._save_subject, "jcry.save": self._save_inspector,
            "jcdx.list": lambda d: self._chain("jcdx", d, list(self.subjects.values()),
                                               lambda r: (r["gxsj"], r["tyshxydm"])),
            "jcry.list": lambda d: self._chain("jcry", d, list(self.inspectors.values()),
                                               lambda r: (r["gxsj"], r["ryid"])),
            "rw.create": self._create_task, "rw.query": self._query_tasks,
            "jg.list": lambda d: self._chain("jg", d, [
                r for r in self.results.values()
                if self._covers(self.tasks[r["rwbh"]].get("xzqhdm"), d)],
                lambda r: (r["gxsj"], r["rwbh"], r["tyshxydm"])),
        }
        operation = operations.get(method)
        if operation is None:
            raise Refusal("PARAM_ERROR", f"未知的 method {method!r}")
        return operation(data)

    # -- operations -----------------------------------------------------------------------------

    def _in_area(self, region: Any) -> str:
        if not isinstance(region, str) or len(region) != 6 or not region.isdigit() or \
                not region_within(region, self.region):
            raise Refusal("PARAM_ERROR", f"xzqhdm {region!r} 不在本应用的管辖范围 {self.region} 内")
        return region

    def _save_subject(self, item: dict[str, Any]) -> Any:
        uscc = normalise_code(str(item.get("tyshxydm") or ""))
        if uscc_problem(uscc) is not None:
            raise Refusal("PARAM_ERROR", f"tyshxydm {item.get('tyshxydm')!r} 不是有效的统一社会信用代码")
        self._in_area(item.get("xzqhdm"))
        if item.get("jglb") not in ("1", "2", "3"):
            raise Refusal("PARAM_ERROR", f"jglb {item.get('jglb')!r} 须为 1、2 或 3")
        if item.get("zt") not in ("0", "1"):
            raise Refusal("PARAM_ERROR", f"zt {item.get('zt')!r} 须为 0 或 1")
        record = {k: item.get(k) for k in ("tyshxydm", "dwmc", "xzqhdm", "hydm", "jglb", "xydj",
                                           "fxfl", "zmqd", "zt")}
        record["tyshxydm"] = uscc
        return self._upsert(self.subjects, uscc, record)

    def _save_inspector(self, item: dict[str, Any]) -> Any:
        ryid = str(item.get("ryid") or "")
        if not ryid or not str(item.get("xm") or "").strip():
            raise Refusal("PARAM_ERROR", "ryid 与 xm 为必填项")
        self._in_area(item.get("xzqhdm"))
        record = {k: item.get(k) for k in ("ryid", "xm", "zfzh", "dwdm", "xzqhdm", "zc", "fzry",
                                           "zt")}
        return self._upsert(self.inspectors, ryid, record)

    def _upsert(self, table: dict[str, dict[str, Any]], key: str, record: dict[str, Any]) -> Any:
        current = table.get(key)
        if current is not None and {k: v for k, v in current.items() if k != "gxsj"} == record:
            return {"key": key, "changed": False}
        table[key] = {**record, "gxsj": self._stamp()}
        self.applied += 1
        return {"key": key, "changed": True}

    def _create_task(self, data: dict[str, Any]) -> Any:
        wbbh = str(data.get("wbbh") or "")
        if not wbbh:
            raise Refusal("PARAM_ERROR", "wbbh 为必填项")
        for name in ("rwmc", "sxdm"):
            if not str(data.get(name) or "").strip():
                raise Refusal("PARAM_ERROR", f"{name} 为必填项")
        if data.get("cqfs") not in ("1", "2"):
            raise Refusal("PARAM_ERROR", "cqfs 须为 1 或 2")
        details = data.get("mx")
        if not isinstance(details, list) or not details:
            raise Refusal("PARAM_ERROR", "mx 至少一条")
        for line in details:
            if not isinstance(line, dict) or uscc_problem(
                    normalise_code(str(line.get("tyshxydm") or ""))) is not None:
                raise Refusal("PARAM_ERROR", f"mx.tyshxydm {line!r} 无效")
            if line.get("jcfs") not in ("1", "2", "3"):
                raise Refusal("PARAM_ERROR", "mx.jcfs 须为 1、2 或 3")
        # Not idempotent, as the document warns: the same wbbh again is a second task.
        self._sequence += 1
        self.creates += 1
        rwbh = f"RWGD{self._sequence:08d}"
        self.tasks[rwbh] = {
            "rwbh": rwbh, "wbbh": wbbh, "rwmc": data["rwmc"],
            "xzqhdm": self._in_area(data.get("xzqhdm") or self.region), "sxdm": data["sxdm"],
            "cqfs": data["cqfs"], "nd": data.get("nd"), "jd": data.get("jd"),
            "ksrq": data.get("ksrq") or "", "jsrq": data.get("jsrq") or "",
            "cqzm": data.get("cqzm") or "", "cqjg": self.app_id,
            "mx": [{**line, "jczt": "1"} for line in details], "rwzt": "1",
            "gxsj": self._stamp()}
        self.applied += 1
        return {"rwbh": rwbh}

    def _query_tasks(self, data: dict[str, Any]) -> Any:
        for name in ("wbbh", "rwbh"):
            if data.get(name):
                found = [t for t in self.tasks.values() if t[name] == data[name]]
                if not found:
                    raise Refusal("NOT_FOUND", f"无 {name} 为 {data[name]} 的任务")
                return dict(found[0])
        return self._chain("rw", data, [t for t in self.tasks.values()
                                        if self._covers(t.get("xzqhdm"), data)],
                           lambda t: (t["gxsj"], t["rwbh"]))

    def _covers(self, region: Any, data: Mapping[str, Any]) -> bool:
        wanted = str(data.get("xzqhdm") or self.region)
        region = str(region or "")
        return region_within(region, wanted) or region_within(wanted, region)

    def _chain(self, kind: str, data: dict[str, Any], records: list[dict[str, Any]],
               order: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        try:
            limit = int(data.get("limit") or 100)
        except (TypeError, ValueError):
            raise Refusal("PARAM_ERROR", "limit 须为整数") from None
        if not 1 <= limit <= 500:
            raise Refusal("PARAM_ERROR", "limit 为 1–500")
        cursor = data.get("cursor")
        if cursor:
            chain_id, _, start = str(cursor).partition(":")
            chain = self._chains.get(chain_id)
            if chain is None or not start.isdigit():
                raise Refusal("PARAM_ERROR", f"cursor {cursor!r} 无效")
            position = int(start)
        else:
            since = str(data.get("gxsj") or "")
            chain = sorted((r for r in records if r["gxsj"] >= since), key=order)
            chain_id = f"{kind}{len(self._chains) + 1}"
            self._chains[chain_id] = chain
            position = 0
        page = chain[position:position + min(limit, self.page_cap or limit)]
        after = position + len(page)
        # Each item as it is now: its content may have changed, its place in the chain not.
        return {"items": [orjson.loads(orjson.dumps(record)) for record in page],
                "nextCursor": f"{chain_id}:{after}" if after < len(chain) else None}


def _forced(fault: ForcedFault) -> SimResponse:
    """A forced fault in docs/platforms/province-gd.md's words."""
    if fault.kind == PERMANENT:
        return _answer(code="PARAM_ERROR", message="参数错误")
    if fault.kind == STALE_SIGNATURE:
        return _answer(code="TIMESTAMP_EXPIRED", message="时间戳已过期")
    if fault.kind == RATE_LIMIT:
        return _answer(code="FREQ_LIMIT", message="调用频率超限")
    return _answer(code="SYS_BUSY", message="系统繁忙")
