"""Indexes for the dashboard's and the API's reads of a large store.

``process_records (step_id, ts)``: a control chart reads one step's records in time order
(SPC series, newest first when a long series is cut to its last points); ``process_records
(station_id, ts)``: live OEE and the floor pages read each station's records in a window, and
the newest stored time is each station's last record. Without them both were scans of the
whole table (16 days of the 20 GWh reference line: about 25 million records; measured by
``benchmarks/bench_web.py``, docs/web.md "Performance"). Indexes only: data unchanged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_process_records_step_id_ts", "process_records", ["step_id", "ts"])
    op.create_index("ix_process_records_station_id_ts", "process_records", ["station_id", "ts"])


def downgrade() -> None:
    op.drop_index("ix_process_records_station_id_ts", table_name="process_records")
    op.drop_index("ix_process_records_step_id_ts", table_name="process_records")
