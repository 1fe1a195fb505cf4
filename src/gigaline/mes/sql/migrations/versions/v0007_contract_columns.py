"""Columns that hold what the event contract allows.

The event contract allows an NG reason of 256 characters (``MAX_TEXT``); the process records'
``reason`` held 128, so on PostgreSQL a longer reason raised out of the ingest. A dead letter
keeps the id of the rejected event as it came, and an id is rejected precisely when it is too
long: ``dead_letters.event_id`` becomes unbounded text. The target of an SPC hold is
``spc:STEP/PARAM``, up to 197 characters of a 128-character step and a 64-character parameter:
``holds.target`` becomes text too. All three only widen: no row changes. On
PostgreSQL a wider ``varchar`` and ``varchar`` to ``text`` are catalogue changes (no rewrite of
the table); on SQLite the three tables are rebuilt (SQLite cannot alter a column's type).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holds", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column(
            "target", existing_type=sa.String(128), type_=sa.Text(), existing_nullable=False
        )
    with op.batch_alter_table("process_records", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(128), type_=sa.String(256), existing_nullable=True
        )
    with op.batch_alter_table("dead_letters", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column(
            "event_id", existing_type=sa.String(128), type_=sa.Text(), existing_nullable=True
        )


def downgrade() -> None:
    # Refuses (on PostgreSQL) where a stored reason, dead-lettered id or hold target is longer
    # than 128 characters.
    with op.batch_alter_table("dead_letters", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column(
            "event_id", existing_type=sa.Text(), type_=sa.String(128), existing_nullable=True
        )
    with op.batch_alter_table("process_records", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(256), type_=sa.String(128), existing_nullable=True
        )
    with op.batch_alter_table("holds", schema=None, recreate="auto") as batch_op:
        batch_op.alter_column(
            "target", existing_type=sa.Text(), type_=sa.String(128), existing_nullable=False
        )
