"""The Store: one engine, migrations, the run lock, and the few queries the rest needs."""

from __future__ import annotations

import ast
import os
import socket
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from filelock import FileLock, Timeout
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ssj_bridge.errors import ConfigurationError, LockHeld, StoreFailed
from ssj_bridge.model import CanonicalModel, beijing_now, iso_beijing
from ssj_bridge.platform.adapter import Batch, Rejected
from ssj_bridge.redaction import redact_text
from ssj_bridge.store import files
from ssj_bridge.store.canonical import writer_named, written_tables
from ssj_bridge.store.counts import StoreCounts
from ssj_bridge.store.prepared import PreparedBatch, PreparedRecord, prepare, rows_suffice
from ssj_bridge.store.schema import (
    cursors,
    quarantine,
    runs,
    source_records,
    uscc_allowlist,
)
from ssj_bridge.store.upsert import select_in, upsert

if TYPE_CHECKING:
    from ssj_bridge.store.writer_process import WriterProcess

log = structlog.get_logger("ssj_bridge.store")


# The key, in a pooled connection's info, of the region new outbox versions are scoped to.
REQUEST_SCOPE = "ssj_request_scope"

# The lock of every command that writes to a platform or queues what a sync sends it: sync,
# reconcile --repair, draw run and redraw, results correct, publications retry. Two of them at
# once would send one write twice, in two batches under different numbers.
SYNC_LOCK = "sync"

# A stream announcing at least this many records is stored by a writer process of its own,
# so the database's work runs beside the reading and validating instead of after it.
WRITER_PROCESS_FROM = 20_000

# A stream that stored at least this many records has its tables' statistics refreshed.
ANALYZE_AFTER = 10_000

_MIGRATIONS = resources.files("ssj_bridge.store") / "migrations"


def _schema_tables() -> list[str]:
    from ssj_bridge.store.schema import metadata

    return list(metadata.tables)


class Store:
    """The canonical store on SQLite (embedded, WAL) or PostgreSQL (production)."""

    def __init__(self, url: str, *, lock_dir: Path | None = None,
                 region: str | None = None) -> None:
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise ConfigurationError(f"SSJ_DATABASE_URL is invalid: {exc}",
                                     "SSJ_DATABASE_URL") from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        if self.dialect not in BACKENDS:
            raise ConfigurationError(
                f"SSJ_DATABASE_URL: {parsed.drivername!r} is not a store this project runs on "
                f"(use {' or '.join(BACKENDS.values())})", "SSJ_DATABASE_URL")
        # The database file is made (private) before the driver would make it (umask's mode).
        self.file = _sqlite_file(parsed)
        self._identity = files.open_private(self.file) if self.file is not None else None
        try:
            self.engine: Engine = create_engine(parsed, future=True, pool_pre_ping=True)
        except (ImportError, ArgumentError) as exc:  # an unknown or uninstalled driver
            raise ConfigurationError(f"SSJ_DATABASE_URL: driver {parsed.drivername!r} cannot be "
                                     f"loaded: {exc}", "SSJ_DATABASE_URL") from None
        self._lock_dir = lock_dir
        self._locks: dict[str, Any] = {}
        # The deployment's region: part of every PostgreSQL lock key (regions sharing a
        # database do not block each other) and of the request ids of new outbox versions.
        self.region = region
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if region is not None:
            event.listen(self.engine, "connect",
                         lambda _dbapi, record: record.info.update({REQUEST_SCOPE: region}))

    def check_file(self) -> None:
        """StoreFailed (75) when the SQLite file was deleted or replaced since the store opened
        (store/files.py); nothing to check on a database server."""
        if self.file is not None and self._identity is not None:
            files.check_identity(self.file, self._identity)

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is already there)."""
        if self.schema_current():
            return
        from alembic import command

        config, heads = self._migrations()
        with self.engine.begin() as conn:
            if self._alembic_heads(conn) == heads:
                return
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")

    def schema_current(self) -> bool:
        """Whether the schema is at the newest migration (a command that only reads checks).

        Every run of every command asks, so this is answered without importing Alembic.
        """
        return self._current_heads() == _script_heads(_MIGRATIONS / "versions")

    @staticmethod
    def _migrations() -> tuple[Any, set[str]]:
        # Imported here: Alembic takes a fifth of a second to import (half a second on a busy
        # machine, a quarter of a command that has nothing to do), and the store's writer
        # process never migrates.
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        # Features add their tables on branches of their own; "heads" applies every branch.
        return config, set(ScriptDirectory.from_config(config).get_heads())

    @staticmethod
    def _alembic_heads(conn: Connection) -> set[str]:
        from alembic.runtime.migration import MigrationContext

        return set(MigrationContext.configure(conn).get_current_heads())

    def _current_heads(self) -> set[str] | None:
        """The revisions the database records itself at; None before its first migration.

        A database that cannot be read (a file that is not one) raises, as Alembic would.
        """
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())

    # -- the run lock -----------------------------------------------------------------------

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the lock `name` for the block, or raise LockHeld at once.

        SQLite: a lock file beside the database; PostgreSQL: a session advisory lock, so the
        lock also holds across machines that share the database. A store with a region keys
        the advisory lock by (name, region): regions sharing one database (one schema each)
        lock each other out of nothing.
        """
        if self.dialect == "postgresql":
            name_key = zlib.crc32(name.encode()) & 0x7FFFFFFF
            if self.region is None:
                statement, unlock = "pg_try_advisory_lock(:k)", "pg_advisory_unlock(:k)"
                keys = {"k": name_key}
            else:  # pg_locks shows classid = the name's key, objid = the region code
                statement = "pg_try_advisory_lock(:k, :r)"
                unlock = "pg_advisory_unlock(:k, :r)"
                keys = {"k": name_key, "r": int(self.region)}
            with self.engine.connect() as conn:
                got = conn.execute(text(f"SELECT {statement}"), keys).scalar()
                if not got:
                    held = f" of region {self.region}" if self.region else ""
                    raise LockHeld(f"another run{held} holds the {name} lock (a PostgreSQL "
                                   "advisory lock): try again when it has ended")
                try:
                    yield
                finally:
                    conn.execute(text(f"SELECT {unlock}"), keys)
                    conn.commit()
            return
        path = self._lock_path(name)
        files.warn_if_readable(path)
        file_lock = FileLock(str(path), timeout=0, mode=files.PRIVATE)
        try:
            file_lock.acquire()
        except Timeout:
            raise LockHeld(f"another run holds the {name} lock {path}: try again when it has "
                           "ended") from None
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

        Records whose content hash is unchanged are skipped (overlap dedupe), and so are
        versions older than the one held (`_changed`); a record that now validates leaves the
        quarantine.
        """
        with self.batch_writer(platform, stream, writer_process_from=None) as writer:
            writer.apply(batch)
        return writer.totals

    def batch_writer(self, platform: str, stream: str, *, max_records: int = 10_000,
                     max_seconds: float = 1.0,
                     writer_process_from: int | None = WRITER_PROCESS_FROM) -> BatchWriter:
        """A writer of one stream's batches, which lets batches read back to back share a commit.

        A stream whose first batch announces `writer_process_from` records or more (its
        `total`) is handed to a writer process once that has started (None: never).
        """
        return BatchWriter(self, platform, stream, max_records=max_records,
                           max_seconds=max_seconds, writer_process_from=writer_process_from)

    def _apply(self, conn: Connection, platform: str, stream: str, batch: PreparedBatch,
               now: str, records: Sequence[CanonicalModel] | None = None) -> StoreCounts:
        """Everything one batch changes, in the caller's transaction.

        `records` are the batch's canonical records, in the order of its prepared ones: the
        writers with an `after` hook need them (the writer process has rows only).
        """
        entity = batch.entity
        prepared = batch.records
        known = self._known_versions(conn, platform, entity, [r.key for r in prepared])
        changed = _changed(prepared, known)
        if changed:
            upsert(conn, source_records, [
                {"platform": platform, "entity": entity, "key": r.key, "payload": r.payload,
                 "content_hash": r.content_hash, "source_time": r.source_time,
                 "fetched_at": now} for r in (prepared[i] for i in changed)],
                ("platform", "entity", "key"))
            by_type: dict[str, list[int]] = {}
            for i in changed:
                by_type.setdefault(prepared[i].model, []).append(i)
            for model, indices in by_type.items():
                writer = writer_named(model)
                rows = [prepared[i].row for i in indices]
                upsert(conn, writer.table, rows, writer.keys)
                if writer.derive is not None:
                    writer.derive(conn, rows)
                if writer.after is not None:
                    if records is None:
                        raise LookupError(f"{model}: its store writer needs the records "
                                          "themselves, which a writer process does not have")
                    writer.after(conn, [records[i] for i in indices])
        accepted = [r.key for r in prepared]
        if accepted and self._holds_any(conn, platform, entity):
            self._release(conn, platform, entity, accepted)
        if batch.rejects:
            self._set_aside(conn, platform, entity, batch.rejects, now)
        if batch.cursor is not None:
            upsert(conn, cursors, [{"platform": platform, "stream": stream,
                                    "value": batch.cursor, "updated_at": now}],
                   ("platform", "stream"))
        return StoreCounts(len(changed), len(prepared) - len(changed), len(batch.rejects))

    @staticmethod
    def _holds_any(conn: Connection, platform: str, entity: str) -> bool:
        """Whether the quarantine holds anything of this entity (one index probe)."""
        return conn.execute(select(quarantine.c.key).where(
            quarantine.c.platform == platform, quarantine.c.entity == entity).limit(1)
        ).first() is not None

    @staticmethod
    def _known_versions(conn: Connection, platform: str, entity: str,
                        keys: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """key → (content hash, source time) of what the store holds."""
        return {key: (digest, at) for key, digest, at in select_in(
            conn, (source_records.c.key, source_records.c.content_hash,
                   source_records.c.source_time), source_records.c.key,
            keys, {source_records.c.platform: platform, source_records.c.entity: entity})}

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
        # A reason may quote what a platform answered, and a gateway may echo our secrets.
        reasons = {key: redact_text(r.reason) for key, r in unique.items()}
        fresh = [{"platform": platform, "entity": entity, "key": r.key, "reason": reasons[key],
                  "payload": r.payload, "first_seen": now, "last_seen": now, "count": 1}
                 for key, r in unique.items() if key not in existing]
        if fresh:
            conn.execute(quarantine.insert(), fresh)
        for key, r in unique.items():
            if key in existing:
                conn.execute(update(quarantine).where(
                    quarantine.c.platform == platform, quarantine.c.entity == entity,
                    quarantine.c.key == key).values(
                    reason=reasons[key], payload=r.payload, last_seen=now,
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
        """Close a run-log entry with its exit code and summary.

        StoreFailed instead when the store's file is not the one the run opened: the entry
        would go where everything else of the run went.
        """
        self.check_file()
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(
                finished_at=iso_beijing(beijing_now()), exit_code=exit_code,
                summary=redact_text(orjson.dumps(summary).decode())))

    def analyze(self, tables: Iterable[str]) -> None:
        """PostgreSQL: refresh the planner's statistics of `tables` (after a large stream: the
        steps after it look subjects and records up by key, which a planner that still
        counts the tables empty answers with a scan of the whole table each time)."""
        if self.dialect != "postgresql":
            return
        known = sorted(set(tables) & set(_schema_tables()))
        if known:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE " + ", ".join(f'"{name}"' for name in known))

    def count(self, table_name: str) -> int:
        """Rows in one table (reports and tests)."""
        from ssj_bridge.store.schema import metadata

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(
                metadata.tables[table_name])).scalar_one())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()



def _changed(prepared: Sequence[PreparedRecord],
             known: Mapping[str, tuple[str, str | None]]) -> list[int]:
    """Indices of the records to write: new content that is not older than what is held.

    A platform may serve a record again after it changed (a lagging replica, a page read
    twice): the same content changes nothing, and an older version (`source_time` before the
    held one's) must not replace the newer. Within one batch the last of a key's newest wins.
    """
    newest: dict[str, int] = {}
    for index, record in enumerate(prepared):
        held = known.get(record.key)
        if held is not None and (held[0] == record.content_hash
                                 or _older(record.source_time, held[1])):
            continue
        earlier = newest.get(record.key)
        if earlier is not None and _older(record.source_time, prepared[earlier].source_time):
            continue
        newest[record.key] = index
    return sorted(newest.values())


def _older(time: str | None, than: str | None) -> bool:
    """Whether source time `time` is before `than` (unknown times are never older).

    Times of one adapter come in one form: ISO 8601 compared as instants where both parse,
    any other fixed form (e.g. yyyyMMddHHmmss) as text.
    """
    if time is None or than is None:
        return False
    try:
        return datetime.fromisoformat(time) < datetime.fromisoformat(than)
    except (ValueError, TypeError):  # not ISO, or one with an offset and one without
        return time < than


class BatchWriter:
    """Stores one stream's batches in order; batches read back to back share a commit.

    Every batch is applied whole with its rejects and its cursor, so what is committed is
    always a run of whole batches ending with the cursor of the last: a run killed at any
    instant resumes after its last commit, as with one transaction per batch. The open
    transaction is committed by `commit()` (the sync calls it whenever the next batch is not
    ready yet), after `max_records` records or `max_seconds`, and when the `with` block ends,
    whether or not by an exception. A batch that fails is rolled back alone: the batches before
    it are applied again and committed, so the store ends as it would have one commit per batch.

    Why share: a commit writes every page the transaction touched. Keys arrive in updateTime
    order, so each batch touches leaf pages all over every key index; committing ten batches
    at once writes most of those pages once instead of ten times.

    A large stream (see `Store.batch_writer`) goes to a writer process: this one stores the
    first batches itself while that process starts, commits them, and from then on sends it
    each batch's rows. The process applies them with the same rules and commits whenever no
    batch is waiting; it dies with this process, so a kill still loses only what was not
    committed. Its counts are known when the writer is closed (`totals`).
    """

    def __init__(self, store: Store, platform: str, stream: str, *, max_records: int,
                 max_seconds: float, writer_process_from: int | None = None) -> None:
        self.store = store
        self.platform = platform
        self.stream = stream
        self.max_records = max_records
        self.max_seconds = max_seconds
        self.writer_process_from = writer_process_from
        self.totals = StoreCounts(0, 0, 0)
        self._conn: Connection | None = None
        self._opened = 0.0
        # Applied, not committed: (batch, its records, its time).
        self._pending: list[tuple[PreparedBatch, Sequence[CanonicalModel] | None, str]] = []
        self._records = 0
        self._first = True
        self._process: WriterProcess | None = None  # once one is starting or running
        self._handed_over = False
        self._tables: set[str] = set()  # the tables this stream writes to

    def __enter__(self) -> BatchWriter:
        return self

    @property
    def writer_process(self) -> WriterProcess | None:
        """The WriterProcess this writer started, if any (whether or not it took over yet)."""
        return self._process

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self.commit()
        finally:
            self._close()
            process, self._process = self._process, None
            if process is not None:
                if self._handed_over:
                    self.totals += process.close()  # commits what it applied
                else:
                    process.stop()  # it was given nothing
        if kind is None and self.totals.stored >= ANALYZE_AFTER:
            self.store.analyze(self._tables)

    def apply(self, batch: Batch) -> StoreCounts | None:
        """Store a batch, its rejects and its cursor (None when a writer process stores it)."""
        now = iso_beijing(beijing_now())
        if self._first:
            self._first = False
            self._maybe_start_process(batch)
        prepared, records = prepare(batch)
        if prepared.records and not self._tables:
            self._tables = written_tables({r.model for r in prepared.records})
        if self._process is not None and (self._handed_over or self._started()):
            if not self._handed_over:
                self.commit()  # what this writer applied comes before what the process does
                self._close()
                self._handed_over = True
            self._process.send(prepared, now)
            return None
        return self.apply_prepared(prepared, now, records)

    def apply_prepared(self, batch: PreparedBatch, now: str,
                       records: Sequence[CanonicalModel] | None = None) -> StoreCounts:
        """Store a prepared batch in the open transaction (the writer process's entry point)."""
        conn = self._connection()
        try:
            counts = self.store._apply(conn, self.platform, self.stream, batch, now, records)
        except BaseException:
            self._close()
            self._redo_pending()
            raise
        self._pending.append((batch, records, now))
        self._records += len(batch)
        self.totals += counts
        if (self._records >= self.max_records
                or time.monotonic() - self._opened >= self.max_seconds):
            self.commit()
        return counts

    def commit(self) -> None:
        """Commit the batches applied so far (a writer process commits on its own)."""
        if self._conn is not None and self._conn.in_transaction():
            self.store.check_file()  # a commit into a deleted file is a commit into nothing
            self._conn.commit()
        self._pending, self._records = [], 0

    def abandon(self) -> None:
        """Roll back what is not committed and close (the process that fed it went away)."""
        self._pending, self._records = [], 0
        self._close()

    def _started(self) -> bool:
        """Whether the writer process is ready; one that failed to start is done without."""
        try:
            return self._process is not None and self._process.ready()
        except StoreFailed as exc:
            log.warning("store writer process did not start; this process writes the stream",
                        platform=self.platform, stream=self.stream, error=str(exc))
            self._process = None
            return False

    def _maybe_start_process(self, batch: Batch) -> None:
        limit = self.writer_process_from
        if limit is None or batch.total is None or batch.total < limit:
            return
        if os.name != "posix":  # the process is fed through inherited pipe descriptors
            return
        if not rows_suffice(batch):
            return
        from ssj_bridge.store.writer_process import WriterProcess

        try:
            self._process = WriterProcess.start(self.store, self.platform, self.stream,
                                                max_records=self.max_records,
                                                max_seconds=self.max_seconds)
        except (StoreFailed, OSError) as exc:
            log.warning("store writer process did not start; this process writes the stream",
                        platform=self.platform, stream=self.stream, error=str(exc))

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.store.engine.connect()
        if not self._conn.in_transaction():
            self._conn.begin()
            self._opened = time.monotonic()
            if self.store.dialect == "postgresql":
                # A commit returns before the server's log reaches the disk. A run killed at
                # any instant loses nothing a commit returned; a server that crashes loses its
                # last commits whole, cursor included, and the next run reads them again.
                self._conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        return self._conn

    def _close(self) -> None:
        """Close the connection; an uncommitted transaction is rolled back."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _redo_pending(self) -> None:
        """Apply and commit the batches rolled back with a failed one (not the failed one)."""
        pending, self._pending, self._records = self._pending, [], 0
        if not pending:
            return
        try:
            with self.store.engine.begin() as conn:
                for batch, records, now in pending:
                    self.store._apply(conn, self.platform, self.stream, batch, now, records)
        except Exception as exc:  # the failure being raised is the one to report
            log.warning("batches before a failed one were not stored again",
                        platform=self.platform, stream=self.stream, batches=len(pending),
                        error=str(exc))


def _script_heads(versions: Traversable) -> set[str]:
    """The head revisions of the migration scripts, read from their `revision` and
    `down_revision` assignments (what Alembic reads of them, without importing them)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.iterdir():
        if not script.name.endswith(".py") or script.name.startswith("__"):
            continue
        found: dict[str, Any] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                    node.targets[0], ast.Name) and node.targets[0].id in ("revision",
                                                                         "down_revision"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
        if "revision" not in found:
            continue
        revisions.add(str(found["revision"]))
        down = found.get("down_revision")
        parents.update([down] if isinstance(down, str) else list(down or ()))
    return revisions - parents


# The backends the store runs on, and how their URLs start.
BACKENDS = {"sqlite": "sqlite:///PATH", "postgresql": "postgresql+psycopg://…"}


def _sqlite_file(url: URL) -> Path | None:
    """The SQLite database file of `url`; None for a server or an in-memory database."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("uri"):  # URI form: the driver's to parse
        return None
    return Path(database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (reports) run beside the sync; NORMAL is durable at each commit in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Up to 32 MB of pages per connection (default 2 MB): a sync's open transaction keeps the
    # key-index pages it touches in memory instead of reading them back and spilling them
    # mid-way (a tenth of a full sync's CPU time at 200,000 permits).
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()
