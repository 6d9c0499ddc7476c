"""Reading the imported local facts back: designations in force on a day, the roster."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, select

from ssj_bridge.model import Designation, Inspector, Tag, region_within
from ssj_bridge.store import Store
from ssj_bridge.store.schema import designations as designations_table
from ssj_bridge.store.schema import inspectors as inspectors_table

_TAG_ORDER = {tag: index for index, tag in enumerate(Tag)}


def designations(store: Store, usccs: Iterable[str] | None = None) -> dict[str, list[Designation]]:
    """Every stored designation per USCC, in force or not (e.g. to sum complaints of a quarter).

    Each subject's list is ordered by tag (as the Tag enum lists them), then `since`.
    """
    wanted = set(usccs) if usccs is not None else None
    context = {"allowed_usccs": store.allowed_usccs()}
    found: dict[str, list[Designation]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(select(designations_table)):
            if wanted is not None and row.uscc not in wanted:
                continue
            found.setdefault(row.uscc, []).append(Designation.model_validate(
                {"uscc": row.uscc, "tag": row.tag, "value": row.value, "since": row.since,
                 "until": row.until, "source": row.source}, context=context))
    for items in found.values():
        items.sort(key=lambda d: designation_order(d.tag, d.since))
    return dict(sorted(found.items()))


def designation_order(tag: str, since: date | None) -> tuple[int, date]:
    """Where a designation comes in a subject's list: by tag (as the Tag enum lists them),
    then `since`."""
    return _TAG_ORDER.get(Tag(tag), len(_TAG_ORDER)), since or date.min


def designated_subjects(conn: Connection) -> set[str]:
    """Every subject with a designation stored (in force or not)."""
    return set(conn.execute(select(designations_table.c.uscc).distinct()).scalars())


def designations_on(store: Store, day: date,
                    usccs: Iterable[str] | None = None) -> dict[str, list[Designation]]:
    """The designations in force on `day` (both bounds inclusive) per USCC; others left out."""
    in_force: dict[str, list[Designation]] = {}
    for uscc, items in designations(store, usccs).items():
        holding = [d for d in items if d.holds_on(day)]
        if holding:
            in_force[uscc] = holding
    return in_force


def inspectors(store: Store, region: str | None = None, active_only: bool = True) -> list[Inspector]:
    """The roster ordered by inspectorId; `region` keeps people of that region or below it."""
    context = {"allowed_usccs": store.allowed_usccs()}
    stmt = select(inspectors_table).order_by(inspectors_table.c.inspector_id)
    if active_only:
        stmt = stmt.where(inspectors_table.c.active.is_(True))
    people: list[Inspector] = []
    with store.engine.connect() as conn:
        for row in conn.execute(stmt):
            if region is not None and not region_within(row.region_code, region):
                continue
            people.append(Inspector.model_validate(
                {"inspector_id": row.inspector_id, "name": row.name, "cert_no": row.cert_no,
                 "org_code": row.org_code, "region_code": row.region_code,
                 "expertise": _split(row.expertise), "auxiliary": bool(row.auxiliary),
                 "active": bool(row.active), "conflicts": _split(row.conflicts),
                 "post": row.post, "staff_status": row.staff_status, "gender": row.gender,
                 "service_years": row.service_years},
                context=context))
    return people


def _split(joined: str | None) -> list[str]:
    return [item for item in (joined or "").split(";") if item]
