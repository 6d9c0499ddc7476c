"""Batches of outbox items sent as one document and answered by a receipt.

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = ("publicity",)
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "outbox_batches",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("batch_no", sa.String(64), primary_key=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("polls", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("submitted_at", TIME),
        sa.Column("last_polled_at", TIME),
        sa.Column("finished_at", TIME),
    )
    op.create_index("ix_outbox_batches_status", "outbox_batches", ["platform", "entity", "status"])
    op.create_index("ix_outbox_batches_day", "outbox_batches", ["platform", "day", "sequence"])
    op.create_table(
        "outbox_batch_items",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("batch_no", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_outbox_batch_items_item", "outbox_batch_items", ["item_id"])


def downgrade() -> None:
    op.drop_table("outbox_batch_items")
    op.drop_table("outbox_batches")
