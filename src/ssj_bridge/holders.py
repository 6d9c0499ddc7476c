"""From a holder's permits to the subject: strictest valid class, name from the latest permit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ssj_bridge.model import ManagementClass, PermitStatus


@dataclass(frozen=True)
class PermitFacts:
    """The columns of a stored permit that decide its holder's subject."""

    uscc: str
    org_name: str
    region_code: str
    industry_code: str | None
    management_class: str
    key_discharge_unit: bool
    status: str
    update_time: str


@dataclass(frozen=True)
class HolderFacts:
    """A subject as its permits describe it (credit, tags and categories come from elsewhere)."""

    uscc: str
    name: str
    region_code: str
    industry_code: str | None
    management_class: str | None
    key_discharge_unit: bool
    active: bool
    permit_count: int


def holder_from_permits(permits: Iterable[PermitFacts]) -> HolderFacts:
    """The holder's subject: the strictest class of its valid permits (重点 > 简化 > 登记).

    Name, region and industry come from the most recently updated valid permit; a holder with
    no valid permit keeps its last known name, is inactive and has no class.
    """
    every = sorted(permits, key=lambda p: p.update_time)
    if not every:
        raise ValueError("a holder needs at least one permit")
    valid = [p for p in every if p.status == PermitStatus.VALID.value]
    latest = (valid or every)[-1]
    strictest = min((ManagementClass(p.management_class) for p in valid),
                    key=lambda c: c.rank, default=None)
    return HolderFacts(
        uscc=latest.uscc,
        name=latest.org_name,
        region_code=latest.region_code,
        industry_code=latest.industry_code,
        management_class=strictest.value if strictest else None,
        key_discharge_unit=any(p.key_discharge_unit for p in valid),
        active=bool(valid),
        permit_count=len(every),
    )
