"""The object library file (interface.md, "Object library") and the library as the store holds it.

`kind,objectId,name,regionCode,uscc,subkind,since,until,source`, one row per object. All-or-
nothing like the other imports: an unknown kind, an object outside the deployment's region, an
objectId listed twice for its kind, a USCC that another object of the kind already has, or a
bad cell refuses the file with the row numbers, and nothing of it is applied. Importing upserts
by (kind, objectId); objects not in the file are unchanged (set `until` to retire one).

An object's **key** — what a draw lists as its candidate and a task as its subject — is its USCC
when it has one (the provincial platform and the publicity system know an object by it), else its
objectId. Two objects of one kind never share a key.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from ssj_bridge.intake import fields
from ssj_bridge.intake.files import Problems, Row, Sheet
from ssj_bridge.model.identifiers import region_within
from ssj_bridge.model.matters import OBJECT_KINDS
from ssj_bridge.store.schema import objects as objects_table

OBJECT_COLUMNS = ("kind", "objectId", "name", "regionCode", "uscc", "subkind", "since", "until",
                  "source")
_OBJECT_ID = re.compile(r"^[^\s;/]{1,64}$")


@dataclass(frozen=True)
class LibraryObject:
    """One object of the local library: what it is, where, and while it is in the library."""

    kind: str
    object_id: str
    name: str
    region_code: str
    uscc: str | None = None
    subkind: str = ""
    since: date | None = None
    until: date | None = None
    source: str | None = None

    @property
    def key(self) -> str:
        """Its key in draws and tasks: the USCC, or the objectId without one."""
        return self.uscc or self.object_id

    def valid_during(self, start: date, end: date) -> bool:
        """In the library on some day of start..end (both bounds inclusive, empty: open)."""
        return (self.since is None or self.since <= end) and (self.until is None or start <= self.until)

    def as_row(self) -> dict[str, Any]:
        """The file's columns (`export objects`)."""
        return {"kind": self.kind, "objectId": self.object_id, "name": self.name,
                "regionCode": self.region_code, "uscc": self.uscc or "", "subkind": self.subkind,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "", "source": self.source or ""}


def parse_objects(sheet: Sheet, allowed_usccs: Collection[str], *, region: str | None,
                  stored_usccs: Mapping[tuple[str, str], str]) -> list[LibraryObject]:
    """Every row as an object, or FileRefused listing every bad cell.

    `stored_usccs` maps (kind, USCC) to the objectId already holding it in the store.
    """
    problems = Problems(sheet.file_name)
    found: list[LibraryObject] = []
    first_id: dict[tuple[str, str], int] = {}
    first_uscc: dict[tuple[str, str], tuple[int, str]] = {}
    for row in sheet.rows:
        before = len(problems.items)
        item = _row(row, allowed_usccs, region, problems)
        if item is None or len(problems.items) > before:
            continue
        id_key = (item.kind, item.object_id)
        if id_key in first_id:
            problems.add(row.number, "objectId", item.object_id,
                         f"listed again for {item.kind} (first in row {first_id[id_key]})")
            continue
        first_id[id_key] = row.number
        if item.uscc:
            uscc_key = (item.kind, item.uscc)
            holder = stored_usccs.get(uscc_key)
            if uscc_key in first_uscc:
                line, other = first_uscc[uscc_key]
                problems.add(row.number, "uscc", item.uscc,
                             f"object {other} of {item.kind} has it too (row {line}); one "
                             f"{item.kind} per USCC")
                continue
            if holder is not None and holder != item.object_id:
                problems.add(row.number, "uscc", item.uscc,
                             f"object {holder} of {item.kind} in the library has it already")
                continue
            first_uscc[uscc_key] = (row.number, item.object_id)
        found.append(item)
    problems.raise_if_any()
    return found


def _row(row: Row, allowed: Collection[str], region: str | None,
         problems: Problems) -> LibraryObject | None:
    cells = row.cells
    kind = fields.text(cells["kind"])
    if kind not in OBJECT_KINDS:
        problems.add(row.number, "kind", cells["kind"],
                     f"unknown kind; one of {' '.join(OBJECT_KINDS)}")
    object_id = fields.text(cells["objectId"])
    if not _OBJECT_ID.match(object_id):
        problems.add(row.number, "objectId", cells["objectId"],
                     "is required: 1–64 characters without spaces, ';' or '/'")
    name = fields.text(cells["name"])
    if not name:
        problems.add(row.number, "name", cells["name"], "is required")
    region_code = fields.checked(problems, row, "regionCode", fields.region)
    if region_code and region and not region_within(region_code, region):
        problems.add(row.number, "regionCode", cells["regionCode"],
                     f"outside the deployment's region {region} (SSJ_REGION_CODE)")
    uscc = fields.checked(problems, row, "uscc",
                          lambda c: fields.uscc(c, allowed) if fields.text(c) else None)
    subkind = fields.text(cells["subkind"])
    if len(subkind) > 32:
        problems.add(row.number, "subkind", cells["subkind"], "at most 32 characters")
    since = fields.checked(problems, row, "since", fields.day)
    until = fields.checked(problems, row, "until", fields.day)
    if since and until and until < since:
        problems.add(row.number, "until", cells["until"], f"before since {since.isoformat()}")
    if kind not in OBJECT_KINDS or not region_code:
        return None
    return LibraryObject(kind, object_id, name, region_code, uscc, subkind, since, until,
                         fields.text(cells["source"]) or None)


def write_objects(conn: Connection, records: Iterable[LibraryObject], import_id: int,
                  now: str) -> None:
    """Upsert by (kind, objectId)."""
    from ssj_bridge.store.upsert import upsert

    rows = [{"kind": o.kind, "object_id": o.object_id, "name": o.name,
             "region_code": o.region_code, "uscc": o.uscc, "subkind": o.subkind, "since": o.since,
             "until": o.until, "source": o.source, "import_id": import_id, "updated_at": now}
            for o in records]
    for start in range(0, len(rows), 500):
        upsert(conn, objects_table, rows[start:start + 500], ("kind", "object_id"))


def stored_usccs(conn: Connection) -> dict[tuple[str, str], str]:
    """(kind, USCC) → objectId of every stored object with a USCC."""
    return {(row.kind, row.uscc): row.object_id for row in conn.execute(
        select(objects_table.c.kind, objects_table.c.uscc, objects_table.c.object_id)
        .where(objects_table.c.uscc.is_not(None)))}


def library_objects(conn: Connection, kind: str | None = None,
                    region: str | None = None) -> list[LibraryObject]:
    """The library's objects (of `kind`, of `region` or below it), in (kind, objectId) order."""
    stmt = select(objects_table).order_by(objects_table.c.kind, objects_table.c.object_id)
    if kind is not None:
        stmt = stmt.where(objects_table.c.kind == kind)
    return [LibraryObject(row.kind, row.object_id, row.name, row.region_code, row.uscc,
                          row.subkind, row.since, row.until, row.source)
            for row in conn.execute(stmt)
            if region is None or region_within(row.region_code, region)]


def object_rows(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every object as a row of the file."""
    for item in library_objects(conn):
        yield item.as_row()
