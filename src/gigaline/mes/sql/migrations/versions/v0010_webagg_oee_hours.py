"""Hourly summaries of live OEE, and a per-station write counter that keeps them valid.

``oee_hours``: per (station, hour start in UNIX seconds, silence threshold) the additive
elements of live OEE over that whole hour (planned downtime, production time, unqualified
downtime, produced and good quantities); ``oee_hour_downtime``: per such hour and (state,
reason) the downtime seconds and the runs that began in it. A window of OEE sums its stored
whole hours and computes its edges and any missing hour from the raw rows, with the same
result (gigaline.mes.services.oee). ``stations.oee_version`` is bumped by every write of a
station's states or records, in the write's transaction, which also deletes the station's
summaries from the hour of its earliest written row on; the summariser stores an hour only
if the counter it read before computing it is unchanged. Summaries only: data unchanged.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oee_hours",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("hour_s", sa.BigInteger(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("pdot_s", sa.Float(), nullable=False),
        sa.Column("apt_s", sa.Float(), nullable=False),
        sa.Column("unqualified_s", sa.Float(), nullable=False),
        sa.Column("pq", sa.Integer(), nullable=False),
        sa.Column("gq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "silence_s", "hour_s", name="pk_oee_hours"),
    )
    op.create_table(
        "oee_hour_downtime",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("hour_s", sa.BigInteger(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(256)),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("begins", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_oee_hour_downtime_station_id_silence_s_hour_s",
        "oee_hour_downtime", ["station_id", "silence_s", "hour_s"],
    )  # fmt: skip
    with op.batch_alter_table("stations") as batch:
        batch.add_column(
            sa.Column("oee_version", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("stations") as batch:
        batch.drop_column("oee_version")
    op.drop_index("ix_oee_hour_downtime_station_id_silence_s_hour_s", "oee_hour_downtime")
    op.drop_table("oee_hour_downtime")
    op.drop_table("oee_hours")
