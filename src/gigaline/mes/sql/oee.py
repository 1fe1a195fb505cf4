"""What live OEE reads: the lines' calendars, the steps' PRI, and each station's states and
process records in a window (:class:`gigaline.mes.ports.OeeReader`).

The records of a window are read as (station, end time, result) only, their times parsed at
once by numpy (SQLite keeps times as text) or taken as epoch seconds from PostgreSQL: a day of
the 20 GWh line is about a million records, and nothing else of them is needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, Float, String, cast, func, select, type_coerce

from gigaline.mes.ports import OeeLayout, OeeStep, StationTimeline
from gigaline.mes.sql import tables as t

__all__ = ["oee_layout", "station_timelines"]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def oee_layout(conn: Connection) -> OeeLayout:
    """Every line's calendar (JSON) and every step with its PRI and stations, in route order."""
    ln, st, sn = t.lines, t.steps, t.stations
    q_cal = select(ln.c.name, ln.c.calendar).order_by(ln.c.id)
    calendars = {r[0]: r[1] for r in conn.execute(q_cal)}
    stations: dict[int, list[str]] = defaultdict(list)
    for step_id, name in conn.execute(select(sn.c.step_id, sn.c.name).order_by(sn.c.id)):
        stations[step_id].append(name)
    q = (
        select(st.c.id, st.c.name, ln.c.name, st.c.kind, st.c.position, st.c.pri_s)
        .join(ln, ln.c.id == st.c.line_id)
        .order_by(st.c.line_id, st.c.position)
    )
    steps = [
        OeeStep(r[1], r[2], r[3], int(r[4]), None if r[5] is None else float(r[5]),
                tuple(stations[r[0]]))
        for r in conn.execute(q)
    ]  # fmt: skip
    return OeeLayout(calendars, steps)


def _parse(conn: Connection, values: list[object]) -> list[datetime]:
    if conn.dialect.name == "sqlite":  # text: parsed at once, naive UTC
        return [_utc(v) for v in np.array(values, dtype="datetime64[us]").tolist()]
    return [_utc(v) for v in values]  # type: ignore[arg-type]


def station_timelines(
    conn: Connection, stations: Collection[str], since: datetime, until: datetime
) -> dict[str, StationTimeline]:
    """Per station: the state standing at ``since``, the state changes in [since, until) and
    the records' end times and results in [since, until)."""
    a, b = _utc(since), _utc(until)
    sqlite = conn.dialect.name == "sqlite"
    sn, ms, pr = t.stations, t.machine_states, t.process_records
    names = list(stations)
    ids = {r[0]: r[1] for r in conn.execute(select(sn.c.id, sn.c.name).where(sn.c.name.in_(names)))}
    ts_col = type_coerce(ms.c.ts, String) if sqlite else ms.c.ts
    # the state standing at ``since`` of every station in one round trip: per station the id
    # of its last change before ``since`` (a correlated subquery, an index range scan each)
    m = ms.alias("m")
    last_id = (
        select(m.c.id)
        .where(m.c.station_id == sn.c.id, m.c.ts < a)
        .order_by(m.c.ts.desc(), m.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_ids = select(last_id).where(sn.c.id.in_(list(ids)))
    before = conn.execute(
        select(ms.c.station_id, ts_col, ms.c.state, ms.c.reason).where(ms.c.id.in_(last_ids))
    ).all()
    standing: dict[int, tuple[datetime, str, str | None]] = {
        r[0]: (ts, r[2], r[3])
        for r, ts in zip(before, _parse(conn, [r[1] for r in before]), strict=True)
    }
    rows = conn.execute(
        select(ms.c.station_id, ts_col, ms.c.state, ms.c.reason)
        .where(ms.c.station_id.in_(list(ids)), ms.c.ts >= a, ms.c.ts < b)
        .order_by(ms.c.station_id, ms.c.ts, ms.c.id)
    ).all()
    times = _parse(conn, [r[1] for r in rows])
    inside: dict[int, list[tuple[datetime, str, str | None]]] = defaultdict(list)
    for r, ts in zip(rows, times, strict=True):
        inside[r[0]].append((ts, r[2], r[3]))
    rec_ts = type_coerce(pr.c.ts, String) if sqlite else cast(func.extract("epoch", pr.c.ts), Float)
    recs = conn.execute(
        select(pr.c.station_id, rec_ts, pr.c.result)
        .where(pr.c.station_id.in_(list(ids)), pr.c.ts >= a, pr.c.ts < b)
        .order_by(pr.c.station_id, pr.c.ts)
    ).all()
    station = np.array([r[0] for r in recs], dtype=np.int64)
    if sqlite:
        us = np.array([r[1] for r in recs], dtype="datetime64[us]").astype(np.int64)
        seconds = us / 1e6
    else:
        seconds = np.array([r[1] for r in recs], dtype=np.float64)
    ok = np.array([r[2] == "OK" for r in recs], dtype=np.bool_)
    out = {}
    for sid, name in ids.items():
        mine = station == sid
        out[name] = StationTimeline(
            name, standing.get(sid), inside.get(sid, []), seconds[mine], ok[mine]
        )
    return out
