"""Live OEE: the line's calendar and each step's planned run time per item.

``lines.calendar``: the line file's ``calendar`` section as JSON (planned stops: off-shift time
and planned maintenance, ISO 22400-2 planned downtime); ``steps.pri_s``: the planned run time
per item of one station [s] (ISO 22400-2 PRI), NULL where a step's records are not per cell.
Both are written by ``gigaline mes init``; a store registered before stays readable (no
calendar: no planned downtime; no PRI: performance undefined) until it is registered again.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar", sa.Text(), nullable=True))
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pri_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_column("pri_s")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_column("calendar")
