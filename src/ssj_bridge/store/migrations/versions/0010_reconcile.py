"""Reconciliation: runs, staging of both sides, breaks with their history.

Revision ID: 0010
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0003"
branch_labels = ("reconcile",)
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "recon_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_at", TIME, nullable=False),
        sa.Column("summary", sa.Text),
    )
    op.create_table(
        "recon_staging",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("side", sa.String(1), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("version", sa.String(40)),
        sa.Column("fields", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_recon_staging", "recon_staging",
                    ["run_id", "platform", "entity", "key", "side", "content_hash", "version"])
    op.create_table(
        "breaks",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("entity", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("fields", sa.Text),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("last_seen", TIME, nullable=False),
        sa.Column("runs_open", sa.Integer, nullable=False),
        sa.Column("resolved_at", TIME),
        sa.Column("last_run_id", sa.Integer, nullable=False),
        sa.Column("repaired_at", TIME),
    )


def downgrade() -> None:
    for table in ("breaks", "recon_staging", "recon_runs"):
        op.drop_table(table)
