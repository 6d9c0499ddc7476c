"""Headless Chromium driven over the DevTools protocol, for the tests that look at documents
in a real browser: a screen, a phone and print emulation, with screenshots kept.

Chromium comes from Debian's package (`.ci/run` installs it); without it the tests skip on a
developer's machine and fail in CI (CI=true). Screenshots go to `out/screenshots/` at the top
of the repository (or SSJ_TEST_SCREENSHOTS), which CI keeps.
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

SCREENSHOTS = Path(os.environ.get("SSJ_TEST_SCREENSHOTS")
                   or Path(__file__).resolve().parents[1] / "out" / "screenshots")
CHROMIUM = os.environ.get("SSJ_TEST_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900",
         "--remote-debugging-port=0")


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where the browser tests must run."""
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
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        unavailable("websocket-client is not installed (pip install -e '.[test]')")
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




def screenshot(browser: DevTools, name: str, *, width: int, mobile: bool = False,
               media: str = "screen") -> Path:
    """The whole page at `width` CSS pixels (and `media`), as SCREENSHOTS/name.png."""
    emulate(browser, width=width, mobile=mobile, media=media)
    height = int(browser.evaluate("document.documentElement.scrollHeight"))
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=min(height, 12000),
                  deviceScaleFactor=1, mobile=mobile)
    data = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(data))
    print(f"screenshot: {path}")
    return path


def emulate(browser: DevTools, *, width: int, mobile: bool = False, media: str = "screen",
            height: int = 900) -> None:
    """Lay the page out at `width` CSS pixels as a phone (`mobile`) or not, for `media`."""
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile, screenWidth=width, screenHeight=height)
    browser.send("Emulation.setEmulatedMedia", media=media)
    browser.evaluate("document.body.offsetHeight")  # lay out now
