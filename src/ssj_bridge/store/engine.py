"""The Store: one engine, migrations, the run lock, and the few queries the rest needs."""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock, Timeout
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import make_url

from ssj_bridge.adapter import Batch, Rejected
from ssj_bridge.errors import ConfigurationError, LockHeld
from ssj_bridge.model import beijing_now, iso_beijing
from ssj_bridge.store.canonical import WRITERS
from ssj_bridge.store.schema import (
    cursors,
    quarantine,
    runs,
    source_records,
    uscc_allowlist,
)
from ssj_bridge.store.upsert import upsert


@dataclass(frozen=True)
class StoreCounts:
    """What applying one batch did."""

    stored: int
    unchanged: int
    set_aside: int


class Store:
    """The canonical store on SQLite (embedded, WAL) or PostgreSQL (production)."""

    def __init__(self, url: str, *, lock_dir: Path | None = None) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise ConfigurationError(f"SSJ_DATABASE_URL is invalid: {exc}",
                                     "SSJ_DATABASE_URL") from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        self.engine: Engine = create_engine(parsed, future=True, pool_pre_ping=True)
        self._lock_dir = lock_dir
        self._locks: dict[str, Any] = {}
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is already there)."""
        script_location = str(resources.files("ssj_bridge.store") / "migrations")
        config = Config()
        config.set_main_option("script_location", script_location)
        # Features add their tables on branches of their own; "heads" applies every branch.
        heads = set(ScriptDirectory.from_config(config).get_heads())
        with self.engine.begin() as conn:
            if set(MigrationContext.configure(conn).get_current_heads()) == heads:
                return
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")

    # -- the run lock -----------------------------------------------------------------------

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the lock `name` for the block, or raise LockHeld at once.

        SQLite: a lock file beside the database; PostgreSQL: a session advisory lock, so the
        lock also holds across machines that share the database.
        """
        if self.dialect == "postgresql":
            key = zlib.crc32(name.encode()) & 0x7FFFFFFF
            with self.engine.connect() as conn:
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                if not got:
                    raise LockHeld(f"another {name} run holds the lock")
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
            return
        path = self._lock_path(name)
        file_lock = FileLock(str(path), timeout=0)
        try:
            file_lock.acquire()
        except Timeout:
            raise LockHeld(f"another {name} run holds the lock {path}") from None
        try:
            yield
        finally:
            file_lock.release()

    def _lock_path(self, name: str) -> Path:
        database = self.url.database
        if self._lock_dir is not None:
            base = self._lock_dir / "ssj-bridge"
        elif database and database != ":memory:":
            base = Path(database)
        else:
            base = Path(os.environ.get("TMPDIR", "/tmp")) / "ssj-bridge-memory"  # noqa: S108
        return base.with_name(f"{base.name}.{name}.lock")

    # -- batches ----------------------------------------------------------------------------

    def apply_batch(self, platform: str, stream: str, batch: Batch) -> StoreCounts:
        """Store a batch, its rejects and its cursor in one transaction.

        Records whose content hash is unchanged are skipped (overlap dedupe); a record that
        now validates leaves the quarantine.
        """
        now = iso_beijing(beijing_now())
        entity = batch.entity
        with self.engine.begin() as conn:
            known = self._known_hashes(conn, platform, entity, [r.key for r in batch.records])
            changed = [r for r in batch.records if known.get(r.key) != r.content_hash]
            if changed:
                upsert(conn, source_records, [
                    {"platform": platform, "entity": entity, "key": r.key, "payload": r.payload,
                     "content_hash": r.content_hash, "source_time": r.source_time,
                     "fetched_at": now} for r in changed], ("platform", "entity", "key"))
                by_type: dict[type, list[Any]] = {}
                for r in changed:
                    by_type.setdefault(type(r.record), []).append(r.record)
                for model, records in by_type.items():
                    writer = WRITERS[model]
                    upsert(conn, writer.table, [writer.to_row(x) for x in records], writer.keys)
                    writer.after(conn, records)
            accepted = [r.key for r in batch.records]
            if accepted:
                self._release(conn, platform, entity, accepted)
            if batch.rejects:
                self._set_aside(conn, platform, entity, batch.rejects, now)
            if batch.cursor is not None:
                upsert(conn, cursors, [{"platform": platform, "stream": stream,
                                        "value": batch.cursor, "updated_at": now}],
                       ("platform", "stream"))
        return StoreCounts(len(changed), len(batch.records) - len(changed), len(batch.rejects))

    @staticmethod
    def _known_hashes(conn: Connection, platform: str, entity: str,
                      keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), 900):
            chunk = keys[start:start + 900]
            rows = conn.execute(
                select(source_records.c.key, source_records.c.content_hash).where(
                    source_records.c.platform == platform, source_records.c.entity == entity,
                    source_records.c.key.in_(chunk)))
            found.update({row.key: row.content_hash for row in rows})
        return found

    @staticmethod
    def _release(conn: Connection, platform: str, entity: str, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 900):
            conn.execute(delete(quarantine).where(
                quarantine.c.platform == platform, quarantine.c.entity == entity,
                quarantine.c.key.in_(keys[start:start + 900])))

    @staticmethod
    def _set_aside(conn: Connection, platform: str, entity: str, rejects: Sequence[Rejected],
                   now: str) -> None:
        unique = {r.key: r for r in rejects}
        keys = list(unique)
        existing = {
            row.key: row for row in conn.execute(select(quarantine).where(
                tuple_(quarantine.c.platform, quarantine.c.entity) == (platform, entity),
                quarantine.c.key.in_(keys)))
        }
        fresh = [{"platform": platform, "entity": entity, "key": r.key, "reason": r.reason,
                  "payload": r.payload, "first_seen": now, "last_seen": now, "count": 1}
                 for key, r in unique.items() if key not in existing]
        if fresh:
            conn.execute(quarantine.insert(), fresh)
        for key, r in unique.items():
            if key in existing:
                conn.execute(update(quarantine).where(
                    quarantine.c.platform == platform, quarantine.c.entity == entity,
                    quarantine.c.key == key).values(
                    reason=r.reason, payload=r.payload, last_seen=now,
                    count=quarantine.c.count + 1))

    def set_aside(self, conn: Connection, platform: str, entity: str,
                  rejects: Sequence[Rejected]) -> None:
        """Quarantine records in the caller's transaction (e.g. writes a platform refused)."""
        self._set_aside(conn, platform, entity, rejects, iso_beijing(beijing_now()))

    # -- cursors, quarantine, allow-list ------------------------------------------------------

    def cursor(self, platform: str, stream: str) -> str | None:
        """The stream's stored cursor, or None before its first batch."""
        with self.engine.connect() as conn:
            return conn.execute(select(cursors.c.value).where(
                cursors.c.platform == platform, cursors.c.stream == stream)).scalar()

    def quarantined(self, platform: str | None = None) -> list[dict[str, Any]]:
        """The quarantine's entries, oldest first."""
        stmt = select(quarantine).order_by(quarantine.c.first_seen, quarantine.c.key)
        if platform is not None:
            stmt = stmt.where(quarantine.c.platform == platform)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def allowed_usccs(self) -> frozenset[str]:
        """USCCs a data manager accepted although they fail the check character."""
        with self.engine.connect() as conn:
            return frozenset(conn.execute(select(uscc_allowlist.c.uscc)).scalars())

    def allow_uscc(self, uscc: str, reason: str, accepted_by: str) -> None:
        """Record a data manager's acceptance of a code that fails the check character."""
        with self.engine.begin() as conn:
            upsert(conn, uscc_allowlist, [{"uscc": uscc, "reason": reason,
                                           "accepted_by": accepted_by,
                                           "accepted_at": iso_beijing(beijing_now())}],
                   ("uscc",))

    # -- run log ----------------------------------------------------------------------------

    def start_run(self, command_name: str) -> int:
        """Open a run-log entry and return its id."""
        with self.engine.begin() as conn:
            result = conn.execute(runs.insert().values(
                command=command_name, started_at=iso_beijing(beijing_now()),
                host=socket.gethostname(), pid=os.getpid()))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, exit_code: int, summary: dict[str, Any]) -> None:
        """Close a run-log entry with its exit code and summary."""
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=iso_beijing(beijing_now()), exit_code=exit_code,
                summary=orjson.dumps(summary).decode()))

    def count(self, table_name: str) -> int:
        """Rows in one table (reports and tests)."""
        from ssj_bridge.store.schema import metadata

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(
                metadata.tables[table_name])).scalar_one())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (reports) run beside the sync; NORMAL is durable at each commit in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
