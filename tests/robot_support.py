"""The 企业微信 and 钉钉 robot endpoints, answered on loopback.

Their addresses are fixed (`https://qyapi.weixin.qq.com/…`, `https://oapi.dingtalk.com/…`), so a
run reaches them here the way a bureau behind an HTTP proxy does: `HTTPS_PROXY` points at this
server, which accepts the CONNECT, speaks TLS with a certificate for the robot's host issued by a
test authority (trustme; the client trusts it through `REQUESTS_CA_BUNDLE`), and keeps the
request it reads. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")


@dataclass(frozen=True)
class RobotCall:
    """One request a robot endpoint received."""

    host: str
    method: str
    target: str
    headers: dict[str, str]
    body: Any


class RobotEndpoints:
    """A CONNECT proxy on 127.0.0.1 that terminates TLS for the robots' hosts."""

    def __init__(self, folder: Path) -> None:
        authority = trustme.CA()
        issued = authority.issue_cert(*HOSTS)
        self.ca_bundle = folder / "robots-ca.pem"
        authority.cert_pem.write_to_path(str(self.ca_bundle))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        issued.configure_cert(context)
        calls: list[RobotCall] = []
        self.calls = calls

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if len(request) < 2 or request[0] != "CONNECT":
                    self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                host = request[1].rpartition(":")[0]
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                with context.wrap_socket(self.connection, server_side=True) as tls:
                    reader = tls.makefile("rb")
                    method, target, _version = reader.readline().decode().split(" ", 2)
                    headers: dict[str, str] = {}
                    while (line := reader.readline().decode()) not in ("\r\n", "\n", ""):
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                    raw = reader.read(int(headers.get("content-length", "0")))
                    calls.append(RobotCall(host, method, target, headers,
                                           json.loads(raw) if raw else None))
                    answer = b'{"errcode":0,"errmsg":"ok"}'
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                b"Content-Length: " + str(len(answer)).encode() + b"\r\n"
                                b"Connection: close\r\n\r\n" + answer)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def environment(self) -> dict[str, str]:
        """What points a process's HTTPS at these endpoints (and only HTTPS: the platform
        simulators are plain HTTP on loopback)."""
        return {"HTTPS_PROXY": f"http://127.0.0.1:{self.port}",
                "https_proxy": f"http://127.0.0.1:{self.port}",
                "REQUESTS_CA_BUNDLE": str(self.ca_bundle), "NO_PROXY": "", "no_proxy": ""}

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
