"""The draw's two documents: the announcement of the commitments (公示, before the draw) and
the record the witness signs (after it).

Both read one commit of a matter and quarter, the latest (`draw commit` again before the run
supersedes an earlier one as a whole): every stratum's label, k, candidatesHash,
inspectorCandidatesHash and commitment, as `draw commit` printed them. The announcement adds
the candidates themselves, so anyone can recompute the hash; the record adds what the run
did: the witness's text as given, the revealed secret, the subjects drawn in order, their
inspectors and any recorded redraw. `draw verify TASK_ID` re-derives the same from the store;
the record says how anyone else can (draw.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ssj_bridge.draw.matching import Group
from ssj_bridge.draw.records import DrawRecord
from ssj_bridge.errors import InputRefused
from ssj_bridge.report.paper import Letterhead, _, render_document, write_document
from ssj_bridge.report.words import category_text
from ssj_bridge.store import Store
from ssj_bridge.store.schema import draws, inspectors, subjects

ANNOUNCEMENT = "draw-announcement.html.j2"
RECORD = "draw-record.html.j2"


@dataclass(frozen=True)
class DrawSheet:
    """One commit of a matter and quarter: its strata, and the names the documents show."""

    period: str
    matter_code: str
    matter_name: str | None
    draws: tuple[DrawRecord, ...]
    subject_names: Mapping[str, str]
    inspector_names: Mapping[str, str]

    @property
    def committed_at(self) -> str:
        """When the commit was made (one time for all its strata)."""
        return self.draws[0].committed_at

    @property
    def revealed(self) -> bool:
        """True once every stratum has been drawn."""
        return all(d.revealed for d in self.draws)

    @property
    def witness(self) -> str | None:
        """The witness's text (one run draws every stratum with the same text)."""
        return next((d.witness_entropy for d in self.draws if d.revealed), None)

    @property
    def witnessed(self) -> bool:
        """Whether the run had a witness's text."""
        return any(d.witnessed for d in self.draws)

    @staticmethod
    def group(draw: DrawRecord, uscc: str) -> Group | None:
        """The inspectors matched to `uscc` in `draw` (as they stand after redraws)."""
        return next((g for g in draw.groups or [] if g.uscc == uscc), None)

    def subject(self, uscc: str) -> str:
        """A subject's name (empty when the store has none)."""
        return self.subject_names.get(uscc, "")

    def inspector(self, inspector_id: str) -> str:
        """`WH-001 张伟` (the ID alone when the roster no longer has the person)."""
        name = self.inspector_names.get(inspector_id)
        return f"{inspector_id} {name}" if name else inspector_id


def draw_sheet(store: Store, region_code: str, period: str, matter_code: str,
               matter_name: str | None = None) -> DrawSheet:
    """The latest commit of the matter and quarter; InputRefused when there is none."""
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(draws).where(
            draws.c.region_code == region_code, draws.c.period == period,
            draws.c.matter_code == matter_code).order_by(draws.c.id)))
        if not rows:
            raise InputRefused(_("{period} 的事项 {matter} 尚无抽取承诺：先运行 ssj-bridge draw "
                                 "commit").format(period=period, matter=matter_code))
        latest = rows[-1].committed_at  # one commit writes all its rows with one time
        records = tuple(DrawRecord.from_row(row) for row in rows if row.committed_at == latest)
        wanted = {u for d in records for u in d.candidates}
        people = {i for d in records for g in (d.groups or []) for i in g.inspector_ids}
        people |= {i for d in records for r in d.redraws for i in (r.replaced, r.replacement)}
        names = _names(conn, subjects.c.uscc, subjects.c.name, wanted)
        staff = _names(conn, inspectors.c.inspector_id, inspectors.c.name, people)
    return DrawSheet(period, matter_code, matter_name, records, names, staff)


def _names(conn: Any, key: Any, name: Any, wanted: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):  # bounded IN lists
        found.update({k: v for k, v in conn.execute(
            select(key, name).where(key.in_(ordered[start:start + 500])))})
    return found


def _filters() -> dict[str, Any]:
    return {"category": category_text}


def render_announcement(sheet: DrawSheet, letterhead: Letterhead) -> str:
    """The announcement of the commitments as one HTML document."""
    return render_document(ANNOUNCEMENT, letterhead, {"s": sheet}, _filters())


def render_record(sheet: DrawSheet, letterhead: Letterhead) -> str:
    """The record of the draw for the witness to sign; InputRefused before `draw run`."""
    if not sheet.revealed:
        raise InputRefused(_("{period} 的事项 {matter} 尚未抽取：先运行 ssj-bridge draw run，再生成"
                             "抽取记录").format(period=sheet.period, matter=sheet.matter_code))
    return render_document(RECORD, letterhead, {"s": sheet}, _filters())


def write_announcement(sheet: DrawSheet, letterhead: Letterhead, path: Path) -> Path:
    """Write the announcement to `path` (whole or not at all)."""
    return write_document(render_announcement(sheet, letterhead), path)


def write_record(sheet: DrawSheet, letterhead: Letterhead, path: Path) -> Path:
    """Write the record to `path` (whole or not at all)."""
    return write_document(render_record(sheet, letterhead), path)
