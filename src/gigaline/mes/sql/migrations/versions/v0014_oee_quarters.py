"""OEE summaries per quarter of an hour, for a window's edges.

``oee_quarters`` and ``oee_quarter_downtime``: what ``oee_hours`` and ``oee_hour_downtime``
(migration 0010) hold of a whole hour, of each quarter of an hour [quarter_s, quarter_s + 900).
A window's parts before its first and after its last whole hour (its edges: a live window
ends in the hour now running) read these and only what is left, under 15 minutes, raw: on 16
days of the reference line half an hour of 789 stations raw took 25 to 30 ms of the database's
time, and the line's OEE over 24 h ending half an hour into an hour 108 to 113 ms p95 (4 Dec
2026). The summariser fills them (from each station's first message, as the hours); a write
deletes them with the hours it deletes.

The summaries' indexes for that delete (a station's rows of every silence threshold from an
hour or a quarter on): ``(key, hour)`` beside the hours' keys ``(key, silence, hour)``, the
downtime tables' ``(key, silence, hour)`` made ``(key, hour, silence)``, the quarters keyed
``(station, quarter, silence)``. Summaries and indexes only: data unchanged.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: The quarters' indexes: by station and time (what a write deletes) and by time (what a
#: window's edge reads: a quarter of every station is one range; through the station's key an
#: edge was a probe per station, 7 to 10 ms for 789).
QUARTER_INDEXES = {
    "ix_oee_quarters_quarter_s": ("oee_quarters", ["quarter_s"]),
    "ix_oee_quarter_downtime_station_id_quarter_s_silence_s": (
        "oee_quarter_downtime",
        ["station_id", "quarter_s", "silence_s"],
    ),
    "ix_oee_quarter_downtime_quarter_s": ("oee_quarter_downtime", ["quarter_s"]),
}

#: The hours' indexes for a write's delete (a key's rows of every silence threshold from an
#: hour on): the tables keyed (key, silence, hour) get (key, hour); the downtime tables' index
#: (key, silence, hour) becomes (key, hour, silence). Through the old keys each delete scanned
#: all the key's hours: invalidating 789 stations took 160 to 290 ms on 1 day of the reference
#: line summarised (6 Dec 2026).
HOUR_INDEXES = {
    "oee_hours": ("station_id", None),
    "oee_step_hours": ("step_id", None),
    "oee_hour_downtime": ("station_id", "ix_oee_hour_downtime_station_id_silence_s_hour_s"),
    "oee_step_hour_downtime": (
        "step_id",
        "ix_oee_step_hour_downtime_step_id_silence_s_hour_s",
    ),
}


def upgrade() -> None:
    op.create_table(
        "oee_quarters",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("quarter_s", sa.BigInteger(), nullable=False),
        sa.Column("pdot_s", sa.Float(), nullable=False),
        sa.Column("apt_s", sa.Float(), nullable=False),
        sa.Column("unqualified_s", sa.Float(), nullable=False),
        sa.Column("pq", sa.Integer(), nullable=False),
        sa.Column("gq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "quarter_s", "silence_s", name="pk_oee_quarters"),
    )
    op.create_table(
        "oee_quarter_downtime",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("quarter_s", sa.BigInteger(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(256)),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("begins", sa.Integer(), nullable=False),
    )
    for name, (table, columns) in QUARTER_INDEXES.items():
        op.create_index(name, table, columns)
    for table, (key, old) in HOUR_INDEXES.items():
        if old is None:
            op.create_index(f"ix_{table}_{key}_hour_s", table, [key, "hour_s"])
        else:
            op.drop_index(old, table_name=table)
            op.create_index(f"ix_{table}_{key}_hour_s_silence_s", table,
                            [key, "hour_s", "silence_s"])  # fmt: skip


def downgrade() -> None:
    for table, (key, old) in HOUR_INDEXES.items():
        if old is None:
            op.drop_index(f"ix_{table}_{key}_hour_s", table_name=table)
        else:
            op.drop_index(f"ix_{table}_{key}_hour_s_silence_s", table_name=table)
            op.create_index(old, table, [key, "silence_s", "hour_s"])
    for name, (table, _) in QUARTER_INDEXES.items():
        op.drop_index(name, table)
    op.drop_table("oee_quarter_downtime")
    op.drop_table("oee_quarters")
