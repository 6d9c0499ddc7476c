"""Which credit facts are in force on a date (docs/platforms/credit.md's rule), from the stored
credit records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from ssj_bridge.model import CreditTier, RiskClass
from ssj_bridge.store import Store
from ssj_bridge.store.schema import credit_records
from ssj_bridge.store.upsert import list_parameter, listed


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
    with store.engine.connect() as conn:
        return standings(conn, day, None if usccs is None else sorted(set(usccs)))


def standings(conn: Connection, day: date, usccs: Sequence[str] | None = None
              ) -> dict[str, CreditStanding]:
    """`credit_on` in the caller's connection, for the listed subjects (one statement, led by
    the index on `uscc`) or all of them.

    A subject with evaluations of which none is in force still has a standing (UNRATED), as
    one with only a risk class not yet published has none. The rule is applied here, row by
    row: a window function over the whole table sorts a million rows on SQLite (tens of
    seconds), and an OR over the record kinds makes SQLite read every row of both kinds
    for each list of subjects.
    """
    c = credit_records.c
    stmt = select(c.uscc, c.kind, c.year, c.published_on, c.valid_until, c.in_force, c.tier,
                  c.level, c.scheme, c.risk_class)
    params: dict[str, Any] = {}
    if usccs is not None:
        dialect = conn.dialect.name
        stmt = stmt.where(listed(dialect, c.uscc, "usccs"))
        params["usccs"] = list_parameter(dialect, usccs)
    evaluations: dict[str, tuple[Any, ...] | None] = {}
    risks: dict[str, tuple[date, str]] = {}
    result = conn.execute(stmt.execution_options(yield_per=20_000) if usccs is None else stmt,
                          params)  # the whole table a part at a time; a list's rows at once
    for part in result.partitions() if usccs is None else [result.all()]:
        for (uscc, kind, year, published, valid_until, in_force, tier, level, scheme,
             risk) in part:
            if kind == "evaluation":
                if year is None:
                    continue
                best = evaluations.get(uscc)
                if not (in_force and (valid_until is None or valid_until >= day)
                        and (published is None or published <= day)):
                    evaluations.setdefault(uscc, None)  # known, not in force: UNRATED
                    continue
                rank = (year, published or date.min)
                if best is None or rank > best[0]:
                    evaluations[uscc] = (rank, tier, level, scheme, year)
            elif kind == "risk" and risk:
                on = published or date.min
                if on <= day and (uscc not in risks or on > risks[uscc][0]):
                    risks[uscc] = (on, risk)
    found: dict[str, CreditStanding] = {}
    for uscc in evaluations.keys() | risks.keys():
        chosen = evaluations.get(uscc)
        risk_entry = risks.get(uscc)
        found[uscc] = CreditStanding(
            tier=CreditTier(chosen[1]) if chosen and chosen[1] else CreditTier.UNRATED,
            level=chosen[2] if chosen else None, scheme=chosen[3] if chosen else None,
            year=chosen[4] if chosen else None,
            risk_class=RiskClass(risk_entry[1]) if risk_entry else None,
            risk_classified_on=(risk_entry[0] if risk_entry and risk_entry[0] != date.min
                                else None))
    return found


def standing_changed(conn: Connection, since: date, today: date) -> set[str]:
    """Subjects whose standing may differ between `since` and `today` by the calendar alone:
    a record published, or one expiring, in between."""
    c = credit_records.c
    return set(conn.execute(select(c.uscc).where(or_(
        and_(c.published_on > since, c.published_on <= today),
        and_(c.valid_until >= since, c.valid_until < today))).distinct()).scalars())
