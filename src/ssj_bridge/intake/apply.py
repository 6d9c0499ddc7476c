"""Importing a data manager's file: read, check every row, then apply it in one transaction.

The file's rows, and the `imports` row that records who loaded which file (by SHA-256) when,
commit together or not at all, so a refused or failed import leaves the store as it was.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, delete

from ssj_bridge.intake.designations import DESIGNATION_COLUMNS, parse_designations
from ssj_bridge.intake.files import Sheet, read_sheet
from ssj_bridge.intake.joint import JOINT_COLUMNS, JointPlan, parse_joint_plans, write_joint_plans
from ssj_bridge.intake.matters import parse_matters
from ssj_bridge.intake.objects import (
    OBJECT_COLUMNS,
    LibraryObject,
    parse_objects,
    stored_usccs,
    write_objects,
)
from ssj_bridge.intake.roster import ROSTER_COLUMNS, ROSTER_OPTIONAL, parse_roster
from ssj_bridge.model import Designation, Inspector, beijing_now, iso_beijing
from ssj_bridge.model.matters import MATTER_COLUMNS, MatterSpec, matter_rows
from ssj_bridge.store import Store
from ssj_bridge.store.changes import mark_subjects
from ssj_bridge.store.schema import designations, imports, inspectors
from ssj_bridge.store.schema import matters as matters_table
from ssj_bridge.store.upsert import upsert

R = TypeVar("R")


@dataclass(frozen=True)
class ImportResult:
    """What one import applied: its id in `imports`, the kind, the file and the rows."""

    import_id: int
    kind: str
    file_name: str
    file_hash: str
    rows: int
    imported_by: str


def current_user() -> str:
    """The operating-system user running the command (who an import is recorded as by default)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        # A container without a passwd entry or USER variable; still record something.
        return "unknown"


def import_roster(store: Store, path: Path, imported_by: str | None = None) -> ImportResult:
    """Load the inspector roster at `path`: upsert by inspectorId, others unchanged."""
    return _import(store, path, "inspectors", ROSTER_COLUMNS, parse_roster, _write_inspectors,
                   imported_by, optional=ROSTER_OPTIONAL)


def import_designations(store: Store, path: Path, imported_by: str | None = None) -> ImportResult:
    """Load subject designations at `path`: upsert by (uscc, tag, since)."""
    return _import(store, path, "designations", DESIGNATION_COLUMNS, parse_designations,
                   _write_designations, imported_by)


def import_matters(store: Store, path: Path, imported_by: str | None = None) -> ImportResult:
    """Load a matter list at `path`: every matter it lists replaces the stored one of its code."""
    return _import(store, path, "matters", MATTER_COLUMNS, parse_matters, _write_matters,
                   imported_by)


def import_objects(store: Store, path: Path, region: str | None,
                   imported_by: str | None = None) -> ImportResult:
    """Load objects at `path` into the local library: upsert by (kind, objectId); an object
    outside `region` (the deployment's) refuses the file."""
    with store.engine.connect() as conn:
        held = stored_usccs(conn)

    def parse(sheet: Sheet, allowed: Collection[str]) -> list[LibraryObject]:
        return parse_objects(sheet, allowed, region=region, stored_usccs=held)

    return _import(store, path, "objects", OBJECT_COLUMNS, parse, write_objects, imported_by)


def import_joint_plans(store: Store, path: Path, matter_codes: Collection[str],
                       imported_by: str | None = None) -> ImportResult:
    """Load joint cross-department plans at `path`: upsert by planId; a matter code not among
    `matter_codes` (the deployment's list) refuses the file."""

    def parse(sheet: Sheet, _allowed: Collection[str]) -> list[JointPlan]:
        return parse_joint_plans(sheet, matter_codes)

    return _import(store, path, "joint", JOINT_COLUMNS, parse, write_joint_plans, imported_by)


def _import(store: Store, path: Path, kind: str, columns: Sequence[str],
            parse: Callable[[Sheet, Collection[str]], list[R]],
            write: Callable[[Connection, list[R], int, str], None],
            imported_by: str | None, optional: Sequence[str] = ()) -> ImportResult:
    sheet = read_sheet(path, columns, optional, kind=kind)
    records = parse(sheet, store.allowed_usccs())
    who = imported_by or current_user()
    now = iso_beijing(beijing_now())
    with store.engine.begin() as conn:
        inserted = conn.execute(imports.insert().values(
            kind=kind, file_name=sheet.file_name, file_hash=sheet.sha256, rows=len(records),
            imported_by=who, imported_at=now)).inserted_primary_key
        assert inserted is not None
        import_id = int(inserted[0])
        write(conn, records, import_id, now)
    return ImportResult(import_id, kind, sheet.file_name, sheet.sha256, len(records), who)


def _write_inspectors(conn: Connection, records: list[Inspector], import_id: int,
                      now: str) -> None:
    rows: list[dict[str, Any]] = [
        {"inspector_id": p.inspector_id, "name": p.name, "cert_no": p.cert_no,
         "org_code": p.org_code, "region_code": p.region_code,
         "expertise": ";".join(e.value for e in p.expertise), "auxiliary": p.auxiliary,
         "active": p.active, "conflicts": ";".join(p.conflicts), "import_id": import_id,
         "updated_at": now, "post": p.post, "staff_status": p.staff_status, "gender": p.gender,
         "service_years": p.service_years}
        for p in records]
    for start in range(0, len(rows), 500):
        upsert(conn, inspectors, rows[start:start + 500], ("inspector_id",))


def _write_designations(conn: Connection, records: list[Designation], import_id: int,
                        _now: str) -> None:
    rows: list[dict[str, Any]] = [
        {"uscc": d.uscc, "tag": d.tag.value, "since_key": since_key(d), "value": d.value,
         "since": d.since, "until": d.until, "source": d.source, "import_id": import_id}
        for d in records]
    for start in range(0, len(rows), 500):
        upsert(conn, designations, rows[start:start + 500], ("uscc", "tag", "since_key"))
    mark_subjects(conn, [d.uscc for d in records])


def _write_matters(conn: Connection, records: list[MatterSpec], import_id: int,
                   now: str) -> None:
    codes = [m.code for m in records]
    conn.execute(delete(matters_table).where(matters_table.c.matter_code.in_(codes)))
    rows = [{**{column: row[name] for name, column in _MATTER_FIELDS.items()},
             "min_count": int(row["minCount"]) if row["minCount"] else None,
             "position": position, "import_id": import_id, "updated_at": now}
            for matter in records
            for position, row in enumerate(matter_rows([matter]), start=1)]
    if rows:
        conn.execute(matters_table.insert(), rows)


_MATTER_FIELDS = {"matterCode": "matter_code", "name": "name", "objectKind": "object_kind",
                  "level": "level", "departments": "departments", "category": "category",
                  "period": "period", "ratio": "ratio", "perInspector": "per_inspector",
                  "mode": "mode", "basis": "basis"}


def since_key(designation: Designation) -> str:
    """The `since_key` column: `since` as YYYY-MM-DD, or '' for an open start (keys can't be NULL)."""
    return designation.since.isoformat() if designation.since else ""
