"""Hourly OEE summaries of whole steps, and the standing state read from an index alone.

``oee_step_hours`` and ``oee_step_hour_downtime``: an hour of ``oee_hours`` and
``oee_hour_downtime`` (migration 0010) summed over every station of a step, stored once each
station of the step has that hour. A line's window (its rows are of the line and its steps)
then sums one row per step and hour instead of one per station and hour: on 16 days of the
reference line 10,752 rows instead of 302,976 (the line's OEE over the 16 days, and by shift,
read 303,000 summaries at each request: 238 and 426 ms p95, 3 Dec 2026). The summariser
keeps them (:func:`gigaline.mes.sql.oee.roll_up_steps`), a write deletes them with the station
hours it deletes; this migration sums the hours already stored.

``machine_states (station_id, ts)`` becomes ``(station_id, ts, id)`` carrying ``state`` and
``reason`` on PostgreSQL: the state standing at a time (the last change before it, ties by id)
is then one backward step of the index with no table visit and no sort (live OEE reads it for
every station at each edge of a window; through the old index PostgreSQL sorted the station's
earlier changes to break ties by id). SQLite's indexes end with the rowid (``id``) already:
there the index is built again with the same order. Summaries and indexes
only: data unchanged.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STATES_INDEX = "ix_machine_states_station_id_ts"

#: The complete step hours not stored yet, from the station hours (a step hour is complete when
#: each station of the step has it).
_COMPLETE = """
    SELECT st.step_id AS step_id, oh.silence_s AS silence_s, oh.hour_s AS hour_s,
           count(*) AS stations, sum(oh.pdot_s) AS pdot_s, sum(oh.apt_s) AS apt_s,
           sum(oh.unqualified_s) AS unqualified_s, sum(oh.pq) AS pq, sum(oh.gq) AS gq
    FROM oee_hours oh JOIN stations st ON st.id = oh.station_id
    GROUP BY st.step_id, oh.silence_s, oh.hour_s
    HAVING count(*) = (SELECT count(*) FROM stations s2 WHERE s2.step_id = st.step_id)
"""


def upgrade() -> None:
    op.create_table(
        "oee_step_hours",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("hour_s", sa.BigInteger(), nullable=False),
        sa.Column("stations", sa.Integer(), nullable=False),
        sa.Column("pdot_s", sa.Float(), nullable=False),
        sa.Column("apt_s", sa.Float(), nullable=False),
        sa.Column("unqualified_s", sa.Float(), nullable=False),
        sa.Column("pq", sa.Integer(), nullable=False),
        sa.Column("gq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("step_id", "silence_s", "hour_s", name="pk_oee_step_hours"),
    )
    op.create_table(
        "oee_step_hour_downtime",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("hour_s", sa.BigInteger(), nullable=False),
        sa.Column("silence_s", sa.Float(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(256)),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("begins", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_oee_step_hour_downtime_step_id_silence_s_hour_s",
        "oee_step_hour_downtime", ["step_id", "silence_s", "hour_s"],
    )  # fmt: skip
    op.execute(
        "INSERT INTO oee_step_hour_downtime "
        "(step_id, hour_s, silence_s, state, reason, seconds, begins) "
        "SELECT st.step_id, od.hour_s, od.silence_s, od.state, od.reason, sum(od.seconds), "
        "sum(od.begins) FROM oee_hour_downtime od JOIN stations st ON st.id = od.station_id "
        f"JOIN ({_COMPLETE}) k ON k.step_id = st.step_id AND k.silence_s = od.silence_s "
        "AND k.hour_s = od.hour_s "
        "GROUP BY st.step_id, od.hour_s, od.silence_s, od.state, od.reason"
    )
    op.execute(
        "INSERT INTO oee_step_hours (step_id, silence_s, hour_s, stations, pdot_s, apt_s, "
        f"unqualified_s, pq, gq) {_COMPLETE}"
    )
    op.drop_index(STATES_INDEX, table_name="machine_states")
    op.create_index(
        STATES_INDEX, "machine_states", ["station_id", "ts", "id"],
        postgresql_include=["state", "reason"],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index(STATES_INDEX, table_name="machine_states")
    op.create_index(STATES_INDEX, "machine_states", ["station_id", "ts"])
    op.drop_index("ix_oee_step_hour_downtime_step_id_silence_s_hour_s", "oee_step_hour_downtime")
    op.drop_table("oee_step_hour_downtime")
    op.drop_table("oee_step_hours")
