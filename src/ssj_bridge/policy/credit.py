"""Which credit facts are in force on a date (docs/platforms/credit.md's rule), from the stored
credit records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ssj_bridge.model import CreditTier, RiskClass
from ssj_bridge.store import Store
from ssj_bridge.store.schema import credit_records


@dataclass(frozen=True)
class CreditStanding:
    """A subject's credit on one day: the evaluation in force (or UNRATED) and its risk class."""

    tier: CreditTier = CreditTier.UNRATED
    level: str | None = None
    scheme: str | None = None
    year: int | None = None
    risk_class: RiskClass | None = None
    risk_classified_on: date | None = None


@dataclass(frozen=True)
class _Evaluation:
    year: int
    published_on: date | None
    valid_until: date | None
    in_force: bool
    tier: str | None
    level: str | None
    scheme: str | None


def evaluation_in_force(rows: Iterable[_Evaluation], day: date) -> _Evaluation | None:
    """The evaluation of the latest year whose row is not withdrawn and has not expired on `day`.

    Two rows of one year: the later publication date wins. A row published after `day` was
    not yet known on it; a row without an expiry stays in force until withdrawn.
    """
    live = [r for r in rows
            if r.in_force and (r.valid_until is None or r.valid_until >= day)
            and (r.published_on is None or r.published_on <= day)]
    if not live:
        return None
    return max(live, key=lambda r: (r.year, r.published_on or date.min))


def credit_on(store: Store, day: date, usccs: Iterable[str] | None = None
              ) -> dict[str, CreditStanding]:
    """Every subject's credit standing on `day` (only subjects with some credit record)."""
    wanted = set(usccs) if usccs is not None else None
    evaluations: dict[str, list[_Evaluation]] = {}
    risks: dict[str, tuple[date, RiskClass]] = {}
    with store.engine.connect() as conn:
        for row in conn.execute(select(credit_records)):
            if wanted is not None and row.uscc not in wanted:
                continue
            if row.kind == "evaluation" and row.year is not None:
                evaluations.setdefault(row.uscc, []).append(_Evaluation(
                    row.year, row.published_on, row.valid_until, bool(row.in_force), row.tier,
                    row.level, row.scheme))
            elif row.kind == "risk" and row.risk_class:
                on = row.published_on or date.min
                if on <= day and (row.uscc not in risks or on > risks[row.uscc][0]):
                    risks[row.uscc] = (on, RiskClass(row.risk_class))
    standings: dict[str, CreditStanding] = {}
    for uscc in set(evaluations) | set(risks):
        chosen = evaluation_in_force(evaluations.get(uscc, []), day)
        risk = risks.get(uscc)
        standings[uscc] = CreditStanding(
            tier=CreditTier(chosen.tier) if chosen and chosen.tier else CreditTier.UNRATED,
            level=chosen.level if chosen else None,
            scheme=chosen.scheme if chosen else None,
            year=chosen.year if chosen else None,
            risk_class=risk[1] if risk else None,
            risk_classified_on=risk[0] if risk and risk[0] != date.min else None)
    return standings
