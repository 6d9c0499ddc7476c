"""Outbox: the region new versions' request ids are scoped to; when an item first went out.

Rows written before this migration keep a NULL scope, so their request ids (and so a resumed
send of them) stay what they were.

Revision ID: 0016
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0003"
branch_labels = ("outbox_scope",)
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("request_scope", sa.String(16)))
    op.add_column("outbox", sa.Column("first_sent_at", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("first_sent_at")
        batch.drop_column("request_scope")
