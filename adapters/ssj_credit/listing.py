"""Both credit feeds, page by page, in canonical names, for reconciliation.

`credit-evaluation` (every configured evaluation year) and `credit-risk`, keyed as the store
keys credit records (`USCC/PJND/FBRQ`, `USCC/FLRQ`). Every ROW is yielded, a key listed twice
included (the sync sets such rows aside; reconciliation reports them as duplicate keys). A row
the sync would set aside is listed too, with what can be read of it, so the store's lack of
it shows. The feeds carry no version: every difference is a field mismatch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ssj_bridge.api import CREDIT_EVALUATION as EVALUATION_ENTITY
from ssj_bridge.api import CREDIT_RISK as RISK_ENTITY
from ssj_bridge.api import (
    AdapterContext,
    CreditRecord,
    Fetched,
    ListedRecord,
    Listing,
    Rejected,
    beijing_today,
)
from ssj_credit.client import CreditClient
from ssj_credit.config import CreditConfig
from ssj_credit.mapping import Row, map_evaluation, map_risk, raw_key
from ssj_credit.xmldoc import Page

# The service's elements by canonical name, for rows that do not map to a valid record.
_ELEMENTS = {"uscc": "TYSHXYDM", "name": "QYMC", "regionCode": "XZQHDM", "year": "PJND",
             "level": "PJDJ", "validUntil": "YXQZ", "riskClass": "FXFL"}


def _fields(record: CreditRecord) -> dict[str, Any]:
    dumped = record.model_dump(mode="json", by_alias=True)
    dumped.pop("kind", None)
    dumped.pop("scheme", None)
    return dumped


def _raw_fields(row: Row, kind: str) -> dict[str, Any]:
    fields: dict[str, Any] = {name: row.get(element) for name, element in _ELEMENTS.items()}
    year = fields["year"]
    fields["year"] = int(year) if isinstance(year, str) and year.isdigit() else year
    fields["publishedOn"] = row.get("FBRQ" if kind == "evaluation" else "FLRQ")
    status = row.get("ZT")
    fields["inForce"] = {"1": True, "0": False, None: True}.get(status, status)
    return fields


class FeedListing:
    """One feed read whole: pages until one is short, empty, or reaches the declared total."""

    def __init__(self, entity: str, kind: str, pages: Callable[[], Iterator[Page]],
                 map_row: Callable[[Row], Fetched | Rejected],
                 years: frozenset[int] | None = None) -> None:
        self.entity = entity
        self.kind = kind
        self.pages = pages
        self.map_row = map_row
        self.years = years

    def read(self) -> Iterator[list[ListedRecord]]:
        """One page of listed records per service page; a failure part-way raises."""
        for page in self.pages():
            listed = []
            for row in page.rows:
                mapped = self.map_row(row)
                if isinstance(mapped, Fetched) and isinstance(mapped.record, CreditRecord):
                    listed.append(ListedRecord(mapped.key, _fields(mapped.record)))
                else:
                    listed.append(ListedRecord(raw_key(row, self.kind), _raw_fields(row, self.kind)))
            yield listed

    def covers(self, key: str, fields: Mapping[str, Any]) -> bool:
        """Only the evaluation years read are compared (older ones stay in the store)."""
        return self.years is None or fields.get("year") in self.years


def _walk(fetch: Callable[[int], Page], size: int) -> Iterator[Page]:
    page_no = 1
    while True:
        page = fetch(page_no)
        if not page.rows:
            return
        yield page
        if len(page.rows) < size or (page.total is not None and page_no * size >= page.total):
            return
        page_no += 1


def listings(client: CreditClient, config: CreditConfig, context: AdapterContext
             ) -> list[Listing]:
    """Evaluations of every configured year, then risk classes, of the deployment's region."""
    region, size, scheme = context.region_code, config.page_size, config.vocabulary
    allowed = context.allowed_usccs
    years = config.evaluation_years(beijing_today())

    def evaluations() -> Iterator[Page]:
        for year in years:
            def fetch(page_no: int, year: int = year) -> Page:
                return client.evaluations(region, year, page=page_no, size=size)

            yield from _walk(fetch, size)

    def risks() -> Iterator[Page]:
        yield from _walk(lambda page_no: client.risk_classes(region, page=page_no, size=size),
                         size)

    return [FeedListing(EVALUATION_ENTITY, "evaluation", evaluations,
                        lambda row: map_evaluation(row, scheme, allowed), frozenset(years)),
            FeedListing(RISK_ENTITY, "risk", risks, lambda row: map_risk(row, allowed))]
