"""Reading every permit of the region, incrementally, without skipping or double counting.

The platform pages by offset over live data ordered by (updateTime, permitNo): a record updated
while a client pages moves to the end and shifts later records, so naive offset paging skips
records. This stream pages by keyset instead: each request asks `updatedSince = the last
updateTime seen` from page 1, and drops what it already yielded at that exact instant. Records
that move during the walk reappear later in it with their new time; none is skipped.

Only when more than a page of records share one updateTime does it page by offset within that
instant; it then walks the instant again until a pass finds nothing new.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from ssj_bridge.adapter import AdapterContext, Batch, Fetched, Rejected
from ssj_bridge.model import iso_beijing
from ssj_permit.client import NotFound, PermitClient
from ssj_permit.config import PermitConfig
from ssj_permit.mapping import ENTITY, map_record, record_key, update_time


class PermitStream:
    """The `permits` stream: cursor = the latest updateTime stored."""

    name = "permits"
    entity = ENTITY

    def __init__(self, client: PermitClient, config: PermitConfig, context: AdapterContext) -> None:
        self.client = client
        self.config = config
        self.context = context

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """Batches of one page each, from `cursor` minus the overlap to the end of the listing."""
        watermark: datetime | None = None
        if cursor:
            watermark = datetime.fromisoformat(cursor) - timedelta(
                seconds=self.config.overlap_seconds)
        seen_at_watermark: set[str] = set()
        page_no = 1
        pass_found_new = False  # while paging by offset within one over-full instant
        size = self.config.page_size
        total_known = False
        while True:
            data = self.client.list_permits(
                self.context.region_code,
                updated_since=iso_beijing(watermark) if watermark else None,
                page_no=page_no, page_size=size)
            raws: list[Any] = data["records"]
            full = len(raws) >= size
            times = [t for t in map(update_time, raws) if t is not None]
            latest = max(times, default=watermark)
            within_instant = latest is None or latest == watermark
            rewalk = not within_instant and page_no > 1 and pass_found_new
            batch = self._batch(raws, watermark, seen_at_watermark, page_no,
                                only_at_watermark=rewalk)
            if not total_known:
                batch.total, total_known = _int(data.get("total")), True
            new_here = bool(batch.records or batch.rejects)
            seen_at_watermark.update(_keys_at(batch, raws, watermark))
            if latest is not None:
                batch.cursor = iso_beijing(watermark if rewalk or within_instant else latest)
            yield batch
            if within_instant:
                pass_found_new = pass_found_new or new_here
                if full:
                    page_no += 1
                    continue
                if page_no > 1 and pass_found_new:
                    page_no, pass_found_new = 1, False
                    continue
                return
            if rewalk:
                # Records may have left the instant while it was paged by offset, shifting
                # others across a page boundary: walk it again until a pass finds nothing new.
                page_no, pass_found_new = 1, False
                continue
            if not full:
                return
            watermark = latest
            seen_at_watermark = _keys_at(batch, raws, latest)
            page_no, pass_found_new = 1, False

    def _batch(self, raws: list[Any], watermark: datetime | None, already: set[str],
               page_no: int, *, only_at_watermark: bool) -> Batch:
        batch = Batch(ENTITY)
        allowed = self.context.allowed_usccs
        for index, raw in enumerate(raws):
            at = update_time(raw)
            if only_at_watermark and at != watermark:
                continue
            mapped = map_record(raw, f"page{page_no}#{index}", allowed)
            if watermark is not None and at == watermark and mapped.key in already:
                continue
            if isinstance(mapped, Fetched):
                batch.records.append(mapped)
            else:
                batch.rejects.append(mapped)
        return batch


class QuarantineRetryStream:
    """Re-reads quarantined permits whose holder's code a data manager has since allowed."""

    name = "permits-retry"
    entity = ENTITY

    def __init__(self, client: PermitClient, context: AdapterContext, keys: list[str]) -> None:
        self.client = client
        self.context = context
        self.keys = keys

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """One batch with every re-read permit (no cursor: it is driven by the allow-list)."""
        batch = Batch(ENTITY)
        for key in self.keys:
            try:
                raw = self.client.get_permit(key)
            except NotFound:
                batch.rejects.append(Rejected(key, f"permit {key}: no longer on the platform "
                                                   "(40401)"))
                continue
            mapped = map_record(raw, key, self.context.allowed_usccs)
            (batch.records if isinstance(mapped, Fetched) else batch.rejects).append(mapped)
        if batch.records or batch.rejects:
            yield batch


def _keys_at(batch: Batch, raws: list[Any], instant: datetime | None) -> set[str]:
    """Keys of the page's records stamped exactly `instant` (what the next request repeats)."""
    if instant is None:
        return set()
    return {record_key(raw) for raw in raws if update_time(raw) == instant}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
