"""The year around the draws: joint plans, annual plan filings, withheld results, statutory
documents, and the departments of a joint task.

- `joint_plans`: 跨部门联合抽查 plans a data manager imports (lead and partner departments,
  matters, period, share of checks);
- `plan_filings`: when and to whom an annual plan was filed, with the plan as filed;
- `withholdings`: results kept out of publication (涉及国家秘密、国家安全、公共安全), with the
  reason and who approved it;
- `statutory_documents`: the ledgers, statistics and annual reports produced, and when;
- `tasks.departments`, `tasks.joint_plan`: every department of a joint task;
- `draws.departments`: a joint draw's other departments — each one's inspector candidates
  fixed at the commit, and its groups and redraws once drawn.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "joint_plans",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("lead_org", sa.String(32), nullable=False),
        sa.Column("partner_orgs", sa.Text, nullable=False),
        sa.Column("matter_codes", sa.Text, nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("import_id", sa.Integer),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "plan_filings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("filed_to", sa.Text, nullable=False),
        sa.Column("filed_by", sa.Text, nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("filed_at", TIME, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Index("ix_plan_filings_year", "year", "region_code"),
    )
    op.create_table(
        "withholdings",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("uscc", sa.String(64), primary_key=True),
        sa.Column("result_id", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("approved_by", sa.Text, nullable=False),
        sa.Column("clause", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
    )
    op.create_table(
        "statutory_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("document", sa.String(64), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("produced_on", sa.Date, nullable=False),
        sa.Column("produced_at", TIME, nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Index("ix_statutory_documents_period", "kind", "period"),
    )
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("departments", sa.Text))
        batch.add_column(sa.Column("joint_plan", sa.String(64)))
    with op.batch_alter_table("draws") as batch:
        batch.add_column(sa.Column("departments", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("draws") as batch:
        batch.drop_column("departments")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("joint_plan")
        batch.drop_column("departments")
    op.drop_table("statutory_documents")
    op.drop_table("withholdings")
    op.drop_table("plan_filings")
    op.drop_table("joint_plans")
