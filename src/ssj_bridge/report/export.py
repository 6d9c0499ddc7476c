"""The store's canonical records in the shapes interface.md fixes (JSON lines), or as
spreadsheets to read (CSV or XLSX: ssj_bridge.report.sheets)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson
from sqlalchemy import select

from ssj_bridge.i18n import N_, _
from ssj_bridge.intake.joint import JOINT_COLUMNS
from ssj_bridge.intake.objects import OBJECT_COLUMNS
from ssj_bridge.model import CreditTier, words
from ssj_bridge.model.matters import MATTER_COLUMNS
from ssj_bridge.plugins.registry import Registry
from ssj_bridge.report.sheets import Shape, flat_rows, write_table
from ssj_bridge.store import Store
from ssj_bridge.store.schema import quarantine, subjects

SUBJECTS = "subjects"


def register(registry: Registry) -> None:
    """`export subjects` (other features enrich it) and `export quarantine`."""
    registry.add_exporter(SUBJECTS, subject_rows)
    registry.add_exporter("quarantine", quarantine_rows)


def subject_rows(store: Store) -> Iterator[dict[str, Any]]:
    """One object per subject: identity from permits (other features add the rest)."""
    unrated = CreditTier.UNRATED.value
    stmt = select(subjects.c.uscc, subjects.c.name, subjects.c.region_code,
                  subjects.c.industry_code, subjects.c.management_class,
                  subjects.c.key_discharge_unit, subjects.c.active).order_by(subjects.c.uscc)
    with store.engine.connect() as conn:
        for part in conn.execute(stmt.execution_options(yield_per=5_000)).partitions():
            for uscc, name, region, industry, klass, key_unit, active in part:
                yield {
                    "uscc": uscc, "name": name, "regionCode": region, "industryCode": industry,
                    "category": None, "categories": [], "managementClass": klass,
                    "keyDischargeUnit": bool(key_unit), "creditLevel": unrated,
                    "riskClass": None, "tags": [], "active": bool(active),
                }


def quarantine_rows(store: Store) -> Iterator[dict[str, Any]]:
    """`{"platform", "entity", "key", "reason", "firstSeen", "lastSeen", "count"}`."""
    with store.engine.connect() as conn:
        stmt = select(quarantine).order_by(quarantine.c.platform, quarantine.c.entity,
                                           quarantine.c.key)
        for row in conn.execute(stmt):
            yield {"platform": row.platform, "entity": row.entity, "key": row.key,
                   "reason": row.reason, "firstSeen": row.first_seen,
                   "lastSeen": row.last_seen, "count": row.count}


def _draw_row(item: dict[str, Any]) -> dict[str, Any]:
    """A draw for reading: counts for its long lists (the JSON lines keep them whole), one
    row per drawn group, what re-derivation needs left to the JSON lines."""
    item = dict(item)
    for name in ("candidates", "inspectorCandidates"):
        item[name] = len(item.get(name) or [])
    item["redraws"] = len(item.get("redraws") or [])
    item.pop("matching", None)
    item.pop("selected", None)
    return item


TASK_COLUMNS = ("taskId", "name", "regionCode", "matterCode", "drawnBy", "drawMode", "period",
                "plannedStart", "plannedEnd", "status", "updateTime", "drawProof.algorithm",
                "drawProof.label", "drawProof.k", "drawProof.candidatesHash",
                "drawProof.commitment", "drawProof.witnessEntropy", "drawProof.secret",
                "assignments.uscc", "assignments.inspectorIds", "assignments.mode",
                "assignments.status")


def _matter_row(item: dict[str, Any]) -> dict[str, Any]:
    """A matter rule's counts as numbers (the file's text cells hold them as written)."""
    item = dict(item)
    if item.get("minCount"):
        item["minCount"] = int(item["minCount"])
    if item.get("perInspector"):
        item["perInspector"] = float(item["perInspector"])
    return item


SHEETS = {"subjects": N_("subjects"), "inspectors": N_("inspectors"), "tasks": N_("tasks"),
          "results": N_("results"), "draws": N_("draws"), "quarantine": N_("quarantine"),
          "matters": N_("matters"), "objects": N_("objects"), "joint": N_("joint plans")}
# How each export becomes the rows of a spreadsheet (ssj_bridge.report.sheets).
SHAPES: dict[str, Shape] = {
    "subjects": Shape(("uscc", "name", "regionCode", "industryCode", "category", "categories",
                       "managementClass", "keyDischargeUnit", "creditLevel", "riskClass", "tags",
                       "active"), table="subjects"),
    "inspectors": Shape(("inspectorId", "name", "certNo", "orgCode", "regionCode", "expertise",
                         "auxiliary", "active", "conflicts"), table="inspectors"),
    "tasks": Shape(TASK_COLUMNS, table="tasks", explode="assignments"),
    "results": Shape(("resultId", "version", "taskId", "uscc", "resultCode", "inspectedOn",
                      "inspectorIds", "findings", "rectificationDue", "caseNo",
                      "publication.status", "publication.date", "publication.code"),
                     table="results", values={"publication.status": words.publication}),
    "draws": Shape(("taskId", "label", "algorithm", "candidates", "candidatesHash", "k",
                    "inspectorCandidates", "inspectorCandidatesHash", "commitment",
                    "witnessEntropy", "witnessed", "secret", "committedAt", "revealedAt",
                    "redraws", "groups.uscc", "groups.inspectorIds"),
                   table="draws", explode="groups", prepare=_draw_row),
    "quarantine": Shape(("platform", "entity", "key", "reason", "firstSeen", "lastSeen",
                         "count"), table="quarantine"),
    # In the import files' columns and codes, so an export goes back in as it is.
    "matters": Shape(MATTER_COLUMNS, table="matters", prepare=_matter_row),
    "objects": Shape(OBJECT_COLUMNS, table="objects"),
    "joint": Shape(JOINT_COLUMNS, table="joint"),
}


def write_rows(rows: Iterator[dict[str, Any]], out: TextIO | Path, fmt: str,
               what: str = "data") -> int:
    """Write `what`'s rows as JSON lines (the contract), or as a CSV or XLSX to read
    (ssj_bridge.report.sheets: headers always, no JSON in a cell); returns the count."""
    if fmt == "jsonl":
        if isinstance(out, Path):
            raise ValueError("jsonl is written to standard output")
        count = 0
        for row in rows:
            out.write(orjson.dumps(row).decode() + "\n")
            count += 1
        return count
    shape = SHAPES.get(what, Shape(()))
    title = _(SHEETS[what]) if what in SHEETS else what
    return write_table(flat_rows(rows, shape), shape, fmt, out, sheet=title)


def render(rows: Iterator[dict[str, Any]], fmt: str, what: str = "data") -> str:
    """Rows as one string (tests)."""
    buffer = io.StringIO()
    write_rows(rows, buffer, fmt, what)
    return buffer.getvalue()
