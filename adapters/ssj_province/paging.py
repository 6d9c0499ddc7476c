"""Reading a listing ordered by (updateTime, key) incrementally, without skipping or double counting.

The platform pages by offset over live data (docs/platforms/province.md: the same paging rules
as docs/platforms/permit.md): a record updated while a client pages moves to the end and shifts
later records, so naive offset paging skips records. This walk pages by keyset instead, as the
permit adapter does: each request asks `updatedSince = the last updateTime seen` from page 1
and drops what it already yielded at that exact instant. Records that move during the walk
reappear later with their new time; none is skipped.

Only when more than a page of records share one updateTime does it page by offset within that
instant; it then walks the instant again until a pass finds nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from ssj_bridge.api import Batch, Fetched, Rejected, iso_beijing
from ssj_province.mapping import update_time

# (updatedSince or None, pageNo, pageSize) → the envelope's data: {"total", "records": [...]}
FetchPage = Callable[[str | None, int, int], dict[str, Any]]
MapRecord = Callable[[Any, str], Fetched | Rejected]


class KeysetStream:
    """One incremental listing; its cursor is the latest updateTime stored."""

    def __init__(self, name: str, entity: str, fetch: FetchPage, map_record: MapRecord,
                 key_of: Callable[[Any], str], *, page_size: int, overlap_seconds: float) -> None:
        self.name = name
        self.entity = entity
        self.fetch = fetch
        self.map_record = map_record
        self.key_of = key_of
        self.page_size = page_size
        self.overlap = timedelta(seconds=overlap_seconds)

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """Batches of one page each, from `cursor` minus the overlap to the end of the listing."""
        watermark = datetime.fromisoformat(cursor) - self.overlap if cursor else None
        seen_at_watermark: set[str] = set()
        page_no = 1
        pass_found_new = False  # while paging by offset within one over-full instant
        total_known = False
        while True:
            data = self.fetch(iso_beijing(watermark) if watermark else None, page_no,
                              self.page_size)
            raws: list[Any] = data["records"]
            full = len(raws) >= self.page_size
            latest = max((t for t in map(update_time, raws) if t is not None), default=watermark)
            within_instant = latest is None or latest == watermark
            rewalk = not within_instant and page_no > 1 and pass_found_new
            batch = self._batch(raws, watermark, seen_at_watermark, page_no,
                                only_at_watermark=rewalk)
            if not total_known:
                batch.total, total_known = _int(data.get("total")), True
            new_here = bool(batch.records or batch.rejects)
            seen_at_watermark.update(self._keys_at(raws, watermark))
            if latest is not None:
                held = watermark if (rewalk or within_instant) and watermark is not None else latest
                batch.cursor = iso_beijing(held)
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
            seen_at_watermark = self._keys_at(raws, latest)
            page_no, pass_found_new = 1, False

    def _batch(self, raws: list[Any], watermark: datetime | None, already: set[str],
               page_no: int, *, only_at_watermark: bool) -> Batch:
        batch = Batch(self.entity)
        for index, raw in enumerate(raws):
            at = update_time(raw)
            if only_at_watermark and at != watermark:
                continue
            mapped = self.map_record(raw, f"page{page_no}#{index}")
            if watermark is not None and at == watermark and mapped.key in already:
                continue
            if isinstance(mapped, Fetched):
                batch.records.append(mapped)
            else:
                batch.rejects.append(mapped)
        return batch

    def _keys_at(self, raws: list[Any], instant: datetime | None) -> set[str]:
        """Keys of the page's records stamped exactly `instant` (what the next request repeats)."""
        if instant is None:
            return set()
        return {self.key_of(raw) for raw in raws if update_time(raw) == instant}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
