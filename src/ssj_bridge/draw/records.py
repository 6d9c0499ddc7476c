"""A draw as the store keeps it (table `draws`): one row from its commit to its task.

The row's `inspector_candidates` column holds the matching inputs fixed at the commit
(`MatchingInputs.as_json()`: every inspector candidate in ID order with what matching reads of
them, the group size, the matter's expertise, the subjects' inspection modes); the inspector
candidates of draw.md are their IDs. `groups` holds the groups as they stand (after recorded
redraws), `redraws` the redraws in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Row, select, update

from ssj_bridge.draw.joint import Department
from ssj_bridge.draw.matching import Group, MatchingInputs, Redraw
from ssj_bridge.store.schema import draws

DRAW_LOCK = "draw"  # commit, run and redraw change draws one at a time
TASKS_PLATFORM = "province"  # the platform role that keeps inspection tasks


DIRECTED = "定向:"  # the label segment of a directed draw's scope


def draw_label(region_code: str, period: str, matter_code: str, category: str,
               part: str | None = None, directed: str | None = None) -> str:
    """`<regionCode>/<period>/<matterCode>/<CATEGORY>`, e.g. `371000/2026Q4/M01/KEY`; a directed
    draw adds `/定向:<scope>` (`…/KEY/定向:两高|riskClass=HIGH`), a part of a category's draw
    `/<part>` (`371003/2026Q4/M01/KEY/taken-back`)."""
    label = f"{region_code}/{period}/{matter_code}/{category}"
    if directed:
        label = f"{label}/{DIRECTED}{directed}"
    return f"{label}/{part}" if part else label


@dataclass(frozen=True)
class DrawRecord:
    """One row of `draws`, read back. `secret` is hex and never shown before the reveal."""

    id: int
    label: str
    region_code: str
    period: str
    matter_code: str
    category: str
    algorithm: str
    k: int
    candidates: list[str]
    candidates_hash: str
    matching: MatchingInputs
    inspector_candidates_hash: str
    commitment: str
    secret: str = field(repr=False)
    witness_entropy: str | None
    witnessed: bool | None
    selected: list[str] | None
    groups: list[Group] | None
    redraws: list[Redraw]
    task_id: str | None
    committed_at: str
    revealed_at: str | None
    # The stratum (`draws.scope`): {"region", "part", "directed", "joint"[, "count"] …}.
    scope: dict[str, Any] = field(default_factory=dict)
    # A joint draw's other departments (`draw.joint`), in the plan's order.
    departments: list[Department] = field(default_factory=list)

    @property
    def stratum_region(self) -> str:
        """The region the draw covers: a district the city drew for, else the commit's."""
        return str(self.scope.get("region") or self.region_code)

    @property
    def part(self) -> str | None:
        """The part of the category's draw (`taken-back`, a scope's name), or None."""
        part = self.scope.get("part")
        return str(part) if part else None

    @property
    def directed(self) -> str | None:
        """The directed scope (定向), in its canonical form, or None."""
        found = self.scope.get("directed")
        return str(found) if found else None

    @property
    def joint(self) -> str | None:
        """The joint plan the draw was made under, or None."""
        found = self.scope.get("joint")
        return str(found) if found else None

    @property
    def revealed(self) -> bool:
        """True once `draw run` has revealed the secret and drawn."""
        return self.revealed_at is not None

    @property
    def inspector_candidates(self) -> list[str]:
        """The inspector candidates of draw.md: their IDs, sorted."""
        return self.matching.inspector_ids

    @classmethod
    def from_row(cls, row: Row[Any]) -> DrawRecord:
        """Read a `draws` row."""
        return cls(
            id=int(row.id), label=row.label, region_code=row.region_code, period=row.period,
            matter_code=row.matter_code, category=row.category, algorithm=row.algorithm,
            k=int(row.k), candidates=list(orjson.loads(row.candidates)),
            candidates_hash=row.candidates_hash,
            matching=MatchingInputs.from_json(orjson.loads(row.inspector_candidates)),
            inspector_candidates_hash=row.inspector_candidates_hash,
            commitment=row.commitment, secret=row.secret,
            witness_entropy=row.witness_entropy,
            witnessed=None if row.witnessed is None else bool(row.witnessed),
            selected=None if row.selected is None else list(orjson.loads(row.selected)),
            groups=None if row.groups is None else [Group.from_json(g) for g in
                                                    orjson.loads(row.groups)],
            redraws=[Redraw.from_json(r) for r in orjson.loads(row.redraws or b"[]")],
            task_id=row.task_id, committed_at=row.committed_at, revealed_at=row.revealed_at,
            scope=dict(orjson.loads(row.scope)) if getattr(row, "scope", None) else {},
            departments=[Department.from_json(d) for d in orjson.loads(row.departments)]
            if getattr(row, "departments", None) else [])


def dumps(value: Any) -> str:
    """JSON text as the `draws` columns store it."""
    return orjson.dumps(value).decode()


def groups_json(groups: Sequence[Group]) -> str:
    """The `groups` column."""
    return dumps([g.as_json() for g in groups])


def redraws_json(redraws: Sequence[Redraw]) -> str:
    """The `redraws` column."""
    return dumps([r.as_json() for r in redraws])


def pending_draws(conn: Connection, region_code: str, period: str,
                  matter_code: str) -> list[DrawRecord]:
    """The draws of the latest unrevealed `draw commit` of the matter and period, in order.

    Committing again before the run supersedes the earlier commit as a whole: its rows stay on
    record (with no task) and are never run.
    """
    rows = list(conn.execute(select(draws).where(
        draws.c.region_code == region_code, draws.c.period == period,
        draws.c.matter_code == matter_code, draws.c.revealed_at.is_(None)).order_by(draws.c.id)))
    if not rows:
        return []
    latest = rows[-1].committed_at  # one commit writes all its rows with one time
    newest: dict[str, DrawRecord] = {}
    for row in rows:
        if row.committed_at == latest:
            newest[row.label] = DrawRecord.from_row(row)
    return sorted(newest.values(), key=lambda d: d.id)


def revealed_draws(conn: Connection, region_code: str, period: str,
                   matter_code: str) -> list[DrawRecord]:
    """The draws of the matter and period already run, in order."""
    return [DrawRecord.from_row(row) for row in conn.execute(select(draws).where(
        draws.c.region_code == region_code, draws.c.period == period,
        draws.c.matter_code == matter_code, draws.c.revealed_at.is_not(None))
        .order_by(draws.c.id))]


def draw_of_task(conn: Connection, task_id: str) -> DrawRecord | None:
    """The draw that made a task, or None (a task drawn elsewhere)."""
    row = conn.execute(select(draws).where(draws.c.task_id == task_id)
                       .order_by(draws.c.id.desc()).limit(1)).first()
    return None if row is None else DrawRecord.from_row(row)


def all_draws(conn: Connection) -> list[DrawRecord]:
    """Every draw, oldest first."""
    return [DrawRecord.from_row(row) for row in conn.execute(select(draws).order_by(draws.c.id))]


def save_groups(conn: Connection, draw_id: int, groups: Sequence[Group],
                redraws: Sequence[Redraw]) -> None:
    """Store a draw's groups as they now stand and its redraws."""
    conn.execute(update(draws).where(draws.c.id == draw_id).values(
        groups=groups_json(groups), redraws=redraws_json(redraws)))


def departments_json(departments: Sequence[Department]) -> str | None:
    """The `departments` column (None for a draw of one department)."""
    return dumps([d.as_json() for d in departments]) if departments else None


def save_departments(conn: Connection, draw_id: int, departments: Sequence[Department]) -> None:
    """Store a joint draw's other departments as they now stand."""
    conn.execute(update(draws).where(draws.c.id == draw_id).values(
        departments=departments_json(departments)))
