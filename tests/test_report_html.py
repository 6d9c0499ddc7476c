"""The HTML compliance report in a real browser: headless Chromium over the DevTools protocol.

The page must render with no console error and no request leaving the file, show its summary
and tables, sort and filter them, and leave a screenshot. Chromium comes from Debian's package
(`.ci/run` installs it); without it the test skips on a developer's machine and fails in CI.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_support import Q2, REGION, TODAY, build

from ssj_bridge.report.compliance import compliance_report
from ssj_bridge.report.html import write_html
from ssj_bridge.store import Store

CHROMIUM = os.environ.get("SSJ_TEST_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900",
         "--remote-debugging-port=0")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}: the browser test must run in CI")
    pytest.skip(reason)


class DevTools:
    """A tiny DevTools-protocol client on one page target: commands, and the events between."""

    def __init__(self, url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Run a command; events that arrive before its answer are kept."""
        self.last_id += 1
        ident = self.last_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event `method` (already received or the next to come)."""
        while True:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expression: str) -> Any:
        """A JavaScript expression's value (a thrown exception fails the test)."""
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait for the load event (console and requests recorded from the start)."""
        self.events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("1")  # drain what the page logged while loading

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (CSP violations, failed loads)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                    for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("exception: " + str(details.get("exception", {}).get(
                    "description", details.get("text"))))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append("log: " + params["entry"].get("text", ""))
        return found

    def requests(self) -> list[str]:
        """URLs the page asked for, other than itself and inline data."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"
                and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))]

    def close(self) -> None:
        """Close the connection."""
        self.ws.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    """Headless Chromium with one page, driven over --remote-debugging-port."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        _unavailable("websocket-client is not installed (pip install -e '.[test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tools: DevTools | None = None
    try:
        port = _debugging_port(profile, process)
        tools = DevTools(_page_socket(port))
        yield tools
    finally:
        if tools is not None:
            tools.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _debugging_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """The port Chromium chose: it writes it to DevToolsActivePort once it listens."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"Chromium exited with {process.returncode}: {error[-2000:]}")
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        time.sleep(0.05)
    pytest.fail("Chromium did not open its DevTools port within 60 s")


def _page_socket(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
        targets = json.loads(answer.read())
    return next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")


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
    assert browser.evaluate("document.title").startswith("双随机抽查合规报告 2025Q2")
    # Summary first, then the tables and the charts.
    order = browser.evaluate("Array.from(document.querySelectorAll('main > section')).map(s => s.id)")
    assert order == ["summary", "quotas", "publication", "breaks"]
    assert browser.evaluate("document.querySelectorAll('#summary .card').length") == 5
    assert browser.evaluate("document.querySelector('#card-quotas .figure').textContent") == "3 / 4"
    assert browser.evaluate("document.querySelectorAll('table.sortable').length") == 4
    assert browser.evaluate("document.querySelectorAll('svg[role=img]').length") == 3
    assert browser.evaluate("document.querySelector('#chart-quotas svg').getBoundingClientRect()"
                            ".width") > 300
    assert browser.evaluate(f"{_rows('t-quotas', 0)}.length") == 4

    # Sorting: the Population column, numerically, up and then down.
    heads = browser.evaluate("Array.from(document.querySelectorAll('#t-quotas thead th'))"
                             ".map(th => th.textContent.trim())")
    column = heads.index("Population")
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
    assert browser.evaluate(_rows("t-quotas", 0)) == ["371002 SIMPLIFIED 简化监管对象"]
    assert browser.evaluate("document.querySelector(\"[data-count-for='t-quotas']\").textContent"
                            ) == "1 of 4 rows"
    browser.evaluate("(() => { const f = document.querySelector(\"input[data-table='t-quotas']\");"
                     " f.value = ''; f.dispatchEvent(new Event('input')); })()")
    assert browser.evaluate(f"{_rows('t-quotas', 0)}.length") == 4

    # A hostile name from the store is shown as text, never run.
    assert browser.evaluate("document.querySelector('#t-overdue tbody td:nth-child(3)').textContent"
                            ) == "<script>alert(1)</script>有限公司"

    assert browser.problems() == []
    assert browser.requests() == []
    shot = _screenshot(browser, report_page.with_suffix(".png"))
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


def _screenshot(browser: DevTools, path: Path) -> Path:
    """The whole page as PNG, 1280 px wide."""
    height = int(browser.evaluate("document.documentElement.scrollHeight"))
    browser.send("Emulation.setDeviceMetricsOverride", width=1280, height=min(height, 8000),
                  deviceScaleFactor=1, mobile=False)
    data = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    browser.send("Emulation.clearDeviceMetricsOverride")
    path.write_bytes(base64.b64decode(data))
    print(f"screenshot: {path}")
    return path
