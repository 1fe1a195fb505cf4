"""What live OEE reads: the lines' calendars, the steps' PRI, and each station's states and
process records in a window (:class:`gigaline.mes.ports.OeeReader`).

The records of a window are read as (station, end time, result) only, their times parsed at
once by numpy (SQLite keeps times as text) or taken as epoch seconds from PostgreSQL: a day of
the 20 GWh line is about a million records, and nothing else of them is needed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    ARRAY,
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

from gigaline.mes.ports import (
    OeeHour,
    OeeHourSums,
    OeeLayout,
    OeeStationStatus,
    OeeStep,
    RecordTally,
    StationEdge,
    StationTimeline,
)
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.fastrows import copy_rows

__all__ = [
    "drop_oee_hours",
    "invalidate",
    "oee_covered",
    "oee_hour_sums",
    "oee_layout",
    "oee_status",
    "put_oee_hours",
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
    return [_utc(v) for v in values]  # type: ignore[arg-type]


def station_record_tallies(
    conn: Connection, stations: Collection[str], since: datetime, until: datetime
) -> dict[str, RecordTally]:
    """Per station with records in [since, until): their count, OK count and newest time,
    counted by the database (one grouped query: no record crosses to Python)."""
    a, b = _utc(since), _utc(until)
    sqlite = conn.dialect.name == "sqlite"
    sn, pr = t.stations, t.process_records
    ids = {
        r[0]: r[1]
        for r in conn.execute(
            select(sn.c.id, sn.c.name).where(_among(conn, sn.c.name, list(stations)))
        )
    }
    if not ids:
        return {}
    newest = type_coerce(func.max(pr.c.ts), String) if sqlite else func.max(pr.c.ts)
    rows = conn.execute(
        select(pr.c.station_id, func.count(), func.sum(case((pr.c.result == "OK", 1), else_=0)),
               newest)
        .where(_among(conn, pr.c.station_id, ids), pr.c.ts >= a, pr.c.ts < b)
        .group_by(pr.c.station_id)
    ).all()  # fmt: skip
    times = _parse(conn, [r[3] for r in rows])
    return {
        ids[r[0]]: RecordTally(int(r[1]), int(r[2]), ts.timestamp())
        for r, ts in zip(rows, times, strict=True)
    }


def _before(
    conn: Connection, stations: Collection[str], a: datetime
) -> tuple[dict[int, str], dict[int, tuple[datetime, str, str | None]], dict[int, float]]:
    """Per station (by id) of ``stations``: the state standing at ``a`` and the time of its
    last message (state change or record) before ``a``, in one query: per station the id of
    its last change before ``a`` and the end of its last record before ``a``, correlated
    subqueries (an index range scan each, on ``(station_id, ts)``)."""
    sn, ms, pr = t.stations, t.machine_states, t.process_records
    m, p = ms.alias("m"), pr.alias("p")
    last_id = (
        select(m.c.id)
        .where(m.c.station_id == sn.c.id, m.c.ts < a)
        .order_by(m.c.ts.desc(), m.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    last_rec = select(func.max(p.c.ts)).where(p.c.station_id == sn.c.id, p.c.ts < a)
    inner = (
        select(
            sn.c.id, sn.c.name, last_id.label("state_id"), last_rec.scalar_subquery().label("rec")
        )
        .where(_among(conn, sn.c.name, list(stations)))
        .subquery("s")
    )
    rows = conn.execute(
        select(inner.c.id, inner.c.name, _as_read(conn, inner.c.rec), _as_read(conn, ms.c.ts),
               ms.c.state, ms.c.reason)
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
    rows = conn.execute(
        select(ms.c.station_id, _as_read(conn, ms.c.ts), ms.c.state, ms.c.reason)
        .where(_among(conn, ms.c.station_id, ids), ms.c.ts >= a, ms.c.ts < b)
        .order_by(ms.c.station_id, ms.c.ts, ms.c.id)
    ).all()
    inside: dict[int, list[tuple[datetime, str, str | None]]] = defaultdict(list)
    for r, ts in zip(rows, _parse(conn, [r[1] for r in rows]), strict=True):
        inside[r[0]].append((ts, r[2], r[3]))
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
    rec_ts = type_coerce(pr.c.ts, String) if sqlite else cast(func.extract("epoch", pr.c.ts), Float)
    recs = (
        conn.execute(
            select(pr.c.station_id, rec_ts, pr.c.result)
            .where(_among(conn, pr.c.station_id, ids), pr.c.ts >= a, pr.c.ts < b)
            .order_by(pr.c.station_id, pr.c.ts)
        ).all()
        if records
        else []
    )
    station = np.array([r[0] for r in recs], dtype=np.int64)
    seconds = _seconds(sqlite, [r[1] for r in recs])
    ok = np.array([r[2] == "OK" for r in recs], dtype=np.bool_)
    out = {}
    for sid, name in ids.items():  # the records in station order: each station's a slice
        i, j = (
            int(np.searchsorted(station, sid, "left")),
            int(np.searchsorted(station, sid, "right")),
        )
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
) -> dict[str, StationEdge]:
    """Per station: its timeline over [since, until) without records, and of its records
    there the first one's end time, their count and OK count, from the database (one grouped
    query: the records of live OEE's edges never cross to Python)."""
    a, b = _utc(since), _utc(until)
    sqlite = conn.dialect.name == "sqlite"
    pr = t.process_records
    ids, standing, last_message = _before(conn, stations, a)
    inside = _changes(conn, ids, a, b)
    first = (
        type_coerce(func.min(pr.c.ts), String) if sqlite
        else cast(func.extract("epoch", func.min(pr.c.ts)), Float)
    )  # fmt: skip
    rows = conn.execute(
        select(pr.c.station_id, func.count(), func.count().filter(pr.c.result == "OK"), first)
        .where(_among(conn, pr.c.station_id, ids), pr.c.ts >= a, pr.c.ts < b)
        .group_by(pr.c.station_id)
    ).all()
    seconds = _seconds(sqlite, [r[3] for r in rows]).tolist()
    tally = {r[0]: (int(r[1]), int(r[2]), s) for r, s in zip(rows, seconds, strict=True)}
    no_s, no_ok = np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.bool_)
    out = {}
    for sid, name in ids.items():
        n, ok, first_s = tally.get(sid, (0, 0, None))
        tl = StationTimeline(
            name, standing.get(sid), inside.get(sid, []), no_s, no_ok, last_message.get(sid)
        )
        out[name] = StationEdge(tl, first_s, n, ok)
    return out


# -- hourly summaries (migration 0010) ---------------------------------------------------------


def _station_ids(conn: Connection, stations: Collection[str]) -> dict[int, str]:
    sn = t.stations
    q = select(sn.c.id, sn.c.name).where(_among(conn, sn.c.name, stations))
    return {r[0]: r[1] for r in conn.execute(q)}


def _runs(hours: list[int]) -> list[tuple[float, float]]:
    """Sorted hour starts as disjoint [start, end) runs."""
    out: list[list[float]] = []
    for h in hours:
        if out and out[-1][1] == h:
            out[-1][1] = h + 3600.0
        else:
            out.append([float(h), h + 3600.0])
    return [(lo, hi) for lo, hi in out]


def _covered(
    conn: Connection, ids: dict[int, str], since_s: int, until_s: int, silence_s: float,
    spans: dict[int, tuple[int, int, int]],
) -> dict[str, list[tuple[float, float]]]:  # fmt: skip
    """Runs of stored hours per station from (first, last, count) per station: one run when
    they are contiguous, else the station's hours read."""
    oh = t.oee_hours
    out = {}
    for sid, (first, last, count) in spans.items():
        if (last - first) // 3600 + 1 == count:
            out[ids[sid]] = [(float(first), last + 3600.0)]
            continue
        q = (
            select(oh.c.hour_s)
            .where(oh.c.station_id == sid, oh.c.silence_s == silence_s,
                   oh.c.hour_s >= since_s, oh.c.hour_s < until_s)
            .order_by(oh.c.hour_s)
        )  # fmt: skip
        out[ids[sid]] = _runs([int(h) for h in conn.execute(q).scalars()])
    return out


def _snapshot(conn: Connection) -> None:
    """Make the reads that follow on ``conn`` one snapshot (PostgreSQL: repeatable read; a
    SQLite read transaction is one already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def oee_hour_sums(
    conn: Connection, stations: Collection[str], since_s: int, until_s: int, silence_s: float,
    buckets: Sequence[tuple[float, float]], by_step: bool = False,
) -> OeeHourSums:  # fmt: skip
    """The stored hours of ``stations`` in [since_s, until_s), summed per station and bucket
    (``by_step``: per step and bucket, the database adding up the stations: a line of 789
    stations by shift over 16 days is 48 buckets), and their downtime by (state, reason), in
    one snapshot (``conn`` in a fresh transaction)."""
    oh, od, sn = t.oee_hours, t.oee_hour_downtime, t.stations
    _snapshot(conn)
    ids = _station_ids(conn, stations)
    # literal numbers (whole seconds, exactly equivalent for integer hours): the same SQL
    # text in SELECT and GROUP BY, which PostgreSQL requires of a grouped expression
    whens: list[tuple[Any, Any]] = [
        ((oh.c.hour_s >= literal_column(str(math.ceil(lo))))
         & (oh.c.hour_s <= literal_column(str(math.floor(hi) - 3600))), literal_column(str(k)))
        for k, (lo, hi) in enumerate(buckets)
    ]  # fmt: skip
    bucket = (case(*whens, else_=literal_column("-1")) if whens else literal_column("-1")).label(
        "bucket"
    )
    where = (
        _among(conn, oh.c.station_id, ids), oh.c.silence_s == silence_s,
        oh.c.hour_s >= since_s, oh.c.hour_s < until_s,
    )  # fmt: skip
    figures = (func.sum(oh.c.pdot_s), func.sum(oh.c.apt_s), func.sum(oh.c.unqualified_s),
               func.sum(oh.c.pq), func.sum(oh.c.gq))  # fmt: skip
    span = (func.min(oh.c.hour_s), func.max(oh.c.hour_s), func.count())
    spans: dict[int, tuple[int, int, int]] = {}
    sums: dict[tuple[str, int], tuple[float, float, float, int, int]] = {}
    step_sums: dict[tuple[str, str, int], tuple[float, float, float, int, int]] = {}
    if by_step:  # one scan: per station and bucket, then its spans and the steps' sums
        per = (
            select(oh.c.station_id, bucket, *(x.label(f"x{i}") for i, x in enumerate(span)),
                   *(x.label(f"s{i}") for i, x in enumerate(figures)))
            .where(*where)
            .group_by(oh.c.station_id, *([bucket] if whens else []))
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
        steps = _step_names(conn)
        for r in conn.execute(spans_q.union_all(steps_q)):
            if r[0] == 0:
                spans[r[1]] = (int(r[3]), int(r[4]), int(r[5]))
            else:
                step_sums[(*steps[r[1]], int(r[2]))] = _sums(r[6:])
    else:
        q = (
            select(oh.c.station_id, bucket, *span, *figures)
            .where(*where)
            .group_by(oh.c.station_id, *([bucket] if whens else []))
        )
        for r in conn.execute(q):
            sid, k = r[0], int(r[1])
            first, last, count = int(r[2]), int(r[3]), int(r[4])
            if sid in spans:
                f0, l0, c0 = spans[sid]
                first, last, count = min(first, f0), max(last, l0), count + c0
            spans[sid] = (first, last, count)
            if k >= 0:
                sums[(ids[sid], k)] = _sums(r[5:])
    covered = _covered(conn, ids, since_s, until_s, silence_s, spans)
    qd = (
        select(od.c.state, od.c.reason, func.sum(od.c.seconds), func.sum(od.c.begins))
        .where(_among(conn, od.c.station_id, ids), od.c.silence_s == silence_s,
               od.c.hour_s >= since_s, od.c.hour_s < until_s)
        .group_by(od.c.state, od.c.reason)
    )  # fmt: skip
    down = {(r[0], r[1]): (float(r[2]), int(r[3])) for r in conn.execute(qd)}
    return OeeHourSums(covered, sums, down, step_sums)


def _sums(r: Sequence[Any]) -> tuple[float, float, float, int, int]:
    return float(r[0]), float(r[1]), float(r[2]), int(r[3]), int(r[4])


def _step_names(conn: Connection) -> dict[int, tuple[str, str]]:
    """Step id -> (line, step)."""
    st, ln = t.steps, t.lines
    q = select(st.c.id, ln.c.name, st.c.name).join(ln, ln.c.id == st.c.line_id)
    return {r[0]: (r[1], r[2]) for r in conn.execute(q)}


def oee_covered(
    conn: Connection, stations: Collection[str], since_s: int, until_s: int, silence_s: float
) -> dict[str, list[tuple[float, float]]]:
    """Per station, its stored hours in [since_s, until_s) as runs."""
    oh = t.oee_hours
    ids = _station_ids(conn, stations)
    q = (
        select(oh.c.station_id, func.min(oh.c.hour_s), func.max(oh.c.hour_s), func.count())
        .where(_among(conn, oh.c.station_id, ids), oh.c.silence_s == silence_s,
               oh.c.hour_s >= since_s, oh.c.hour_s < until_s)
        .group_by(oh.c.station_id)
    )  # fmt: skip
    spans = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(q)}
    return _covered(conn, ids, since_s, until_s, silence_s, spans)


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
    """Store ``hours`` of the stations whose counter still equals ``versions``, the counters
    locked (``conn``: a write transaction, ordered after every write committed before it)."""
    sn, oh, od = t.stations, t.oee_hours, t.oee_hour_downtime
    ids = {v: k for k, v in _station_ids(conn, versions).items()}
    q = select(sn.c.id, sn.c.oee_version).where(_among(conn, sn.c.id, ids.values()))
    if conn.dialect.name == "postgresql":
        q = q.order_by(sn.c.id).with_for_update()
    now = {r[0]: int(r[1]) for r in conn.execute(q)}
    fresh = {n for n, v in versions.items() if n in ids and now.get(ids[n]) == v}
    wanted = [h for h in hours if h.station in fresh]
    if not wanted:
        return 0
    # the hours already stored (a pass meanwhile): one read for the batch
    lo_s, hi_s = min(h.hour_s for h in wanted), max(h.hour_s for h in wanted)
    q2 = select(oh.c.station_id, oh.c.hour_s, oh.c.silence_s).where(
        _among(conn, oh.c.station_id, {ids[h.station] for h in wanted}),
        oh.c.hour_s >= lo_s, oh.c.hour_s <= hi_s,
    )  # fmt: skip
    stored = {(int(r[0]), int(r[1]), float(r[2])) for r in conn.execute(q2)}
    new = [h for h in wanted if (ids[h.station], h.hour_s, h.silence_s) not in stored]
    if not new:
        return 0
    hour_cols = (
        "station_id",
        "hour_s",
        "silence_s",
        "pdot_s",
        "apt_s",
        "unqualified_s",
        "pq",
        "gq",
    )
    hour_rows = [(ids[h.station], h.hour_s, h.silence_s, h.pdot_s, h.apt_s, h.unqualified_s,
                  h.pq, h.gq) for h in new]  # fmt: skip
    down_cols = ("station_id", "hour_s", "silence_s", "state", "reason", "seconds", "begins")
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
    bulk path binds it) and delete their summaries from that time's hour on: first thing in
    the write's transaction, in station order (no deadlock between writers)."""
    if not earliest:
        return
    sids = sorted(earliest)
    sn, oh, od = t.stations, t.oee_hours, t.oee_hour_downtime
    conn.execute(
        update(sn).where(sn.c.id == bindparam("sid")).values(oee_version=sn.c.oee_version + 1),
        [{"sid": s} for s in sids],
    )
    sqlite = conn.dialect.name == "sqlite"
    params = []
    for s in sids:
        ts = earliest[s]
        if sqlite:
            ts = _parse(conn, [ts])[0]
        params.append({"sid": s, "h": math.floor(_utc(ts).timestamp() / 3600.0) * 3600})
    for table in (od, oh):
        conn.execute(
            delete(table).where(table.c.station_id == bindparam("sid"),
                                table.c.hour_s >= bindparam("h")),
            params,
        )  # fmt: skip


def drop_oee_hours(conn: Connection) -> None:
    """Delete every hourly summary (the calendars, steps or PRI changed)."""
    conn.execute(delete(t.oee_hour_downtime))
    conn.execute(delete(t.oee_hours))
