"""Bulk writes: one transaction per batch, by each database's fast path.

SQLite: ``executemany`` of one prepared INSERT per table on the driver's cursor, inside the
batch's transaction (the sqlite3 module runs the statement once per row in C, without a
Python round trip per row). PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3, the
fastest way to load rows (PostgreSQL manual, "Populating a Database", section 14.4.2).
Either way nothing of a batch is visible before its commit, and a failure part-way rolls the
whole batch back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gigaline.mes.rows import COLUMNS, Parked, Row, Rows
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.fastrows import copy_rows, insert_rows
from gigaline.mes.sql.oee import invalidate

__all__ = ["copy_rows", "insert_rows", "keep_earliest", "park", "settle_waiting", "write_rows"]


def write_rows(conn: Connection, rows: Rows) -> None:
    """Write every row of ``rows`` on ``conn`` (inside the caller's transaction)."""
    postgres = conn.dialect.name == "postgresql"
    earliest: dict[int, Any] = {}  # station id -> earliest state change or record written
    for table_rows, sid_at, ts_at in ((rows.machine_states, 1, 2), (rows.process_records, 3, 5)):
        for r in table_rows:
            sid, ts = r[sid_at], r[ts_at]
            if sid not in earliest or ts < earliest[sid]:
                earliest[sid] = ts
    invalidate(conn, earliest)  # first: the counters locked before anything is written
    for name, table_rows in rows.tables():
        if table_rows:
            if postgres:
                copy_rows(conn, name, COLUMNS[name], table_rows)
            else:
                insert_rows(conn, name, COLUMNS[name], table_rows)
    if rows.earlier_units:
        keep_earliest(conn, rows.earlier_units)
    if rows.dead_letters:
        letters = [asdict(d) for d in rows.dead_letters]
        _insert_ignoring_duplicates(conn, t.dead_letters, letters)
    if rows.settled:
        settle_waiting(conn, rows.settled)
    if rows.parked:
        park(conn, rows.parked)


#: A unit's row is its earliest event: an upsert that replaces ``ts`` and ``event_id`` only
#: with an earlier pair (``ts``, then event id), the same on SQLite and PostgreSQL, so the
#: end state does not depend on which writer met which of the unit's events first.
_KEEP_EARLIEST = (
    "INSERT INTO units (id, unit_type, ts, event_id) VALUES ({m}, {m}, {m}, {m}) "
    "ON CONFLICT (id) DO UPDATE SET ts = excluded.ts, event_id = excluded.event_id "
    "WHERE excluded.ts < units.ts"
    " OR (excluded.ts = units.ts AND excluded.event_id < units.event_id)"
)


def keep_earliest(conn: Connection, units: Sequence[Row]) -> None:
    """Upsert ``units`` (id, unit_type, ts, event_id), keeping each unit's earliest event."""
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_KEEP_EARLIEST.format(m=mark), units)
    finally:
        cursor.close()


def park(conn: Connection, parked: Sequence[Parked]) -> None:
    """Store waiting events; one waiting already keeps its first time, takes the new reason
    and what it waits for (a few per batch: one statement, not the bulk path)."""
    p = t.pending_events
    values = [
        {"id": e.event_id, "site": e.site, "waits_for": e.waits_for, "received": e.received,
         "reason": e.reason, "raw": e.raw}
        for e in parked
    ]  # fmt: skip
    ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(p)
    update = {"waits_for": ins.excluded.waits_for, "reason": ins.excluded.reason}
    conn.execute(ins.on_conflict_do_update(index_elements=[p.c.id, p.c.site], set_=update), values)


def settle_waiting(conn: Connection, keys: Sequence[tuple[str, str]]) -> None:
    """Remove the waiting events ``keys`` (site, id) from the pending store."""
    p = t.pending_events
    stmt = delete(p).where(p.c.site == bindparam("s"), p.c.id == bindparam("i"))
    conn.execute(stmt, [{"s": site, "i": event_id} for site, event_id in keys])


def _insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    else:
        conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
