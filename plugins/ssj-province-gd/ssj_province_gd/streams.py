"""The listings sync reads: tasks (rw.query) and results (jg.list), by cursor chains.

docs/platforms/province-gd.md pages with `cursor`/`nextCursor`, and one chain's order is fixed: records
changed while a client walks it do not shift the rest, so nothing is skipped. Each run starts a
new chain at `gxsj` = the latest update time stored, less an overlap (a record committed late
with an earlier time is still caught; the store drops what it holds unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from ssj_bridge.api import AdapterContext, Batch, Fetched, Rejected, TransientError, iso_beijing
from ssj_province_gd import PLATFORM
from ssj_province_gd.client import Client, NotFound
from ssj_province_gd.config import Config
from ssj_province_gd.mapping import (
    RESULT_LISTING,
    TASK_LISTING,
    map_result,
    map_task,
    task_key,
    update_time,
)
from ssj_province_gd.signing import gd_time

MapItem = Callable[[Any, str], Fetched | Rejected]


class ChainStream:
    """One listing read along a cursor chain; its stored cursor is the latest `gxsj` (ISO)."""

    def __init__(self, name: str, entity: str, method: str, client: Client, config: Config,
                 context: AdapterContext, map_item: MapItem) -> None:
        self.name = name
        self.entity = entity
        self.method = method
        self.client = client
        self.config = config
        self.context = context
        self.map_item = map_item

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """Batches of one page each, from `cursor` less the overlap to the end of the chain."""
        since = None
        if cursor:
            since = datetime.fromisoformat(cursor) - timedelta(seconds=self.config.overlap_seconds)
        latest = cursor
        chain: str | None = None
        page = 0
        while True:
            page += 1
            result = self.client.call(self.method, {
                "xzqhdm": self.context.region_code,
                "gxsj": gd_time(since) if since else "", "cursor": chain,
                "limit": self.config.page_size}, what=f"{self.method} page {page}")
            if not isinstance(result, dict) or not isinstance(result.get("items"), list):
                raise TransientError(f"{PLATFORM}: {self.method} page {page} has no items list",
                                     platform=PLATFORM)
            batch = Batch(self.entity)
            for index, raw in enumerate(result["items"]):
                mapped = self.map_item(raw, f"page{page}#{index}")
                if isinstance(mapped, Fetched):
                    batch.records.append(mapped)
                else:
                    batch.rejects.append(mapped)
                moment = update_time(raw)
                if moment is not None and (latest is None or iso_beijing(moment) > latest):
                    latest = iso_beijing(moment)
            batch.cursor = latest
            yield batch
            chain = result.get("nextCursor")
            if not chain:
                return


class TaskNumbers:
    """The platform's task number `rwbh` → the task's key here (our `wbbh`, else `rwbh`).

    Filled by the task listing; a result of a task not seen in this run is looked up once.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.known: dict[str, str] = {}

    def note(self, raw: Any) -> None:
        """Remember a listed task's number and key."""
        if isinstance(raw, dict) and raw.get("rwbh"):
            self.known[str(raw["rwbh"])] = task_key(raw)

    def __call__(self, rwbh: str) -> str:
        """The key of task `rwbh` (rwbh itself when the platform does not know it)."""
        if rwbh not in self.known:
            try:
                found = self.client.call("rw.query", {"rwbh": rwbh}, what=f"task {rwbh}")
            except NotFound:
                found = None
            item = _single(found)
            self.known[rwbh] = task_key(item) if item else rwbh
        return self.known[rwbh]


def _single(found: Any) -> dict[str, Any] | None:
    """rw.query by number answers the task, or a list/page of at most one."""
    if isinstance(found, dict) and isinstance(found.get("items"), list):
        found = found["items"]
    if isinstance(found, list):
        found = found[0] if found else None
    return found if isinstance(found, dict) else None


def task_stream(client: Client, config: Config, context: AdapterContext,
                numbers: TaskNumbers) -> ChainStream:
    """`rw.query` by region and update time: tasks of any level covering the region."""
    def map_item(raw: Any, position: str) -> Fetched | Rejected:
        numbers.note(raw)
        return map_task(raw, position, context.allowed_usccs)

    return ChainStream("tasks", TASK_LISTING, "rw.query", client, config, context, map_item)


def result_stream(client: Client, config: Config, context: AdapterContext,
                  numbers: TaskNumbers) -> ChainStream:
    """`jg.list`: results entered on the platform's app."""
    def map_item(raw: Any, position: str) -> Fetched | Rejected:
        return map_result(raw, position, context.allowed_usccs, numbers)

    return ChainStream("results", RESULT_LISTING, "jg.list", client, config, context, map_item)


find_task = _single
