"""The shop floor as stored: stations, their state changes and record counts over a window.

What the dashboard's plant, line and station pages read
(:class:`gigaline.mes.ports.FloorReader`), and the genealogy graph of a unit (its links, not
only its ancestors) that the cell page draws. Each function takes an open connection and
returns the plain data of :mod:`gigaline.mes.ports`; every statement is SQLAlchemy Core
(parameterised) and uses the indexes on ``machine_states(station_id, ts)`` and
``genealogy(child)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, literal, select

from gigaline.mes.ports import StateChange, StationInfo, StationTally
from gigaline.mes.sql import tables as t

__all__ = [
    "ancestor_edges",
    "floor_stations",
    "hold_units",
    "latest_time",
    "state_changes",
    "station_tallies",
]


def _utc(ts: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite returns them naive, meaning UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def floor_stations(conn: Connection) -> list[StationInfo]:
    """Every registered station with its step, line and route position."""
    sn, st, ln = t.stations, t.steps, t.lines
    q = (
        select(sn.c.name, st.c.name, ln.c.name, st.c.position)
        .join(st, st.c.id == sn.c.step_id)
        .join(ln, ln.c.id == st.c.line_id)
        .order_by(ln.c.name, st.c.position, sn.c.name)
    )
    return [StationInfo(a, b, c, int(d)) for a, b, c, d in conn.execute(q)]


def latest_time(conn: Connection) -> datetime | None:
    """The newest ``ts`` of the process records and the machine states."""
    a = conn.execute(select(func.max(t.process_records.c.ts))).scalar()
    b = conn.execute(select(func.max(t.machine_states.c.ts))).scalar()
    found = [x for x in (a, b) if x is not None]
    return max(_utc(x) for x in found) if found else None


def state_changes(conn: Connection, since: datetime, until: datetime) -> list[StateChange]:
    """State changes in ``[since, until)`` and each station's last one before ``since``."""
    ms, sn = t.machine_states, t.stations
    since, until = _utc(since), _utc(until)
    before = (
        select(ms.c.station_id, func.max(ms.c.ts).label("ts"))
        .where(ms.c.ts < since)
        .group_by(ms.c.station_id)
        .subquery()
    )
    opening = (
        select(sn.c.name, ms.c.ts, ms.c.state, ms.c.reason, ms.c.id)
        .join(sn, sn.c.id == ms.c.station_id)
        .join(before, (before.c.station_id == ms.c.station_id) & (before.c.ts == ms.c.ts))
    )
    inside = (
        select(sn.c.name, ms.c.ts, ms.c.state, ms.c.reason, ms.c.id)
        .join(sn, sn.c.id == ms.c.station_id)
        .where(ms.c.ts >= since, ms.c.ts < until)
    )
    rows = [(r[0], _utc(r[1]), r[2], r[3], r[4]) for r in conn.execute(opening)]
    rows += [(r[0], _utc(r[1]), r[2], r[3], r[4]) for r in conn.execute(inside)]
    rows.sort(key=lambda r: (r[0], r[1], r[4]))
    out: list[StateChange] = []
    for name, ts, state, reason, _ in rows:
        if out and out[-1].station == name and out[-1].ts == ts and ts < since:
            out[-1] = StateChange(name, ts, state, reason)  # two at the same instant: the last
        else:
            out.append(StateChange(name, ts, state, reason))
    return out


def station_tallies(conn: Connection, since: datetime, until: datetime) -> list[StationTally]:
    """Records, OK records and the last record time per station in ``[since, until)``."""
    pr, sn = t.process_records, t.stations
    since, until = _utc(since), _utc(until)
    ok = func.sum(case((pr.c.result == "OK", 1), else_=0))
    q = (
        select(sn.c.name, func.count(), ok, func.max(pr.c.ts))
        .join(sn, sn.c.id == pr.c.station_id)
        .where(pr.c.ts >= since, pr.c.ts < until)
        .group_by(sn.c.name)
        .order_by(sn.c.name)
    )
    return [
        StationTally(name, int(n), int(k or 0), None if last is None else _utc(last))
        for name, n, k, last in conn.execute(q)
    ]


def hold_units(conn: Connection, hold_id: int, limit: int) -> list[str]:
    """The first ``limit`` units (by name) a hold covers."""
    hu = t.held_units
    q = select(hu.c.unit).where(hu.c.hold_id == hold_id).order_by(hu.c.unit).limit(limit)
    return list(conn.execute(q).scalars())


def _edges_stmt() -> Any:
    g = t.genealogy
    up = (
        select(g.c.parent, g.c.parent_kind, g.c.child)
        .where(g.c.child == bindparam("unit"))
        .cte("up", recursive=True)
    )
    up = up.union(
        select(g.c.parent, g.c.parent_kind, g.c.child).join(
            up, and_(g.c.child == up.c.parent, up.c.parent_kind == literal("unit"))
        )
    )
    return select(up.c.parent, up.c.parent_kind, up.c.child)


_EDGES = _edges_stmt()


def ancestor_edges(conn: Connection, unit: str) -> list[tuple[str, str, str]]:
    """The genealogy links behind ``unit`` (recursive CTE, one index lookup per level)."""
    return sorted({(r[0], r[1], r[2]) for r in conn.execute(_EDGES, {"unit": unit})})
