"""Local files data managers maintain: the inspector roster and subject designations.

Imports are all-or-nothing per file, name the spreadsheet row of every problem and are recorded
(file hash, who, when); CSV and XLSX read the same.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from ssj_bridge.errors import ExitCode, InputRefused
from ssj_bridge.intake import (
    FileRefused,
    designations,
    designations_on,
    import_designations,
    import_roster,
    inspectors,
)
from ssj_bridge.model import Expertise, Tag, beijing_today
from ssj_bridge.platform.adapter import Batch
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.store import Store
from ssj_bridge.store.schema import imports
from ssj_permit.mapping import map_record

DATA = Path(__file__).parent / "data"
ROSTER = DATA / "roster.csv"
DESIGNATIONS = DATA / "designations.csv"
ROSTER_HEADER = "inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,conflicts"
DESIGNATION_HEADER = "uscc,tag,value,since,until,source"
S1, S2, S3 = "91371002MA3C00001M", "91371002MA3C00002Q", "91371082MA3C00003P"
BAD_CHECK = "91371002MA3C00001A"  # the check character of S1 changed


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def to_xlsx(csv_path: Path, xlsx_path: Path, *, blank_rows_after: int = 0) -> Path:
    """The CSV as a workbook with typed cells, as Excel saves what a person typed in."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle)):
            sheet.append([cells[0]] + [_typed(c) if number else c for c in cells[1:]])
    for _ in range(blank_rows_after):
        sheet.append([None, None])
    book.save(xlsx_path)
    return xlsx_path


def _typed(cell: str) -> Any:
    if cell in ("true", "false"):
        return cell == "true"
    if len(cell) == 10 and cell[4] == "-" and cell[7] == "-":
        return date.fromisoformat(cell)
    if cell.isdigit() and len(cell) < 6:
        return int(cell)
    return cell or None


def import_rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(imports).order_by(imports.c.id))]


def counts(store: Store) -> tuple[int, int, int]:
    return store.count("inspectors"), store.count("designations"), store.count("imports")


# -- the roster -----------------------------------------------------------------------------

def test_roster_csv_import_stores_every_person_and_records_the_import(store: Store) -> None:
    result = import_roster(store, ROSTER, "数据管理员")

    assert (result.kind, result.rows, result.imported_by) == ("inspectors", 6, "数据管理员")
    assert store.count("inspectors") == 6
    [record] = import_rows(store)
    assert record["id"] == result.import_id
    assert record["file_name"] == "roster.csv"
    assert record["file_hash"] == hashlib.sha256(ROSTER.read_bytes()).hexdigest()
    assert record["rows"] == 6 and record["imported_by"] == "数据管理员"
    assert record["imported_at"].endswith("+08:00")

    active = {p.inspector_id: p for p in inspectors(store)}
    assert sorted(active) == ["WH-001", "WH-002", "WH-003", "WH-004", "WH-005"]
    li = active["WH-002"]
    assert li.expertise == [Expertise.SOLID_WASTE, Expertise.HAZARDOUS_WASTE, Expertise.SOIL]
    assert (li.auxiliary, li.active, li.conflicts) == (False, True, [S1])
    assert active["WH-003"].conflicts == [S2, S3]
    assert active["WH-005"].auxiliary is True and not active["WH-005"].certified
    assert [p.inspector_id for p in inspectors(store, active_only=False)][-1] == "WH-006"


def test_roster_region_filter_keeps_people_of_the_region_and_below(store: Store) -> None:
    import_roster(store, ROSTER, "a")

    assert [p.inspector_id for p in inspectors(store, region="371082")] == ["WH-004"]
    assert [p.inspector_id for p in inspectors(store, region="371000")] == [
        "WH-001", "WH-002", "WH-003", "WH-004", "WH-005"]
    assert inspectors(store, region="370200") == []


def test_roster_reimport_changes_nothing_but_is_recorded_again(store: Store) -> None:
    import_roster(store, ROSTER, "a")
    before = inspectors(store, active_only=False)

    import_roster(store, ROSTER, "b")

    assert inspectors(store, active_only=False) == before
    assert store.count("inspectors") == 6
    assert [r["imported_by"] for r in import_rows(store)] == ["a", "b"]


def test_roster_upsert_leaves_people_not_in_the_file_unchanged(store: Store, tmp_path: Path) -> None:
    import_roster(store, ROSTER, "a")
    retire = write(tmp_path / "retire.csv",
                   f"{ROSTER_HEADER}\nWH-001,张伟,3710012019000101,,371000,大气,false,false,\n")

    import_roster(store, retire, "a")

    assert "WH-001" not in {p.inspector_id for p in inspectors(store)}
    assert store.count("inspectors") == 6
    assert {p.inspector_id for p in inspectors(store)} == {"WH-002", "WH-003", "WH-004", "WH-005"}


def test_roster_xlsx_reads_as_the_csv_does(store: Store, tmp_path: Path) -> None:
    workbook = to_xlsx(ROSTER, tmp_path / "roster.xlsx", blank_rows_after=3)

    result = import_roster(store, workbook, "a")

    assert result.rows == 6
    from_xlsx = inspectors(store, active_only=False)
    other = Store(f"sqlite:///{tmp_path / 'csv.db'}")
    other.migrate()
    import_roster(other, ROSTER, "a")
    assert from_xlsx == inspectors(other, active_only=False)
    other.dispose()


def test_roster_accepts_an_allowed_uscc_that_fails_the_check(store: Store, tmp_path: Path) -> None:
    store.allow_uscc(BAD_CHECK, "issued before 2015", "a")
    path = write(tmp_path / "r.csv", f"{ROSTER_HEADER}\nX1,甲,,,371000,,,,{BAD_CHECK}\n")

    import_roster(store, path, "a")

    [person] = inspectors(store)
    assert person.conflicts == [BAD_CHECK]
    assert (person.auxiliary, person.active, person.expertise) == (False, True, [])


# -- designations ---------------------------------------------------------------------------

def test_designations_csv_import_and_what_is_in_force_on_a_day(store: Store) -> None:
    result = import_designations(store, DESIGNATIONS, "a")

    assert (result.kind, result.rows) == ("designations", 8)
    assert store.count("designations") == 8
    on = designations_on(store, date(2025, 5, 15))
    assert [(d.tag, d.value) for d in on[S1]] == [(Tag.SUPERVISED_LISTING, None), (Tag.VOCS, "A")]
    assert [(d.tag, d.value) for d in on[S2]] == [(Tag.COMPLAINTS, "12"), (Tag.CONTROL_LEVEL, "省控")]
    assert [d.tag for d in on[S3]] == [Tag.PERFORMANCE_GRADE]  # 不能稳定达标 ended 2024-12-31
    later = designations_on(store, date(2025, 7, 1))
    assert [d.tag for d in later[S2]] == [Tag.CONTROL_LEVEL]  # complaints bound to Q2
    assert S1 not in designations_on(store, date(2024, 6, 30))
    assert len(designations(store)[S3]) == 2


def test_designation_bounds_are_inclusive(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv",
                 f"{DESIGNATION_HEADER}\n{S1},敏感,,2025-01-01,2025-01-31,\n")
    import_designations(store, path, "a")

    assert S1 in designations_on(store, date(2025, 1, 1))
    assert S1 in designations_on(store, date(2025, 1, 31))
    assert S1 not in designations_on(store, date(2025, 2, 1))
    assert S1 not in designations_on(store, date(2024, 12, 31))


def test_designation_reimport_is_idempotent(store: Store) -> None:
    import_designations(store, DESIGNATIONS, "a")
    before = designations(store)

    import_designations(store, DESIGNATIONS, "a")

    assert designations(store) == before
    assert store.count("designations") == 8
    assert store.count("imports") == 2


def test_a_row_with_until_ends_the_designation_of_the_same_since(store: Store, tmp_path: Path) -> None:
    opened = write(tmp_path / "open.csv", f"{DESIGNATION_HEADER}\n{S1},挂牌督办,,2025-01-01,,文1\n")
    import_designations(store, opened, "a")
    assert S1 in designations_on(store, date(2026, 1, 1))

    ended = write(tmp_path / "end.csv",
                  f"{DESIGNATION_HEADER}\n{S1},挂牌督办,,2025-01-01,2025-09-30,文2\n")
    import_designations(store, ended, "a")

    assert store.count("designations") == 1
    assert S1 in designations_on(store, date(2025, 9, 30))
    assert S1 not in designations_on(store, date(2025, 10, 1))
    assert designations(store)[S1][0].source == "文2"


def test_designations_xlsx_with_date_and_number_cells(store: Store, tmp_path: Path) -> None:
    workbook = to_xlsx(DESIGNATIONS, tmp_path / "designations.xlsx", blank_rows_after=2)

    assert import_designations(store, workbook, "a").rows == 8

    assert designations_on(store, date(2025, 5, 15))[S2][0].value == "12"
    other = Store(f"sqlite:///{tmp_path / 'csv.db'}")
    other.migrate()
    import_designations(other, DESIGNATIONS, "a")
    assert designations(store) == designations(other)
    other.dispose()


def test_value_words_are_normalised(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", f"{DESIGNATION_HEADER}\n"
                 f"{S1.lower()},vocs,b,,,\n{S1},指定类别,key,,,\n{S1},投诉,007,,,\n")

    import_designations(store, path, "a")

    assert [(d.tag, d.value) for d in designations(store)[S1]] == [
        (Tag.COMPLAINTS, "7"), (Tag.VOCS, "B"), (Tag.DESIGNATED_CATEGORY, "KEY")]


# -- file reading -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_with_bom_or_in_gb18030_reads_the_same(sqlite_store: Store, tmp_path: Path,
                                                   encoding: str) -> None:
    path = write(tmp_path / "r.csv", ROSTER.read_text(encoding="utf-8"), encoding)

    import_roster(sqlite_store, path, "a")

    assert [p.name for p in inspectors(sqlite_store)][:2] == ["张伟", "李娜"]


def test_columns_may_come_in_any_order_and_blank_rows_are_skipped(sqlite_store: Store,
                                                                  tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv",
                 f"source,until,since,value,tag,uscc\n文,,,A,VOCs,{S1}\n,,,,,\n\n,,,,,\n")

    assert import_designations(sqlite_store, path, "a").rows == 1


# -- refusals: the whole file, every problem named by row, nothing applied --------------------

REFUSED_ROSTERS = {
    "unknown expertise word": (
        f"{ROSTER_HEADER}\nN1,甲,,,371000,大气,,,\nN2,乙,,,371000,水;化学,,,\n",
        "row 3: field 'expertise' value '化学': not a field of expertise"),
    "unknown column": (
        f"{ROSTER_HEADER},grade\nN1,甲,,,371000,大气,,,,A\n",
        "row 1: field 'grade' value 'grade': unknown column"),
    "missing column": (
        "inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active\n"
        "N1,甲,,,371000,大气,,\n",
        "row 1: field 'conflicts' value '': missing column"),
    "bad conflict USCC": (
        f"{ROSTER_HEADER}\nN1,甲,,,371000,,,,\nN2,乙,,,371000,,,,{S1};{BAD_CHECK}\n",
        f"row 3: field 'conflicts' value '{BAD_CHECK}': USCC '{BAD_CHECK}' check character is 'A'"),
    "bad boolean": (
        f"{ROSTER_HEADER}\nN1,甲,,,371000,,yes,,\n",
        "row 2: field 'auxiliary' value 'yes': not one of true/false"),
    "bad region": (
        f"{ROSTER_HEADER}\nN1,甲,,,3710,,,,\n",
        "row 2: field 'regionCode' value '3710': region code '3710' is not 6 digits"),
    "person listed twice": (
        f"{ROSTER_HEADER}\nN1,甲,,,371000,,,,\nN1,乙,,,371000,,,,\n",
        "row 3: field 'inspectorId' value 'N1': listed again (first in row 2)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_ROSTERS))
def test_refused_roster_names_the_row_and_applies_nothing(store: Store, tmp_path: Path,
                                                          case: str) -> None:
    import_roster(store, ROSTER, "a")
    before = (inspectors(store, active_only=False), counts(store))
    text, problem = REFUSED_ROSTERS[case]
    path = write(tmp_path / "bad.csv", text)

    with pytest.raises(FileRefused) as refused:
        import_roster(store, path, "a")

    assert isinstance(refused.value, InputRefused)
    assert refused.value.exit_code == ExitCode.INPUT_REFUSED
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert problem in str(refused.value)
    assert (inspectors(store, active_only=False), counts(store)) == before


REFUSED_DESIGNATIONS = {
    "unknown tag": (
        f"{DESIGNATION_HEADER}\n{S1},敏感,,,,\n{S2},重点关注,,,,\n",
        "row 3: field 'tag' value '重点关注': unknown tag"),
    "bad USCC": (
        f"{DESIGNATION_HEADER}\n{S1},敏感,,,,\n{BAD_CHECK},敏感,,,,\n",
        f"row 3: field 'uscc' value '{BAD_CHECK}': USCC '{BAD_CHECK}' check character is 'A'"),
    "since after until": (
        f"{DESIGNATION_HEADER}\n{S1},敏感,,2025-01-01,,\n{S1},两高,,2025-03-01,2025-02-28,\n",
        "row 3: field 'until' value '2025-02-28': before since 2025-03-01"),
    "date not YYYY-MM-DD": (
        f"{DESIGNATION_HEADER}\n{S1},敏感,,2025/03/01,,\n",
        "row 2: field 'since' value '2025/03/01': not a date written YYYY-MM-DD"),
    "complaints not a count": (
        f"{DESIGNATION_HEADER}\n{S1},投诉,-2,,,\n",
        "row 2: field 'value' value '-2': 投诉 takes the number of complaints"),
    "VOCs grade unknown": (
        f"{DESIGNATION_HEADER}\n{S1},VOCs,D,,,\n",
        "row 2: field 'value' value 'D': not one of A/B/C"),
    "performance grade missing": (
        f"{DESIGNATION_HEADER}\n{S1},绩效,,,,\n",
        "row 2: field 'value' value '': 绩效 needs a value"),
    "control level unknown": (
        f"{DESIGNATION_HEADER}\n{S1},控制级别,区控,,,\n",
        "row 2: field 'value' value '区控': not one of 国控/省控/市控/县控"),
    "designated category unknown": (
        f"{DESIGNATION_HEADER}\n{S1},指定类别,重点,,,\n",
        "row 2: field 'value' value '重点': not one of KEY/SIMPLIFIED/GENERAL/SPECIAL"),
    "a cell under no header": (
        f"{DESIGNATION_HEADER}\n{S1},敏感,,,,,stray\n",
        "row 2: field '' value 'stray': cell in column 7, which has no header"),
    "a column twice": (
        f"{DESIGNATION_HEADER},tag\n{S1},敏感,,,,,敏感\n",
        "row 1: field 'tag' value 'tag': column appears twice"),
    "same key twice": (
        f"{DESIGNATION_HEADER}\n{S1},敏感,,2025-01-01,,\n{S1},敏感,,2025-01-01,2025-12-31,\n",
        "row 3: field 'since' value '2025-01-01': "),
    "unknown column": (
        f"{DESIGNATION_HEADER},note\n{S1},敏感,,,,,x\n",
        "row 1: field 'note' value 'note': unknown column"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_DESIGNATIONS))
def test_refused_designations_name_the_row_and_apply_nothing(store: Store, tmp_path: Path,
                                                             case: str) -> None:
    import_designations(store, DESIGNATIONS, "a")
    before = (designations(store), counts(store))
    text, problem = REFUSED_DESIGNATIONS[case]
    path = write(tmp_path / "bad.csv", text)

    with pytest.raises(FileRefused) as refused:
        import_designations(store, path, "a")

    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert (designations(store), counts(store)) == before


def test_every_bad_row_of_a_file_is_listed(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", f"{DESIGNATION_HEADER}\n{S1},未知,,,,\n{S2},敏感,,,,\n"
                 f"{BAD_CHECK},VOCs,Z,2025-13-01,,\n")

    with pytest.raises(FileRefused) as refused:
        import_designations(sqlite_store, path, "a")

    assert [p.split(":")[0] for p in refused.value.problems] == ["row 2", "row 4", "row 4", "row 4"]
    assert "row 4: field 'since' value '2025-13-01': not a calendar date" in refused.value.problems


def test_refused_xlsx_names_the_spreadsheet_row(sqlite_store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ROSTER_HEADER.split(","))
    sheet.append(["N1", "甲", None, None, "371000", "大气", False, True, None])
    sheet.append([None])  # a blank row in the middle still counts as a row
    sheet.append(["N2", "乙", None, None, "371000", "天文", False, True, None])
    book.save(tmp_path / "bad.xlsx")

    with pytest.raises(FileRefused) as refused:
        import_roster(sqlite_store, tmp_path / "bad.xlsx", "a")

    assert refused.value.problems == [
        "row 4: field 'expertise' value '天文': not a field of expertise "
        "(one of 大气 水 固废 危废 土壤 噪声 辐射 环评 监测 海洋 移动源)"]
    assert counts(sqlite_store) == (0, 0, 0)


def test_a_failure_while_writing_rolls_back_the_rows_and_the_import_record(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssj_bridge.intake.apply as apply

    write_all = apply._write_inspectors

    def write_then_fail(*args: Any) -> None:
        write_all(*args)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(apply, "_write_inspectors", write_then_fail)

    with pytest.raises(RuntimeError):
        import_roster(store, ROSTER, "a")

    assert counts(store) == (0, 0, 0)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"PK\x03\x04 not really a workbook"])
def test_an_empty_or_unreadable_file_is_refused(sqlite_store: Store, tmp_path: Path,
                                                content: bytes) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(content)

    with pytest.raises(InputRefused):
        import_roster(sqlite_store, path, "a")

    assert counts(sqlite_store) == (0, 0, 0)


# -- exports --------------------------------------------------------------------------------

def test_export_inspectors_has_the_roster_columns_with_lists(store: Store) -> None:
    import_roster(store, ROSTER, "a")

    rows = list(default_registry().rows("inspectors", store))

    assert len(rows) == 6
    assert rows[2] == {
        "inspectorId": "WH-003", "name": "王强", "certNo": "3710012020000103",
        "orgCode": "11371000MB2834567U", "regionCode": "371002", "expertise": ["水", "海洋"],
        "auxiliary": False, "active": True, "conflicts": [S2, S3], "post": None,
        "staffStatus": None, "gender": None, "serviceYears": None}
    assert rows[5]["active"] is False


def test_export_subjects_lists_the_designations_in_force_today(store: Store, tmp_path: Path) -> None:
    for uscc in (S1, S2):
        raw = {"permitNo": f"{uscc}001P", "uscc": uscc, "orgName": "某公司", "regionCode": "371002",
               "managementClass": "重点管理", "status": "有效",
               "updateTime": "2025-01-01T08:00:00+08:00"}
        store.apply_batch("permit", "permits", Batch("permit", records=[
            map_record(raw, uscc, frozenset())]))  # type: ignore[list-item]
    today = beijing_today()
    path = write(tmp_path / "d.csv", f"{DESIGNATION_HEADER}\n"
                 f"{S1},挂牌督办,,{today - timedelta(days=30)},,\n"
                 f"{S1},VOCs,A,,{today},\n"
                 f"{S1},投诉,3,{today - timedelta(days=60)},{today - timedelta(days=1)},\n"
                 f"{S2},两高,,{today + timedelta(days=1)},,\n")
    import_designations(store, path, "a")

    tags = {row["uscc"]: row["tags"] for row in default_registry().rows("subjects", store)}

    assert tags == {S1: ["挂牌督办", "VOCs:A"], S2: []}


# -- the command line -------------------------------------------------------------------------

def run_cli(tmp_path: Path, *args: str,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("ssj-bridge", path=str(Path(sys.executable).parent))
    assert executable is not None
    env = {**os.environ, "SSJ_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", **(env or {})}
    return subprocess.run([executable, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False, timeout=120)


def test_cli_imports_print_a_summary_and_a_refused_file_exits_65(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "inspectors", "import", str(ROSTER), "--by", "王科长")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6 inspectors applied from roster.csv (import 1, by 王科长)"

    tagged = run_cli(tmp_path, "tags", "import", str(DESIGNATIONS))
    assert tagged.returncode == 0, tagged.stderr
    assert tagged.stdout.startswith("8 designations applied from designations.csv (import 2, by ")

    bad = write(tmp_path / "bad.csv", f"{DESIGNATION_HEADER}\n{S1},敏感,,,,\n{S2},无此标签,,,,\n")
    refused = run_cli(tmp_path, "tags", "import", str(bad))
    assert refused.returncode == ExitCode.INPUT_REFUSED == 65
    assert "bad.csv refused, nothing applied" in refused.stderr
    assert "row 3: field 'tag' value '无此标签': unknown tag" in refused.stderr

    exported = run_cli(tmp_path, "export", "inspectors", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["inspectorId"] for r in rows] == ["WH-001", "WH-002", "WH-003", "WH-004", "WH-005",
                                                "WH-006"]
    assert rows[2]["conflicts"] == f"{S2};{S3}"
