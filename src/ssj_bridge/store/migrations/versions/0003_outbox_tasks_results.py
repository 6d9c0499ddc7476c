"""Outbox, tasks and assignments, results with their versions, draws, publications.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("response", sa.Text),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ux_outbox_version", "outbox", ["platform", "entity", "key", "version"],
                    unique=True)
    op.create_index("ix_outbox_pending", "outbox", ["platform", "status", "entity", "id"])
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("matter_code", sa.String(32), nullable=False),
        sa.Column("drawn_by", sa.String(32), nullable=False),
        sa.Column("draw_mode", sa.String(8), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("category", sa.String(16)),
        sa.Column("planned_start", sa.Date),
        sa.Column("planned_end", sa.Date),
        sa.Column("draw_proof", sa.Text),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("update_time", TIME),
        sa.Column("completed_on", sa.Date),
    )
    op.create_index("ix_tasks_period", "tasks", ["period", "region_code"])
    op.create_table(
        "assignments",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("inspector_ids", sa.Text, nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
    )
    op.create_index("ix_assignments_uscc", "assignments", ["uscc"])
    op.create_table(
        "results",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("result_id", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("result_code", sa.String(2), nullable=False),
        sa.Column("inspected_on", sa.Date, nullable=False),
        sa.Column("inspector_ids", sa.Text, nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("rectification_due", sa.Date),
        sa.Column("case_no", sa.Text),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("update_time", TIME),
        sa.Column("recorded_at", TIME, nullable=False),
    )
    op.create_index("ix_results_inspected", "results", ["inspected_on"])
    op.create_table(
        "result_versions",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("approved_by", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("recorded_at", TIME, nullable=False),
    )
    op.create_table(
        "draws",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("matter_code", sa.String(32), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("k", sa.Integer, nullable=False),
        sa.Column("candidates", sa.Text, nullable=False),
        sa.Column("candidates_hash", sa.String(64), nullable=False),
        sa.Column("inspector_candidates", sa.Text, nullable=False),
        sa.Column("inspector_candidates_hash", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("witness_entropy", sa.Text),
        sa.Column("witnessed", sa.Boolean),
        sa.Column("selected", sa.Text),
        sa.Column("groups", sa.Text),
        sa.Column("redraws", sa.Text),
        sa.Column("task_id", sa.String(64)),
        sa.Column("committed_at", TIME, nullable=False),
        sa.Column("revealed_at", TIME),
    )
    op.create_index("ix_draws_label", "draws", ["label"])
    op.create_table(
        "publications",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("inspected_on", sa.Date, nullable=False),
        sa.Column("result_code", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("completed_on", sa.Date),
        sa.Column("due", sa.Date),
        sa.Column("due_provisional", sa.Boolean, nullable=False),
        sa.Column("published_on", sa.Date),
        sa.Column("batch_no", sa.String(64)),
        sa.Column("error_code", sa.String(8)),
        sa.Column("error_message", sa.Text),
        sa.Column("updated_at", TIME, nullable=False),
    )


def downgrade() -> None:
    for table in ("publications", "draws", "result_versions", "results", "assignments", "tasks",
                  "outbox"):
        op.drop_table(table)
