"""`SSJ_<PLATFORM>__DEADLINE` bounds the whole run on a platform: a run that reaches it stops
there (75), says so naming the setting, and keeps and reports what it stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
from sync_support import Platform, environment, run_cli, simulator, stored_keys, valid_keys

from ssj_bridge.errors import ExitCode


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    with Platform.serving() as running:
        yield running


def test_a_run_that_reaches_its_deadline_reports_what_it_stored_and_names_the_setting(
        platform: Platform, tmp_path: Path) -> None:
    sim = simulator(300, latency=0.3)  # a slow platform, and nothing failing
    platform.app = sim
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = environment(platform.base_url, url, SSJ_PERMIT__PAGE_SIZE="20",
                      SSJ_PERMIT__DEADLINE="2")
    done = run_cli(["sync", "--json"], env, tmp_path)
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    report = orjson.loads(done.stdout)["platforms"]["permit"]
    kept = stored_keys(url)
    assert 0 < len(kept) < len(sim.records)
    assert report["stored"] == len(kept)
    assert report["error"].startswith("permit: SSJ_PERMIT__DEADLINE=2s reached, the run stops "
                                      f"here; {len(kept)} records stored by this run are kept")

    env["SSJ_PERMIT__DEADLINE"] = "60"
    again = run_cli(["sync", "--json"], env, tmp_path)
    assert again.returncode == ExitCode.OK, again.stderr
    assert stored_keys(url) == valid_keys(sim)


class Trickle:
    """A permit gateway that answers the token at once and then sends a page's response one
    byte a second: its headers (`part="headers"`) or its body (`part="body"`)."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.stop = threading.Event()
        self.trickling = threading.Event()
        trickle = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = orjson.dumps({"code": 0, "msg": "ok",
                                     "data": {"accessToken": "t", "expiresIn": 7200}})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                body = orjson.dumps({"code": 0, "msg": "ok", "data": {
                    "total": 0, "pageNo": 1, "pageSize": 20, "records": []}}).ljust(400)
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode()
                if trickle.part == "body":
                    self.wfile.write(head)
                    slow = body
                else:
                    slow = head + body
                trickle.trickling.set()
                try:
                    for index in range(len(slow)):
                        if trickle.stop.wait(1.0):
                            return
                        self.wfile.write(slow[index:index + 1])
                        self.wfile.flush()
                except OSError:  # the client gave up and closed the connection
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Trickle:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_server_trickling_a_byte_a_second_cannot_hold_sync_past_its_deadline(
        tmp_path: Path, part: str) -> None:
    with Trickle(part) as gateway:
        env = environment(gateway.base_url, f"sqlite:///{tmp_path / 'store.db'}",
                          SSJ_PERMIT__TIMEOUT="3", SSJ_PERMIT__DEADLINE="6")
        started = time.monotonic()
        done = run_cli(["sync", "--json"], env, tmp_path, timeout=45)
        took = time.monotonic() - started
        assert gateway.trickling.is_set()
    assert done.returncode == ExitCode.UNAVAILABLE, done.stderr
    # The deadline, and the start and end of a process; not the 400 s the server would take.
    assert took < 6 + 15
    error = orjson.loads(done.stdout)["platforms"]["permit"]["error"]
    assert error.startswith("permit: SSJ_PERMIT__DEADLINE=6s reached, the run stops here; "
                            "0 records stored")
