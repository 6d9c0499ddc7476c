"""Which credit facts are in force on a date (credit.md's rule), from the stored credit records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, and_, bindparam, case, func, or_, select

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
    """`credit_on` in the caller's connection: the database picks each subject's evaluation
    and risk class (one row of each per subject comes back, whatever the history's length).

    A subject with evaluations of which none is in force still has a standing (UNRATED), as
    one with only a risk class not yet published has none.
    """
    dialect = conn.dialect.name
    stmt = _STANDINGS.get(dialect)
    if stmt is None:
        stmt = _STANDINGS[dialect] = (_standings_statement(dialect, False),
                                      _standings_statement(dialect, True))
    params: dict[str, Any] = {"day": day}
    if usccs is not None:
        params["usccs"] = list_parameter(dialect, usccs)
    found: dict[str, CreditStanding] = {}
    for row in conn.execute(stmt[usccs is not None], params):
        standing = found.get(row.uscc) or CreditStanding()
        if row.kind == "evaluation":
            if row.live:
                standing = replace(standing, tier=CreditTier(row.tier) if row.tier
                                   else CreditTier.UNRATED,
                                   level=row.level, scheme=row.scheme, year=row.year)
        else:
            standing = replace(standing, risk_class=RiskClass(row.risk_class),
                               risk_classified_on=row.published_on)
        found[row.uscc] = standing
    return found


_STANDINGS: dict[str, tuple[Any, Any]] = {}


def _standings_statement(dialect: str, listed_only: bool) -> Any:
    """The evaluation in force (or, when none is, any: the subject reads UNRATED) and the
    latest risk class of each subject, as `evaluation_in_force` and credit.md choose them."""
    c = credit_records.c
    day = bindparam("day", type_=Date)
    live = and_(c.in_force, or_(c.valid_until.is_(None), c.valid_until >= day),
                or_(c.published_on.is_(None), c.published_on <= day))
    evaluation = c.kind == "evaluation"
    candidates = or_(
        and_(evaluation, c.year.is_not(None)),
        and_(c.kind == "risk", c.risk_class.is_not(None), c.risk_class != "",
             or_(c.published_on.is_(None), c.published_on <= day)))
    if listed_only:
        candidates = and_(candidates, listed(dialect, c.uscc, "usccs"))
    ranked = select(
        c.uscc, c.kind, c.tier, c.level, c.scheme, c.year, c.risk_class, c.published_on,
        case((and_(evaluation, live), 1), else_=0).label("live"),
        func.row_number().over(partition_by=(c.uscc, c.kind), order_by=(
            case((and_(evaluation, live), 0), else_=1),
            case((evaluation, c.year)).desc(),
            c.published_on.desc().nulls_last(),
        )).label("pick"),
    ).where(candidates).subquery("ranked")
    return select(ranked).where(ranked.c.pick == 1)


def standing_changed(conn: Connection, since: date, today: date) -> set[str]:
    """Subjects whose standing may differ between `since` and `today` by the calendar alone:
    a record published, or one expiring, in between."""
    c = credit_records.c
    return set(conn.execute(select(c.uscc).where(or_(
        and_(c.published_on > since, c.published_on <= today),
        and_(c.valid_until >= since, c.valid_until < today))).distinct()).scalars())
