"""Credit records, imports, designations, inspector roster, classifications.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "credit_records",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("record_key", sa.String(128), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("region_code", sa.String(6)),
        sa.Column("year", sa.Integer),
        sa.Column("level", sa.Text),
        sa.Column("scheme", sa.String(16)),
        sa.Column("tier", sa.String(16)),
        sa.Column("risk_class", sa.String(16)),
        sa.Column("published_on", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.Column("in_force", sa.Boolean, nullable=False),
    )
    op.create_index("ix_credit_records_uscc", "credit_records", ["uscc"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_hash", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("imported_by", sa.Text, nullable=False),
        sa.Column("imported_at", TIME, nullable=False),
    )
    op.create_table(
        "designations",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("tag", sa.String(16), primary_key=True),
        sa.Column("since_key", sa.String(10), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("since", sa.Date),
        sa.Column("until", sa.Date),
        sa.Column("source", sa.Text),
        sa.Column("import_id", sa.Integer),
    )
    op.create_table(
        "inspectors",
        sa.Column("inspector_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("cert_no", sa.Text),
        sa.Column("org_code", sa.Text),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("expertise", sa.Text, nullable=False),
        sa.Column("auxiliary", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("conflicts", sa.Text, nullable=False),
        sa.Column("import_id", sa.Integer),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "classifications",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("period", sa.String(6), primary_key=True),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16)),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("classified_at", TIME, nullable=False),
    )
    op.create_index("ix_classifications_period", "classifications", ["period", "category"])


def downgrade() -> None:
    for table in ("classifications", "inspectors", "designations", "imports", "credit_records"):
        op.drop_table(table)
