"""The documents a bureau files, in a real browser and on paper.

The demo's cycle (simulators on loopback, a sync, a witnessed draw, results read back and
published, a reconciliation) fills a store; the commands write the four documents as HTML
and PDF. Each HTML document is then looked at in headless Chromium on a 1400 px screen, on a
390 px phone and in print emulation at the width of an A4 page's text, with a screenshot of
each kept in out/screenshots/; each PDF is read back: A4 pages, the unit and "page x of y" at
every page's head and foot, the signature block on the last page.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from browser_support import SCREENSHOTS, DevTools, emulate, screenshot, unavailable
from sync_support import CONSOLE_SCRIPT

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.model import beijing_today
from ssj_bridge.model.periods import Quarter
from ssj_bridge.report.pdf import find_chromium
from ssj_bridge.simulation.demo import run_demo

UNIT = "威海市生态环境局"
A4 = (595.0, 842.0)  # points
PRINT_WIDTH = 680  # CSS px: 210 mm less 2 × 15 mm margins, at 96 px an inch


@dataclass(frozen=True)
class Document:
    """One document the commands wrote: its name, files and what its last page must hold."""

    name: str
    html: Path
    pdf: Path
    signed_by: tuple[str, ...]


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Document]]:
    """The demo's store, and the four documents written from it by the commands."""
    try:
        find_chromium()
    except ConfigurationError as exc:
        unavailable(f"no Chromium to print PDFs with: {exc}")
    folder = tmp_path_factory.mktemp("documents")
    code = run_demo(subjects=300, workdir=folder / "demo", echo=lambda _line: None)
    assert code == 0
    period = Quarter.of(beijing_today()).label
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update({"SSJ_DATABASE_URL": f"sqlite:///{folder / 'demo' / 'demo.db'}",
                "SSJ_REGION_CODE": "371000", "SSJ_POLICY": "weihai", "SSJ_ORG_NAME": UNIT,
                "SSJ_ORG_CODE": "11371000MB0000000E"})
    commands = {
        "compliance": (["report", "compliance", "--period", period], ("编制人", "审核人", "单位负责人")),
        "draw-announcement": (["draw", "announce", "--period", period, "--matter", "M01"],
                              ("经办人", "负责人")),
        "draw-record": (["draw", "record", "--period", period, "--matter", "M01"],
                        ("抽取人", "见证人（纪检监察）", "负责人")),
        "publications": (["report", "publications", "--period", period], ("编制人", "审核人")),
    }
    found = []
    for name, (args, signed_by) in commands.items():
        html, pdf = folder / f"{name}.html", folder / f"{name}.pdf"
        done = subprocess.run([str(CONSOLE_SCRIPT), *args, "--html", str(html), "--pdf", str(pdf)],
                              env=env, cwd=folder, capture_output=True, text=True, timeout=300,
                              check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        assert html.exists() and pdf.exists(), done.stdout
        found.append(Document(name, html, pdf, signed_by))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / pdf.name).write_bytes(pdf.read_bytes())  # kept beside the screenshots
    yield found


NAMES = ["compliance", "draw-announcement", "draw-record", "publications"]


def _document(documents: list[Document], name: str) -> Document:
    return next(d for d in documents if d.name == name)


# What overflows sideways: the page, any table wider than its container, and any element a
# stylesheet lets scroll (a scrollbar on screen, cut text on paper).
OVERFLOW = """(() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) wide.push('page ' + page);
  for (const t of document.querySelectorAll('table')) {
    const box = t.getBoundingClientRect();
    const cut = box.right > width + 1 || t.scrollWidth > t.clientWidth + 1;
    if (box.width > 0 && cut) wide.push('table ' + t.id + ' ' + Math.round(box.right));
  }
  for (const e of document.querySelectorAll('body *')) {
    const s = getComputedStyle(e);
    const scrolls = ['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
    if (scrolls) wide.push('scrolls ' + e.tagName + '.' + e.className);
  }
  return wide;
})()"""


@pytest.mark.parametrize("name", NAMES)
def test_document_on_a_1400_px_screen_shows_every_table_whole(
        browser: DevTools, documents: list[Document], name: str) -> None:
    page = _document(documents, name)
    browser.open(page.html.as_uri())
    emulate(browser, width=1400)
    assert browser.evaluate(OVERFLOW) == []
    assert browser.evaluate("document.querySelector('.letterhead .unit').textContent") == UNIT
    assert browser.evaluate("document.querySelectorAll('#signatures .signature').length") >= 2
    assert browser.problems() == [] and browser.requests() == []
    assert screenshot(browser, f"{name}-1400", width=1400).stat().st_size > 20_000


@pytest.mark.parametrize("name", NAMES)
def test_document_on_a_390_px_phone_shows_every_cell_labelled_and_readable(
        browser: DevTools, documents: list[Document], name: str) -> None:
    page = _document(documents, name)
    browser.open(page.html.as_uri())
    emulate(browser, width=390, mobile=True)
    assert browser.evaluate("window.innerWidth") == 390
    assert browser.evaluate(OVERFLOW) == []
    # Every cell of every table lies inside the screen, with its column's name beside it and
    # text no smaller than 12 px; numbers are not squeezed out.
    cells = browser.evaluate("""Array.from(document.querySelectorAll('table.stack td')).map(td => {
        const box = td.getBoundingClientRect();
        return [Math.round(box.left), Math.round(box.right), Math.round(box.width),
                getComputedStyle(td, '::before').content,
                Math.min(parseFloat(getComputedStyle(td).fontSize),
                         parseFloat(getComputedStyle(td, '::before').fontSize)),
                td.textContent.trim()]; })""")
    assert cells, "no table on the page"
    for left, right, width, label, size, text in cells:
        assert 0 <= left and right <= 390 and width > 100, (left, right, width, text)
        assert label not in ("none", "normal", '""') and size >= 12, (label, size, text)
    numbers = browser.evaluate("""Array.from(document.querySelectorAll('table.stack td.num'))
        .map(td => [td.textContent.trim(), td.scrollWidth <= td.clientWidth + 1])""")
    assert all(fits for _text, fits in numbers), numbers
    assert browser.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 14
    assert screenshot(browser, f"{name}-390", width=390, mobile=True).stat().st_size > 10_000


@pytest.mark.parametrize("name", NAMES)
def test_document_in_print_emulation_wraps_its_tables_on_the_a4_text_width(
        browser: DevTools, documents: list[Document], name: str) -> None:
    page = _document(documents, name)
    browser.open(page.html.as_uri())
    emulate(browser, width=PRINT_WIDTH, media="print")
    assert browser.evaluate("matchMedia('print').matches") is True
    assert browser.evaluate(OVERFLOW) == []
    # Nothing scrolls on paper, the screen's tools are gone, table heads repeat on each page,
    # rows and the signatures are kept whole.
    assert browser.evaluate("""Array.from(document.querySelectorAll('body *')).filter(e =>
        ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)).length""") == 0
    assert browser.evaluate("""Array.from(document.querySelectorAll('.tools, .screen-only'))
        .every(e => getComputedStyle(e).display === 'none')""") is True
    assert browser.evaluate("""Array.from(document.querySelectorAll('thead'))
        .every(e => getComputedStyle(e).display === 'table-header-group')""") is True
    assert browser.evaluate("getComputedStyle(document.getElementById('signatures'))"
                            ".breakInside") == "avoid"
    # Tables keep all their columns in a row (wrapping text, not switching to cards).
    assert browser.evaluate("""Array.from(document.querySelectorAll('table.stack tbody tr'))
        .every(r => getComputedStyle(r).display === 'table-row')""") is True
    assert screenshot(browser, f"{name}-print", width=PRINT_WIDTH, media="print"
                      ).stat().st_size > 10_000


@pytest.mark.parametrize("name", NAMES)
def test_document_pdf_is_a4_with_unit_and_page_x_of_y_on_every_page(
        documents: list[Document], name: str) -> None:
    page = _document(documents, name)
    reader = pypdf.PdfReader(str(page.pdf))
    total = len(reader.pages)
    assert total >= 1
    for number, sheet in enumerate(reader.pages, start=1):
        size = (float(sheet.mediabox.width), float(sheet.mediabox.height))
        assert abs(size[0] - A4[0]) < 2 and abs(size[1] - A4[1]) < 2, size
        text = "".join(sheet.extract_text().split())
        assert UNIT in text, (number, text[:200])
        assert f"第{number}页/共{total}页" in text, (number, text[-300:])
    last = "".join(reader.pages[-1].extract_text().split())
    for role in page.signed_by:
        assert role in last, (role, last[-400:])
