"""The results publication list of a quarter (检查结果公示名单): one row per result inspected
in the quarter, with the subject, the matter, the result as the publicity system words it
and where its publication stands."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from ssj_bridge.model import ResultCode
from ssj_bridge.model.periods import Quarter
from ssj_bridge.report.paper import Letterhead, render_document, write_document
from ssj_bridge.report.words import publication_text
from ssj_bridge.store import Store
from ssj_bridge.store.schema import publications, results, subjects, tasks

TEMPLATE = "publications.html.j2"


@dataclass(frozen=True)
class PublicationRow:
    """One result of the quarter and its publication."""

    task_id: str
    matter_code: str
    task_name: str
    uscc: str
    name: str
    inspected_on: date
    result_code: str
    status: str | None  # published | pending | rejected | None (not queued)
    due: date | None
    published_on: date | None

    @property
    def result_text(self) -> str:
        """The result as the publicity system words it (未发现问题 …)."""
        try:
            return ResultCode(self.result_code).wording
        except ValueError:
            return self.result_code

    @property
    def status_text(self) -> str:
        """Where its publication stands, in words."""
        return publication_text(self.status)

    def as_json(self) -> dict[str, Any]:
        """camelCase, dates ISO."""
        return {"taskId": self.task_id, "matterCode": self.matter_code, "uscc": self.uscc,
                "name": self.name, "inspectedOn": self.inspected_on.isoformat(),
                "resultCode": self.result_code, "result": self.result_text,
                "publication": self.status or "not-queued",
                "due": None if self.due is None else self.due.isoformat(),
                "publishedOn": None if self.published_on is None else self.published_on.isoformat()}


@dataclass(frozen=True)
class PublicationList:
    """The quarter's results, oldest inspection first."""

    period: str
    rows: tuple[PublicationRow, ...]

    def counts(self) -> dict[str, int]:
        """How many results are published, pending, refused, not queued."""
        found = Counter(r.status or "not-queued" for r in self.rows)
        return {k: found[k] for k in ("published", "pending", "rejected", "not-queued")}

    def by_result(self) -> list[tuple[str, int]]:
        """(result wording, count), most frequent first."""
        return Counter(r.result_text for r in self.rows).most_common()

    def as_json(self) -> dict[str, Any]:
        """`{"period", "counts", "results": [...]}`."""
        return {"period": self.period, "counts": self.counts(),
                "results": [r.as_json() for r in self.rows]}


def publication_list(store: Store, quarter: Quarter) -> PublicationList:
    """Every result inspected in the quarter, with its subject, task and publication."""
    stmt = (select(results.c.task_id, results.c.uscc, results.c.inspected_on,
                   results.c.result_code, tasks.c.matter_code, tasks.c.name.label("task_name"),
                   subjects.c.name, publications.c.status, publications.c.due,
                   publications.c.published_on)
            .select_from(results.join(tasks, tasks.c.task_id == results.c.task_id)
                         .outerjoin(subjects, subjects.c.uscc == results.c.uscc)
                         .outerjoin(publications, and_(publications.c.task_id == results.c.task_id,
                                                       publications.c.uscc == results.c.uscc)))
            .where(results.c.inspected_on >= quarter.start, results.c.inspected_on <= quarter.end)
            .order_by(results.c.inspected_on, results.c.uscc, results.c.task_id))
    with store.engine.connect() as conn:
        rows = tuple(PublicationRow(
            task_id=row.task_id, matter_code=row.matter_code, task_name=row.task_name,
            uscc=row.uscc, name=row.name or "", inspected_on=row.inspected_on,
            result_code=row.result_code, status=row.status, due=row.due,
            published_on=row.published_on) for row in conn.execute(stmt))
    return PublicationList(quarter.label, rows)


def render_publications(listing: PublicationList, letterhead: Letterhead) -> str:
    """The list as one HTML document."""
    return render_document(TEMPLATE, letterhead, {"p": listing})


def write_publications(listing: PublicationList, letterhead: Letterhead, path: Path) -> Path:
    """Write the list to `path` (whole or not at all)."""
    return write_document(render_publications(listing, letterhead), path)
