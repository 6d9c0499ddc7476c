"""Chinese by default, English on request: the catalogue is complete, every command's help and
every command's output read in both languages, and the Chinese has no English left in it.

The walk through the commands prints each one's help and output in zh and en (`pytest -s`
shows them; they are also written to transcript-zh.txt / transcript-en.txt in the test's
directory): a person can read what a bureau's data manager would see.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import string
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import orjson
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from openpyxl import load_workbook
from sync_support import CONSOLE_SCRIPT, run_cli

from ssj_bridge.cli import COMMANDS, cli
from ssj_bridge.cli.catalogue import missing
from ssj_bridge.i18n import CATALOGUES, use_language
from ssj_bridge.intake.objects import OBJECT_COLUMNS
from ssj_bridge.model import words
from ssj_bridge.model.matters import MATTER_COLUMNS
from ssj_bridge.plugins.host import load_plugins
from ssj_bridge.simulation.demo import choose_deployment, demo_roster_csv
from ssj_bridge.simulation.launch import start_simulators
from ssj_bridge.simulation.synthetic import counties_of, make_uscc

# English that may stand in Chinese text: names of settings, options, formats, codes.
_KEPT = re.compile(r"""
    `[^`]*` | '[^']*' | "[^"]*" | https?://\S+ | (?:/|\./)[\w./-]+ | --?[a-z][\w-]* |
    \b[a-z]+(?:[,、][a-z]+)+\b | ssj-bridge(?:\ [a-z]+){0,2} |
    \b[\w.-]+\.(?:csv|xlsx|html|db|txt|toml|log|py)\b | \b(?:e\.g\.|i\.e\.)
    """, re.VERBOSE)
_ENGLISH_RUN = re.compile(r"\b[a-z]{2,}(?:[ ,]+[a-z]{2,}){2,}\b")


def untranslated(text: str) -> list[str]:
    """Runs of three or more English words in text meant to be Chinese (JSON lines and the
    quoted, optional, file and code-like parts are not looked at)."""
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith(("{", "[")):  # JSON: the contract's field names
            continue
        found += _ENGLISH_RUN.findall(_KEPT.sub(" ", line))
    return found


def test_untranslated_finds_english_words_and_leaves_names_alone() -> None:
    assert untranslated("3 tasks drawn, witnessed") == ["tasks drawn, witnessed"]
    assert untranslated("用法：ssj-bridge plan --period 2025Q2 `draw verify TASK` data.csv") == []
    assert untranslated('{"exit": 0, "platforms": {"permit": {"set aside": 1}}}') == []


# -- the catalogue ----------------------------------------------------------------------------


def test_every_message_of_the_code_has_its_chinese() -> None:
    assert missing() == []


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_translations_keep_every_placeholder_of_their_english() -> None:
    """A Chinese text that drops or renames a `{name}` would fail when it is formatted."""
    with CATALOGUES["zh"].open("rb") as handle:
        catalog = read_po(handle)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = set().union(*(_fields(i) for i in ids))
        if "%(" in ids[0]:
            continue  # click's %-style messages
        for text in strings:
            if _fields(text) - expected or (len(ids) == 1 and _fields(text) != expected):
                wrong.append((message.id, text))
    assert wrong == []


def test_the_catalogue_is_compiled_once_and_read_from_the_cache_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ssj_bridge import i18n

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    i18n._load.cache_clear()
    try:
        assert i18n.translations("zh").gettext("Usage:") == "用法："
        [cached] = (tmp_path / "cache" / "ssj-bridge").glob("ssj_bridge-zh-*.mo")
        cached.write_bytes(i18n.compile_po(b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; '
                                           b'charset=utf-8\\n"\n\nmsgid "Usage:"\nmsgstr "cached"\n'))
        i18n._load.cache_clear()
        assert i18n.translations("zh").gettext("Usage:") == "cached"  # the cache, not the .po
        # A cache that cannot be written (a read-only home): compiled again, translated all the same.
        monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no-such-place")
        i18n._load.cache_clear()
        assert i18n.translations("zh").gettext("Usage:") == "用法："
    finally:
        i18n._load.cache_clear()


def test_words_for_codes_follow_the_language() -> None:
    with use_language("zh"):
        assert [words.status(s) for s in ("open", "met", "short")] == ["进行中", "已达标", "未达标"]
        assert words.period("2026Q4") == "2026年第四季度"
        assert words.period("2026H1") == "2026年上半年"
        assert words.yes_no(True) == "是" and words.role("permit") == "排污许可平台"
    with use_language("en"):
        assert [words.status(s) for s in ("open", "met", "short")] == ["open", "met", "short"]
        assert words.period("2026Q4") == "2026Q4"
        assert words.yes_no(False) == "false"


def test_templates_translate_through_the_jinja_extension() -> None:
    from jinja2 import Environment

    from ssj_bridge.i18n import jinja_environment_i18n

    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    template = env.from_string("{{ _('Usage:') }} {% trans %}Options{% endtrans %} "
                               "{{ _('%(prog)s, version %(version)s', prog='<x>', version=1) }}")
    rendered = {}
    for lang in ("zh", "en"):
        with use_language(lang):
            jinja_environment_i18n(env)
            rendered[lang] = template.render()
    assert rendered == {"zh": "用法： 选项 &lt;x&gt;，版本 1", "en": "Usage: Options &lt;x&gt;, version 1"}


def test_the_blank_files_of_the_guide_are_what_the_imports_read(tmp_path: Path) -> None:
    from ssj_bridge.intake.files import read_sheet
    from ssj_bridge.report.blanks import BLANKS, write_blanks

    shipped = Path(__file__).parents[1] / "docs" / "zh" / "templates"
    fresh = write_blanks(tmp_path)
    assert sorted(p.name for p in fresh) == sorted(p.name for p in shipped.iterdir())
    for name, (kind, columns, _title) in BLANKS.items():
        for suffix in ("csv", "xlsx"):
            sheet = read_sheet(shipped / f"{name}.{suffix}", columns, kind=kind)
            assert sheet.rows == []
        header = (shipped / f"{name}.csv").read_text(encoding="utf-8-sig").strip().split(",")
        assert header == (tmp_path / f"{name}.csv").read_text(
            encoding="utf-8-sig").strip().split(",")
        assert all(re.search(r"[\u4e00-\u9fff]", cell) for cell in header)


# -- every command's help ---------------------------------------------------------------------


def command_paths() -> Iterator[list[str]]:
    """Every command and subcommand, as the words typed."""
    yield []
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        yield [name]
        if isinstance(command, click.Group):
            for sub in command.commands:
                yield [name, sub]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_commands_help_reads_in_the_language(lang: str, capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    runner = CliRunner()
    pages = {}
    for path in command_paths():
        done = runner.invoke(cli, [*path, "--help"], env={"SSJ_LANGUAGE": lang},
                             prog_name="ssj-bridge")
        assert done.exit_code == 0, (path, done.output)
        pages[" ".join(path)] = done.output
        with capsys.disabled():
            print(f"\n$ SSJ_LANGUAGE={lang} ssj-bridge {' '.join(path)} --help\n{done.output}")
    if lang == "zh":
        assert all(page.startswith("用法：") and "显示本帮助并退出。" in page
                   for page in pages.values())
        leftovers = {path: untranslated(page) for path, page in pages.items()}
        assert {path: found for path, found in leftovers.items() if found} == {}
    else:
        assert all(page.startswith("Usage:") and "Show this message and exit." in page
                   for page in pages.values())


def test_a_usage_error_is_worded_in_chinese() -> None:
    done = CliRunner().invoke(cli, ["plan", "--bogus"], env={"SSJ_LANGUAGE": "zh"})
    assert done.exit_code == 2
    assert "没有选项 '--bogus'" in done.output and "用法：" in done.output


# -- every command's output -------------------------------------------------------------------


class Session:
    """Commands of one language against their own simulators and store, recorded in order."""

    def __init__(self, lang: str, root: Path, env: dict[str, str]) -> None:
        self.lang, self.root, self.env = lang, root, env
        self.transcript: list[str] = []

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        """Run one command; its exit code must be one of `ok` (never a crash or a usage error)."""
        done = run_cli(list(args), self.env, self.root, timeout=300)
        self.transcript.append(f"$ SSJ_LANGUAGE={self.lang} ssj-bridge {' '.join(args)}\n"
                               f"{done.stdout}{done.stderr}[exit {done.returncode}]\n")
        assert done.returncode in ok, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done


def _roster(path: Path, region: str, org: str, lang: str) -> Path:
    demo_roster_csv(path, region, org)
    if lang == "zh":  # a roster kept with Chinese headers, as a data manager keeps it
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[0] = "执法人员编号,姓名,执法证号,所属机构代码,行政区划代码,专业领域,辅助人员,在岗,回避对象"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _matters(path: Path, lang: str) -> Path:
    """A matter the bureau adds to its list: half its vehicle test stations each quarter."""
    header = ("抽查事项代码,事项名称,对象类型,抽取层级,实施部门,抽查类别,抽查周期,抽查比例,最少抽查数,"
              "人均抽查数,检查方式,依据条款" if lang == "zh" else ",".join(MATTER_COLUMNS))
    path.write_text(f"{header}\nM02,机动车排放检验机构监督检查,机动车排放检验机构,county,,ALL,quarter,"
                    "50%,,,现场,本局清单\n", encoding="utf-8")
    return path


def _objects(path: Path, region: str, lang: str, subjects: list[dict[str, Any]]) -> Path:
    """Test stations in two districts: two without a USCC in the first; in the second one with
    the USCC of a permit holder there (its name known, so its result is published)."""
    first, second = counties_of(region)[:2]
    uscc = next((item["uscc"] for item in subjects if item["regionCode"] == second),
                make_uscc(random.Random(7), second))
    header = ("对象类型,对象编号,名称,行政区划代码,统一社会信用代码,对象子类,起始日期,截止日期,依据文件"
              if lang == "zh" else ",".join(OBJECT_COLUMNS))
    rows = [f"机动车排放检验机构,JC-001,一号检测站,{first},,,,,本局台账",
            f"机动车排放检验机构,JC-002,二号检测站,{first},,,2026-01-01,,本局台账",
            f"机动车排放检验机构,JC-003,三号检测站,{second},{uscc},,,,本局台账"]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _joint(path: Path, region: str, org: str) -> Path:
    """A joint plan with the market regulator: the routine matter, a fifth of it jointly."""
    header = "planId,name,leadOrg,partnerOrgs,matterCodes,period,share"
    path.write_text(f"{header}\nJP-2026-01,排污单位联合检查,{org},11{region}MB2000000S,M01,2026,"
                    "20%\n", encoding="utf-8")
    return path


def walk(lang: str, root: Path) -> Session:
    """Every command, in the order of a quarter's work, in `lang`."""
    host = load_plugins()
    deployment = choose_deployment(host, policy="weihai")
    sims = start_simulators(host, {"region": deployment.region, "subjects": 150, "seed": 5},
                            adapters={})
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
        env.update(sims.environment())
        env.update({"SSJ_LANGUAGE": lang, "SSJ_DATABASE_URL": f"sqlite:///{root / 'store.db'}",
                    "SSJ_REGION_CODE": deployment.region, "SSJ_POLICY": deployment.policy,
                    "SSJ_ORG_CODE": deployment.org_code, "SSJ_ORG_NAME": deployment.org_name})
        s = Session(lang, root, env)
        s.run("plugins")
        s.run("status")
        s.run("migrate")
        roster = _roster(root / "roster.csv", deployment.region, deployment.org_code, lang)
        s.run("inspectors", "import", str(roster), "--by", "数据管理员")
        s.run("sync", ok=(0, 3))
        s.run("sync", "--json", ok=(0, 3))
        s.run("check", ok=(0,))
        subjects = [orjson.loads(line) for line in s.run("export", "subjects").stdout.splitlines()]
        uscc = next(item["uscc"] for item in subjects if item["category"])
        tags = root / "tags.csv"
        tags.write_text(("统一社会信用代码,标识,标识值,起始日期,截止日期,依据文件\n" if lang == "zh"
                         else "uscc,tag,value,since,until,source\n")
                        + f"{uscc},挂牌督办,,2026-01-01,,威环发〔2026〕1号\n", encoding="utf-8")
        s.run("tags", "import", str(tags))
        s.run("uscc", "allow", "91371000MA3C1234X9", "--reason", "证照原件核对无误", "--by", "王芳")
        s.run("matters", "import", str(_matters(root / "matters.csv", lang)), "--by", "数据管理员")
        s.run("objects", "import", str(_objects(root / "objects.csv", deployment.region, lang,
                                                 subjects)))
        s.run("joint", "import", str(_joint(root / "joint.csv", deployment.region,
                                             deployment.org_code)))
        period = "2026Q4"
        s.run("plan", "--year", "2027", "--html", str(root / "annual-plan.html"), "--xlsx",
              str(root / "annual-plan.xlsx"))
        s.run("plan", "file", "--year", "2027", "--to", "威海市人民政府", "--by", "王芳")
        s.run("plan", "--period", period)
        s.run("plan", "--period", period, "--json")
        s.run("plan", "--period", period, "--matter", "M02")
        s.run("explain", uscc)
        s.run("draw", "commit", "--period", period, "--matter", "M01")
        s.run("draw", "announce", "--period", period, "--matter", "M01", "--html",
              str(root / "announcement.html"))
        s.run("draw", "run", "--period", period, "--matter", "M01", "--witness", "见证人 张三")
        # The object library's matter, drawn per district; an object without a USCC stays local.
        s.run("draw", "commit", "--period", period, "--matter", "M02")
        s.run("draw", "run", "--period", period, "--matter", "M02", "--witness", "见证人 李四")
        tasks = [orjson.loads(line) for line in s.run("export", "tasks").stdout.splitlines()]
        drawn = next(t for t in tasks if t["drawProof"] and t["drawProof"].get("algorithm")
                     == "ssj-draw-v1")
        s.run("draw", "verify", drawn["taskId"], ok=(0,))
        s.run("draw", "record", "--period", period, "--matter", "M01", "--html",
              str(root / "record.html"))
        first = drawn["assignments"][0]
        s.run("draw", "redraw", drawn["taskId"], "--uscc", first["uscc"], "--inspector",
              first["inspectorIds"][0], ok=(0, 65))
        s.run("sync", ok=(0, 3))
        results = [orjson.loads(line) for line in s.run("export", "results").stdout.splitlines()]
        if results:
            s.run("results", "correct", results[0]["resultId"], "--approved-by", "李娜",
                  "--reason", "笔误", "findings=复核无误", ok=(0, 2))
            unpublished = next((r for r in results if "published" not in str(r.get("publication"))),
                               results[-1])
            s.run("results", "withhold", unpublished["resultId"], "--reason", "涉及国家秘密",
                  "--approved-by", "李娜", ok=(0, 65))
        s.run("publications", "retry")
        s.run("reconcile", ok=(0, 3))
        s.run("reconcile", "--json", ok=(0, 3))
        s.run("report", "deadlines")
        s.run("report", "compliance", "--period", period, "--html", str(root / "report.html"))
        s.run("report", "breaks")
        s.run("report", "publications", "--period", period, "--html",
              str(root / "publications.html"))
        s.run("report", "ledger", "--period", period, "--html", str(root / "ledger.html"),
              "--xlsx", str(root / "ledger.xlsx"))
        s.run("report", "statistics", "--period", period, "--xlsx", str(root / "statistics.xlsx"))
        s.run("report", "annual", "--period", "2026", "--html", str(root / "annual.html"))
        s.run("status")
        s.run("report", "breaks", "--format", "xlsx", "--out", str(root / "breaks.xlsx"))
        for what in ("subjects", "inspectors", "tasks", "results", "draws", "quarantine",
                     "matters", "objects", "joint"):
            s.run("export", what, "--format", "csv")
            s.run("export", what, "--format", "xlsx", "--out", str(root / f"{what}.xlsx"))
        s.run("adapters", "new", "hb", "--dir", str(root / "new"), "--region", "130100")
        served = subprocess.Popen([str(CONSOLE_SCRIPT), "simulate", "--region", "371000",
                                   "--subjects", "10"], env=s.env, cwd=root, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert served.stdout is not None
            lines = [served.stdout.readline() for _ in range(5)]
        finally:
            served.terminate()
            served.wait(timeout=30)
        s.transcript.append(f"$ SSJ_LANGUAGE={lang} ssj-bridge simulate --region 371000\n"
                            + "".join(lines))
        s.run("demo", "--subjects", "60", "--dir", str(root / "demo"))
        return s
    finally:
        sims.stop()


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Session]:
    walked = {}
    for lang in ("zh", "en"):
        root = tmp_path_factory.mktemp(f"walk-{lang}")
        walked[lang] = walk(lang, root)
        (root / f"transcript-{lang}.txt").write_text("\n".join(walked[lang].transcript),
                                                     encoding="utf-8")
    return walked


@pytest.mark.slow
def test_every_command_speaks_chinese_by_default_and_english_on_request(
        sessions: dict[str, Session], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        for lang in ("zh", "en"):
            print("\n".join(sessions[lang].transcript))
    zh, en = sessions["zh"].transcript, sessions["en"].transcript
    assert len(zh) == len(en)
    leftovers = {entry.splitlines()[0]: untranslated(entry.split("\n", 1)[1]) for entry in zh}
    assert {command: found for command, found in leftovers.items() if found} == {}
    # Every command with words for people says something else in English.
    worded = [(a, b) for a, b in zip(zh, en, strict=True)
              if "--json" not in a.splitlines()[0] and "export subjects\n" not in a]
    same = [a.splitlines()[0] for a, b in worded
            if a.split("\n", 1)[1].strip() == b.split("\n", 1)[1].strip()
            and re.search(r"[a-zA-Z]{4,}", b.split("\n", 1)[1])]
    assert same == []


@pytest.mark.slow
def test_exports_and_imports_read_chinese_headers(sessions: dict[str, Session]) -> None:
    zh, en = sessions["zh"], sessions["en"]
    book = load_workbook(zh.root / "tasks.xlsx")
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["任务编号", "名称", "行政区划代码"] and sheet.freeze_panes == "A2"
    assert "执法人员" in header and not any("{" in str(c.value) for row in sheet.iter_rows()
                                            for c in row)
    english = load_workbook(en.root / "tasks.xlsx").active
    assert english is not None and english["A1"].value == "taskId"
    # The roster exported in Chinese goes back in as it is.
    exported = zh.root / "inspectors-again.csv"
    done = zh.run("export", "inspectors", "--format", "csv", "--out", str(exported))
    assert done.returncode == 0
    raw = exported.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["辅助人员"] in ("是", "否") and rows[0]["执法人员编号"] == "DEMO-001"
    zh.run("inspectors", "import", str(exported))
    # The matter list and the object library exported in Chinese go back in as they are, the
    # objects' dates as real dates.
    objects = load_workbook(zh.root / "objects.xlsx").active
    assert objects is not None
    assert [c.value for c in objects[1]][:3] == ["对象类型", "对象编号", "名称"]
    assert any(isinstance(c.value, datetime) for row in objects.iter_rows(min_row=2) for c in row)
    for what in ("matters", "objects", "joint"):
        again = zh.root / f"{what}-again.xlsx"
        assert zh.run("export", what, "--format", "xlsx", "--out", str(again)).returncode == 0
        zh.run(what, "import", str(again))
    joint = load_workbook(zh.root / "joint.xlsx").active
    assert joint is not None
    assert [c.value for c in joint[1]][:4] == ["计划编号", "计划名称", "牵头部门", "配合部门"]
