"""Subjects whose facts changed, and what each step after the streams is up to date with.

Revision ID: 0031
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0003"
branch_labels = ("incremental",)
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "subject_changes",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("claimed", sa.Integer),
    )
    op.create_table(
        "derived_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("derived_state")
    op.drop_table("subject_changes")
