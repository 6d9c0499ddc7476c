"""Matters and object libraries as data, frozen periods, strata of a draw, roster fields.

- `matters`: the 随机抽查事项清单 a data manager imports (one row per rule of a matter);
- `objects`: object libraries no platform supplies (机动车排放检验机构, 入河排污口 …);
- `period_snapshots`: what a quarter's plan stood on when it closed (populations, roster
  counts, obligations), and `period_corrections`: what changed in a closed quarter since;
- `draws.scope`: the stratum a draw covers (the district, the part of a category) and room for
  a joint plan or a directed scope;
- `inspectors`: 职务岗位, 在编在岗, 性别, 工作年限 (威海 第十条);
- the subject key of assignments, results and publications holds an object's id too.

Revision ID: 0013
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0003"
branch_labels = ("matters",)
depends_on = None

TIME = sa.String(32)
KEYED = ("assignments", "results", "result_versions", "publications")


def upgrade() -> None:
    op.create_table(
        "matters",
        sa.Column("matter_code", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("object_kind", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("departments", sa.Text, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("ratio", sa.String(16), nullable=False),
        sa.Column("min_count", sa.Integer),
        sa.Column("per_inspector", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("import_id", sa.Integer),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "objects",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("object_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("uscc", sa.String(18)),
        sa.Column("subkind", sa.String(32), nullable=False),
        sa.Column("since", sa.Date),
        sa.Column("until", sa.Date),
        sa.Column("source", sa.Text),
        sa.Column("import_id", sa.Integer),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Index("ix_objects_kind_region", "kind", "region_code"),
    )
    op.create_table(
        "period_snapshots",
        sa.Column("period", sa.String(6), primary_key=True),
        sa.Column("policy", sa.String(32), primary_key=True),
        sa.Column("region_code", sa.String(6), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("taken_at", TIME, nullable=False),
        sa.Column("closed_at", TIME),
    )
    op.create_table(
        "period_corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Index("ix_period_corrections_period", "period"),
    )
    with op.batch_alter_table("draws") as batch:
        batch.add_column(sa.Column("scope", sa.Text))
    with op.batch_alter_table("inspectors") as batch:
        batch.add_column(sa.Column("post", sa.Text))
        batch.add_column(sa.Column("staff_status", sa.String(16)))
        batch.add_column(sa.Column("gender", sa.String(4)))
        batch.add_column(sa.Column("service_years", sa.Integer))
    for table in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("uscc", type_=sa.String(64), existing_type=sa.String(18),
                               existing_nullable=False)


def downgrade() -> None:
    for table in KEYED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("uscc", type_=sa.String(18), existing_type=sa.String(64),
                               existing_nullable=False)
    with op.batch_alter_table("inspectors") as batch:
        for column in ("service_years", "gender", "staff_status", "post"):
            batch.drop_column(column)
    with op.batch_alter_table("draws") as batch:
        batch.drop_column("scope")
    op.drop_table("period_corrections")
    op.drop_table("period_snapshots")
    op.drop_table("objects")
    op.drop_table("matters")
