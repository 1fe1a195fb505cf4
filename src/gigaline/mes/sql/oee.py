"""What live OEE reads: the lines' calendars, the steps' PRI, and each station's states and
process records in a window (:class:`gigaline.mes.ports.OeeReader`).

The records of a window are read as (station, end time, result) only, their times parsed at
once by numpy (SQLite keeps times as text) or taken as epoch seconds from PostgreSQL: a day of
the 20 GWh line is about a million records, and nothing else of them is needed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    Float,
    String,
    any_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from gigaline.mes.ports import (
    OeeHour,
    OeeHourSums,
    OeeLayout,
    OeeStationStatus,
    OeeStep,
    RecordTally,
    StationEdges,
    StationTimeline,
    merge_runs,
)
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.fastrows import Compiled, copy_rows, fetch_rows

__all__ = [
    "drop_oee_hours",
    "invalidate",
    "oee_covered",
    "oee_hour_sums",
    "oee_layout",
    "oee_status",
    "put_oee_hours",
    "roll_up_steps",
    "station_edges",
    "station_record_tallies",
    "station_timelines",
]


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


def _among(conn: Connection, col: Any, values: Collection[Any]) -> Any:
    """``col IN values``; on PostgreSQL one array parameter (``= ANY``): the SQL text does not
    grow with the ~800 stations of a line, nor its compiling and sending."""
    if conn.dialect.name == "postgresql":
        return col == any_(bindparam(None, list(values), type_=ARRAY(col.type)))
    return col.in_(list(values))


def _as_read(conn: Connection, col: Any) -> Any:
    """A time column as :func:`_parse` reads it (SQLite: its text)."""
    return type_coerce(col, String) if conn.dialect.name == "sqlite" else col


def _parse(conn: Connection, values: list[object]) -> list[datetime]:
    if conn.dialect.name == "sqlite":  # text: parsed at once, naive UTC
        return [_utc(v) for v in np.array(values, dtype="datetime64[us]").tolist()]
    # PostgreSQL sessions are at UTC (gigaline.mes.sql.db): psycopg gives datetime.UTC already
    times: list[datetime] = values  # type: ignore[assignment]
    return [v if v.tzinfo is UTC else _utc(v) for v in times]


def station_record_tallies(
    conn: Connection, stations: Collection[str], since: datetime, until: datetime
) -> dict[str, RecordTally]:
    """Per station with records in [since, until): their count, OK count and newest time,
    counted by the database (one grouped query: no record crosses to Python)."""
    ids = _station_ids(conn, stations)
    if not ids:
        return {}
    rows = _tallied(conn, ids, _utc(since), _utc(until), func.max)
    seconds = _seconds(conn.dialect.name == "sqlite", [r[3] for r in rows]).tolist()
    return {
        ids[r[0]]: RecordTally(int(r[1]), int(r[2]), s) for r, s in zip(rows, seconds, strict=True)
    }


def _tallied(
    conn: Connection, ids: Collection[int], a: datetime, b: datetime, end: Any
) -> Sequence[Any]:
    """Per station id with records in [a, b): (id, count, OK count, ``end`` (``func.min`` or
    ``func.max``) of their times as :func:`_seconds` reads it), one grouped query."""
    pr = t.process_records
    return conn.execute(
        select(pr.c.station_id, func.count(), func.count().filter(pr.c.result == "OK"),
               _epoch(conn, end(pr.c.ts)))
        .where(_among(conn, pr.c.station_id, ids), pr.c.ts >= a, pr.c.ts < b)
        .group_by(pr.c.station_id)
    ).all()  # fmt: skip


def station_last_records(
    conn: Connection, stations: Collection[str], since: datetime, until: datetime
) -> dict[str, float]:
    """Per station with records in [since, until): the newest one's time, a backward index
    step each (a correlated ``max``), no record counted."""
    a, b = _utc(since), _utc(until)
    sn, pr = t.stations, t.process_records
    newest = (
        select(func.max(pr.c.ts))
        .where(pr.c.station_id == sn.c.id, pr.c.ts >= a, pr.c.ts < b)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(sn.c.name, _epoch(conn, newest)).where(_among(conn, sn.c.name, list(stations)))
    ).all()
    found = [r for r in rows if r[1] is not None]
    seconds = _seconds(conn.dialect.name == "sqlite", [r[1] for r in found]).tolist()
    return {r[0]: s for r, s in zip(found, seconds, strict=True)}


def _before(
    conn: Connection, stations: Collection[str], a: datetime
) -> tuple[dict[int, str], dict[int, tuple[datetime, str, str | None]], dict[int, float]]:
    """Per station (by id) of ``stations``: the state standing at ``a`` and the time of its
    last message (state change or record) before ``a``, in one query: per station the id of
    its last change before ``a`` and the end of its last record before ``a``, correlated
    subqueries (an index range scan each, on ``(station_id, ts)``)."""
    sn, ms, pr = t.stations, t.machine_states, t.process_records
    m, p = ms.alias("m"), pr.alias("p")
    last = (
        select(m.c.id, m.c.ts, m.c.state, m.c.reason)
        .where(m.c.station_id == sn.c.id, m.c.ts < a)
        .order_by(m.c.ts.desc(), m.c.id.desc())
        .limit(1)
    )
    last_rec = select(func.max(p.c.ts)).where(p.c.station_id == sn.c.id, p.c.ts < a)
    rec = last_rec.scalar_subquery().label("rec")
    picked = _among(conn, sn.c.name, list(stations))
    if conn.dialect.name == "postgresql":
        # the last change read from the index alone (migration 0013): no visit to the table
        lat = last.lateral("last")
        q = select(sn.c.id, sn.c.name, rec, lat.c.ts, lat.c.state, lat.c.reason).select_from(
            sn.outerjoin(lat, literal_column("true"))
        )
        rows = conn.execute(q.where(picked)).all()
    else:
        inner = (
            select(sn.c.id, sn.c.name, last.with_only_columns(m.c.id).scalar_subquery()
                   .label("state_id"), rec)
            .where(picked)
            .subquery("s")
        )  # fmt: skip
        rows = conn.execute(
            select(inner.c.id, inner.c.name, _as_read(conn, inner.c.rec),
                   _as_read(conn, ms.c.ts), ms.c.state, ms.c.reason)
            .select_from(inner.outerjoin(ms, ms.c.id == inner.c.state_id))
        ).all()  # fmt: skip
    ids = {r[0]: r[1] for r in rows}
    recs = [r for r in rows if r[2] is not None]
    last_message: dict[int, float] = {
        r[0]: ts.timestamp() for r, ts in zip(recs, _parse(conn, [r[2] for r in recs]), strict=True)
    }
    held = [r for r in rows if r[3] is not None]
    standing: dict[int, tuple[datetime, str, str | None]] = {
        r[0]: (ts, r[4], r[5])
        for r, ts in zip(held, _parse(conn, [r[3] for r in held]), strict=True)
    }
    for sid, (ts, _, _) in standing.items():
        last_message[sid] = max(last_message.get(sid, -math.inf), ts.timestamp())
    return ids, standing, last_message


def _changes(
    conn: Connection, ids: Collection[int], a: datetime, b: datetime
) -> dict[int, list[tuple[datetime, str, str | None]]]:
    """Per station id, its state changes in [a, b) in time order."""
    ms = t.machine_states
    rows = fetch_rows(  # a line's hour is about 12,000 changes
        conn,
        select(ms.c.station_id, _as_read(conn, ms.c.ts), ms.c.state, ms.c.reason)
        .where(_among(conn, ms.c.station_id, ids), ms.c.ts >= a, ms.c.ts < b)
        .order_by(ms.c.station_id, ms.c.ts, ms.c.id),
    )
    inside: dict[int, list[tuple[datetime, str, str | None]]] = defaultdict(list)
    for (sid, _, state, reason), ts in zip(rows, _parse(conn, [r[1] for r in rows]), strict=True):
        inside[sid].append((ts, state, reason))
    return inside


def station_timelines(
    conn: Connection, stations: Collection[str], since: datetime, until: datetime,
    records: bool = True,
) -> dict[str, StationTimeline]:  # fmt: skip
    """Per station: the state standing at ``since``, the state changes in [since, until) and
    (with ``records``) the records' end times and results in [since, until)."""
    a, b = _utc(since), _utc(until)
    sqlite = conn.dialect.name == "sqlite"
    pr = t.process_records
    ids, standing, last_message = _before(conn, stations, a)
    inside = _changes(conn, ids, a, b)
    recs = (
        conn.execute(
            select(pr.c.station_id, _epoch(conn, pr.c.ts), pr.c.result)
            .where(_among(conn, pr.c.station_id, ids), pr.c.ts >= a, pr.c.ts < b)
            .order_by(pr.c.station_id, pr.c.ts)
        ).all()
        if records
        else []
    )
    station = np.array([r[0] for r in recs], dtype=np.int64)
    seconds = _seconds(sqlite, [r[1] for r in recs])
    ok = np.array([r[2] == "OK" for r in recs], dtype=np.bool_)
    # the records in station order: each station's a slice
    found = np.unique(station)
    lo = dict(zip(found.tolist(), np.searchsorted(station, found, "left").tolist(), strict=True))
    hi = dict(zip(found.tolist(), np.searchsorted(station, found, "right").tolist(), strict=True))
    out = {}
    for sid, name in ids.items():
        i, j = lo.get(sid, 0), hi.get(sid, 0)
        out[name] = StationTimeline(
            name, standing.get(sid), inside.get(sid, []), seconds[i:j], ok[i:j],
            last_message.get(sid),
        )  # fmt: skip
    return out


def _seconds(sqlite: bool, values: list[Any]) -> np.ndarray:
    """Record end times as UNIX seconds: SQLite's text parsed by numpy, PostgreSQL's epoch
    seconds as they are (both the correctly rounded double of the microsecond time)."""
    if sqlite:
        return np.array(values, dtype="datetime64[us]").astype(np.int64) / 1e6
    return np.array(values, dtype=np.float64)


def station_edges(
    conn: Connection, stations: Collection[str], since: datetime, until: datetime
) -> StationEdges:
    """The :class:`StationEdges` of ``stations`` over [since, until): per station its
    standing state and last message, its state changes (times as seconds from the database:
    no datetime is made) and its records counted by the database (their rows never cross to
    Python). On PostgreSQL in one query, a row per station (:func:`_edge_query`); on SQLite
    in three."""
    a, b = _utc(since), _utc(until)
    kinds: dict[tuple[str, str | None], int] = {}

    def code(state: str, reason: str | None) -> int:
        return kinds.setdefault((state, reason), len(kinds))

    if conn.dialect.name == "postgresql":
        cols = _pg_edges(conn, stations, a, b, code)
    else:
        cols = _sqlite_edges(conn, stations, a, b, code)
    return StationEdges(cols[0], tuple(kinds), *cols[1:])


#: What :class:`StationEdges` holds but its kinds, in its order.
_EdgeColumns = tuple[
    tuple[str, ...],
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]


def _pg_edges(
    conn: Connection, stations: Collection[str], a: datetime, b: datetime,
    code: Callable[[str, str | None], int],
) -> _EdgeColumns:  # fmt: skip
    """PostgreSQL: the columns of :class:`StationEdges` (less its kinds) from one query."""
    rows = sorted(_EDGES.rows(conn, a=a, b=b, names=list(stations)))  # station order
    n = len(rows)
    held = np.array([-1 if r[4] is None else code(r[4], r[5]) for r in rows], np.int64)
    # the last message: the last record's or the standing state's time, the later
    last = np.fmax(
        np.array([r[2] for r in rows], dtype=np.float64),
        np.array([r[3] for r in rows], dtype=np.float64),
    )
    first = np.array([r[8] for r in rows], dtype=np.float64)
    records = np.array([r[6] for r in rows], dtype=np.int64)
    ok = np.array([r[7] for r in rows], dtype=np.int64)
    c_station = np.repeat(np.arange(n), [len(r[9] or ()) for r in rows])
    c_s = np.array([x for r in rows for x in r[9] or ()], dtype=np.float64)
    c_kind = np.array(
        [code(st, rs) for r in rows if r[9] for st, rs in zip(r[10], r[11], strict=True)],
        dtype=np.int64,
    )
    names = tuple(r[1] for r in rows)
    return names, held, last, first, records, ok, c_station, c_s, c_kind


def _sqlite_edges(
    conn: Connection, stations: Collection[str], a: datetime, b: datetime,
    code: Callable[[str, str | None], int],
) -> _EdgeColumns:  # fmt: skip
    """SQLite: the columns of :class:`StationEdges` (less its kinds): the standing states and
    last messages (:func:`_before`), the changes, the records counted."""
    ms = t.machine_states
    ids, standing, last_message = _before(conn, stations, a)
    sids = sorted(ids)  # station order: the changes' order
    order = {sid: i for i, sid in enumerate(sids)}
    n = len(ids)
    held = np.full(n, -1, dtype=np.int64)
    last = np.full(n, np.nan)
    for sid, (_, state, reason) in standing.items():
        held[order[sid]] = code(state, reason)
    for sid, s in last_message.items():
        last[order[sid]] = s
    changes = conn.execute(
        select(ms.c.station_id, _epoch(conn, ms.c.ts), ms.c.state, ms.c.reason)
        .where(_among(conn, ms.c.station_id, ids), ms.c.ts >= a, ms.c.ts < b)
        .order_by(ms.c.station_id, ms.c.ts, ms.c.id)
    ).all()
    c_station = np.array([order[r[0]] for r in changes], dtype=np.int64)
    c_kind = np.array([code(r[2], r[3]) for r in changes], dtype=np.int64)
    c_s = _seconds(True, [r[1] for r in changes])
    tallies = _tallied(conn, ids, a, b, func.min)
    first = np.full(n, np.nan)
    records, ok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    where = np.array([order[r[0]] for r in tallies], dtype=np.int64)
    first[where] = _seconds(True, [r[3] for r in tallies])
    records[where] = [r[1] for r in tallies]
    ok[where] = [r[2] for r in tallies]
    names = tuple(ids[sid] for sid in sids)
    return names, held, last, first, records, ok, c_station, c_s, c_kind


def _edge_query() -> Compiled:
    """PostgreSQL, parameters ``a``, ``b`` and ``names``: per station named, (id, name, its
    last record's time before ``a``, the state standing at ``a``: its time, state and reason,
    the records in [a, b): count, OK count and the first one's time, and the state changes in
    [a, b) as three arrays in time order: times, states, reasons), times as epoch seconds,
    each part read by an index range scan of the station (lateral subqueries)."""
    sn, ms, pr = t.stations, t.machine_states, t.process_records
    a = bindparam("a", type_=ms.c.ts.type)
    b = bindparam("b", type_=ms.c.ts.type)
    m, p, q, c = ms.alias("m"), pr.alias("p"), pr.alias("q"), ms.alias("c")
    epoch = _pg_epoch
    standing = (
        select(epoch(m.c.ts).label("ts"), m.c.state, m.c.reason)
        .where(m.c.station_id == sn.c.id, m.c.ts < a)
        .order_by(m.c.ts.desc(), m.c.id.desc())
        .limit(1)
        .lateral("standing")
    )
    rec = select(func.max(p.c.ts)).where(p.c.station_id == sn.c.id, p.c.ts < a).scalar_subquery()
    tally = (
        select(func.count().label("n"), func.count().filter(q.c.result == "OK").label("ok"),
               epoch(func.min(q.c.ts)).label("first"))
        .where(q.c.station_id == sn.c.id, q.c.ts >= a, q.c.ts < b)
        .lateral("tally")
    )  # fmt: skip
    by_time = (c.c.ts, c.c.id)
    changes = (
        select(
            func.array_agg(aggregate_order_by(epoch(c.c.ts), *by_time)).label("t"),
            func.array_agg(aggregate_order_by(c.c.state, *by_time)).label("st"),
            func.array_agg(aggregate_order_by(c.c.reason, *by_time)).label("rs"),
        )
        .where(c.c.station_id == sn.c.id, c.c.ts >= a, c.c.ts < b)
        .lateral("changes")
    )
    yes: Any = literal_column("true")
    names = bindparam("names", type_=ARRAY(sn.c.name.type))
    return Compiled(
        select(sn.c.id, sn.c.name, epoch(rec), standing.c.ts, standing.c.state,
               standing.c.reason, tally.c.n, tally.c.ok, tally.c.first, changes.c.t,
               changes.c.st, changes.c.rs)
        .select_from(sn.outerjoin(standing, yes).join(tally, yes).join(changes, yes))
        .where(sn.c.name == any_(names))
    )  # fmt: skip


def _epoch(conn: Connection, col: Any) -> Any:
    """A time as :func:`_seconds` reads it: SQLite's text, PostgreSQL's epoch seconds."""
    if conn.dialect.name == "sqlite":
        return type_coerce(col, String)
    return _pg_epoch(col)


def _pg_epoch(col: Any) -> Any:
    """PostgreSQL: a time as epoch seconds (the correctly rounded double of its microseconds)."""
    return cast(func.extract("epoch", col), Float)


_EDGES = _edge_query()


# -- hourly summaries (migration 0010) ---------------------------------------------------------


def _station_ids(conn: Connection, stations: Collection[str]) -> dict[int, str]:
    """The ids of ``stations`` (those the store knows). Many names: every station read and
    picked here (a line's 789 names matched by the database took 4.5 ms, every station read
    under 1 ms)."""
    sn = t.stations
    if len(stations) < 64:
        q = select(sn.c.id, sn.c.name).where(_among(conn, sn.c.name, stations))
        return {r[0]: r[1] for r in conn.execute(q)}
    wanted = set(stations)
    return {r[0]: r[1] for r in conn.execute(select(sn.c.id, sn.c.name)) if r[1] in wanted}


#: The station summaries: (table, its downtime, the seconds each row covers) per grain.
_HOURS = (t.oee_hours, t.oee_hour_downtime, 3600)
_QUARTERS = (t.oee_quarters, t.oee_quarter_downtime, 900)
_Grain = tuple[Any, Any, int]


def _time(table: Any) -> Any:
    """The column of a summary's start (``hour_s``, or ``quarter_s`` of the quarters)."""
    return table.c.quarter_s if "quarter_s" in table.c else table.c.hour_s


def _runs(starts: list[int], span_s: int = 3600) -> list[tuple[float, float]]:
    """Sorted summary starts (hours, or quarters of ``span_s``) as disjoint [start, end)
    runs."""
    out: list[list[float]] = []
    for h in starts:
        if out and out[-1][1] == h:
            out[-1][1] = float(h + span_s)
        else:
            out.append([float(h), float(h + span_s)])
    return [(lo, hi) for lo, hi in out]


def _covered(
    conn: Connection, ids: dict[int, Any], since_s: int, until_s: int, silence_s: float,
    spans: dict[int, tuple[int, int, int]], table: Any = None, span_s: int = 3600,
) -> dict[Any, list[tuple[float, float]]]:  # fmt: skip
    """Runs of stored hours per station (or step, of the step hours ``table``; or quarters of
    ``span_s`` of the quarters ``table``) from (first, last, count) per key: one run when they
    are contiguous, else its starts read."""
    table = t.oee_hours if table is None else table
    key = table.c.step_id if table is t.oee_step_hours else table.c.station_id
    start = _time(table)
    out = {}
    for sid, (first, last, count) in spans.items():
        if (last - first) // span_s + 1 == count:
            out[ids[sid]] = [(float(first), float(last + span_s))]
            continue
        q = (
            select(start)
            .where(key == sid, table.c.silence_s == silence_s, start >= since_s,
                   start < until_s)
            .order_by(start)
        )  # fmt: skip
        out[ids[sid]] = _runs([int(h) for h in conn.execute(q).scalars()], span_s)
    return out


def _snapshot(conn: Connection) -> None:
    """Make the reads that follow on ``conn`` one snapshot (PostgreSQL: repeatable read; a
    SQLite read transaction is one already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _bucket(col: Any, buckets: Sequence[tuple[float, float]], span_s: int = 3600) -> Any:
    """The index of the bucket [lo, hi) that holds the hour (or the ``span_s`` seconds)
    starting at ``col`` whole, else -1.

    Literal numbers (whole seconds, exactly equivalent for integer hours): the same SQL text in
    SELECT and GROUP BY, which PostgreSQL requires of a grouped expression."""
    whens: list[tuple[Any, Any]] = [
        ((col >= literal_column(str(math.ceil(lo))))
         & (col <= literal_column(str(math.floor(hi) - span_s))), literal_column(str(k)))
        for k, (lo, hi) in enumerate(buckets)
    ]  # fmt: skip
    return (case(*whens, else_=literal_column("-1")) if whens else literal_column("-1")).label(
        "bucket"
    )


def _widen(spans: dict[int, tuple[int, int, int]], key: int, first: int, last: int,
           count: int) -> None:  # fmt: skip
    """Add a bucket's (first hour, last hour, count) to the key's span over every bucket."""
    if key in spans:
        f0, l0, c0 = spans[key]
        first, last, count = min(first, f0), max(last, l0), count + c0
    spans[key] = (first, last, count)


def oee_hour_sums(
    conn: Connection, stations: Collection[str], since_s: int, until_s: int, silence_s: float,
    buckets: Sequence[tuple[float, float]], by_step: bool = False,
    quarters: Sequence[tuple[int, int]] = (), downtime: bool = True,
) -> OeeHourSums:  # fmt: skip
    """The stored hours of ``stations`` in [since_s, until_s), and their stored quarters of an
    hour in each of the ranges ``quarters`` (a window's edges, outside [since_s, until_s)),
    summed per station and bucket (``by_step``: per step and bucket), and (``downtime``) their
    downtime by (state, reason), in one snapshot (``conn`` in a fresh transaction).

    ``by_step`` (a line's window: its rows are of steps and the line) reads each step whose
    every station is asked from its stored step hours (:func:`roll_up_steps`: one row per step
    and hour, not one per station and hour), and the station hours only where its step hours
    are missing (the hours since the last roll-up, a step with a station never summarised)."""
    osh, osd = t.oee_step_hours, t.oee_step_hour_downtime
    _snapshot(conn)
    if not by_step:
        some = _station_ids(conn, stations)
        out = _station_hour_sums(conn, some, [(since_s, until_s)], silence_s, buckets, None,
                                 downtime=downtime)  # fmt: skip
        if quarters:
            _add_hour_sums(out, _station_hour_sums(conn, some, quarters, silence_s, buckets,
                                                   None, _QUARTERS, downtime))  # fmt: skip
        return out
    # a line's stations: every station read with its step (one query), not looked up by name
    asked_names = set(stations)
    step_of: dict[int, int] = {}
    names: dict[int, tuple[str, str]] = {}
    ids: dict[int, str] = {}
    for sid, name, step_id, line, step in conn.execute(_STATION_STEPS):
        step_of[sid] = step_id
        names[step_id] = (line, step)
        if name in asked_names:
            ids[sid] = name
    if not ids:
        return OeeHourSums({}, {}, {}, {})
    size: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = defaultdict(int)
    for sid, step_id in step_of.items():
        size[step_id] += 1
        asked[step_id] += sid in ids
    whole = [k for k, n in asked.items() if n and n == size[k]]
    step_runs: dict[int, list[tuple[float, float]]] = {}
    step_sums: dict[tuple[int, int], tuple[float, float, float, int, int]] = {}
    if whole:
        bucket = _bucket(osh.c.hour_s, buckets)
        q = (
            select(osh.c.step_id, bucket, func.min(osh.c.hour_s), func.max(osh.c.hour_s),
                   func.count(), func.min(osh.c.stations), func.max(osh.c.stations),
                   func.sum(osh.c.pdot_s), func.sum(osh.c.apt_s), func.sum(osh.c.unqualified_s),
                   func.sum(osh.c.pq), func.sum(osh.c.gq))
            .where(_among(conn, osh.c.step_id, whole), osh.c.silence_s == silence_s,
                   osh.c.hour_s >= since_s, osh.c.hour_s < until_s)
            .group_by(osh.c.step_id, *([bucket] if buckets else []))
        )  # fmt: skip
        spans: dict[int, tuple[int, int, int]] = {}
        stale: set[int] = set()
        for r in conn.execute(q):
            step_id, k = r[0], int(r[1])
            if int(r[5]) != size[step_id] or int(r[6]) != size[step_id]:
                stale.add(step_id)  # summed over another set of stations: not used
            _widen(spans, step_id, int(r[2]), int(r[3]), int(r[4]))
            if k >= 0:
                step_sums[(step_id, k)] = _sums(r[7:])
        fresh = {k: v for k, v in spans.items() if k not in stale}
        step_runs = _covered(conn, {k: k for k in fresh}, since_s, until_s, silence_s, fresh, osh)
        step_sums = {key: v for key, v in step_sums.items() if key[0] in step_runs}
    # the station hours where a station's step hours are missing, stations grouped by the
    # hours to read (most often the same few hours of every step: since the last roll-up)
    gaps_of: dict[tuple[tuple[float, float], ...], dict[int, str]] = defaultdict(dict)
    for sid, name in ids.items():
        runs = step_runs.get(step_of[sid], [])
        gaps = tuple(_gaps_of(runs, since_s, until_s))
        if gaps:
            gaps_of[gaps][sid] = name
    out = OeeHourSums({}, {}, {}, {})
    for gaps, group in gaps_of.items():
        _add_hour_sums(out, _station_hour_sums(conn, group, gaps, silence_s, buckets, names,
                                               downtime=downtime))  # fmt: skip
    for sid, name in ids.items():
        if step_runs.get(step_of[sid]):
            out.covered[name] = merge_runs([*step_runs[step_of[sid]], *out.covered.get(name, [])])
    for (step_id, k), v in step_sums.items():
        key = (*names[step_id], k)
        out.step_sums[key] = _add_sums(out.step_sums.get(key), v)
    if quarters:  # the edges' quarters, per station (no step quarters: a few per station)
        _add_hour_sums(out, _station_hour_sums(conn, ids, quarters, silence_s, buckets, names,
                                               _QUARTERS, downtime))  # fmt: skip
    if step_runs and downtime:
        qd = (
            select(osd.c.state, osd.c.reason, func.sum(osd.c.seconds), func.sum(osd.c.begins))
            .where(_among(conn, osd.c.step_id, list(step_runs)), osd.c.silence_s == silence_s,
                   osd.c.hour_s >= since_s, osd.c.hour_s < until_s)
            .group_by(osd.c.state, osd.c.reason)
        )  # fmt: skip
        for r in conn.execute(qd):
            sec, begun = out.down.get((r[0], r[1]), (0.0, 0))
            out.down[(r[0], r[1])] = (sec + float(r[2]), begun + int(r[3]))
    return out


def _gaps_of(runs: Sequence[tuple[float, float]], lo: int, hi: int) -> list[tuple[float, float]]:
    """[lo, hi) less the sorted disjoint ``runs``."""
    out, x = [], float(lo)
    for a, b in runs:
        if a > x:
            out.append((x, min(a, hi)))
        x = max(x, b)
    if x < hi:
        out.append((x, float(hi)))
    return [(a, b) for a, b in out if b > a]


def _add_sums(
    a: tuple[float, float, float, int, int] | None, b: tuple[float, float, float, int, int]
) -> tuple[float, float, float, int, int]:
    if a is None:
        return b
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4]


def _add_hour_sums(out: OeeHourSums, more: OeeHourSums) -> None:
    """Add the sums read over other hours (or stations) to ``out``."""
    for name, runs in more.covered.items():
        out.covered[name] = merge_runs([*out.covered.get(name, []), *runs])
    for key, v in more.sums.items():
        out.sums[key] = _add_sums(out.sums.get(key), v)
    for key3, v in more.step_sums.items():
        out.step_sums[key3] = _add_sums(out.step_sums.get(key3), v)
    for key2, (sec, begun) in more.down.items():
        s0, b0 = out.down.get(key2, (0.0, 0))
        out.down[key2] = (s0 + sec, b0 + begun)


def _station_hour_sums(
    conn: Connection, ids: dict[int, str], ranges: Sequence[tuple[float, float]],
    silence_s: float, buckets: Sequence[tuple[float, float]],
    steps: dict[int, tuple[str, str]] | None, grain: _Grain = _HOURS, downtime: bool = True,
) -> OeeHourSums:  # fmt: skip
    """The station hours (or quarters: ``grain``) of ``ids`` in the ``ranges``, summed per
    station and bucket (or, given the ``steps`` (id -> (line, step)), per step and bucket),
    with (``downtime``) their downtime by (state, reason)."""
    out = OeeHourSums({}, {}, {}, {})
    for lo, hi in ranges:
        _add_hour_sums(out, _station_hours(conn, ids, int(lo), int(hi), silence_s, buckets,
                                           steps, grain, downtime))  # fmt: skip
    return out


def _station_hours(
    conn: Connection, ids: dict[int, str], since_s: int, until_s: int, silence_s: float,
    buckets: Sequence[tuple[float, float]], steps: dict[int, tuple[str, str]] | None,
    grain: _Grain = _HOURS, downtime: bool = True,
) -> OeeHourSums:  # fmt: skip
    oh, od, span_s = grain
    sn, start, down_start = t.stations, _time(oh), _time(od)
    bucket = _bucket(start, buckets, span_s)
    where = (
        _among(conn, oh.c.station_id, ids), oh.c.silence_s == silence_s,
        start >= since_s, start < until_s,
    )  # fmt: skip
    figures = (func.sum(oh.c.pdot_s), func.sum(oh.c.apt_s), func.sum(oh.c.unqualified_s),
               func.sum(oh.c.pq), func.sum(oh.c.gq))  # fmt: skip
    span = (func.min(start), func.max(start), func.count())
    spans: dict[int, tuple[int, int, int]] = {}
    sums: dict[tuple[str, int], tuple[float, float, float, int, int]] = {}
    step_sums: dict[tuple[str, str, int], tuple[float, float, float, int, int]] = {}
    if steps is not None:  # one scan: per station and bucket, then its spans and steps' sums
        per = (
            select(oh.c.station_id, bucket, *(x.label(f"x{i}") for i, x in enumerate(span)),
                   *(x.label(f"s{i}") for i, x in enumerate(figures)))
            .where(*where)
            .group_by(oh.c.station_id, *([bucket] if buckets else []))
            .cte("per")
        )  # fmt: skip
        zero: Any = literal_column("0")
        spans_q = select(
            zero.label("kind"), per.c.station_id, literal_column("-1"), func.min(per.c.x0),
            func.max(per.c.x1), func.sum(per.c.x2), *(zero for _ in figures),
        ).group_by(per.c.station_id)  # fmt: skip
        steps_q = (
            select(literal_column("1"), sn.c.step_id, per.c.bucket, zero, zero, zero,
                   *(func.sum(per.c[f"s{i}"]) for i in range(len(figures))))
            .join(sn, sn.c.id == per.c.station_id)
            .where(per.c.bucket >= 0)
            .group_by(sn.c.step_id, per.c.bucket)
        )  # fmt: skip
        for r in conn.execute(spans_q.union_all(steps_q)):
            if r[0] == 0:
                spans[r[1]] = (int(r[3]), int(r[4]), int(r[5]))
            else:
                step_sums[(*steps[r[1]], int(r[2]))] = _sums(r[6:])
    else:
        q = (
            select(oh.c.station_id, bucket, *span, *figures)
            .where(*where)
            .group_by(oh.c.station_id, *([bucket] if buckets else []))
        )
        for row in fetch_rows(conn, q):  # a line's stations x buckets: the driver's tuples
            sid, k = row[0], int(row[1])
            _widen(spans, sid, int(row[2]), int(row[3]), int(row[4]))
            if k >= 0:
                sums[(ids[sid], k)] = _sums(row[5:])
    covered = _covered(conn, ids, since_s, until_s, silence_s, spans, oh, span_s)
    if not downtime:
        return OeeHourSums(covered, sums, {}, step_sums)
    qd = (
        select(od.c.state, od.c.reason, func.sum(od.c.seconds), func.sum(od.c.begins))
        .where(_among(conn, od.c.station_id, ids), od.c.silence_s == silence_s,
               down_start >= since_s, down_start < until_s)
        .group_by(od.c.state, od.c.reason)
    )  # fmt: skip
    down = {(r[0], r[1]): (float(r[2]), int(r[3])) for r in conn.execute(qd)}
    return OeeHourSums(covered, sums, down, step_sums)


def _sums(r: Sequence[Any]) -> tuple[float, float, float, int, int]:
    return float(r[0]), float(r[1]), float(r[2]), int(r[3]), int(r[4])


#: Every station with its step: (station id, name, step id, line, step).
_STATION_STEPS = (
    select(t.stations.c.id, t.stations.c.name, t.steps.c.id, t.lines.c.name, t.steps.c.name)
    .join(t.steps, t.steps.c.id == t.stations.c.step_id)
    .join(t.lines, t.lines.c.id == t.steps.c.line_id)
)


def oee_covered(
    conn: Connection,
    stations: Collection[str],
    since_s: int,
    until_s: int,
    silence_s: float,
    span_s: int = 3600,
) -> dict[str, list[tuple[float, float]]]:
    """Per station, its stored hours (``span_s`` 900: quarters) in [since_s, until_s) as
    runs."""
    oh, _, span_s = _QUARTERS if span_s == 900 else _HOURS
    start = _time(oh)
    ids = _station_ids(conn, stations)
    q = (
        select(oh.c.station_id, func.min(start), func.max(start), func.count())
        .where(_among(conn, oh.c.station_id, ids), oh.c.silence_s == silence_s,
               start >= since_s, start < until_s)
        .group_by(oh.c.station_id)
    )  # fmt: skip
    spans = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(q)}
    return _covered(conn, ids, since_s, until_s, silence_s, spans, oh, span_s)


def oee_status(conn: Connection, stations: Collection[str]) -> dict[str, OeeStationStatus]:
    """Per station: its write counter, its first and last message (state change or record)."""
    sqlite = conn.dialect.name == "sqlite"
    sn, ms, pr = t.stations, t.machine_states, t.process_records
    cols = []
    for table in (ms, pr):
        x = table.alias()
        for fn in (func.min, func.max):
            sub = select(fn(x.c.ts)).where(x.c.station_id == sn.c.id).scalar_subquery()
            cols.append(type_coerce(sub, String) if sqlite else sub)
    ids = _station_ids(conn, stations)
    rows = conn.execute(select(sn.c.id, sn.c.oee_version, *cols).where(_among(conn, sn.c.id, ids)))
    out = {}
    for r in rows:
        firsts = [v for v in (r[2], r[4]) if v is not None]
        lasts = [v for v in (r[3], r[5]) if v is not None]
        first = min(ts.timestamp() for ts in _parse(conn, firsts)) if firsts else None
        last = max(ts.timestamp() for ts in _parse(conn, lasts)) if lasts else None
        out[ids[r[0]]] = OeeStationStatus(int(r[1]), first, last)
    return out


def put_oee_hours(conn: Connection, hours: Sequence[OeeHour], versions: Mapping[str, int]) -> int:
    """Store ``hours`` (and quarters: ``span_s`` 900) of the stations whose counter still
    equals ``versions``, the counters locked (``conn``: a write transaction, ordered after
    every write committed before it); the number of hours stored."""
    sn = t.stations
    ids = {v: k for k, v in _station_ids(conn, versions).items()}
    q = select(sn.c.id, sn.c.oee_version).where(_among(conn, sn.c.id, ids.values()))
    if conn.dialect.name == "postgresql":
        q = q.order_by(sn.c.id).with_for_update()
    now = {r[0]: int(r[1]) for r in conn.execute(q)}
    fresh = {n for n, v in versions.items() if n in ids and now.get(ids[n]) == v}
    stored = 0
    for grain in (_HOURS, _QUARTERS):
        wanted = [h for h in hours if h.station in fresh and h.span_s == grain[2]]
        put = _put_summaries(conn, wanted, ids, grain) if wanted else 0
        stored += put if grain is _HOURS else 0
    return stored


def _put_summaries(
    conn: Connection, wanted: Sequence[OeeHour], ids: Mapping[str, int], grain: _Grain
) -> int:
    """Store the summaries ``wanted`` of one grain not stored yet; how many."""
    oh, od, _ = grain
    start, down_start = _time(oh), _time(od)
    # those already stored (a pass meanwhile): one read for the batch
    lo_s, hi_s = min(h.hour_s for h in wanted), max(h.hour_s for h in wanted)
    q2 = select(oh.c.station_id, start, oh.c.silence_s).where(
        _among(conn, oh.c.station_id, {ids[h.station] for h in wanted}),
        start >= lo_s, start <= hi_s,
    )  # fmt: skip
    stored = {(int(r[0]), int(r[1]), float(r[2])) for r in conn.execute(q2)}
    new = [h for h in wanted if (ids[h.station], h.hour_s, h.silence_s) not in stored]
    if not new:
        return 0
    hour_cols = ("station_id", start.name, "silence_s", "pdot_s", "apt_s", "unqualified_s",
                 "pq", "gq")  # fmt: skip
    hour_rows = [(ids[h.station], h.hour_s, h.silence_s, h.pdot_s, h.apt_s, h.unqualified_s,
                  h.pq, h.gq) for h in new]  # fmt: skip
    down_cols = ("station_id", down_start.name, "silence_s", "state", "reason", "seconds",
                 "begins")  # fmt: skip
    down_rows = [
        (ids[h.station], h.hour_s, h.silence_s, state, reason, sec, begun)
        for h in new for (state, reason), (sec, begun) in h.down.items()
    ]  # fmt: skip
    for table, cols, rows in ((oh, hour_cols, hour_rows), (od, down_cols, down_rows)):
        if not rows:
            continue
        if conn.dialect.name == "postgresql":  # binary COPY: ~700,000 rows a day of a line
            copy_rows(conn, table.name, cols, rows)  # type: ignore[arg-type]
        else:
            conn.execute(insert(table), [dict(zip(cols, r, strict=True)) for r in rows])
    return len(new)


def invalidate(conn: Connection, earliest: Mapping[int, Any]) -> None:
    """Bump the counters of the stations written (station id -> earliest time written, as the
    bulk path binds it) and delete their summaries from that time's hour (and quarter) on:
    first thing in the write's transaction, in station order (no deadlock between writers)."""
    if not earliest:
        return
    sids = sorted(earliest)
    sn = t.stations
    sqlite = conn.dialect.name == "sqlite"
    bump = update(sn).values(oee_version=sn.c.oee_version + 1)
    if sqlite:  # one writer
        conn.execute(bump.where(sn.c.id == bindparam("sid")), [{"sid": s} for s in sids])
    else:  # the rows locked in station order, then one update (not a statement per station)
        ids = bindparam("ids", sids, type_=ARRAY(BigInteger))
        conn.execute(select(sn.c.id).where(sn.c.id == any_(ids)).order_by(sn.c.id)
                     .with_for_update()).all()  # fmt: skip
        conn.execute(bump.where(sn.c.id == any_(ids)))
    params = []
    for s in sids:
        ts = earliest[s]
        if sqlite:
            ts = _parse(conn, [ts])[0]
        at = _utc(ts).timestamp()
        params.append({"sid": s, "h": math.floor(at / 3600.0) * 3600,
                       "q": math.floor(at / 900.0) * 900})  # fmt: skip
    if sqlite:
        for stmt in _SQLITE_INVALIDATE:
            conn.execute(stmt, params)
        return
    # PostgreSQL: a statement per table, the stations and their times as arrays (a statement
    # per station and table took 30 to 60 ms a table for 789 stations, on 1 day of the
    # reference line summarised)
    arrays = {"sids": [p["sid"] for p in params], "hs": [p["h"] for p in params],
              "qs": [p["q"] for p in params]}  # fmt: skip
    for stmt in _PG_INVALIDATE:
        conn.execute(stmt, arrays)


#: Every summary table in the order :func:`invalidate` deletes from them: the step hours
#: after the station hours, so that a roll-up committed meanwhile (it holds the counters FOR
#: SHARE: the counters' update waited for it) is seen and its step hours deleted too.
_SUMMARIES = (t.oee_hour_downtime, t.oee_hours, t.oee_quarter_downtime, t.oee_quarters,
              t.oee_step_hour_downtime, t.oee_step_hours)  # fmt: skip


def _invalidations(sid: Any, hour: Any, quarter: Any) -> list[Any]:
    """Per summary table (:data:`_SUMMARIES`), the delete of :func:`invalidate`: the rows of
    the station ``sid`` (of its step, in the step tables) from ``hour`` (``quarter`` in the
    quarters' tables) on."""
    sn = t.stations
    out = []
    for table in _SUMMARIES:
        since = quarter if "quarter_s" in table.c else hour
        if "step_id" in table.c:
            key = table.c.step_id == select(sn.c.step_id).where(sn.c.id == sid).scalar_subquery()
        else:
            key = table.c.station_id == sid
        out.append(delete(table).where(key, _time(table) >= since))
    return out


# SQLite: per station (executemany); PostgreSQL: for all stations at once, from arrays
_SQLITE_INVALIDATE = _invalidations(bindparam("sid"), bindparam("h"), bindparam("q"))
_ARRAYS = select(
    *(func.unnest(bindparam(name, type_=ARRAY(BigInteger))).label(col)
      for name, col in (("sids", "sid"), ("hs", "h"), ("qs", "q")))
).subquery("x")  # fmt: skip
_PG_INVALIDATE = _invalidations(_ARRAYS.c.sid, _ARRAYS.c.h, _ARRAYS.c.q)


def drop_oee_hours(conn: Connection) -> None:
    """Delete every hourly summary (the calendars, steps or PRI changed)."""
    for table in _SUMMARIES:
        conn.execute(delete(table))


def roll_up_steps(conn: Connection, silence_s: float, since_s: int) -> int:
    """Store the step hours from ``since_s`` on that are complete (each station of the step has
    its hour stored) and not stored yet: the station hours summed per step. ``conn``: a write
    transaction. The number of step hours stored.

    On PostgreSQL the steps are locked first (one roll-up at a time) and then every station's
    counter FOR SHARE: no write can delete a station hour (:func:`invalidate` updates the
    counters first) nor a summariser store one (:func:`put_oee_hours` locks them FOR UPDATE)
    until this commits, so the two inserts sum the same station hours. SQLite has one writer."""
    oh, od, sn, st = t.oee_hours, t.oee_hour_downtime, t.stations, t.steps
    osh, osd = t.oee_step_hours, t.oee_step_hour_downtime
    if conn.dialect.name == "postgresql":
        conn.execute(select(st.c.id).order_by(st.c.id).with_for_update()).all()
        conn.execute(select(sn.c.id).order_by(sn.c.id).with_for_update(read=True)).all()
    s2 = sn.alias("s2")
    x = osh.alias("x")
    size = select(func.count()).where(s2.c.step_id == sn.c.step_id).scalar_subquery()
    stored = (
        select(x.c.step_id)
        .where(x.c.step_id == sn.c.step_id, x.c.silence_s == oh.c.silence_s,
               x.c.hour_s == oh.c.hour_s)
        .exists()
    )  # fmt: skip
    complete = (
        select(sn.c.step_id.label("step_id"), oh.c.silence_s.label("silence_s"),
               oh.c.hour_s.label("hour_s"), func.count().label("stations"),
               func.sum(oh.c.pdot_s), func.sum(oh.c.apt_s), func.sum(oh.c.unqualified_s),
               func.sum(oh.c.pq), func.sum(oh.c.gq))
        .join(sn, sn.c.id == oh.c.station_id)
        .where(oh.c.silence_s == silence_s, oh.c.hour_s >= since_s)
        .group_by(sn.c.step_id, oh.c.silence_s, oh.c.hour_s)
        .having((func.count() == size) & ~stored)
    )  # fmt: skip
    keys = complete.subquery("k")
    down = (
        select(sn.c.step_id, od.c.hour_s, od.c.silence_s, od.c.state, od.c.reason,
               func.sum(od.c.seconds), func.sum(od.c.begins))
        .join(sn, sn.c.id == od.c.station_id)
        .join(keys, (keys.c.step_id == sn.c.step_id) & (keys.c.silence_s == od.c.silence_s)
              & (keys.c.hour_s == od.c.hour_s))
        .where(od.c.silence_s == silence_s, od.c.hour_s >= since_s)
        .group_by(sn.c.step_id, od.c.hour_s, od.c.silence_s, od.c.state, od.c.reason)
    )  # fmt: skip
    down_cols = ["step_id", "hour_s", "silence_s", "state", "reason", "seconds", "begins"]
    conn.execute(insert(osd).from_select(down_cols, down))
    hour_cols = ["step_id", "silence_s", "hour_s", "stations", "pdot_s", "apt_s",
                 "unqualified_s", "pq", "gq"]  # fmt: skip
    put = insert(osh).from_select(hour_cols, complete).returning(osh.c.hour_s)
    return len(conn.execute(put).all())
