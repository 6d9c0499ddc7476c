"""The level in force on a date (credit.md), read from stored credit records on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ssj_bridge.model import CreditRecord, CreditTier, RiskClass
from ssj_bridge.platform.adapter import Batch, Fetched, canonical_payload, content_hash
from ssj_bridge.policy.credit import credit_on
from ssj_bridge.store import Store
from ssj_bridge.store.credit_writer import credit_record_key
from ssj_bridge.store.schema import credit_records

USCC = "91130200699229617X"
DAY = date(2025, 7, 1)


def evaluation(year: int, tier: CreditTier, published: str | None, valid_until: str | None = None,
               *, in_force: bool = True, uscc: str = USCC) -> CreditRecord:
    return CreditRecord(kind="evaluation", uscc=uscc, year=year, level=tier.value.lower(),
                        scheme="test", tier=tier,
                        published_on=date.fromisoformat(published) if published else None,
                        valid_until=date.fromisoformat(valid_until) if valid_until else None,
                        in_force=in_force)


def risk(letter: str, classified: str | None, *, uscc: str = USCC) -> CreditRecord:
    return CreditRecord(kind="risk", uscc=uscc, risk_class=RiskClass.from_letter(letter),
                        published_on=date.fromisoformat(classified) if classified else None)


def store_records(store: Store, *records: CreditRecord) -> None:
    for kind in ("evaluation", "risk"):
        batch = Batch(kind)
        for record in records:
            if record.kind != kind:
                continue
            payload = canonical_payload(record.model_dump(mode="json"))
            batch.records.append(Fetched(credit_record_key(record), payload,
                                         content_hash(payload), record))
        store.apply_batch("credit", kind, batch)


def standing(store: Store, day: date = DAY) -> Any:
    return credit_on(store, day)[USCC]


def test_the_latest_year_in_force_wins(store: Store) -> None:
    store_records(store, evaluation(2022, CreditTier.POOR, "2023-03-01"),
                  evaluation(2023, CreditTier.GOOD, "2024-03-01"),
                  evaluation(2024, CreditTier.EXCELLENT, "2025-03-15", "2026-03-14"))
    now = standing(store)
    assert (now.tier, now.year, now.level, now.scheme) == (CreditTier.EXCELLENT, 2024,
                                                           "excellent", "test")


def test_a_withdrawn_row_is_ignored_and_the_year_before_holds(store: Store) -> None:
    store_records(store, evaluation(2023, CreditTier.GOOD, "2024-03-01", "2025-12-31"),
                  evaluation(2024, CreditTier.POOR, "2025-03-15", "2026-03-14", in_force=False))
    assert standing(store).tier is CreditTier.GOOD


def test_an_expired_row_is_ignored_but_holds_on_its_last_day(store: Store) -> None:
    store_records(store, evaluation(2023, CreditTier.GOOD, "2024-03-01"),
                  evaluation(2024, CreditTier.POOR, "2025-03-15", "2025-06-30"))
    assert standing(store, date(2025, 6, 30)).tier is CreditTier.POOR
    assert standing(store, date(2025, 7, 1)).tier is CreditTier.GOOD


def test_a_row_without_expiry_stays_in_force_until_withdrawn(store: Store) -> None:
    store_records(store, evaluation(2020, CreditTier.WARNING, "2021-03-01"))
    assert standing(store, date(2030, 1, 1)).tier is CreditTier.WARNING
    store_records(store, evaluation(2020, CreditTier.WARNING, "2021-03-01", in_force=False))
    assert standing(store, date(2030, 1, 1)).tier is CreditTier.UNRATED


def test_two_rows_of_one_year_the_later_publication_wins(store: Store) -> None:
    store_records(store, evaluation(2024, CreditTier.POOR, "2025-05-20", "2026-05-19"),
                  evaluation(2024, CreditTier.GOOD, "2025-03-15", "2026-03-14"))
    assert store.count("credit_records") == 2
    assert standing(store).tier is CreditTier.POOR


def test_a_withdrawn_later_publication_leaves_the_earlier_one_of_that_year(store: Store) -> None:
    # Withdrawn rows are ignored before the later-FBRQ rule applies (credit.md's order).
    store_records(store, evaluation(2024, CreditTier.GOOD, "2025-03-15", "2026-03-14"),
                  evaluation(2024, CreditTier.POOR, "2025-05-20", "2026-05-19", in_force=False))
    assert standing(store).tier is CreditTier.GOOD


def test_a_row_published_after_the_date_is_not_yet_in_force(store: Store) -> None:
    store_records(store, evaluation(2023, CreditTier.GOOD, "2024-03-01"),
                  evaluation(2024, CreditTier.SEVERE, "2025-08-01", "2026-07-31"))
    assert standing(store, date(2025, 7, 31)).tier is CreditTier.GOOD
    assert standing(store, date(2025, 8, 1)).tier is CreditTier.SEVERE


def test_nothing_in_force_is_unrated(store: Store) -> None:
    store_records(store, evaluation(2023, CreditTier.GOOD, "2024-03-01", "2025-02-28"),
                  evaluation(2024, CreditTier.POOR, "2025-03-15", in_force=False))
    now = standing(store)
    assert (now.tier, now.level, now.year) == (CreditTier.UNRATED, None, None)


def test_the_latest_risk_classification_on_or_before_the_date_wins(store: Store) -> None:
    store_records(store, risk("A", "2024-06-30"), risk("C", "2025-06-30"),
                  risk("D", "2025-09-30"))
    now = standing(store)
    assert (now.risk_class, now.risk_classified_on) == (RiskClass.HIGH, date(2025, 6, 30))
    assert standing(store, date(2025, 10, 1)).risk_class is RiskClass.VERY_HIGH


def test_subjects_are_independent_and_can_be_asked_for_by_code(store: Store) -> None:
    other = "91371002MA3C00000J"
    store_records(store, evaluation(2024, CreditTier.GOOD, "2025-03-15"),
                  evaluation(2024, CreditTier.POOR, "2025-03-15", uscc=other))
    assert set(credit_on(store, DAY)) == {USCC, other}
    assert set(credit_on(store, DAY, [other])) == {other}
    assert credit_on(store, DAY)[other].tier is CreditTier.POOR


def test_the_writer_stores_every_field_under_the_adapters_key(store: Store) -> None:
    store_records(store, evaluation(2024, CreditTier.GOOD, "2025-03-15", "2026-03-14",
                                    in_force=False),
                  risk("B", None))
    with store.engine.connect() as conn:
        rows = {row.kind: row for row in conn.execute(select(credit_records))}
    assert rows["evaluation"].record_key == f"{USCC}/2024/2025-03-15"
    assert (rows["evaluation"].tier, rows["evaluation"].in_force,
            rows["evaluation"].valid_until) == ("GOOD", False, date(2026, 3, 14))
    assert rows["risk"].record_key == f"{USCC}/"
    assert (rows["risk"].risk_class, rows["risk"].in_force) == ("MEDIUM", True)
