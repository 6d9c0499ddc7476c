"""Sync against the running permit and credit simulators: both feeds stored, bad rows set aside."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from ssj_bridge.errors import ExitCode
from ssj_bridge.model import CreditTier, beijing_today, normalise_code
from ssj_bridge.plugins.host import PluginHost
from ssj_bridge.policy.credit import credit_on
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.launch import SimulatorSet, start_simulators
from ssj_bridge.store import Store
from ssj_bridge.store.schema import credit_records
from ssj_bridge.sync import run_sync
from ssj_credit.simulator.dataset import CreditDataset
from ssj_credit.vocabulary import SCHEMES

REGION = "371000"


def start(host: PluginHost, **credit: Any) -> SimulatorSet:
    options = {"region": REGION, "subjects": 120, "seed": 7, "rate_limit": 0}
    credit = {"today": beijing_today().isoformat(), "malformed_rate": 0.05, **credit}
    return start_simulators(host, options, roles=["permit", "credit"],
                            per_role={"credit": credit})


@pytest.fixture
def sims(host: PluginHost) -> Iterator[SimulatorSet]:
    running = start(host)
    yield running
    running.stop()


def settings(sims: SimulatorSet, store: Store, **credit: Any) -> Settings:
    environment = sims.environment()
    sections: dict[str, PlatformSettings] = {}
    for role in sims.running:
        prefix = f"SSJ_{role.upper()}__"
        fields: dict[str, Any] = {k[len(prefix):].lower(): v for k, v in environment.items()
                                  if k.startswith(prefix)}
        if role == "credit":
            fields.update({"retry_backoff": 0.01, **credit})
        sections[role] = PlatformSettings(**fields)
    return Settings(database_url=store.url.render_as_string(hide_password=False),
                    region_code=REGION, **sections)  # type: ignore[arg-type]


def dataset(sims: SimulatorSet) -> CreditDataset:
    data: CreditDataset = sims.running["credit"].app.dataset  # type: ignore[attr-defined]
    return data


def served_keys(data: CreditDataset) -> set[tuple[str, str]]:
    """(kind, key) of every row the simulator serves, as a client keys it."""
    keys = set()
    for placed in (p for rows in data.evaluations.values() for p in rows):
        row = placed.row
        keys.add(("evaluation", f"{normalise_code(row['TYSHXYDM'] or '')}/{row['PJND']}/"
                                f"{row.get('FBRQ') or ''}"))
    for placed in data.risks:
        row = placed.row
        keys.add(("risk", f"{normalise_code(row['TYSHXYDM'] or '')}/{row.get('FLRQ') or ''}"))
    return keys


def bad_keys(data: CreditDataset) -> set[tuple[str, str]]:
    kinds = {key: "evaluation" if key.count("/") == 2 else "risk" for key in data.malformed}
    return {(kinds[key], key) for key in data.malformed}


def stored_keys(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as conn:
        return {(row.kind, row.record_key) for row in conn.execute(
            select(credit_records.c.kind, credit_records.c.record_key))}


def quarantined_keys(store: Store) -> set[tuple[str, str]]:
    return {(q["entity"], q["key"]) for q in store.quarantined("credit")}


def test_sync_stores_both_feeds_and_sets_aside_only_the_bad_rows(sims: SimulatorSet,
                                                                  store: Store,
                                                                  host: PluginHost) -> None:
    data = dataset(sims)
    report = run_sync(settings(sims, store), store, host)
    credit = report.platforms["credit"]
    assert credit.error is None
    assert data.malformed, "the simulator was asked for bad rows"
    assert stored_keys(store) == served_keys(data) - bad_keys(data)
    assert quarantined_keys(store) == bad_keys(data)
    assert (credit.fetched, credit.set_aside) == (len(served_keys(data)), len(data.malformed))
    assert report.exit == ExitCode.SET_ASIDE
    reasons = {q["key"]: q["reason"] for q in store.quarantined("credit")}
    for key, how in data.malformed.items():
        if how in ("unknown_word", "foreign_word"):
            uscc, year, _ = key.split("/")
            assert reasons[key].startswith(f"evaluation {uscc}/{year}: PJDJ ")
            assert "is not a level of the cn-words scheme" in reasons[key]
    assert store.count("subjects") > 0  # the permit platform synced beside it


def test_the_level_in_force_follows_credit_md_for_the_planted_cases(sims: SimulatorSet,
                                                                     store: Store,
                                                                     host: PluginHost) -> None:
    data = dataset(sims)
    run_sync(settings(sims, store), store, host)
    standings = credit_on(store, data.today)
    expected = {name: value for name, value in data.cases.items() if name != "later_classification_wins"}
    assert set(expected) == {"later_publication_wins", "withdrawn_latest_year",
                             "expired_latest_year", "nothing_in_force", "unknown_word_latest_year"}
    for name, (uscc, tier) in expected.items():
        assert standings[uscc].tier == CreditTier(tier), name
    uscc, letter = data.cases["later_classification_wins"]
    assert standings[uscc].risk_class is not None and standings[uscc].risk_class.value == "HIGH"
    assert letter == "C"


def test_a_second_sync_stores_nothing_new(sims: SimulatorSet, sqlite_store: Store,
                                          host: PluginHost) -> None:
    config = settings(sims, sqlite_store)
    run_sync(config, sqlite_store, host)
    held = quarantined_keys(sqlite_store)
    again = run_sync(config, sqlite_store, host).platforms["credit"]
    assert again.stored == 0
    assert again.fetched == len(served_keys(dataset(sims)))
    assert quarantined_keys(sqlite_store) == held == bad_keys(dataset(sims))
    assert sqlite_store.cursor("credit", "evaluations") is not None
    assert sqlite_store.cursor("credit", "risk-classes") is not None


def test_faults_and_cut_off_documents_end_in_the_same_store(host: PluginHost,
                                                            sqlite_store: Store) -> None:
    faulty = start(host, error_rate=0.25, truncate_rate=0.3, retry_after=0)
    try:
        data = dataset(faulty)
        report = run_sync(settings(faulty, sqlite_store, page_size=40), sqlite_store, host)
        served = faulty.running["credit"].app.faults_served  # type: ignore[attr-defined]
    finally:
        faulty.stop()
    assert report.platforms["credit"].error is None
    assert served > 0
    assert stored_keys(sqlite_store) == served_keys(data) - bad_keys(data)
    assert quarantined_keys(sqlite_store) == bad_keys(data)


@pytest.mark.parametrize("vocabulary", sorted(SCHEMES))
def test_each_vocabulary_is_read_through_its_own_scheme(host: PluginHost, sqlite_store: Store,
                                                        vocabulary: str) -> None:
    running = start(host, vocabulary=vocabulary, malformed_rate=0)
    try:
        report = run_sync(settings(running, sqlite_store), sqlite_store, host, only=["credit"])
    finally:
        running.stop()
    assert report.platforms["credit"].set_aside == 0
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(select(credit_records.c.scheme, credit_records.c.level,
                                   credit_records.c.tier).where(
            credit_records.c.kind == "evaluation")).all()
    assert rows
    assert {r.scheme for r in rows} == {vocabulary}
    assert {r.level for r in rows} <= set(SCHEMES[vocabulary])
    assert {r.tier for r in rows} == {t.value for t in SCHEMES[vocabulary].values()}


def test_a_simulator_in_another_vocabulary_sets_every_evaluation_aside(host: PluginHost,
                                                                      sqlite_store: Store) -> None:
    running = start(host, vocabulary="colours", malformed_rate=0)
    try:
        report = run_sync(settings(running, sqlite_store, vocabulary="letters"), sqlite_store,
                          host, only=["credit"])
        evaluations = sum(len(rows) for rows in dataset(running).evaluations.values())
    finally:
        running.stop()
    assert report.platforms["credit"].set_aside == evaluations
    assert all("letters scheme" in q["reason"] for q in sqlite_store.quarantined("credit"))
    with sqlite_store.engine.connect() as conn:
        kinds = {row.kind for row in conn.execute(select(credit_records.c.kind))}
    assert kinds == {"risk"}


def test_a_bad_api_key_exits_78_naming_the_setting_and_the_permit_platform_still_syncs(
        sims: SimulatorSet, sqlite_store: Store, host: PluginHost) -> None:
    report = run_sync(settings(sims, sqlite_store, api_key="not-the-key"), sqlite_store, host)
    credit = report.platforms["credit"]
    assert credit.exit == ExitCode.CONFIGURATION
    assert credit.error is not None and "SSJ_CREDIT__API_KEY" in credit.error
    assert "not-the-key" not in credit.error
    assert report.exit == ExitCode.CONFIGURATION
    assert report.platforms["permit"].error is None
    assert sqlite_store.count("credit_records") == 0


def test_the_planted_dates_are_relative_to_the_simulators_today(host: PluginHost) -> None:
    running = start(host, today="2025-07-01")
    try:
        data = dataset(running)
    finally:
        running.stop()
    assert data.today == date(2025, 7, 1)
    assert sorted(data.evaluations) == [2023, 2024, 2025]
    published = [p.row["FBRQ"] for rows in data.evaluations.values() for p in rows
                 if p.row.get("FBRQ")]
    assert max(published) <= "2025-07-01"  # type: ignore[operator]


def test_an_allowed_code_that_fails_the_check_flows_on_the_next_sync(sims: SimulatorSet,
                                                                     sqlite_store: Store,
                                                                     host: PluginHost) -> None:
    config = settings(sims, sqlite_store)
    run_sync(config, sqlite_store, host, only=["credit"])
    [key, *_] = [k for k, how in dataset(sims).malformed.items() if how == "bad_check_digit"]
    code = key.split("/")[0]
    sqlite_store.allow_uscc(code, "issued before GB 32100 checks", "data manager")
    run_sync(config, sqlite_store, host, only=["credit"])
    assert key not in {q["key"] for q in sqlite_store.quarantined("credit")}
    assert any(k == key for _, k in stored_keys(sqlite_store))


def served_names(data: CreditDataset) -> dict[tuple[str, str], str | None]:
    """(kind, key) → the name (QYMC) the simulator serves under it."""
    names = {}
    for kind, placed in [("evaluation", p) for rows in data.evaluations.values() for p in rows] + [
            ("risk", p) for p in data.risks]:
        row = placed.row
        uscc = normalise_code(row["TYSHXYDM"] or "")
        key = (f"{uscc}/{row['PJND']}/{row.get('FBRQ') or ''}" if kind == "evaluation"
               else f"{uscc}/{row.get('FLRQ') or ''}")
        names[(kind, key)] = row.get("QYMC")
    return names


def test_pages_declaring_an_encoding_credit_md_does_not_allow_are_read_again_not_stored_garbled(
        host: PluginHost, sqlite_store: Store) -> None:
    """A gateway that rewrites the prolog to ISO-8859-1 over GB18030 bytes, on some pages:
    those pages are read again, and every name stored is the name served."""
    lying = start(host, encoding_lie_rate=0.4)
    try:
        data = dataset(lying)
        report = run_sync(settings(lying, sqlite_store), sqlite_store, host, only=["credit"])
        lies = lying.running["credit"].app.faults_served  # type: ignore[attr-defined]
    finally:
        lying.stop()
    assert lies > 0
    assert report.platforms["credit"].error is None
    assert stored_keys(sqlite_store) == served_keys(data) - bad_keys(data)
    assert quarantined_keys(sqlite_store) == bad_keys(data)
    names = served_names(data)
    with sqlite_store.engine.connect() as conn:
        stored = {(r.kind, r.record_key): r.name for r in conn.execute(select(
            credit_records.c.kind, credit_records.c.record_key, credit_records.c.name))}
    assert stored == {key: names[key] or None for key in stored}


def test_a_service_that_always_declares_a_wrong_encoding_is_unavailable_and_nothing_stored(
        host: PluginHost, sqlite_store: Store) -> None:
    lying = start(host, encoding_lie_rate=1.0)
    try:
        report = run_sync(settings(lying, sqlite_store, deadline=3), sqlite_store, host,
                          only=["credit"])
    finally:
        lying.stop()
    credit = report.platforms["credit"]
    assert credit.exit == ExitCode.UNAVAILABLE
    assert credit.error is not None and "declares encoding 'ISO-8859-1'" in credit.error
    assert sqlite_store.count("credit_records") == 0
    assert sqlite_store.quarantined("credit") == []
