"""Exports a data manager opens in Excel: headers always (Chinese by default), 是/否, no JSON in a
cell, one row per assignment, real dates, a frozen header, widths and pages one wide."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ssj_bridge.i18n import use_language
from ssj_bridge.report.export import SHAPES, render, write_rows

TASK = {"taskId": "371000-2026Q4-0001", "name": "2026Q4重点监管对象双随机抽查", "regionCode": "371000",
        "matterCode": "M01", "drawnBy": "11371000MB0000000E", "drawMode": "随机", "period": "2026Q4",
        "plannedStart": "2026-10-01", "plannedEnd": "2026-12-31",
        "drawProof": {"algorithm": "ssj-draw-v1", "label": "371000/2026Q4/M01/KEY", "k": 2,
                      "candidatesHash": "ab", "commitment": "cd", "witnessEntropy": "见证",
                      "secret": "ef"},
        "assignments": [{"uscc": "91371002MA3C1234X1", "inspectorIds": ["DEMO-001", "DEMO-002"],
                         "mode": "现场", "status": "待检查"},
                        {"uscc": "=HYPERLINK(\"x\")", "inspectorIds": ["DEMO-003"],
                         "mode": "现场", "status": "待检查"}],
        "status": "待检查", "updateTime": "2026-10-02T09:30:00+08:00"}
INSPECTOR = {"inspectorId": "DEMO-001", "name": "张伟", "certNo": "3710012020000001",
             "orgCode": "11371000MB0000000E", "regionCode": "371000", "expertise": ["大气", "水"],
             "auxiliary": False, "active": True, "conflicts": []}


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("what", sorted(SHAPES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_export_still_has_its_header(what: str, lang: str, tmp_path: Path) -> None:
    with use_language(lang):
        [header] = csv_rows(render(iter([]), "csv", what))
        write_rows(iter([]), tmp_path / "x.xlsx", "xlsx", what)
    expected = len(SHAPES[what].columns)
    assert len(header) == expected and all(header)
    book = load_workbook(tmp_path / "x.xlsx")
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == header and sheet.max_row == 1
    if lang == "en":
        assert header == list(SHAPES[what].columns)
    else:
        assert not any(cell.isascii() for cell in header), header


def test_tasks_have_one_row_per_assignment_and_no_json_in_a_cell() -> None:
    with use_language("zh"):
        rows = csv_rows(render(iter([TASK]), "csv", "tasks"))
    header, *body = rows
    assert len(body) == 2
    column = {name: index for index, name in enumerate(header)}
    assert [r[column["任务编号"]] for r in body] == [TASK["taskId"]] * 2
    assert body[0][column["执法人员"]] == "DEMO-001;DEMO-002"
    assert body[0][column["抽取标签"]] == "371000/2026Q4/M01/KEY"
    assert body[1][column["统一社会信用代码"]] == "'=HYPERLINK(\"x\")"  # kept as text
    assert not any(cell.startswith(("{", "[")) for row in body for cell in row)


def test_booleans_read_yes_and_no_in_chinese_and_the_roster_words_in_english() -> None:
    def flags(lang: str) -> tuple[str, str]:
        with use_language(lang):
            header, row = csv_rows(render(iter([INSPECTOR]), "csv", "inspectors"))
        return row[header.index(header[6])], row[header.index(header[7])]

    assert flags("zh") == ("否", "是")
    assert flags("en") == ("false", "true")


def test_the_workbook_has_real_dates_a_frozen_header_and_pages_one_wide(tmp_path: Path) -> None:
    target = tmp_path / "tasks.xlsx"
    with use_language("zh"):
        assert write_rows(iter([TASK]), target, "xlsx", "tasks") == 2
    book = load_workbook(target)
    sheet = book["任务"]
    header = [c.value for c in sheet[1]]
    values: dict[str, Any] = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["计划开始"] == datetime(2026, 10, 1) and sheet.cell(2, 8).number_format == "yyyy-mm-dd"
    assert values["更新时间"] == datetime(2026, 10, 2, 9, 30)  # Beijing wall-clock time
    last = sheet.cell(1, len(header)).column_letter
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{last}1"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    widths = {sheet.cell(1, i + 1).column_letter: sheet.column_dimensions[
        sheet.cell(1, i + 1).column_letter].width for i in range(len(header))}
    assert widths["B"] > widths["G"] >= 6  # the task's name is wider than its period
    formula = [c for c in sheet["S"] if c.row > 1]
    assert {c.data_type for c in formula} == {"s"}


def test_the_roster_exported_in_chinese_is_read_back_by_the_import(tmp_path: Path) -> None:
    from ssj_bridge.intake.files import read_sheet
    from ssj_bridge.intake.roster import ROSTER_COLUMNS

    for suffix in ("csv", "xlsx"):
        target = tmp_path / f"roster.{suffix}"
        with use_language("zh"):
            write_rows(iter([INSPECTOR]), target, suffix, "inspectors")
        with use_language("en"):  # the import reads Chinese headers whatever the language
            [row] = read_sheet(target, ROSTER_COLUMNS, kind="inspectors").rows
        assert row.cells["inspectorId"] == "DEMO-001" and row.cells["auxiliary"] == "否"
        assert row.cells["expertise"] == "大气;水"


def test_dates_are_read_as_dates_only_when_they_are_dates() -> None:
    from ssj_bridge.report.sheets import _excel

    assert _excel("2026-02-30") == "2026-02-30"
    assert _excel("2026-02-03") == date(2026, 2, 3)
    assert _excel("2026-02-03T01:00:00Z") == datetime(2026, 2, 3, 9, 0)
    assert _excel("91371002MA3C1234X1") == "91371002MA3C1234X1"
