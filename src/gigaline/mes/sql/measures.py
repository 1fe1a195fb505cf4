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
from sqlalchemy import Connection, String, select, type_coerce

from gigaline.mes.measures import latest_numbers, series_numbers
from gigaline.mes.ports import MeasureSeries
from gigaline.mes.sql import tables as t

__all__ = ["latest_cell_params", "latest_curve_features", "measure_series"]


def measure_series(
    conn: Connection, step: str, param: str, since: datetime | None, last: int | None = None
) -> MeasureSeries:
    """Values of ``param`` recorded at ``step`` (from ``since`` on), ordered by time; with
    ``last``, the newest ``last`` of them, read newest first down the (step_id, ts, id) index (a
    long series is then not read whole: 16 days of the reference line's stacking are a million
    records)."""
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
        units, ts, values = _columns(_rows(conn, q), param)
    else:
        units, ts, values, truncated = _newest(conn, q, param, last)
    if sqlite:  # naive UTC, as SQLAlchemy would return them
        ts = np.array(ts, dtype="datetime64[us]").tolist()
    return MeasureSeries(
        step=step,
        param=param,
        units=units,
        ts=ts,
        values=np.array(values, dtype=np.float64),
        truncated=truncated,
    )


def _rows(conn: Connection, q: Any) -> Sequence[tuple[Any, ...]]:
    """The rows of ``q``: on PostgreSQL the driver's own tuples (built in C), not SQLAlchemy's
    row objects (a third of the client's time at 50,000 records)."""
    if conn.dialect.name != "postgresql":
        return conn.execute(q).all()  # type: ignore[no-any-return]
    compiled = q.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def _columns(rows: Sequence[tuple[Any, ...]], param: str) -> tuple[list[Any], list[Any], list[Any]]:
    """(units, times, values) of the rows (unit, ts, params) that hold ``param`` as a number."""
    if not rows:
        return [], [], []
    units, ts, texts = (list(map(itemgetter(i), rows)) for i in range(3))  # no bytecode a row
    values = series_numbers(texts, param)
    if None in values:
        keep = [i for i, v in enumerate(values) if v is not None]
        units, ts = [units[i] for i in keep], [ts[i] for i in keep]
        values = [values[i] for i in keep]
    return units, ts, values


def _newest(
    conn: Connection, q: Any, param: str, last: int
) -> tuple[list[Any], list[Any], list[Any], bool]:
    """The newest ``last`` rows of ``q`` holding the parameter as (units, times, values) in
    time order, and whether older ones exist: read newest first in pages (records without the
    parameter skipped)."""
    pr = t.process_records
    desc = q.order_by(None).order_by(pr.c.ts.desc(), pr.c.id.desc())
    units: list[Any] = []
    ts: list[Any] = []
    values: list[Any] = []
    offset, page = 0, last + 1
    while len(values) <= last:
        got = _rows(conn, desc.limit(page).offset(offset))
        more = _columns(got, param)
        units += more[0]
        ts += more[1]
        values += more[2]
        if len(got) < page:
            break
        offset += page
    truncated = len(values) > last
    return units[:last][::-1], ts[:last][::-1], values[:last][::-1], truncated


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
