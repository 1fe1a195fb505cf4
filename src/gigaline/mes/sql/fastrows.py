"""Each database's fast path for many rows of one table, inside the caller's transaction.

SQLite: ``executemany`` of one prepared INSERT on the driver's cursor (the sqlite3 module runs
the statement once per row in C). PostgreSQL: binary ``COPY ... FROM STDIN`` through psycopg 3
(PostgreSQL manual, "Populating a Database", section 14.4.2). Used by the bulk writes
(:mod:`gigaline.mes.sql.bulk`), the grades and the hourly OEE summaries
(:mod:`gigaline.mes.sql.oee`), which the bulk writes also invalidate: so it stands apart from
both.
"""

from __future__ import annotations

from collections.abc import Sequence
from threading import Lock
from typing import Any

from sqlalchemy import BigInteger, Connection, DateTime, Float, Integer, LargeBinary

from gigaline.mes.rows import Row
from gigaline.mes.sql import tables as t

__all__ = ["Compiled", "copy_rows", "fetch_rows", "insert_rows"]


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[Row]) -> None:
    """SQLite fast path: one executemany of a prepared INSERT on the driver cursor."""
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # names from COLUMNS
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[Row]) -> None:
    """PostgreSQL fast path: binary COPY FROM STDIN through psycopg 3.

    Binary COPY skips text formatting and parsing of every value (measured here: about half
    the time of text COPY for process records, whose two timestamps dominate).
    """
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    types = [_pg_type(t.metadata.tables[table].c[name].type) for name in columns]
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _pg_type(column_type: Any) -> str:
    """The PostgreSQL type name psycopg dumps a value of a column as, in binary COPY."""
    if isinstance(column_type, DateTime):
        return "timestamptz"
    if isinstance(column_type, Float):
        return "float8"
    if isinstance(column_type, LargeBinary):
        return "bytea"
    if isinstance(column_type, BigInteger):
        return "int8"
    if isinstance(column_type, Integer):
        return "int4"
    return "text"  # String / Text: varchar and text share their binary form


def fetch_rows(conn: Connection, q: Any) -> Sequence[tuple[Any, ...]]:
    """The rows of the query ``q``: on PostgreSQL the driver's own tuples (built in C), not
    SQLAlchemy's row objects (a third of the client's time at 50,000 SPC records; a fifth of
    reading live OEE's 12,000 state changes of a line's hour)."""
    if conn.dialect.name != "postgresql":
        return conn.execute(q).all()  # type: ignore[no-any-return]
    compiled = q.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


class Compiled:
    """A PostgreSQL query with bound parameters, compiled once (:func:`fetch_rows` compiles
    its query at each call: 2 to 3 ms of SQLAlchemy's compiler for live OEE's edge query of
    three lateral subqueries, twice a request) and run on the driver's cursor with new
    values."""

    def __init__(self, q: Any) -> None:
        self._q = q
        self._text: tuple[str, dict[str, Any]] | None = None
        self._lock = Lock()

    def rows(self, conn: Connection, **params: Any) -> Sequence[tuple[Any, ...]]:
        """The rows of the query with ``params`` for its bound parameters (the driver's
        tuples)."""
        if self._text is None:
            with self._lock:
                compiled = self._q.compile(dialect=conn.dialect)
                self._text = (str(compiled), dict(compiled.params))
        text, defaults = self._text
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(text, {**defaults, **params})
            return cursor.fetchall()  # type: ignore[no-any-return]
        finally:
            cursor.close()
