"""`export draws`: one object per draw, the fields of draw.md ("What is kept and exported"),
plus the matching inputs and recorded redraws an outsider needs to re-derive the groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ssj_bridge.draw.joint import Department
from ssj_bridge.draw.records import DrawRecord, all_draws
from ssj_bridge.plugins.registry import Registry
from ssj_bridge.store import Store


def draw_object(draw: DrawRecord) -> dict[str, Any]:
    """draw.md's object; what `draw run` reveals (and the witness's text) is null before it."""
    revealed = draw.revealed
    return {
        "taskId": draw.task_id if revealed else None,
        "label": draw.label,
        "algorithm": draw.algorithm,
        "candidates": draw.candidates,
        "candidatesHash": draw.candidates_hash,
        "k": draw.k,
        "inspectorCandidates": draw.inspector_candidates,
        "inspectorCandidatesHash": draw.inspector_candidates_hash,
        "commitment": draw.commitment,
        "witnessEntropy": draw.witness_entropy if revealed else None,
        "witnessed": draw.witnessed if revealed else None,
        # The secret leaves the store only once revealed: before, it would let anyone
        # predict the draw for every witness text.
        "secret": draw.secret if revealed else None,
        "selected": draw.selected if revealed else None,
        "groups": ([{"uscc": g.uscc, "inspectorIds": list(g.inspector_ids)} for g in draw.groups]
                   if revealed and draw.groups is not None else None),
        "committedAt": draw.committed_at,
        "revealedAt": draw.revealed_at,
        # Beyond draw.md's fields: what re-deriving the inspector groups needs
        # (contracts/draw/README.md, "Inspector matching"), fixed at the commit.
        "matching": draw.matching.as_json(),
        "redraws": [r.as_json() for r in draw.redraws] if revealed else None,
        # What narrows the draw and what it was committed with: the district or part, a 定向
        # scope, a joint plan, a count and why, a commitment it replaced and why.
        "scope": draw.scope,
        **({"departments": [_department(d, revealed) for d in draw.departments]}
           if draw.departments else {}),
    }


def _department(department: Department, revealed: bool) -> dict[str, Any]:
    shown = department.exported()
    if not revealed:
        shown["groups"] = None
    return shown


def draw_rows(store: Store) -> Iterator[dict[str, Any]]:
    """Every draw, in commit order."""
    with store.engine.connect() as conn:
        found = all_draws(conn)
    for draw in found:
        yield draw_object(draw)


def register(registry: Registry) -> None:
    """`export draws`."""
    registry.add_exporter("draws", draw_rows)
