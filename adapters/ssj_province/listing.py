"""What the provincial platform holds, page by page, in canonical names, for reconciliation.

Four listings: the subject library (`subject`), the inspector library (`inspector`), tasks
(`task`, a higher level's included) and results (`result`). Codes are mapped back to the
canonical values the store keeps (ZD → KEY, A–E → EXCELLENT…, A–D → LOW…, `VOCs-A` →
`VOCs:A`; a subject without a credit level is UNRATED); an unknown code is passed on as it is,
so it shows as a difference instead of being dropped. Each record carries its `version` where
the platform has one (a library record's or task's updateTime, a result's version number).

A failure part-way raises out of `read`: the reconciliation then reports the platform failed
and compares nothing, instead of showing the unread part as missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from ssj_bridge.api import (
    RESULT_FIELDS,
    AdapterContext,
    Fetched,
    ListedRecord,
    Listing,
    RecordedResult,
    Rejected,
    iso_beijing,
    normalise_code,
    result_version,
    task_fields,
)
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.mapping import (
    CATEGORY_OF_CODE,
    CREDIT_OF_LETTER,
    RISK_OF_LETTER,
    result_key,
    task_key,
    update_time,
)
from ssj_province.paging import KeysetStream
from ssj_province.streams import result_stream, task_stream

LIBRARY_PAGE = 500  # docs/platforms/province.md's example page of a library listing
UNRATED = "UNRATED"  # the canonical level of a subject the platform lists without one


def canonical_tag(tag: str) -> str:
    """`VOCs-A` as the store writes it, `VOCs:A`; a plain tag as it is (tag names hold no `-`)."""
    name, sep, value = tag.partition("-")
    return f"{name}:{value}" if sep else tag


def listed_subject(raw: dict[str, Any]) -> dict[str, Any]:
    """A listed Subject in canonical names and values."""
    category, credit, risk = raw.get("category"), raw.get("creditLevel"), raw.get("riskClass")
    tags = raw.get("tags")
    return {
        "uscc": raw.get("uscc"), "name": raw.get("name"), "regionCode": raw.get("regionCode"),
        "industryCode": raw.get("industryCode"),
        "category": CATEGORY_OF_CODE.get(category, category) if category else None,
        "tags": [canonical_tag(str(t)) for t in tags] if isinstance(tags, list) else tags,
        "creditLevel": CREDIT_OF_LETTER.get(credit, credit) if credit else UNRATED,
        "riskClass": RISK_OF_LETTER.get(risk, risk) if risk else None,
        "active": raw.get("active"),
    }


def listed_inspector(raw: dict[str, Any]) -> dict[str, Any]:
    """A listed Inspector (its names are the canonical ones already)."""
    return {name: raw.get(name) for name in ("inspectorId", "name", "certNo", "orgCode",
                                             "regionCode", "expertise", "auxiliary", "active")}


def _version(raw: Any) -> str | None:
    moment = update_time(raw)
    if moment is not None:
        return iso_beijing(moment)
    value = raw.get("updateTime") if isinstance(raw, dict) else None
    return str(value) if value is not None else None


class LibraryListing:
    """`GET /ssj/v1/subjects` or `/inspectors` of the region, ordered by key, read whole.

    The libraries change only through this deployment's own writes, so plain offset paging
    over a key order reads them whole; every record is yielded, a key listed twice included.
    """

    def __init__(self, client: ProvinceClient, region_code: str, entity: str) -> None:
        self.client = client
        self.region_code = region_code
        self.entity = entity
        self.listing = "subjects" if entity == "subject" else "inspectors"

    def read(self) -> Iterator[list[ListedRecord]]:
        """One page of listed records per platform page."""
        page_no = 1
        while True:
            data = self.client.list_page(self.listing, self.region_code, page_no=page_no,
                                         page_size=LIBRARY_PAGE)
            raws: list[Any] = data["records"]
            yield [self._listed(raw) for raw in raws]
            total = data.get("total")
            if len(raws) < LIBRARY_PAGE or (isinstance(total, int)
                                            and page_no * LIBRARY_PAGE >= total):
                return
            page_no += 1

    def _listed(self, raw: Any) -> ListedRecord:
        if not isinstance(raw, dict):
            return ListedRecord(f"?{type(raw).__name__}", {})
        if self.entity == "subject":
            key = normalise_code(str(raw.get("uscc") or ""))
            return ListedRecord(key or "?", listed_subject(raw), _version(raw))
        key = str(raw.get("inspectorId") or "").strip()
        return ListedRecord(key or "?", listed_inspector(raw), _version(raw))


class _WalkedListing:
    """A listing ordered by (updateTime, key), walked from the start by the sync's keyset walk.

    A record updated while the walk runs reappears later with a later updateTime: that repeat
    is the same record moved, not a second one, and is left out (its first state was staged;
    the next run compares the new one). A key listed again at the same updateTime is a
    duplicate and is yielded. The walk remembers each key's updateTime: memory in the number
    of tasks or results, never in their content.
    """

    entity = ""

    def __init__(self, stream: KeysetStream) -> None:
        self.stream = stream

    def read(self) -> Iterator[list[ListedRecord]]:
        """One page of listed records per platform page."""
        seen: dict[str, str | None] = {}
        for batch in self.stream.read(None):
            page = []
            items: list[Fetched | Rejected] = [*batch.records, *batch.rejects]
            for item in items:
                listed = self._listed(item)
                stamp = _version(_raw(item))
                if listed.key in seen and seen[listed.key] != stamp:
                    continue
                seen[listed.key] = stamp
                page.append(listed)
            if page or batch.records or batch.rejects:
                yield page

    def _listed(self, item: Fetched | Rejected) -> ListedRecord:
        raise NotImplementedError


class TaskListing(_WalkedListing):
    """`GET /ssj/v1/tasks`: every task covering the region, compared as `task_fields` says."""

    entity = "task"

    def _listed(self, item: Fetched | Rejected) -> ListedRecord:
        if isinstance(item, Fetched):
            record = item.record.model_dump(mode="json", by_alias=True)
            return ListedRecord(item.key, task_fields(record), _version(record))
        raw = _raw(item)
        return ListedRecord(task_key(raw) if raw else item.key, task_fields(raw), _version(raw))


class ResultListing(_WalkedListing):
    """`GET /ssj/v1/results`: every result of the region's tasks, by resultId, with its version."""

    entity = "result"

    def _listed(self, item: Fetched | Rejected) -> ListedRecord:
        if isinstance(item, Fetched) and isinstance(item.record, RecordedResult):
            recorded = item.record
            return ListedRecord(item.key, recorded.result.model_dump(mode="json", by_alias=True),
                                result_version(recorded.version))
        raw = _raw(item)
        version = raw.get("version")
        return ListedRecord(result_key(raw) if raw else item.key,
                            {name: raw.get(name) for name in RESULT_FIELDS},
                            result_version(version) if isinstance(version, int) else None)


def _raw(item: Fetched | Rejected) -> dict[str, Any]:
    try:
        raw = orjson.loads(item.payload) if item.payload else {}
    except orjson.JSONDecodeError:
        return {}
    return raw if isinstance(raw, dict) else {}


def listings(client: ProvinceClient, config: ProvinceConfig,
             context: AdapterContext) -> list[Listing]:
    """The four listings of the deployment's region."""
    return [LibraryListing(client, context.region_code, "subject"),
            LibraryListing(client, context.region_code, "inspector"),
            TaskListing(task_stream(client, config, context)),
            ResultListing(result_stream(client, config, context))]
