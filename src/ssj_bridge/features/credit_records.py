"""The stored credit records, as reconciliation compares them with the credit service's feeds.

Two entities of the `credit` platform role: `credit-evaluation` (环境信用评价) and `credit-risk`
(企业信用风险分类), keyed as `credit_records.record_key` (`USCC/year/published_on` and
`USCC/published_on`). The credit service owns them: every break is fixed at its source, or
by the next sync when the store is the one behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ssj_bridge.model.compared import (
    CREDIT_EVALUATION,
    CREDIT_RISK,
    EVALUATION_FIELDS,
    RISK_FIELDS,
)
from ssj_bridge.reconcile.entities import EntitySpec, StoreRecord
from ssj_bridge.store import Store
from ssj_bridge.store.schema import credit_records

if TYPE_CHECKING:
    from ssj_bridge.plugins.registry import Registry

PLATFORM = "credit"


def _stored(store: Store, kind: str) -> Iterator[StoreRecord]:
    """Every stored record of one kind, in key order, in canonical field names."""
    stmt = (select(credit_records).where(credit_records.c.kind == kind)
            .order_by(credit_records.c.record_key))
    with store.engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(stmt):
            fields: dict[str, Any] = {
                "uscc": row.uscc, "name": row.name, "regionCode": row.region_code,
                "publishedOn": row.published_on}
            if kind == "evaluation":
                fields |= {"year": row.year, "level": row.level, "tier": row.tier,
                           "validUntil": row.valid_until, "inForce": bool(row.in_force)}
            else:
                fields["riskClass"] = row.risk_class
            yield StoreRecord(row.record_key, fields)


def _stored_evaluations(store: Store) -> Iterator[StoreRecord]:
    return _stored(store, "evaluation")


def _stored_risks(store: Store) -> Iterator[StoreRecord]:
    return _stored(store, "risk")


_AT_SOURCE = ("the credit service owns {what}: a record the store lacks is taken by the next "
              "sync or sits in the quarantine (`ssj-bridge export quarantine`); one listed twice "
              "or with other content is corrected by {who}")



def register(registry: Registry) -> None:
    """Credit evaluations and risk classes, compared with the credit service's feeds."""
    registry.add_entity(EntitySpec(
        role=PLATFORM, entity=CREDIT_EVALUATION, fields=EVALUATION_FIELDS,
        expected=_stored_evaluations,
        source_hint=_AT_SOURCE.format(what="environmental credit evaluations",
                                      who="the evaluating environment authority")))
    registry.add_entity(EntitySpec(
        role=PLATFORM, entity=CREDIT_RISK, fields=RISK_FIELDS, expected=_stored_risks,
        source_hint=_AT_SOURCE.format(what="credit risk classes",
                                      who="market regulation (the classifying authority)")))
