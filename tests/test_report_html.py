"""The HTML compliance report in a real browser: headless Chromium over the DevTools protocol.

The page must render with no console error and no request leaving the file, show its summary
and tables, sort and filter them, and leave a screenshot. Chromium comes from Debian's package
(`.ci/run` installs it); without it the test skips on a developer's machine and fails in CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import DevTools, screenshot
from report_support import Q2, REGION, TODAY, build

from ssj_bridge.report.compliance import compliance_report
from ssj_bridge.report.html import write_html
from ssj_bridge.store import Store


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compliance report of the hand-built quarter, written to a file."""
    folder = tmp_path_factory.mktemp("report")
    store = Store(f"sqlite:///{folder / 'store.db'}")
    store.migrate()
    world = build(store)
    report = compliance_report(store, world.active, Q2, world.rules, today=TODAY, region=REGION,
                               authority="威海市生态环境局")
    store.dispose()
    return write_html(report, folder / "compliance-2025Q2.html")


def _rows(table: str, column: int) -> str:
    return (f"Array.from(document.querySelectorAll('#{table} tbody tr'))"
            f".filter(r => !r.hidden).map(r => r.cells[{column}].textContent.trim())")


def test_report_renders_in_chromium_without_errors_and_sorts_and_filters(
        browser: DevTools, report_page: Path) -> None:
    browser.open(report_page.as_uri())
    assert browser.evaluate("document.title").startswith("双随机抽查工作合规报告 2025Q2")
    # Summary first, then the tables and the charts.
    order = browser.evaluate("Array.from(document.querySelectorAll('main > section')).map(s => s.id)")
    assert order == ["summary", "quotas", "publication", "breaks", "signatures"]
    assert browser.evaluate("document.querySelectorAll('#summary .card').length") == 5
    assert browser.evaluate("document.querySelector('#card-quotas .figure').textContent") == "3 / 4"
    assert browser.evaluate("document.querySelectorAll('table.sortable').length") == 4
    assert browser.evaluate("document.querySelectorAll('figure.bars[role=img]').length") == 3
    assert browser.evaluate("document.querySelector('#chart-quotas .bar-track')"
                            ".getBoundingClientRect().width") > 300
    assert browser.evaluate(f"{_rows('t-quotas', 0)}.length") == 4

    # Sorting: the Population column, numerically, up and then down.
    heads = browser.evaluate("Array.from(document.querySelectorAll('#t-quotas thead th'))"
                             ".map(th => th.textContent.trim())")
    column = heads.index("对象总数")
    head = f"document.querySelectorAll('#t-quotas thead th')[{column}]"
    browser.evaluate(f"{head}.click()")
    assert browser.evaluate(_rows("t-quotas", column)) == ["1", "3", "4", "5"]
    assert browser.evaluate(f"{head}.getAttribute('aria-sort')") == "ascending"
    browser.evaluate(f"{head}.click()")
    assert browser.evaluate(_rows("t-quotas", column)) == ["5", "4", "3", "1"]

    # Filtering: the words typed, in any column; the counter follows.
    browser.evaluate("(() => { const f = document.querySelector(\"input[data-table='t-quotas']\");"
                     " f.value = 'simplified'; f.dispatchEvent(new Event('input')); })()")
    # the district's own line (371002 keeps its obligations under the city, 威海 第十四条)
    assert browser.evaluate(_rows("t-quotas", 0)) == ["371002 简化监管对象（SIMPLIFIED）"]
    assert browser.evaluate("document.querySelector(\"[data-count-for='t-quotas']\").textContent"
                            ) == "显示 1 / 共 4 行"
    browser.evaluate("(() => { const f = document.querySelector(\"input[data-table='t-quotas']\");"
                     " f.value = ''; f.dispatchEvent(new Event('input')); })()")
    assert browser.evaluate(f"{_rows('t-quotas', 0)}.length") == 4

    # A hostile name from the store is shown as text, never run.
    assert browser.evaluate("document.querySelector('#t-overdue tbody td:nth-child(3)').textContent"
                            ) == "<script>alert(1)</script>有限公司"

    assert browser.problems() == []
    assert browser.requests() == []
    shot = screenshot(browser, "compliance-hand-built-1280", width=1280)
    assert shot.stat().st_size > 10_000


def test_the_console_probe_catches_a_broken_page(browser: DevTools, tmp_path: Path) -> None:
    """The harness itself: a script error and a blocked fetch are both reported."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><meta http-equiv='Content-Security-Policy' "
                    "content=\"default-src 'none'; script-src 'unsafe-inline'\">"
                    "<img src='https://example.invalid/x.png'><script>notDefined();</script>",
                    encoding="utf-8")
    browser.open(page.as_uri())
    problems = browser.problems()
    assert any("notDefined" in p for p in problems), problems
    assert any("Content Security Policy" in p for p in problems), problems

