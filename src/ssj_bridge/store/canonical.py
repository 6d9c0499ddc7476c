"""How each canonical record type is written to its table, and what is derived after it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Table

from ssj_bridge.holders import PermitFacts, holder_from_permits
from ssj_bridge.model import CanonicalModel, Permit, beijing_now, iso_beijing
from ssj_bridge.store.schema import permits, subjects
from ssj_bridge.store.upsert import select_in, upsert


@dataclass(frozen=True)
class Writer:
    """Writes records of one canonical type: table, key columns, row mapping, derivation."""

    table: Table
    keys: tuple[str, ...]
    to_row: Callable[[Any], dict[str, Any]]
    after: Callable[[Connection, Sequence[Any]], None] = field(default=lambda conn, recs: None)


def permit_row(permit: Permit) -> dict[str, Any]:
    """A permit as a row of `permits`."""
    return {
        "permit_no": permit.permit_no,
        "uscc": permit.uscc,
        "org_name": permit.org_name,
        "region_code": permit.region_code,
        "address": permit.address,
        "industry_code": permit.industry_code,
        "industry_name": permit.industry_name,
        "management_class": permit.management_class.value,
        "key_discharge_unit": permit.key_discharge_unit,
        # orjson writes an enumeration member as its value.
        "pollutant_types": orjson.dumps(permit.pollutant_types).decode(),
        "valid_from": permit.valid_from,
        "valid_to": permit.valid_to,
        "status": permit.status.value,
        "longitude": permit.longitude,
        "latitude": permit.latitude,
        "update_time": iso_beijing(permit.update_time),
    }


_FACT_COLUMNS = tuple(permits.c[name] for name in PermitFacts.__dataclass_fields__)
assert _FACT_COLUMNS[0] is permits.c.uscc  # rows are grouped by their first value


def derive_subjects(conn: Connection, usccs: Sequence[str]) -> None:
    """Recompute the subjects of these holders from every permit they hold."""
    wanted = sorted(set(usccs))
    if not wanted:
        return
    facts: dict[str, list[PermitFacts]] = {}
    for row in select_in(conn, _FACT_COLUMNS, permits.c.uscc, wanted):
        facts.setdefault(row[0], []).append(PermitFacts(*row))
    now = iso_beijing(beijing_now())
    rows = []
    for uscc in wanted:
        holder = holder_from_permits(facts[uscc])
        rows.append({**holder.__dict__, "updated_at": now})
    upsert(conn, subjects, rows, ("uscc",))


def _derive_from_permits(conn: Connection, records: Sequence[Permit]) -> None:
    derive_subjects(conn, [p.uscc for p in records])


WRITERS: dict[type[CanonicalModel], Writer] = {
    Permit: Writer(permits, ("permit_no",), permit_row, _derive_from_permits),
}


def register_writer(model: type[CanonicalModel], writer: Writer) -> None:
    """Teach the store a canonical type (each feature module registers its own records)."""
    WRITERS[model] = writer


from ssj_bridge.store import credit_writer as _credit_writer  # noqa: E402, F401  (registers CreditRecord)
