"""A gateway that echoes our requests (headers and body) in its error messages: no configured
secret reaches anything the project prints or keeps."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sync_support import APP_ID, APP_SECRET, REGION, run_cli

from ssj_bridge.outbox.queue import enqueue
from ssj_bridge.redaction import REDACTED, redact_text
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.server import RunningSimulator, SimRequest, SimResponse, serve
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, outbox_batches, quarantine, recon_runs, runs

CREDIT_KEY = "cr3dit-K3y-7d1f0a"
PROVINCE_KEY = "pr0v-app-key-55c1"
PROVINCE_SECRET = "pr0v-s3cret-9a7e"
PUBLICITY_TOKEN = "pub-t0ken-42fe1b"
SECRETS = (APP_SECRET, CREDIT_KEY, PROVINCE_KEY, PROVINCE_SECRET, PUBLICITY_TOKEN)
ECHO = "gateway says: bad request"


class EchoGateway:
    """One loopback gateway in front of all four platforms: every request is refused with an
    error, in the platform's own format, that repeats the request's headers and body."""

    def __init__(self) -> None:
        self.echoed = 0

    def __call__(self, request: SimRequest) -> SimResponse:
        self.echoed += 1
        headers = "; ".join(f"{name}: {value}" for name, value in request.headers.items())
        echo = (f"{ECHO} {request.method} {request.path} headers [{headers}] body "
                f"[{request.body.decode('utf-8', 'replace')}]")
        if request.path.startswith(("/api/", "/ssj/")):  # permit.md's and province.md's envelope
            if request.method == "POST" and request.path == "/ssj/v1/tasks":
                return SimResponse(409, orjson.dumps({"code": 40902, "msg": echo, "data": None}))
            return SimResponse(200, orjson.dumps({"code": 50001, "msg": echo, "data": None}))
        # credit.md's and publicity.md's error document
        escaped = echo.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        document = (f'<?xml version="1.0" encoding="UTF-8"?><ERROR><CODE>E500</CODE>'
                    f"<MSG>{escaped}</MSG></ERROR>").encode()
        return SimResponse(500, document, "application/xml; charset=utf-8")


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[EchoGateway, RunningSimulator]]:
    app = EchoGateway()
    running = serve("gateway", app)
    try:
        yield app, running
    finally:
        running.stop()


def environment(base_url: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSJ_")}
    env.update({"SSJ_DATABASE_URL": database_url, "SSJ_REGION_CODE": REGION,
                "SSJ_ORG_CODE": "11371000MB0000000E", "SSJ_ORG_NAME": "威海市生态环境局",
                "SSJ_PERMIT__APP_ID": APP_ID, "SSJ_PERMIT__APP_SECRET": APP_SECRET,
                "SSJ_CREDIT__API_KEY": CREDIT_KEY, "SSJ_PROVINCE__APP_KEY": PROVINCE_KEY,
                "SSJ_PROVINCE__APP_SECRET": PROVINCE_SECRET,
                "SSJ_PUBLICITY__TOKEN": PUBLICITY_TOKEN})
    for role in ("PERMIT", "CREDIT", "PROVINCE", "PUBLICITY"):
        env[f"SSJ_{role}__BASE_URL"] = base_url
        env[f"SSJ_{role}__DEADLINE"] = "3"
    return env


def queue_writes(store: Store) -> None:
    """A task for the provincial platform and a publication for the exchange, as a draw and a
    recorded result would have queued them."""
    task = {"taskId": f"{REGION}-2026Q4-0001", "name": "抽查", "regionCode": REGION,
            "matterCode": "M01", "drawnBy": "11371000MB0000000E", "drawMode": "不定向",
            "period": "2026Q4", "plannedStart": "2026-10-01", "plannedEnd": "2026-12-31",
            "drawProof": None, "status": "已抽取",
            "assignments": [{"uscc": "91371002MA3C00000J", "inspectorIds": ["A", "B"],
                             "mode": "现场", "status": "待检查"}]}
    publication = {"taskId": task["taskId"], "uscc": "91371002MA3C00000J", "name": "某公司",
                   "inspectedOn": "2026-10-12", "resultCode": "01"}
    with store.engine.begin() as conn:
        enqueue(conn, "province", "task", task["taskId"], task)
        enqueue(conn, "publicity", "publication", "T/U/2026-10-12", publication)


def kept_text(store: Store) -> str:
    """Everything free text the store keeps from a run."""
    with store.engine.connect() as conn:
        parts: list[Any] = [
            *conn.execute(select(runs.c.summary)).scalars(),
            *conn.execute(select(recon_runs.c.summary)).scalars(),
            *conn.execute(select(quarantine.c.reason)).scalars(),
            *conn.execute(select(outbox.c.last_error)).scalars(),
            *conn.execute(select(outbox_batches.c.error)).scalars()]
    return "\n".join(str(p) for p in parts if p)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


def test_secrets_a_gateway_echoes_reach_no_output_log_run_record_or_quarantine(
        gateway: tuple[EchoGateway, RunningSimulator], tmp_path: Path) -> None:
    app, running = gateway
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(url)
    store.migrate()
    queue_writes(store)
    env = environment(running.base_url, url)

    synced = run_cli(["sync", "--json"], env, tmp_path, timeout=120)
    assert synced.returncode == 75, synced.stderr
    report = orjson.loads(synced.stdout)
    assert set(report["platforms"]) == {"permit", "credit", "province", "publicity"}
    reconciled = run_cli(["reconcile", "--json"], env, tmp_path, timeout=120)
    exported = run_cli(["export", "quarantine", "--format", "csv"], env, tmp_path)
    kept = kept_text(store)
    store.dispose()

    # The echoes did arrive, and were kept and printed (masked) where they land.
    assert app.echoed > 0
    assert ECHO in synced.stdout and ECHO in synced.stderr and ECHO in kept
    assert ECHO in reconciled.stdout and ECHO in exported.stdout
    assert REDACTED in synced.stdout and REDACTED in kept
    for text, where in ((synced.stdout, "sync --json"), (synced.stderr, "the sync's log"),
                        (reconciled.stdout, "reconcile --json"),
                        (reconciled.stderr, "the reconcile's log"),
                        (exported.stdout, "export quarantine"), (kept, "the store")):
        assert_no_secret(text, where)


def test_the_settings_feed_every_secret_they_hold_to_the_redaction() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://ssj:Db-Pa%24%24word-77@127.0.0.1/ssj",
        region_code=REGION,
        credit=PlatformSettings(api_key="k3y-of-an-adapter"),
        province=PlatformSettings(app_key="an-app-key-9", app_secret="an-app-secret-9",
                                  app_id="not-a-secret-id"),
        publicity=PlatformSettings(adapter="publicity", token="the-exchange-token"))
    assert set(settings.secret_values()) == {"Db-Pa$$word-77", "k3y-of-an-adapter",
                                             "an-app-key-9", "an-app-secret-9",
                                             "the-exchange-token"}
    echoed = ("x-app-key: an-app-key-9, key=an-app-secret-9 X-Exchange-Token: "
              "the-exchange-token; api-key k3y-of-an-adapter; k3y%2Dof-an-adapter "
              "password Db-Pa%24%24word-77 id not-a-secret-id")
    masked = redact_text(echoed)
    for value in settings.secret_values():
        assert value not in masked
    assert "Db-Pa%24%24word-77" not in masked  # as a URL carries it
    assert "not-a-secret-id" in masked
