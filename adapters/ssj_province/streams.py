"""The listings sync reads from the provincial platform: tasks (any level's) and results.

Their entities are `task-listing` and `result-listing`, apart from the outbox's `task` and
`result`: a listed task the store accepts must not release the quarantine entry of a push of
the same taskId that the platform refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ssj_bridge.api import AdapterContext
from ssj_province.client import ProvinceClient
from ssj_province.config import ProvinceConfig
from ssj_province.mapping import map_result, map_task, result_key, task_key
from ssj_province.paging import KeysetStream

TASK_LISTING = "task-listing"
RESULT_LISTING = "result-listing"


def task_stream(client: ProvinceClient, config: ProvinceConfig,
                context: AdapterContext) -> KeysetStream:
    """`GET /ssj/v1/tasks` of the deployment's region, by updateTime then taskId."""
    return KeysetStream(
        "tasks", TASK_LISTING,
        lambda since, page_no, size: client.list_page(
            "tasks", context.region_code, updated_since=since, page_no=page_no, page_size=size),
        lambda raw, position: map_task(raw, position, context.allowed_usccs),
        task_key, page_size=config.page_size, overlap_seconds=config.overlap_seconds)


def result_stream(client: ProvinceClient, config: ProvinceConfig,
                  context: AdapterContext) -> KeysetStream:
    """`GET /ssj/v1/results` of the deployment's region, by updateTime then resultId."""
    return KeysetStream(
        "results", RESULT_LISTING,
        lambda since, page_no, size: client.list_page(
            "results", context.region_code, updated_since=since, page_no=page_no, page_size=size),
        lambda raw, position: map_result(raw, position, context.allowed_usccs),
        result_key, page_size=config.page_size, overlap_seconds=config.overlap_seconds)


def library_records(client: ProvinceClient, listing: str, region_code: str,
                    page_size: int = 500) -> Iterator[dict[str, Any]]:
    """Every record of a library listing (`subjects` or `inspectors`), page by page.

    The libraries are ordered by their key and change only through this deployment's own
    writes, so plain paging reads them whole between two syncs.
    """
    page_no = 1
    while True:
        data = client.list_page(listing, region_code, page_no=page_no, page_size=page_size)
        records = [r for r in data["records"] if isinstance(r, dict)]
        yield from records
        if len(data["records"]) < page_size:
            return
        page_no += 1
