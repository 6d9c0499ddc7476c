"""The registry of regions in the province database, and where each region's store lives.

One schema per region (`region_<code>`), all in the province database: the store's tables are
the single-region ones, unchanged, reached through the connection's `search_path`; the job
queue (procrastinate's tables) and this registry are in the database's default schema beside
them. Why one database rather than one per region: docs/design/province-deployment.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, make_url

from ssj_bridge.errors import ConfigurationError
from ssj_bridge.regions import DEFAULT_INTERVAL
from ssj_bridge.store import Store
from ssj_bridge.store.upsert import upsert

metadata = MetaData()

regions = Table(
    "ssj_regions", metadata,
    Column("code", String(6), primary_key=True),
    Column("policy", String(64)),  # NULL: synced without classifying, as without SSJ_POLICY
    Column("config_path", Text, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("schema_name", String(63), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    # When the schedule last queued the region's sync (the next is due an interval later).
    Column("scheduled_at", DateTime(timezone=True)),
)

# One row per run of a region's sync by a worker: which job and attempt, which host and
# processes, when, and how it ended (the exit code of the sync command; NULL while running
# or when the worker died under it).
attempts = Table(
    "ssj_region_attempts", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("region", String(6), nullable=False, index=True),
    Column("job_id", BigInteger, nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("host", Text, nullable=False),
    Column("worker_pid", Integer, nullable=False),
    Column("child_pid", Integer),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("exit_code", Integer),
)


@dataclass(frozen=True)
class Region:
    """One registered region."""

    code: str
    policy: str | None
    config_path: Path
    interval_seconds: int
    schema_name: str
    enabled: bool
    added_at: datetime
    scheduled_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Region:
        """From a registry row."""
        return cls(row.code, row.policy, Path(row.config_path), row.interval_seconds,
                   row.schema_name, row.enabled, row.added_at, row.scheduled_at)


def schema_for(code: str) -> str:
    """The schema that holds a region's store."""
    return f"region_{code}"


def region_url(province_url: str | URL, schema: str) -> URL:
    """The province database's URL with `search_path` set to one region's schema only.

    Only that schema: a table missing there must be an error, never one found elsewhere.
    """
    url = make_url(province_url) if isinstance(province_url, str) else province_url
    options = url.query.get("options")
    existing = " ".join(options) if isinstance(options, tuple) else (options or "")
    joined = f"{existing} -csearch_path={schema}".strip()
    return url.update_query_dict({"options": joined})


def _six_digits(code: str) -> str:
    if not (len(code) == 6 and code.isdigit()):
        raise ConfigurationError(f"region code {code!r} must be 6 digits", "CODE")
    return code


class Province:
    """The province database: its registry, and the region stores it holds."""

    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
        except Exception as exc:
            raise ConfigurationError(f"SSJ_DATABASE_URL is invalid: {exc}",
                                     "SSJ_DATABASE_URL") from None
        if self.url.get_backend_name() != "postgresql":
            raise ConfigurationError(
                "the province-wide deployment needs PostgreSQL: set SSJ_DATABASE_URL to "
                "postgresql+psycopg://… (a single region on SQLite runs `ssj-bridge sync` "
                "from cron instead)", "SSJ_DATABASE_URL")
        self.engine: Engine = create_engine(self.url, pool_pre_ping=True, pool_size=2)

    def install(self) -> None:
        """Create the registry's tables (nothing when they exist)."""
        metadata.create_all(self.engine, checkfirst=True)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

    # -- regions ----------------------------------------------------------------------------

    def add(self, code: str, *, policy: str | None, config: Path,
            interval_seconds: int = DEFAULT_INTERVAL, enabled: bool = True) -> Region:
        """Register (or change) a region, create its schema and migrate its store."""
        _six_digits(code)
        if interval_seconds < 1:
            raise ConfigurationError("--interval must be at least 1 second", "--interval")
        path = config.resolve()
        check_region_config(code, path)
        self.install()
        schema = schema_for(code)
        now = datetime.now().astimezone()
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            upsert(conn, regions, [{"code": code, "policy": policy, "config_path": str(path),
                                    "interval_seconds": interval_seconds,
                                    "schema_name": schema, "enabled": enabled,
                                    "added_at": now}], ("code",))
        self.migrate_region(code)
        found = self.get(code)
        assert found is not None
        return found

    def get(self, code: str) -> Region | None:
        """One region, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(regions).where(regions.c.code == code)).first()
        return Region.of(row) if row is not None else None

    def regions(self) -> list[Region]:
        """Every registered region, by code."""
        self.install()
        with self.engine.connect() as conn:
            return [Region.of(row) for row in conn.execute(select(regions).order_by(regions.c.code))]

    def store(self, region: Region | str) -> Store:
        """A region's store (not migrated: `migrate_region` does that)."""
        code = region.code if isinstance(region, Region) else region
        schema = region.schema_name if isinstance(region, Region) else schema_for(code)
        return Store(region_url(self.url, schema).render_as_string(hide_password=False),
                     region=code)

    def migrate_region(self, code: str) -> None:
        """Bring one region's schema to the newest migration."""
        store = self.store(code)
        try:
            with self.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema_for(code)}"'))
            store.migrate()
        finally:
            store.dispose()

    def migrate_all(self) -> list[str]:
        """The registry's tables and every region's schema; returns the codes migrated."""
        self.install()
        done = []
        for region in self.regions():
            self.migrate_region(region.code)
            done.append(region.code)
        return done

    # -- the schedule -------------------------------------------------------------------------

    def claim_due(self, now: datetime | None = None, *,
                  only: list[str] | None = None, force: bool = False) -> list[Region]:
        """Mark the enabled regions whose interval has run out as scheduled now; return them.

        The update is conditional, so two schedulers at one instant never both claim a region.
        `force` claims every enabled region (of `only`) whatever its interval.
        """
        moment = now or datetime.now().astimezone()
        stmt = update(regions).where(regions.c.enabled.is_(True)).values(scheduled_at=moment)
        if not force:
            stmt = stmt.where(or_(
                regions.c.scheduled_at.is_(None),
                regions.c.scheduled_at + func.make_interval(0, 0, 0, 0, 0, 0,
                                                            regions.c.interval_seconds)
                <= moment))
        if only:
            stmt = stmt.where(regions.c.code.in_(only))
        with self.engine.begin() as conn:
            claimed = {row.code for row in conn.execute(stmt.returning(regions.c.code))}
        return [r for r in self.regions() if r.code in claimed]

    def next_due(self, region: Region) -> datetime | None:
        """When the region's next sync is due (None: at the next tick)."""
        if region.scheduled_at is None:
            return None
        return region.scheduled_at + timedelta(seconds=region.interval_seconds)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A connection to the province database (reports)."""
        with self.engine.connect() as conn:
            yield conn


def check_region_config(code: str, path: Path) -> None:
    """The region's settings file exists, parses, and does not name another region."""
    if not path.is_file():
        raise ConfigurationError(f"region {code}: settings file {path} does not exist", "--config")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"region {code}: settings file {path} cannot be read: {exc}",
                                 "--config") from None
    named = data.get("region_code")
    if named is not None and str(named) != code:
        raise ConfigurationError(f"region {code}: settings file {path} sets region_code = "
                                 f"{named!r}; remove it or register that region", "--config")
    if "database_url" in data:
        raise ConfigurationError(f"region {code}: settings file {path} sets database_url; a "
                                 "registered region's store is its schema in the province "
                                 "database", "--config")
