"""The matter list and the object library as files a data manager maintains (interface.md,
"Additions (2026-12)"): all-or-nothing imports naming every bad row, exports in the files'
columns, and the roster's optional columns of 威海 第十条."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from test_imports import run_cli, write

from ssj_bridge.errors import ExitCode
from ssj_bridge.intake import FileRefused, import_matters, import_objects, import_roster, inspectors
from ssj_bridge.model.matters import MATTER_COLUMNS
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.policy.matters import effective_matters
from ssj_bridge.store import Store
from ssj_bridge.store.schema import imports, matters, objects
from ssj_policies.yangcheng import build

MATTER_HEADER = ",".join(MATTER_COLUMNS)
OBJECT_HEADER = "kind,objectId,name,regionCode,uscc,subkind,since,until,source"
ROSTER_HEADER = ("inspectorId,name,certNo,orgCode,regionCode,expertise,auxiliary,active,conflicts,"
                 "post,staffStatus,gender,serviceYears")
S1, S2 = "91371002MA3C00001M", "91371002MA3C00002Q"


def test_a_matter_list_replaces_matters_by_code_and_keeps_the_bundled_rest(
        sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "matters.csv", f"{MATTER_HEADER}\n"
                 "M07,机动车排放检验机构监督检查,机动车排放检验机构,county,11140522MB0000000X,ALL,"
                 "half-year,50%,1,,现场,本局2025年清单 第3项\n"
                 "M20,加油站油气回收检查,加油站和储油库,county,,ALL,quarter,10%,,,,本局2025年清单 第9项\n")
    result = import_matters(sqlite_store, path, "数据管理员")
    assert (result.kind, result.rows) == ("matters", 2)
    listed = {m.code: m for m in effective_matters(sqlite_store, build())}
    assert listed["M07"].origin == "import" and listed["M07"].departments == ("11140522MB0000000X",)
    [rule] = listed["M07"].rules
    assert (rule.period.value, rule.describe(), rule.required(3, 0)) == ("half-year",
                                                                         "50%, at least 1", 2)
    assert listed["M20"].object_kind == "加油站和储油库"
    assert listed["M01"].follows_policy and listed["M01"].origin == "policy"
    assert next(iter(listed)) == "M01"
    exported = list(default_registry().rows("matters", sqlite_store))
    assert [(r["matterCode"], r["ratio"], r["minCount"]) for r in exported] == [
        ("M07", "50%", "1"), ("M20", "10%", "")]


@pytest.mark.parametrize(("row", "problem"), [
    ("M08,x,汽车,county,,ALL,year,5%,,,,b", "row 2: field 'objectKind' value '汽车': unknown kind"),
    ("M08,x,非道路移动机械,county,,ALL,year,120%,,,,b",
     "row 2: field 'ratio' value '120%': a ratio lies between 0% and 100%"),
    ("M08,x,非道路移动机械,county,,ALL,year,-5%,,,,b",
     "row 2: field 'ratio' value '-5%': a ratio lies between 0% and 100%"),
    ("M08,x,非道路移动机械,county,,ALL,year,policy,,,,b",
     "row 2: field 'ratio' value 'policy': `policy` takes the locality policy's rules"),
    ("M08,x,排污单位,county,,重点,year,5%,,,,b", "row 2: field 'category' value '重点': not one of"),
    ("M08,x,非道路移动机械,province,,ALL,year,5%,,,,b", "row 2: field 'level' value 'province'"),
    ("M08,x,非道路移动机械,county,,ALL,monthly,5%,,,,b", "row 2: field 'period' value 'monthly'"),
])
def test_a_bad_matter_row_refuses_the_file_naming_it(sqlite_store: Store, tmp_path: Path,
                                                     row: str, problem: str) -> None:
    good = "M09,y,入河排污口,county,,ALL,year,100%,,,,b"
    path = write(tmp_path / "m.csv", f"{MATTER_HEADER}\n{row}\n{good}\n")
    with pytest.raises(FileRefused) as refused:
        import_matters(sqlite_store, path)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert (sqlite_store.count("matters"), sqlite_store.count("imports")) == (0, 0)


def test_a_rule_listed_twice_or_a_matter_that_disagrees_with_itself_is_refused(
        sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", f"{MATTER_HEADER}\n"
                 "M08,x,非道路移动机械,county,,ALL,year,5%,,,,b\n"
                 "M08,x,非道路移动机械,county,,ALL,year,6%,,,,b\n"
                 "M08,x,入河排污口,county,,重点,year,6%,,,,b\n")
    with pytest.raises(FileRefused) as refused:
        import_matters(sqlite_store, path)
    assert refused.value.problems == [
        "row 3: field 'category' value 'ALL': the rule of M08 for ALL per year is listed again "
        "(first in row 2)",
        "row 4: field 'matterCode' value 'M08': its name, objectKind, level or departments "
        "differ from row 2"]
    assert sqlite_store.count("matters") == 0


def objects_csv(tmp_path: Path, *rows: str, name: str = "o.csv") -> Path:
    return write(tmp_path / name, OBJECT_HEADER + "\n" + "\n".join(rows) + "\n")


def test_objects_import_upserts_by_kind_and_id_and_exports_the_files_columns(
        sqlite_store: Store, tmp_path: Path) -> None:
    first = objects_csv(tmp_path,
                        f"机动车排放检验机构,JC-01,某检测站,371002,{S1},,2024-01-01,,名录2024",
                        "入河排污口,RH-01,某排口,371003,,重点,,,",
                        "建设项目,JS-01,某项目,371002,,报告书,,,环评批复")
    assert import_objects(sqlite_store, first, "371000", "a").rows == 3
    second = objects_csv(tmp_path, "入河排污口,RH-01,某排口迁建,371003,,重点,,2025-06-30,",
                         name="o2.csv")
    import_objects(sqlite_store, second, "371000", "a")
    rows = list(default_registry().rows("objects", sqlite_store))
    assert [(r["kind"], r["objectId"], r["name"], r["until"]) for r in rows] == [
        ("入河排污口", "RH-01", "某排口迁建", "2025-06-30"),
        ("建设项目", "JS-01", "某项目", ""),
        ("机动车排放检验机构", "JC-01", "某检测站", "")]
    assert rows[2]["uscc"] == S1 and rows[2]["since"] == "2024-01-01"


def test_objects_xlsx_reads_as_the_csv_does(sqlite_store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(OBJECT_HEADER.split(","))
    sheet.append(["污水处理厂", "WS-01", "某污水处理厂", 371002, S2, None, None, None, None])
    book.save(tmp_path / "o.xlsx")
    import_objects(sqlite_store, tmp_path / "o.xlsx", "371000")
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(objects.c.object_id, objects.c.region_code,
                                   objects.c.uscc)).all() == [("WS-01", "371002", S2)]


def test_bad_objects_refuse_the_file_with_every_row_named(sqlite_store: Store,
                                                         tmp_path: Path) -> None:
    import_objects(sqlite_store, objects_csv(tmp_path, f"污水处理厂,WS-01,甲,371002,{S1},,,,"),
                   "371000")
    path = objects_csv(
        tmp_path,
        "汽车,A-1,乙,371002,,,,,",
        "污水处理厂,WS-02,丙,330802,,,,,",
        "污水处理厂,WS-03,丁,371002,,,,,",
        "污水处理厂,WS-03,戊,371002,,,,,",
        f"污水处理厂,WS-04,己,371002,{S1},,,,",
        f"机动车排放检验机构,JC-01,庚,371002,{S2},,,,",
        f"机动车排放检验机构,JC-02,辛,371002,{S2},,,,",
        "入河排污口,RH-1,壬,371002,,,2025-05-01,2025-01-01,",
        name="bad.csv")
    with pytest.raises(FileRefused) as refused:
        import_objects(sqlite_store, path, "371000")
    assert refused.value.problems == [
        "row 2: field 'kind' value '汽车': unknown kind; one of 机动车排放检验机构 入河排污口 "
        "入海排污口 污水处理厂 社会生态环境监测机构 建设项目 核与辐射 非道路移动机械 柴油车用车大户 "
        "加油站和储油库 固体废物",
        "row 3: field 'regionCode' value '330802': outside the deployment's region 371000 "
        "(SSJ_REGION_CODE)",
        "row 5: field 'objectId' value 'WS-03': listed again for 污水处理厂 (first in row 4)",
        f"row 6: field 'uscc' value '{S1}': object WS-01 of 污水处理厂 in the library has it already",
        f"row 8: field 'uscc' value '{S2}': object JC-01 of 机动车排放检验机构 has it too (row 7); "
        "one 机动车排放检验机构 per USCC",
        "row 9: field 'until' value '2025-01-01': before since 2025-05-01"]
    assert sqlite_store.count("objects") == 1
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(imports.c.kind)).scalars().all() == ["objects"]


def test_the_roster_takes_the_optional_columns_of_weihai_article_10(sqlite_store: Store,
                                                                    tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", f"{ROSTER_HEADER}\n"
                 "WH-1,张三,C1,ORG,371002,大气,false,true,,执法大队队长,在编在岗,男,12\n"
                 "WH-2,李四,C2,ORG,371002,水,false,true,,科员,借调,女,\n")
    import_roster(sqlite_store, path)
    people = {p.inspector_id: p for p in inspectors(sqlite_store)}
    assert (people["WH-1"].post, people["WH-1"].staff_status, people["WH-1"].gender,
            people["WH-1"].service_years) == ("执法大队队长", "在编在岗", "男", 12)
    assert people["WH-1"].on_establishment and not people["WH-2"].on_establishment
    bad = write(tmp_path / "bad.csv", f"{ROSTER_HEADER}\n"
                "WH-3,王五,C3,ORG,371002,大气,false,true,,,在编在岗,未知,三年\n")
    with pytest.raises(FileRefused) as refused:
        import_roster(sqlite_store, bad)
    assert refused.value.problems == [
        "row 2: field 'gender' value '未知': not one of 男/女",
        "row 2: field 'serviceYears' value '三年': not a whole number of years"]


def test_the_command_line_imports_and_exports_matters_and_objects(tmp_path: Path) -> None:
    env = {"SSJ_POLICY": "yangcheng", "SSJ_REGION_CODE": "140522"}
    path = write(tmp_path / "m.csv", f"{MATTER_HEADER}\n"
                 "M20,加油站油气回收检查,加油站和储油库,county,,ALL,quarter,10%,,,,本局清单\n")
    done = run_cli(tmp_path, "matters", "import", str(path), "--by", "王科长", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 matters applied from m.csv (import 1, by 王科长)"
    exported = run_cli(tmp_path, "export", "matters", "--format", "csv", env=env)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert list(rows[0]) == list(MATTER_COLUMNS)
    assert [r["matterCode"] for r in rows][:2] == ["M01", "M02"] and rows[-1]["matterCode"] == "M20"
    objects_path = write(tmp_path / "o.csv", f"{OBJECT_HEADER}\n"
                         "加油站和储油库,JY-01,某加油站,140522,,,,,\n"
                         "加油站和储油库,JY-02,某加油站,140581,,,,,\n")
    refused = run_cli(tmp_path, "objects", "import", str(objects_path), env=env)
    assert refused.returncode == ExitCode.INPUT_REFUSED == 65
    assert "row 3: field 'regionCode' value '140581': outside the deployment's region" in refused.stderr
    write(objects_path, f"{OBJECT_HEADER}\n加油站和储油库,JY-01,某加油站,140522,,,,,\n")
    loaded = run_cli(tmp_path, "objects", "import", str(objects_path), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "objects stay in the local library" in loaded.stdout
    planned = run_cli(tmp_path, "plan", "--period", "2025Q2", "--matter", "M20", "--json", env=env)
    assert planned.returncode == 0, planned.stderr
    shape = json.loads(planned.stdout)
    assert shape["matters"]["M20"]["categories"]["ALL"]["population"] == 1
    assert list(shape["matters"]) == ["M20"]


def test_a_matter_row_stored_reads_back_as_imported(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", f"{MATTER_HEADER}\n"
                 "M06,核与辐射,核与辐射,county,,一般,year,,,2.5,非现场,附件3\n")
    import_matters(sqlite_store, path)
    with sqlite_store.engine.connect() as conn:
        row = conn.execute(select(matters)).one()
    assert (row.per_inspector, row.mode, row.position) == ("2.5", "非现场", 1)
