"""After the streams: classification and the library queue issue a few statements whatever the
number of subjects, work only on the subjects whose facts changed (or whose facts the calendar
changed), and end where working on every subject ends (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from ssj_bridge.features.library import (
    LIBRARY_PLATFORM,
    SUBJECT_ENTITY,
    LibraryCounts,
    enqueue_library,
)
from ssj_bridge.intake import import_designations
from ssj_bridge.model import Category, CreditRecord, CreditTier
from ssj_bridge.model.identifiers import uscc_check_character
from ssj_bridge.model.periods import Quarter
from ssj_bridge.outbox.queue import (
    ACCEPTED,
    SendOutcome,
    enqueue,
    enqueue_many,
    pending,
    record_outcomes,
)
from ssj_bridge.platform.adapter import Batch, Fetched, Rejected, canonical_payload, content_hash
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.policy.classify import ActivePolicy, ClassifyReport, classify_period
from ssj_bridge.policy.rules import PolicySpec, Rule, RuleBook
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.store import Store
from ssj_bridge.store.changes import mark_subjects
from ssj_bridge.store.credit_writer import credit_record_key
from ssj_bridge.store.schema import classifications, outbox, subjects
from ssj_bridge.sync import after_streams
from ssj_permit.mapping import map_record

REGION = "371000"
DAY = date(2025, 5, 14)  # a day of 2025Q2; the next one is in the same quarter
CLASSES = ("重点管理", "简化管理", "登记管理")


def uscc(number: int) -> str:
    body = f"91371002{number:09d}"
    return body + uscc_check_character(body)


def permit(number: int, klass: str = "简化管理", status: str = "有效", minute: int = 0) -> dict[str, Any]:
    return {"permitNo": f"{uscc(number)}001P", "uscc": uscc(number), "orgName": f"企业{number}",
            "regionCode": "371002", "industryCode": "C2614", "managementClass": klass,
            "status": status, "updateTime": f"2025-01-01T08:{minute:02d}:00+08:00"}


def store_permits(store: Store, raws: list[dict[str, Any]]) -> None:
    batch = Batch("permit")
    for i, raw in enumerate(raws):
        mapped = map_record(raw, str(i), frozenset())
        assert not isinstance(mapped, Rejected), mapped
        batch.records.append(mapped)
    store.apply_batch("permit", "permits", batch)


def store_credit(store: Store, number: int, tier: CreditTier, valid_until: date | None = None
                 ) -> None:
    record = CreditRecord(kind="evaluation", uscc=uscc(number), year=2024, level=tier.value,
                          scheme="test", tier=tier, published_on=date(2025, 3, 1),
                          valid_until=valid_until)
    payload = canonical_payload(record.model_dump(mode="json"))
    batch = Batch("evaluation")
    batch.records.append(Fetched(credit_record_key(record), payload, content_hash(payload), record))
    store.apply_batch("credit", "evaluation", batch)


def settings_for(store: Store) -> Settings:
    # The library is queued when a platform keeps it; nothing here is sent.
    return Settings(database_url=store.url.render_as_string(hide_password=False),
                    region_code=REGION, policy="weihai",
                    province=PlatformSettings(base_url="http://127.0.0.1:9"))


@pytest.fixture(scope="module")
def weihai() -> ActivePolicy:
    spec = load_plugins().policy("weihai")
    return ActivePolicy("weihai", spec, spec.factory())


def cycle(store: Store, active: ActivePolicy, day: date = DAY
          ) -> tuple[ClassifyReport, LibraryCounts]:
    """What a sync does after its streams."""
    done = after_streams(settings_for(store), store, active, today=day)
    assert done.classified is not None
    return done.classified, done.queued


class Statements:
    """The statements a store's engine sends to the database while counting."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    @property
    def writes(self) -> list[str]:
        return [s for s in self.sent if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE",
                                                                          "DELETE")]


@contextmanager
def counting(store: Store) -> Iterator[Statements]:
    seen = Statements()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def fill(store: Store, count: int) -> None:
    """`count` subjects straight into the table, each class in turn, some without a permit."""
    with store.engine.begin() as conn:
        conn.execute(subjects.insert(), [
            {"uscc": uscc(n), "name": f"企业{n}", "region_code": "371002",
             "industry_code": "C2614", "management_class": CLASSES[n % 3],
             "key_discharge_unit": n % 7 == 0, "active": n % 10 != 0, "permit_count": 1,
             "updated_at": "2025-01-01T08:00:00+08:00"} for n in range(1, count + 1)])


def accept_library(store: Store) -> None:
    with store.engine.begin() as conn:
        items = pending(conn, LIBRARY_PLATFORM, SUBJECT_ENTITY, 1_000_000)
        record_outcomes(conn, [SendOutcome.accepted(item) for item in items])


def test_the_library_queue_issues_the_same_statements_for_200_and_2000_subjects(
        store: Store, second_store: Store, weihai: ActivePolicy) -> None:
    statements = {}
    for db, count in ((store, 200), (second_store, 2000)):
        fill(db, count)
        with counting(db) as first:
            report, queued = cycle(db, weihai)
        assert report.full and report.subjects == count
        assert queued.subjects == sum(1 for n in range(1, count + 1) if n % 10)  # active ones
        accept_library(db)
        # Seven subjects in ten change class (enough that PostgreSQL copies the rows at both
        # sizes, as it does from 64 rows on): the next run looks at those alone.
        changed = [n for n in range(1, count + 1) if n % 10 < 7]
        with db.engine.begin() as conn:
            for n in changed:
                conn.execute(subjects.update().where(subjects.c.uscc == uscc(n))
                             .values(management_class=CLASSES[(n + 1) % 3]))
            mark_subjects(conn, [uscc(n) for n in changed])
        with counting(db) as second:
            report, queued = cycle(db, weihai)
        assert not report.full and report.subjects == len(changed)
        assert queued.subjects == sum(1 for n in changed if n % 10)  # the active ones
        with counting(db) as third:
            report, queued = cycle(db, weihai)
        assert (report.subjects, queued.subjects) == (0, 0)
        statements[count] = (len(first.sent), len(second.sent), len(third.sent))
        assert not [s for s in third.writes if "derived_state" not in s
                    and "subject_changes" not in s]  # an unchanged run writes nothing else
    assert statements[200] == statements[2000]


def test_enqueue_many_decides_each_key_as_enqueue_does_in_a_few_statements(
        store: Store, second_store: Store) -> None:
    def history(db: Store, keys: range) -> None:
        with db.engine.begin() as conn:
            for k in keys:
                enqueue(conn, "province", "subject", f"K{k}", {"v": 1})
        with db.engine.begin() as conn:  # some accepted, some rejected, the rest pending
            record_outcomes(conn, [
                SendOutcome.accepted(i) if int(i.key[1:]) % 3 == 0 else
                SendOutcome.rejected(i, "no") if int(i.key[1:]) % 3 == 1 else
                SendOutcome(i.id, "pending")
                for i in pending(conn, "province", "subject", 10_000)])

    keys = range(300)
    history(store, keys)
    history(second_store, keys)
    wanted = [(f"K{k}", {"v": 1 + (k % 2)}) for k in keys]
    with store.engine.begin() as conn, counting(store) as few:
        enqueue_many(conn, "province", "other", wanted[:5])
    with store.engine.begin() as conn, counting(store) as seen:
        many = enqueue_many(conn, "province", "subject", wanted)
    # Read, supersede, insert (PostgreSQL COPYs many rows, which the counter does not see).
    assert len(few.sent) <= 3 and len(seen.sent) <= 3
    one_by_one = {}
    with second_store.engine.begin() as conn:
        for key, payload in wanted:
            version = enqueue(conn, "province", "subject", key, payload)
            if version is not None:
                one_by_one[key] = version

    def rows(db: Store) -> list[tuple[Any, ...]]:
        with db.engine.connect() as conn:
            return sorted((r.key, r.version, r.status, r.content_hash) for r in conn.execute(
                select(outbox.c.key, outbox.c.version, outbox.c.status, outbox.c.content_hash)
                .where(outbox.c.entity == "subject")))

    assert many == one_by_one and many
    assert rows(store) == rows(second_store)
    with pytest.raises(ValueError, match="twice"):
        with store.engine.begin() as conn:
            enqueue_many(conn, "province", "subject", [("K1", {}), ("K1", {})])


def stored_rows(store: Store, period: str) -> dict[str, tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return {r.uscc: (r.policy, r.category, r.categories, r.reasons) for r in conn.execute(
            select(classifications).where(classifications.c.period == period))}


def test_an_incremental_run_ends_where_classifying_every_subject_ends(
        store: Store, weihai: ActivePolicy, tmp_path: Path) -> None:
    store_permits(store, [permit(n, CLASSES[n % 3]) for n in range(1, 61)])
    report, queued = cycle(store, weihai)
    assert report.full and queued.subjects == 60
    accept_library(store)

    store_permits(store, [permit(1, "重点管理", minute=1), permit(2, status="注销", minute=1)])
    store_credit(store, 3, CreditTier.WARNING)  # 信用评价等级低: SPECIAL in Weihai
    (tmp_path / "tags.csv").write_text("uscc,tag,value,since,until,source\n"
                                       f"{uscc(4)},指定类别,KEY,,,局务会议纪要\n", encoding="utf-8")
    import_designations(store, tmp_path / "tags.csv", "test")
    report, queued = cycle(store, weihai)
    assert not report.full
    assert report.subjects == 4 and report.changed == {uscc(n) for n in (1, 2, 3, 4)}
    assert queued.subjects == 4 and queued.inactive == 1  # the cancelled permit's holder

    period = Quarter.of(DAY).label
    incremental = stored_rows(store, period)
    classify_period(store, weihai, Quarter.of(DAY), region=REGION, day=DAY)
    assert stored_rows(store, period) == incremental
    assert incremental[uscc(3)][1] == Category.SPECIAL.value
    assert incremental[uscc(4)][1] == Category.KEY.value
    assert enqueue_library(store, settings_for(store), DAY).subjects == 0  # nothing missed


def test_the_calendar_alone_reclassifies_subjects_whose_designation_or_credit_ends(
        store: Store, weihai: ActivePolicy, tmp_path: Path) -> None:
    store_permits(store, [permit(n, "登记管理") for n in range(1, 21)])
    (tmp_path / "tags.csv").write_text("uscc,tag,value,since,until,source\n"
                                       f"{uscc(1)},媒体曝光,,2025-05-01,{DAY},报道\n",
                                       encoding="utf-8")
    import_designations(store, tmp_path / "tags.csv", "test")
    store_credit(store, 2, CreditTier.WARNING, valid_until=DAY)
    report, _ = cycle(store, weihai)
    period = Quarter.of(DAY).label
    assert {u: r[1] for u, r in stored_rows(store, period).items()
            if r[1] == Category.SPECIAL.value} == {uscc(1): "SPECIAL", uscc(2): "SPECIAL"}

    report, _ = cycle(store, weihai, DAY)  # the same day: nothing to look at
    assert (report.full, report.subjects) == (False, 0)
    report, queued = cycle(store, weihai, DAY + timedelta(days=1))
    assert not report.full and report.changed == {uscc(1), uscc(2)}
    assert {r[1] for r in stored_rows(store, period).values()} == {Category.GENERAL.value}
    assert queued.subjects == 2


def test_a_new_quarter_or_policy_classifies_every_subject_again(
        store: Store, weihai: ActivePolicy) -> None:
    store_permits(store, [permit(n) for n in range(1, 11)])
    assert cycle(store, weihai)[0].full
    with store.engine.begin() as conn:  # a change no write marked: only a whole pass sees it
        conn.execute(subjects.update().where(subjects.c.uscc == uscc(3)).values(name="新名称"))
    assert cycle(store, weihai)[1].subjects == 0
    next_quarter = Quarter.of(DAY).end + timedelta(days=1)
    report, queued = cycle(store, weihai, next_quarter)
    assert report.full and report.period == Quarter.of(next_quarter).label
    assert queued.subjects == 1
    other = ActivePolicy("weihai", PolicySpec("weihai", "威海市", weihai.spec.factory,
                                              version="next"), weihai.policy)
    assert cycle(store, other, next_quarter)[0].full


def test_a_policy_that_reads_the_uscc_is_decided_subject_by_subject(store: Store) -> None:
    chosen = uscc(5)
    book = RuleBook(
        name="by-code", locality="测试市", precedence=(Category.SPECIAL, Category.GENERAL),
        rules=(Rule(Category.SPECIAL, "listed by code", "一", lambda f: {"uscc": f.uscc}
                    if f.uscc == chosen else None),
               Rule(Category.GENERAL, "the rest", "二", lambda f: {}, fallback=True)),
        obligation_list=())
    active = ActivePolicy("by-code", PolicySpec("by-code", "测试市", lambda: book), book)
    store_permits(store, [permit(n) for n in range(1, 11)])  # alike but for their codes
    report = classify_period(store, active, Quarter.of(DAY), region=REGION, day=DAY)
    assert report.by_category == {"SPECIAL": 1, "GENERAL": 9}
    found = stored_rows(store, Quarter.of(DAY).label)
    assert found[chosen][1] == "SPECIAL" and chosen in found[chosen][3]


def test_accepted_outcomes_are_recorded_in_one_statement(store: Store) -> None:
    with store.engine.begin() as conn:
        enqueue_many(conn, "province", "subject", [(f"K{k}", {"k": k}) for k in range(50)])
    with store.engine.begin() as conn, counting(store) as seen:
        items = pending(conn, "province", "subject", 100)
        record_outcomes(conn, [SendOutcome.accepted(i, {"status": "CREATED"}) for i in items])
    assert len(seen.writes) == 1
    with store.engine.connect() as conn:
        assert {r.status for r in conn.execute(select(outbox.c.status))} == {ACCEPTED}
