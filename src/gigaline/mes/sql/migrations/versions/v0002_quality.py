"""Quality in the MES: the line's quality settings, SPC alarms and cell grades.

Adds ``lines.quality`` (the line file's ``quality`` section as JSON, written by
``gigaline mes init``), ``alarms`` (one row per SPC rule violation, with the units of the
flagged point and the hold it started, if any) and ``cell_grades`` (the grade of every graded
cell with the measures it was graded on).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality", sa.Text(), nullable=True))

    op.create_table(
        "alarms",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("raised", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=128), nullable=False),
        sa.Column("param", sa.String(length=64), nullable=False),
        sa.Column("chart", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("center", sa.Float(), nullable=False),
        sa.Column("lcl", sa.Float(), nullable=False),
        sa.Column("ucl", sa.Float(), nullable=False),
        sa.Column("units", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
        sa.UniqueConstraint("key", name=op.f("uq_alarms_key")),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarms_step_param"), ["step", "param"], unique=False)

    op.create_table(
        "cell_grades",
        sa.Column("unit", sa.String(length=128), nullable=False),
        sa.Column("grade", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("capacity_ah", sa.Float(), nullable=True),
        sa.Column("dcir_mohm", sa.Float(), nullable=True),
        sa.Column("ocv_v", sa.Float(), nullable=True),
        sa.Column("k_mv_per_day", sa.Float(), nullable=True),
        sa.Column("graded", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit", name=op.f("pk_cell_grades")),
    )
    with op.batch_alter_table("cell_grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cell_grades_grade"), ["grade"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cell_grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cell_grades_grade"))
    op.drop_table("cell_grades")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarms_step_param"))
    op.drop_table("alarms")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("quality")
