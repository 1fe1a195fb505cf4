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
from typing import Any

import numpy as np
from sqlalchemy import Connection, String, select, type_coerce

from gigaline.mes.measures import latest_numbers, numbers
from gigaline.mes.ports import MeasureSeries
from gigaline.mes.sql import tables as t

__all__ = ["latest_cell_params", "latest_curve_features", "measure_series"]


def measure_series(
    conn: Connection, step: str, param: str, since: datetime | None, last: int | None = None
) -> MeasureSeries:
    """Values of ``param`` recorded at ``step`` (from ``since`` on), ordered by time; with
    ``last``, the newest ``last`` of them, read newest first down the (step_id, ts) index (a
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
    keys = (param,)
    truncated = False
    rows: list[tuple[Any, Any, Any]]
    if last is None:
        rows = [(r[0], r[1], numbers(r[2], keys)[0]) for r in conn.execute(q)]
        rows = [r for r in rows if r[2] is not None]
    else:
        rows, truncated = _newest(conn, q, keys, last)
    ts = [r[1] for r in rows]
    if sqlite:  # naive UTC, as SQLAlchemy would return them
        ts = np.array(ts, dtype="datetime64[us]").tolist()
    return MeasureSeries(
        step=step,
        param=param,
        units=[r[0] for r in rows],
        ts=ts,
        values=np.array([r[2] for r in rows], dtype=np.float64),
        truncated=truncated,
    )


def _newest(
    conn: Connection, q: Any, keys: tuple[str], last: int
) -> tuple[list[tuple[Any, Any, float]], bool]:
    """The newest ``last`` rows of ``q`` holding the parameter, in time order, and whether
    older ones exist: read newest first in pages (records without the parameter skipped)."""
    pr = t.process_records
    desc = q.order_by(None).order_by(pr.c.ts.desc(), pr.c.id.desc())
    out: list[tuple[Any, Any, float]] = []
    offset, page = 0, last + 1
    while len(out) <= last:
        got = conn.execute(desc.limit(page).offset(offset)).all()
        for r in got:
            value = numbers(r[2], keys)[0]
            if value is not None:
                out.append((r[0], r[1], value))
        if len(got) < page:
            break
        offset += page
    truncated = len(out) > last
    return out[:last][::-1], truncated


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
