"""Sync core: source records, permits, subjects, cursors, quarantine, allow-list, run log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "source_records",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("source_time", TIME),
        sa.Column("fetched_at", TIME, nullable=False),
    )
    op.create_table(
        "permits",
        sa.Column("permit_no", sa.String(22), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("org_name", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("industry_code", sa.String(5)),
        sa.Column("industry_name", sa.Text),
        sa.Column("management_class", sa.String(8), nullable=False),
        sa.Column("key_discharge_unit", sa.Boolean, nullable=False),
        sa.Column("pollutant_types", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("status", sa.String(4), nullable=False),
        sa.Column("longitude", sa.Float),
        sa.Column("latitude", sa.Float),
        sa.Column("update_time", TIME, nullable=False),
    )
    op.create_index("ix_permits_uscc", "permits", ["uscc"])
    op.create_table(
        "subjects",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("industry_code", sa.String(5)),
        sa.Column("management_class", sa.String(8)),
        sa.Column("key_discharge_unit", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("permit_count", sa.Integer, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_subjects_region", "subjects", ["region_code"])
    op.create_table(
        "cursors",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "quarantine",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("last_seen", TIME, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "uscc_allowlist",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.Text, nullable=False),
        sa.Column("accepted_at", TIME, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME),
        sa.Column("exit_code", sa.Integer),
        sa.Column("summary", sa.Text),
        sa.Column("host", sa.Text),
        sa.Column("pid", sa.Integer),
    )


def downgrade() -> None:
    for table in ("runs", "uscc_allowlist", "quarantine", "cursors", "subjects", "permits",
                  "source_records"):
        op.drop_table(table)
