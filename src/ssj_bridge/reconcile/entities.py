"""What can be reconciled: per platform role and entity, the compared fields and the store side.

Each feature registers the entities it keeps (`Registry.add_entity`); the core's
reconciliation knows only the registry. `owned` entities are written by the project, so a repair re-sends
the store's version through the outbox; the others can only be fixed at their source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from ssj_bridge.reconcile.diff import FIELD_MISMATCH, MISSING_ON_PLATFORM, STALE
from ssj_bridge.store import Store
from ssj_bridge.store.schema import permits

if TYPE_CHECKING:
    from ssj_bridge.plugins.registry import Registry


@dataclass(frozen=True)
class StoreRecord:
    """The store's side of one record: key, fields in canonical names, version, in flight.

    `owned` False marks a record of an owned entity that the project did not write (e.g. a
    task drawn by a higher level): its breaks are fixed at their source, never re-sent.
    """

    key: str
    fields: Mapping[str, Any]
    version: str | None = None
    in_flight: bool = False
    owned: bool = True


Expected = Callable[[Store], Iterator[StoreRecord]]
REPAIRABLE = frozenset((MISSING_ON_PLATFORM, FIELD_MISMATCH, STALE))
Repair = Callable[[Connection, str], bool]


@dataclass(frozen=True)
class EntitySpec:
    """One reconcilable entity of one platform role."""

    role: str
    entity: str
    fields: Mapping[str, str]  # name → kind (text, code, date, list, bool, number)
    expected: Expected
    owned: bool = False
    repair: Repair | None = None
    source_hint: str = "fix it on the platform that owns it"
    # The kinds of break a re-send can mend (a platform that lists a key twice, or keeps the
    # first version of what it was sent, is fixed at its source whatever the project sends).
    repairable: frozenset[str] = REPAIRABLE


def _stored_permits(store: Store) -> Iterator[StoreRecord]:
    columns = [permits.c.permit_no, permits.c.uscc, permits.c.org_name, permits.c.region_code,
               permits.c.management_class, permits.c.status, permits.c.valid_to,
               permits.c.key_discharge_unit, permits.c.update_time]
    with store.engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(
            select(*columns).order_by(permits.c.permit_no))
        for row in result:
            yield StoreRecord(row.permit_no, {
                "uscc": row.uscc, "orgName": row.org_name, "regionCode": row.region_code,
                "managementClass": row.management_class, "status": row.status,
                "validTo": row.valid_to, "keyDischargeUnit": bool(row.key_discharge_unit)},
                version=row.update_time)


def register(registry: Registry) -> None:
    """Permits, compared with the permit platform's listing."""
    registry.add_entity(EntitySpec(
        role="permit", entity="permit",
        fields={"uscc": "code", "orgName": "text", "regionCode": "code",
                "managementClass": "text", "status": "text", "validTo": "date",
                "keyDischargeUnit": "bool"},
        expected=_stored_permits,
        source_hint="the permit platform owns permits: ask the issuing authority to correct it"))
