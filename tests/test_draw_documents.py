"""The draw's documents against the draw itself: the announcement shows what `draw commit`
fixed and never the secret; the record shows what `draw run` did, and anyone can check it
from the page alone (the secret's SHA-256 is the commitment, the candidates hash to the
announced hash, the witness's text is the one given)."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest
from draw_support import ORG, PERIOD, QUARTER, REGION, TODAY, K, fill, roster, small_policy, usccs
from sqlalchemy import update

from ssj_bridge.draw.commit import commit_draws
from ssj_bridge.draw.run import run_draws
from ssj_bridge.errors import InputRefused
from ssj_bridge.report.draw_documents import draw_sheet, render_announcement, render_record
from ssj_bridge.report.paper import Letterhead
from ssj_bridge.store import Store
from ssj_bridge.store.schema import subjects

HOSTILE = "<img src=x onerror=alert(1)>环保有限公司"
WITNESS = "纪检 20260415-31337 </dd>"
LETTERHEAD = Letterhead("威海市生态环境局", "双随机抽查抽取承诺公示", PERIOD, REGION, ORG,
                        "2026-04-15T09:00:00+08:00")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    codes = usccs(30)
    fill(store, {K: codes[:20]}, roster(6))
    with store.engine.begin() as conn:
        conn.execute(update(subjects).where(subjects.c.uscc == codes[0]).values(name=HOSTILE))
    return store


def _text(page: str) -> str:
    """The page's text, tags dropped and entities decoded (what a reader sees)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_announcement_shows_the_commitment_and_candidates_and_never_the_secret(
        store: Store) -> None:
    active = small_policy()
    commit_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                 own_org=ORG)
    sheet = draw_sheet(store, REGION, PERIOD, "M01", "污染源日常环境监督管理")
    [draw] = sheet.draws
    page = render_announcement(sheet, LETTERHEAD)
    assert draw.secret not in page  # hidden until the run
    for value in (draw.label, draw.candidates_hash, draw.inspector_candidates_hash,
                  draw.commitment):
        assert value in page
    # The candidates in the hashed order: recomputing the hash from the page gives the same.
    listed = re.findall(r'<li><span class="code">([0-9A-Z]{18})</span>', page)
    assert listed == draw.candidates
    assert hashlib.sha256("\n".join(listed).encode()).hexdigest() == draw.candidates_hash
    # Names from the store are text, never markup.
    assert HOSTILE not in page and html.escape(HOSTILE) in page
    # Before the run there is nothing for the witness to sign.
    with pytest.raises(InputRefused, match="draw run"):
        render_record(sheet, LETTERHEAD)


def test_record_shows_what_the_run_did_and_checks_against_the_announcement(store: Store) -> None:
    active = small_policy()
    commit_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
                 own_org=ORG)
    announced = render_announcement(draw_sheet(store, REGION, PERIOD, "M01"), LETTERHEAD)
    run_draws(store, active, region_code=REGION, quarter=QUARTER, matter_code="M01",
              witness=WITNESS, drawn_by=ORG, org_name="威海市生态环境局", today=TODAY)
    sheet = draw_sheet(store, REGION, PERIOD, "M01")
    [draw] = sheet.draws
    page = render_record(sheet, LETTERHEAD)
    text = _text(page)
    assert WITNESS in text and html.escape(WITNESS) in page  # as given, escaped
    assert draw.commitment in announced and draw.commitment in page
    assert hashlib.sha256(bytes.fromhex(draw.secret)).hexdigest() == draw.commitment
    assert draw.secret in page and draw.task_id is not None and draw.task_id in page
    # The subjects in drawn order, each with its inspectors by ID and name.
    rows = re.findall(r'<td class="code" data-label="[^"]+">([0-9A-Z]{18})</td>', page)
    assert rows == draw.selected and len(rows) == draw.k
    people = dict(sheet.inspector_names)
    for group in draw.groups or []:
        for inspector in group.inspector_ids:
            assert f"{inspector} {people[inspector]}" in text
    assert "见证人（纪检监察）" in text


def test_no_commit_no_document(store: Store) -> None:
    with pytest.raises(InputRefused, match="draw commit"):
        draw_sheet(store, REGION, PERIOD, "M01")


def test_publication_list_names_every_result_of_the_quarter_and_its_publication(
        tmp_path: Path) -> None:
    from report_support import HOSTILE_NAME, Q2, build

    from ssj_bridge.report.publication_list import publication_list, render_publications

    store = Store(f"sqlite:///{tmp_path / 'report.db'}")
    store.migrate()
    world = build(store)
    listing = publication_list(store, Q2)
    by_subject = {row.uscc: row for row in listing.rows}
    # Results inspected in the quarter only (k3 and the SPECIAL subject were inspected in Q1).
    assert set(by_subject) == {world.keys[0], world.keys[2], world.general[0], world.general[1]}
    assert [by_subject[u].status for u in (world.keys[0], world.keys[2], world.general[0],
                                           world.general[1])] == [
        "published", "published", "pending", None]
    assert listing.counts() == {"published": 2, "pending": 1, "rejected": 0, "not-queued": 1}
    assert by_subject[world.keys[2]].result_text == "未发现问题"
    dates = [row.inspected_on for row in listing.rows]
    assert dates == sorted(dates)
    page = render_publications(listing, Letterhead("威海市生态环境局", "双随机抽查结果公示名单",
                                                   Q2.label, "371000"))
    assert HOSTILE_NAME not in page and html.escape(HOSTILE_NAME) in page
    assert "未进入公示队列" in page and "2025年第二季度" in page
