"""Events keyed by (site, id): the same event id from two plants is two events.

The ledger's primary key becomes ``(id, site)`` (id first: ingestion looks events up by id,
and the key's index serves that). Existing rows keep their site (every row has one: the
store's site where the event named none), so the upgrade changes no data; on SQLite the table
is rebuilt (SQLite cannot alter a primary key in place).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint("pk_events", type_="primary")
        batch_op.create_primary_key("pk_events", ["id", "site"])


def downgrade() -> None:
    # Refuses (unique violation) where two sites share an event id: those cannot be one key.
    with op.batch_alter_table("events", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint("pk_events", type_="primary")
        batch_op.create_primary_key("pk_events", ["id"])
