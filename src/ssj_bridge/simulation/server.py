"""Serves whatever simulators the installed adapters register, each on its own loopback port.

A simulator is a callable from SimRequest to SimResponse; this module owns the sockets and
threads and knows no platform.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import structlog

from ssj_bridge.platform.adapter import SimulatorApp

log = structlog.get_logger("ssj_bridge.simulation.server")
LOOPBACK = "127.0.0.1"


@dataclass
class SimRequest:
    """One HTTP request as a simulator sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    raw_query: str = ""


@dataclass
class SimResponse:
    """A simulator's answer; `close` drops the connection mid-body (a cut-off response)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None


def over_limit(window: list[float], rate: float | None) -> bool:
    """A platform's own limit: True when `rate` requests already came in the last second.

    `window` holds the times of the recent requests (kept by the simulator, trimmed here);
    a rate of 0 or None is no limit.
    """
    if not rate:
        return False
    now = time.monotonic()
    window[:] = [t for t in window if now - t < 1.0]
    if len(window) >= rate:
        return True
    window.append(now)
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold every response back by tens of milliseconds.
    disable_nagle_algorithm = True
    app: SimulatorApp

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = SimRequest(self.command, parts.path, dict(parse_qsl(parts.query)),
                             {k.lower(): v for k, v in self.headers.items()}, body, parts.query)
        try:
            response: SimResponse = self.app(request)
        except Exception:
            log.exception("simulator error", path=request.path)
            response = SimResponse(500, b'{"code":50001,"msg":"simulator error","data":null}')
        payload = response.body
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.truncate_to is not None:
            self.wfile.write(payload[: response.truncate_to])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@dataclass
class RunningSimulator:
    """A simulator serving on a port of 127.0.0.1 until `stop()`."""

    name: str
    app: SimulatorApp
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        """Where its platform answers."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(name: str, app: SimulatorApp, port: int = 0, host: str = LOOPBACK) -> RunningSimulator:
    """Start serving `app` in a background thread; port 0 picks a free port."""
    handler = type(f"{name}Handler", (_Handler,), {"app": staticmethod(app)})
    server = _Server((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"sim-{name}", daemon=True)
    thread.start()
    return RunningSimulator(name, app, server, thread)
