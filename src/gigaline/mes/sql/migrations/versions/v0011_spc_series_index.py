"""The SPC series read from the index alone: ``process_records (step_id, ts, id)`` carrying
``unit`` and ``params`` (PostgreSQL ``INCLUDE``), in place of ``(step_id, ts)``.

A control chart reads one step's newest records, ordered by (ts, id), with their unit and
parameters (:func:`gigaline.mes.sql.measures.measure_series`). Through ``(step_id, ts)`` each
row was a visit to the table (the records of one step lie among those of all the others: 3
table pages per 10 records) and the tie-break on ``id`` an incremental sort. With the id in
the key and the read columns carried in the index, PostgreSQL answers it by an index-only
scan in key order: 50,001 records of stacking in 15,870 buffers and 158 ms before, 527
buffers and 47 ms after (EXPLAIN ANALYZE, 1 day of the reference line, 3 Dec 2026, 2-core
machine at load 2.5). The cost: the index is larger (329 MB against 93 MB for that day;
the table is 483 MB). The leading (step_id, ts) serves every read the former index served.
SQLite has no ``INCLUDE``: there the index is ``(step_id, ts, id)``. Indexes only: data
unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_process_records_step_id_ts_id",
        "process_records",
        ["step_id", "ts", "id"],
        postgresql_include=["unit", "params"],
    )
    op.drop_index("ix_process_records_step_id_ts", table_name="process_records")


def downgrade() -> None:
    op.create_index("ix_process_records_step_id_ts", "process_records", ["step_id", "ts"])
    op.drop_index("ix_process_records_step_id_ts_id", table_name="process_records")
