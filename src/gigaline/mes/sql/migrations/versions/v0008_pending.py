"""Events waiting for their references: the pending store of ingestion.

``pending_events``: an event whose consumed lot or unit (or, for a curve, whose unit) is not
stored yet waits here, keyed like the events ledger by ``(id, site)``, with the name it waits
for (``waits_for``, indexed: a retry looks up the waiting events whose name has been stored
since), when it first came, the reason it could not be stored and its raw payload. Ingestion
retries them as later batches commit and turns those that waited longer than the time-out
(``GIGALINE_PENDING_TIMEOUT_S``) into dead letters. New table only: existing data unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_events",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("waits_for", sa.String(128), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", "site", name="pk_pending_events"),
    )
    op.create_index("ix_pending_events_waits_for", "pending_events", ["waits_for"])
    op.create_index("ix_pending_events_received", "pending_events", ["received"])


def downgrade() -> None:
    op.drop_table("pending_events")
