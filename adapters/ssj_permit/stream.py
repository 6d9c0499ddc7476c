"""Reading every permit of the region, incrementally, without skipping or double counting.

The platform pages by offset over live data ordered by (updateTime, permitNo): a record updated
while a client pages moves to the end and shifts later records, so naive offset paging skips
records. This stream pages by keyset instead: each request asks for page 1 from `updatedSince` =
the latest updateTime read so far, and drops what it already yielded. A record that moves during
the walk reappears later in it with its new time and content; none is skipped.

Keyset paging stalls only when more records share one updateTime than a page holds. That instant
is read by offset twice: up to the page where it ends, then back down to page 1. Records only
ever leave a past instant (an update moves them to the end), which shifts the others towards
lower offsets: the way up may skip one, the way down cannot. The walk then goes on from just
after the instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ssj_bridge.api import (
    BEIJING,
    AdapterContext,
    Batch,
    Fetched,
    PermanentError,
    Rejected,
    content_hash,
    iso_beijing,
)
from ssj_permit import PLATFORM
from ssj_permit.client import NotFound, PermitClient
from ssj_permit.config import PermitConfig
from ssj_permit.mapping import ENTITY, map_record, update_time

# A record's identity within one read: its key and the hash of its content. A record updated
# during the read comes back with new content, so it is yielded again; an unchanged one is not.
Identity = tuple[str, str]


@dataclass(frozen=True)
class _Row:
    """One record of a page: mapped once, with its updateTime (None when unreadable)."""

    mapped: Fetched | Rejected
    at: datetime | None
    identity: Identity

    @classmethod
    def of(cls, raw: Any, position: str, allowed: frozenset[str]) -> _Row:
        """Map and identify one raw record."""
        mapped = map_record(raw, position, allowed)
        digest = (mapped.content_hash if isinstance(mapped, Fetched)
                  else content_hash(mapped.payload))
        return cls(mapped, update_time(raw), (mapped.key, digest))


@dataclass(frozen=True)
class _Page:
    rows: list[_Row]
    full: bool
    total: int | None

    @property
    def latest(self) -> datetime | None:
        """The latest readable updateTime on the page."""
        return max((row.at for row in self.rows if row.at is not None), default=None)


class _Seen:
    """What earlier pages of this read returned from `since` on: a repeat adds nothing twice.

    Records without a readable updateTime are kept for the whole read: the keyset cannot say
    where they sort, so they may come back on any later page.
    """

    def __init__(self) -> None:
        self._at: dict[Identity, datetime | None] = {}

    def new(self, rows: list[_Row]) -> list[_Row]:
        """The rows no earlier page returned. A key listed twice within one page is kept
        twice: that is the platform's duplicate, for reconciliation to report."""
        fresh = [row for row in rows if row.identity not in self._at]
        self._at.update((row.identity, row.at) for row in rows)
        return fresh

    def forget_before(self, since: datetime) -> None:
        """Drop what the platform no longer returns from `since` on."""
        self._at = {k: at for k, at in self._at.items() if at is None or at >= since}


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
        since: datetime | None = None
        if cursor:
            since = datetime.fromisoformat(cursor) - timedelta(seconds=self.config.overlap_seconds)
        seen = _Seen()
        first = True
        while True:
            page = self._page(since, 1)
            batch = self._batch(page, seen)
            if first:
                batch.total, first = page.total, False
            latest = page.latest
            if not page.full:
                batch.cursor = _cursor(latest or since)
                yield batch
                return
            if latest is None:
                raise PermanentError(
                    f"{PLATFORM}: permits updated since {_cursor(since) or 'the start'}: none "
                    f"of a full page of {len(page.rows)} has a readable updateTime, so the "
                    "listing cannot be paged past them", platform=PLATFORM)
            if since is None or latest > since:
                batch.cursor = _cursor(latest)
                yield batch
                since = latest
                seen.forget_before(since)
                continue
            # A full page of records all stamped `since`: more share it than a page holds.
            batch.cursor = _cursor(since)
            yield batch
            yield from self._instant(since, seen)
            since = _just_after(since)
            seen.forget_before(since)

    def _instant(self, instant: datetime, seen: _Seen) -> Iterator[Batch]:
        """The records stamped `instant` beyond page 1: by offset up, then back down."""
        top = 1
        while True:
            top += 1
            page = self._page(instant, top)
            yield from self._nonempty(self._batch(page, seen, only=instant), instant)
            latest = page.latest
            if not page.full or (latest is not None and latest > instant):
                break
        for page_no in range(top - 1, 0, -1):
            page = self._page(instant, page_no)
            yield from self._nonempty(self._batch(page, seen, only=instant), instant)

    @staticmethod
    def _nonempty(batch: Batch, instant: datetime) -> Iterator[Batch]:
        if batch.records or batch.rejects:
            batch.cursor = _cursor(instant)
            yield batch

    def _page(self, since: datetime | None, page_no: int) -> _Page:
        size = self.config.page_size
        data = self.client.list_permits(
            self.context.region_code, updated_since=_since_param(since), page_no=page_no,
            page_size=size)
        raws: list[Any] = data["records"]
        allowed = self.context.allowed_usccs
        rows = [_Row.of(raw, f"page {page_no} #{index}", allowed) for index, raw in enumerate(raws)]
        return _Page(rows, len(raws) >= size, _int(data.get("total")))

    @staticmethod
    def _batch(page: _Page, seen: _Seen, *, only: datetime | None = None) -> Batch:
        """The page's records not yielded yet; with `only`, those stamped `only` or unreadably."""
        batch = Batch(ENTITY)
        rows = [row for row in page.rows if only is None or row.at is None or row.at == only]
        for row in seen.new(rows):
            if isinstance(row.mapped, Fetched):
                batch.records.append(row.mapped)
            else:
                batch.rejects.append(row.mapped)
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
            if isinstance(mapped, Fetched):
                batch.records.append(mapped)
            else:
                batch.rejects.append(mapped)
        if batch.records or batch.rejects:
            yield batch


def _just_after(moment: datetime) -> datetime:
    """The earliest `updatedSince` that leaves `moment` out (updateTimes are whole seconds)."""
    step = timedelta(seconds=1) if moment.microsecond == 0 else timedelta(microseconds=1)
    return moment + step


def _since_param(moment: datetime | None) -> str | None:
    # Full precision: truncating a fractional `since` to the second would ask for the same
    # instant again.
    return moment.astimezone(BEIJING).isoformat() if moment is not None else None


def _cursor(moment: datetime | None) -> str | None:
    return iso_beijing(moment) if moment is not None else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
