"""The measures SPC and grading read: parameter series and each cell's latest values.

Parameters are stored as JSON text per process record (``process_records.params``) and curve
features per curve (``curves.features``). The queries select the rows by bound parameters
(step, time, kind) and the values are read in Python with orjson
(:func:`gigaline.mes.measures.numbers`). Letting the database extract the key instead
(``json_extract`` on SQLite, ``CAST(.. AS JSON) ->>`` on PostgreSQL) was measured by
``benchmarks/bench_spc.py`` on the 2-core development machine: within 20 % either way from run
to run, on both databases (the scan of the process records costs more than either). Reading in
Python keeps one code path for both databases and takes any parameter name (a JSON path in
SQLite cannot hold every character).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, LargeBinary, String, func, literal, select, type_coerce

from gigaline.mes.measures import joined_numbers, latest_numbers, series_numbers
from gigaline.mes.ports import MeasureSeries, Times, epoch_us
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.fastrows import fetch_rows

__all__ = ["latest_cell_params", "latest_curve_features", "measure_series"]


def measure_series(
    conn: Connection, step: str, param: str, since: datetime | None, last: int | None = None
) -> MeasureSeries:
    """Values of ``param`` recorded at ``step`` (from ``since`` on), ordered by time; with
    ``last``, the newest ``last`` of them, read newest first down the (step_id, ts, id) index (a
    long series is then not read whole: 16 days of the reference line's stacking are a million
    records). The times are :class:`~gigaline.mes.ports.Times` (naive UTC on SQLite, as
    SQLAlchemy would return them; aware on PostgreSQL, in the session's zone, as psycopg
    would)."""
    pr = t.process_records
    sqlite = conn.dialect.name == "sqlite"
    # SQLite stores times as text: parsed by numpy at once, not by SQLAlchemy row by row
    # (a third of the read time at 25,000 records).
    ts_col = type_coerce(pr.c.ts, String) if sqlite else pr.c.ts
    # the step's ids as constants, not a subquery: the planner then filters the scan by them
    ids = list(conn.execute(select(t.steps.c.id).where(t.steps.c.name == step)).scalars())
    q = (
        select(pr.c.unit, ts_col, pr.c.params)
        .where(pr.c.step_id.in_(ids), pr.c.params.is_not(None))
        .order_by(pr.c.ts, pr.c.id)
    )
    if since is not None:
        utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        q = q.where(pr.c.ts >= utc)
    truncated = False
    if last is None:
        units, us, values = _read(conn, q, param)[1]
    else:
        units, us, values, truncated = _newest(conn, q, param, last)
    tz = None if sqlite else conn.connection.driver_connection.info.timezone  # type: ignore[union-attr]
    return MeasureSeries(
        step=step,
        param=param,
        units=units,
        ts=Times(us, tz),
        values=np.array(values, dtype=np.float64),
        truncated=truncated,
    )


#: (units, times in microseconds since the Unix epoch, values) of the records holding the
#: parameter as a number.
_Columns = tuple[list[Any], NDArray[np.int64], list[Any]]


def _read(
    conn: Connection, q: Any, param: str, *, newest_first: bool = False
) -> tuple[int, _Columns]:
    """The rows of ``q`` (unit, ts, params ordered by (ts, id), or by (ts, id) descending when
    ``newest_first``): how many, and the columns of those holding ``param``.

    On PostgreSQL the page comes back as one row (:func:`_aggregated`); else, or where that
    one row does not read back as the rows, row by row
    (:func:`~gigaline.mes.sql.fastrows.fetch_rows`, :func:`_columns`)."""
    if conn.dialect.name == "postgresql":
        got = _aggregated(conn, q, param, newest_first)
        if got is not None:
            return got
    rows = fetch_rows(conn, q)
    return len(rows), _columns(rows, param, sqlite=conn.dialect.name == "sqlite")


def _aggregated(
    conn: Connection, q: Any, param: str, newest_first: bool
) -> tuple[int, _Columns] | None:
    """The rows of ``q`` aggregated by PostgreSQL into one row: the units joined by ``_SEP``,
    the times (``timestamptz_send``: microseconds since 2000) and ids as big-endian 8-byte
    integers and the parameters' texts joined by commas, which orjson reads in one parse
    (:func:`~gigaline.mes.measures.joined_numbers`). None when the units or texts do not split
    back into one each, or the aggregate did not keep the order of ``q`` (PostgreSQL keeps a
    sorted subquery's order into a plain aggregate; checked, not assumed).

    50,001 records of an X-bar chart (1-day PostgreSQL, 3 Dec 2026, load 4 to 5 on 2 cores):
    11 to 13 ms of client CPU and 36 to 50 ms wall, against 65 to 85 ms and 114 to 122 ms for
    the driver's 50,001 tuples (a datetime each) and their columns; sorting in the aggregate
    (``ORDER BY`` inside it) instead cost 160 ms of the server's time."""
    pr = t.process_records
    sub = q.add_columns(pr.c.id).subquery()
    agg = select(
        func.count(),
        func.string_agg(sub.c.unit, literal(_SEP)),
        func.string_agg(func.timestamptz_send(sub.c.ts), literal(b"", LargeBinary)),
        func.string_agg(func.int8send(sub.c.id), literal(b"", LargeBinary)),
        func.string_agg(sub.c.params, literal(",")),
    )
    compiled = agg.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.driver_connection.cursor(binary=True)  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), compiled.params)
        count, units, ts, ids, texts = cursor.fetchone()
    finally:
        cursor.close()
    if not count:
        return 0, ([], np.empty(0, np.int64), [])
    units = units.split(_SEP)  # a unit holding the separator: more parts than rows
    us = np.frombuffer(ts, ">i8").astype(np.int64) + _PG_EPOCH_US
    id_ = np.frombuffer(ids, ">i8")
    step_ts, step_id = np.diff(us), np.diff(id_)
    if newest_first:
        step_ts, step_id = -step_ts, -step_id
    if len(units) != count or not np.all((step_ts > 0) | ((step_ts == 0) & (step_id > 0))):
        return None
    values = joined_numbers(texts, count, param)
    if values is None:
        return None
    return count, _kept(units, us, values)


#: Between the units of a page (ASCII's unit separator; a unit holding it is read row by row).
_SEP = "\x1f"

#: timestamptz_send's zero, 2000-01-01 UTC, in microseconds since the Unix epoch
_PG_EPOCH_US = 946_684_800_000_000


def _columns(rows: Sequence[tuple[Any, ...]], param: str, *, sqlite: bool) -> _Columns:
    """The columns of the rows (unit, ts, params) that hold ``param`` as a number; the times
    text on SQLite, datetimes on PostgreSQL."""
    if not rows:
        return [], np.empty(0, np.int64), []
    units, ts, texts = (list(map(itemgetter(i), rows)) for i in range(3))  # no bytecode a row
    values = series_numbers(texts, param)
    us = np.array(ts, dtype="datetime64[us]").astype(np.int64) if sqlite else epoch_us(ts)
    return _kept(units, us, values)


def _kept(units: list[Any], us: NDArray[np.int64], values: list[Any]) -> _Columns:
    """The columns without the records whose value is None (the parameter absent, or not a
    number)."""
    if None in values:
        keep = [i for i, v in enumerate(values) if v is not None]
        units, us = [units[i] for i in keep], us[keep]
        values = [values[i] for i in keep]
    return units, us, values


def _newest(
    conn: Connection, q: Any, param: str, last: int
) -> tuple[list[Any], NDArray[np.int64], list[Any], bool]:
    """The newest ``last`` rows of ``q`` holding the parameter as (units, times, values) in
    time order, and whether older ones exist: read newest first in pages (records without the
    parameter skipped)."""
    pr = t.process_records
    desc = q.order_by(None).order_by(pr.c.ts.desc(), pr.c.id.desc())
    units: list[Any] = []
    ts: list[NDArray[np.int64]] = []
    values: list[Any] = []
    offset, page = 0, last + 1
    while len(values) <= last:
        got, more = _read(conn, desc.limit(page).offset(offset), param, newest_first=True)
        units += more[0]
        ts.append(more[1])
        values += more[2]
        if got < page:
            break
        offset += page
    truncated = len(values) > last
    us = np.concatenate(ts)[:last][::-1].copy()
    return units[:last][::-1], us, values[:last][::-1], truncated


def latest_cell_params(
    conn: Connection, process: str, names: Sequence[str]
) -> dict[str, tuple[float | None, ...]]:
    """Cell -> values of ``names`` in its latest record at the steps of ``process``."""
    pr = t.process_records
    steps = select(t.steps.c.id).where(t.steps.c.process == process).scalar_subquery()
    q = (
        select(pr.c.unit, pr.c.params)
        .join(t.units, t.units.c.id == pr.c.unit)
        .where(pr.c.step_id.in_(steps), t.units.c.unit_type == "cell")
        .order_by(pr.c.ts, pr.c.id)
    )
    return latest_numbers(((r[0], r[1]) for r in conn.execute(q)), names)


def latest_curve_features(
    conn: Connection, kind: str, names: Sequence[str]
) -> dict[str, tuple[float | None, ...]]:
    """Unit -> values of ``names`` among the features of its latest curve of ``kind``."""
    c = t.curves
    q = select(c.c.unit, c.c.features).where(c.c.kind == kind).order_by(c.c.ts, c.c.id)
    return latest_numbers(((r[0], r[1]) for r in conn.execute(q)), names)
