"""Reading both feeds whole, every run.

docs/platforms/credit.md offers page/size paging and nothing to read incrementally by, so each run reads every
page of each feed (evaluations: for each configured year) and the store drops what is
unchanged by content hash. A feed ends at the first page without ROW or with fewer ROW than
asked for; a page that holds fewer ROW than its own `total` promises is retried by the client,
never taken as the end. Offset paging over live data can show a row twice: an identical repeat
is dropped; two different rows under one key are set aside, since which one holds is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ssj_bridge.api import (
    AdapterContext,
    Batch,
    Fetched,
    Rejected,
    beijing_now,
    beijing_today,
    content_hash,
    iso_beijing,
)
from ssj_credit.client import CreditClient
from ssj_credit.config import CreditConfig
from ssj_credit.mapping import EVALUATION, RISK, Row, map_evaluation, map_risk
from ssj_credit.xmldoc import Page


@dataclass
class _Seen:
    fingerprint: str
    summary: str
    conflicted: bool = False


class _FeedStream:
    """What both feeds share: paging to the end, repeats dropped, conflicts set aside."""

    name = ""
    entity = ""
    # The elements that tell two rows under one key apart in a conflict's reason.
    summary_elements: tuple[str, ...] = ()

    def __init__(self, client: CreditClient, config: CreditConfig, context: AdapterContext) -> None:
        self.client = client
        self.config = config
        self.context = context

    def _walk(self, fetch: Callable[[int], Page], map_row: Callable[[Row], Fetched | Rejected],
              seen: dict[str, _Seen], what: str, *, with_total: bool = False
              ) -> Iterator[Batch]:
        size = self.config.page_size
        page_no = 1
        while True:
            page = fetch(page_no)
            if not page.rows:
                return
            batch, fresh = self._batch(page, map_row, seen)
            if with_total and page_no == 1:
                batch.total = page.total
            yield batch
            if len(page.rows) < size:
                return
            if not fresh:
                # A full page of rows already read: the service is not moving on.
                self.context.logger.warning("page repeats rows already read; feed ends here",
                                            stream=self.name, feed=what, page=page_no)
                return
            page_no += 1

    def _batch(self, page: Page, map_row: Callable[[Row], Fetched | Rejected],
               seen: dict[str, _Seen]) -> tuple[Batch, int]:
        chosen: dict[str, Fetched | Rejected] = {}
        fresh = 0
        for row in page.rows:
            mapped = map_row(row)
            fingerprint = (mapped.content_hash if isinstance(mapped, Fetched)
                           else content_hash(mapped.payload))
            summary = ", ".join(f"{e}={row.get(e) or '—'}" for e in self.summary_elements)
            earlier = seen.get(mapped.key)
            if earlier is None:
                seen[mapped.key] = _Seen(fingerprint, summary)
                chosen[mapped.key] = mapped
                fresh += 1
            elif earlier.fingerprint == fingerprint and not earlier.conflicted:
                continue
            else:
                if not earlier.conflicted:
                    fresh += 1
                earlier.conflicted = True
                chosen[mapped.key] = Rejected(
                    mapped.key, f"{self.entity} {mapped.key}: two different rows under one key "
                    f"({earlier.summary} / {summary}); which one holds is unknown",
                    mapped.payload)
        batch = Batch(self.entity)
        for mapped in chosen.values():
            if isinstance(mapped, Fetched):
                batch.records.append(mapped)
            else:
                batch.rejects.append(mapped)
        return batch, fresh


class EvaluationStream(_FeedStream):
    """`evaluations`: every configured year, every page; the cursor records the last full read."""

    name = "evaluations"
    entity = EVALUATION
    summary_elements = ("PJDJ", "ZT", "YXQZ")

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """Batches of one page each, year after year; then the time the read completed."""
        seen: dict[str, _Seen] = {}
        scheme = self.config.vocabulary
        allowed = self.context.allowed_usccs
        size = self.config.page_size
        region = self.context.region_code
        for year in self.config.evaluation_years(beijing_today()):
            def fetch(page_no: int, year: int = year) -> Page:
                return self.client.evaluations(region, year, page=page_no, size=size)

            yield from self._walk(fetch, lambda row: map_evaluation(row, scheme, allowed), seen,
                                  f"evaluations {year}")
        yield Batch(self.entity, cursor=iso_beijing(beijing_now()))


class RiskClassStream(_FeedStream):
    """`risk-classes`: every page; the cursor records the last full read."""

    name = "risk-classes"
    entity = RISK
    summary_elements = ("FXFL",)

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """Batches of one page each; then the time the read completed."""
        seen: dict[str, _Seen] = {}
        allowed = self.context.allowed_usccs
        size = self.config.page_size
        region = self.context.region_code

        def fetch(page_no: int) -> Page:
            return self.client.risk_classes(region, page=page_no, size=size)

        yield from self._walk(fetch, lambda row: map_risk(row, allowed), seen, "risk-classes",
                              with_total=True)
        yield Batch(self.entity, cursor=iso_beijing(beijing_now()))
