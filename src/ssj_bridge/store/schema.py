"""The store's tables. Migrations in `migrations/` create them; a test keeps the two equal.

Times are ISO-8601 strings with +08:00 (they sort as text and read the same on SQLite and
PostgreSQL); dates are DATE.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

TIME = String(32)

source_records = Table(
    "source_records", metadata,
    Column("platform", String(32), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("payload", LargeBinary, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("source_time", TIME),
    Column("fetched_at", TIME, nullable=False),
)

permits = Table(
    "permits", metadata,
    Column("permit_no", String(22), primary_key=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("org_name", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("address", Text),
    Column("industry_code", String(5)),
    Column("industry_name", Text),
    Column("management_class", String(8), nullable=False),
    Column("key_discharge_unit", Boolean, nullable=False),
    Column("pollutant_types", Text, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("status", String(4), nullable=False),
    Column("longitude", Float),
    Column("latitude", Float),
    Column("update_time", TIME, nullable=False),
)

subjects = Table(
    "subjects", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name", Text, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("industry_code", String(5)),
    Column("management_class", String(8)),
    Column("key_discharge_unit", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("permit_count", Integer, nullable=False),
    Column("updated_at", TIME, nullable=False),
    Index("ix_subjects_region", "region_code"),
)

cursors = Table(
    "cursors", metadata,
    Column("platform", String(32), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("value", Text),
    Column("updated_at", TIME, nullable=False),
)

quarantine = Table(
    "quarantine", metadata,
    Column("platform", String(32), primary_key=True),
    Column("entity", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("payload", LargeBinary),
    Column("first_seen", TIME, nullable=False),
    Column("last_seen", TIME, nullable=False),
    Column("count", Integer, nullable=False),
)

uscc_allowlist = Table(
    "uscc_allowlist", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("accepted_by", Text, nullable=False),
    Column("accepted_at", TIME, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(32), nullable=False),
    Column("started_at", TIME, nullable=False),
    Column("finished_at", TIME),
    Column("exit_code", Integer),
    Column("summary", Text),
    Column("host", Text),
    Column("pid", Integer),
)

credit_records = Table(
    "credit_records", metadata,
    Column("kind", String(16), primary_key=True),
    Column("record_key", String(128), primary_key=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("name", Text),
    Column("region_code", String(6)),
    Column("year", Integer),
    Column("level", Text),
    Column("scheme", String(16)),
    Column("tier", String(16)),
    Column("risk_class", String(16)),
    Column("published_on", Date),
    Column("valid_until", Date),
    Column("in_force", Boolean, nullable=False),
)

imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_hash", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_by", Text, nullable=False),
    Column("imported_at", TIME, nullable=False),
)

designations = Table(
    "designations", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("tag", String(16), primary_key=True),
    Column("since_key", String(10), primary_key=True),  # `since` as text, '' when open
    Column("value", Text),
    Column("since", Date),
    Column("until", Date),
    Column("source", Text),
    Column("import_id", Integer),
)

inspectors = Table(
    "inspectors", metadata,
    Column("inspector_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("cert_no", Text),
    Column("org_code", Text),
    Column("region_code", String(6), nullable=False),
    Column("expertise", Text, nullable=False),  # `;`-joined
    Column("auxiliary", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("conflicts", Text, nullable=False),  # `;`-joined USCCs
    Column("import_id", Integer),
    Column("updated_at", TIME, nullable=False),
)

classifications = Table(
    "classifications", metadata,
    Column("uscc", String(18), primary_key=True),
    Column("period", String(6), primary_key=True),
    Column("policy", String(32), nullable=False),
    Column("category", String(16)),
    Column("categories", Text, nullable=False),  # `;`-joined
    Column("reasons", Text, nullable=False),  # JSON: [{category, rule, clause, facts}]
    Column("classified_at", TIME, nullable=False),
    Index("ix_classifications_period", "period", "category"),
)
