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

from sqlalchemy import Connection

from ssj_bridge.intake.designations import DESIGNATION_COLUMNS, parse_designations
from ssj_bridge.intake.files import Sheet, read_sheet
from ssj_bridge.intake.roster import ROSTER_COLUMNS, parse_roster
from ssj_bridge.model import Designation, Inspector, beijing_now, iso_beijing
from ssj_bridge.store import Store
from ssj_bridge.store.changes import mark_subjects
from ssj_bridge.store.schema import designations, imports, inspectors
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
                   imported_by)


def import_designations(store: Store, path: Path, imported_by: str | None = None) -> ImportResult:
    """Load subject designations at `path`: upsert by (uscc, tag, since)."""
    return _import(store, path, "designations", DESIGNATION_COLUMNS, parse_designations,
                   _write_designations, imported_by)


def _import(store: Store, path: Path, kind: str, columns: Sequence[str],
            parse: Callable[[Sheet, Collection[str]], list[R]],
            write: Callable[[Connection, list[R], int, str], None],
            imported_by: str | None) -> ImportResult:
    sheet = read_sheet(path, columns)
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
         "updated_at": now}
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


def since_key(designation: Designation) -> str:
    """The `since_key` column: `since` as YYYY-MM-DD, or '' for an open start (keys can't be NULL)."""
    return designation.since.isoformat() if designation.since else ""
