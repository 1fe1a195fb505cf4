"""Recall queries: a unit's trace (history and backward genealogy) and where-used (forward).

The backward genealogy (what a unit is made of: a few dozen rows) is walked with a recursive
common table expression (SQL:1999 ``WITH RECURSIVE``, in SQLite since 3.8.3 and PostgreSQL
since 8.4), each step one index lookup on ``genealogy(child)``; ``UNION`` (not ``UNION ALL``)
stops on cycles and diamonds.

The forward genealogy (where-used: from a few units to a day's cells) is walked level by level
from Python, one statement per level looking up the whole level on ``genealogy(parent)``
(:func:`among`), then the units' types by their primary key. A recursive CTE does the same
lookups, but PostgreSQL cannot estimate its size: it planned ~880,000 rows for a coil with 5
descendants, joined them to ``units`` by a hash over a sequential scan of the whole table and
compiled the plan with JIT (2.8 s on one day of the reference line, under load, for 5 rows). A
level's lookup has a plan that does not depend on the level's size. Each name is expanded once
(a set of those seen), so the walk ends on cycles and diamonds too.

Ingestion refuses an event that would close a cycle, but a store written otherwise (or before
that check) may hold one: the walks then still end, and never list the start among its own
ancestors or descendants. SQL is built with SQLAlchemy Core or, for :func:`among`, from
constants of this package with every value bound: parameterised.
Each function takes an open connection and returns the plain data of :mod:`gigaline.mes.ports`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    union,
)

from gigaline.mes.ports import ActiveHold, Link, StepResult, StoredCurve, StoredRecord, UnitHistory
from gigaline.mes.sql import tables as t

__all__ = [
    "among",
    "ancestors",
    "descendant_names",
    "descendants",
    "first_state_time",
    "history",
    "kind_of",
    "latest_time",
    "links",
    "step_results",
    "table_counts",
]

g = t.genealogy


def _ancestors_stmt() -> Select[Any]:
    anc = (
        select(g.c.parent.label("name"), g.c.parent_kind.label("kind"))
        .where(g.c.child == bindparam("unit"))
        .cte("anc", recursive=True)
    )
    step = select(g.c.parent, g.c.parent_kind).join(
        anc, and_(g.c.child == anc.c.name, anc.c.kind == literal("unit"))
    )
    anc = anc.union(step)
    return select(anc.c.name, anc.c.kind).where(anc.c.name != bindparam("unit"))


def _records_stmt() -> Select[Any]:
    pr, st, sn = t.process_records, t.steps, t.stations
    return (
        select(st.c.name, sn.c.name, pr.c.started, pr.c.ts, pr.c.result, pr.c.reason,
               pr.c.params, pr.c.event_id)
        .join(st, st.c.id == pr.c.step_id)
        .join(sn, sn.c.id == pr.c.station_id)
        .where(pr.c.unit == bindparam("unit"))
        .order_by(pr.c.ts, pr.c.id)
    )  # fmt: skip


def _holds_stmt() -> Select[Any]:
    h, hu = t.holds, t.held_units
    return (
        select(h.c.id, h.c.target, h.c.reason, h.c.created)
        .join(hu, hu.c.hold_id == h.c.id)
        .where(hu.c.unit == bindparam("unit"), h.c.released.is_(None))
        .order_by(h.c.id)
    )


# Built once: a trace then costs its index lookups, not the building of five statements
# (SQLAlchemy caches the compiled form of a statement object).
_ANCESTORS = _ancestors_stmt()
#: Names per statement of :func:`among` on SQLite (bound parameters: it allows 32,766).
_CHUNK = 10_000
_RECORDS = _records_stmt()
_HOLDS = _holds_stmt()
_UNIT_TYPE = select(t.units.c.unit_type).where(t.units.c.id == bindparam("unit"))
_CURVES = (
    select(t.curves.c.kind, t.curves.c.ts, t.curves.c.features)
    .where(t.curves.c.unit == bindparam("unit"))
    .order_by(t.curves.c.ts)
)
_KIND = union(
    select(literal("unit").label("kind")).where(t.units.c.id == bindparam("name")),
    select(literal("lot").label("kind")).where(t.lots.c.id == bindparam("name")),
)


def ancestors(conn: Connection, unit: str) -> list[tuple[str, str]]:
    """Every lot and unit that went into ``unit``, as (name, "lot"|"unit"); never ``unit``."""
    return [(r[0], r[1]) for r in conn.execute(_ANCESTORS, {"unit": unit})]


def among(
    conn: Connection, sql: str, key: str, values: Iterable[str], where: bool = True, *first: Any
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` whose ``key`` is one of ``values`` (bound parameters, chunked).

    ``first``: values of the ``%s`` placeholders of ``sql`` itself, bound before them;
    ``where``: ``sql`` has no WHERE yet (else it ends with ``AND``).

    Driver-level SQL on the driver's own cursor: at 20,000 names a batch, SQLAlchemy's
    expanding IN costs more than the query, and its row objects (one Python call per row)
    cost more than the driver's ``fetchall`` of plain tuples (built in C). ``sql`` and ``key``
    are constants of this package; only values are bound. On PostgreSQL the names travel as one
    JSON array (serialised in C by orjson; psycopg dumps a list parameter element by element in
    Python, 3x the client time) that the server unpacks into the array of an index scan (its
    size unknown to the planner, which keeps the index scan at any size).
    """
    items = list(dict.fromkeys(values))
    if not items:
        return []
    glue = " WHERE " if where else " "
    out: list[tuple[Any, ...]] = []
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            names = orjson.dumps(items).decode()
            sql_any = f"{key} = ANY(ARRAY(SELECT json_array_elements_text(%s::json)))"
            cursor.execute(f"{sql}{glue}{sql_any}", (*first, names))
            return list(cursor.fetchall())
        sql = sql.replace("%s", "?")
        for i in range(0, len(items), _CHUNK):
            chunk = tuple(items[i : i + _CHUNK])
            marks = ",".join("?" * len(chunk))
            cursor.execute(f"{sql}{glue}{key} IN ({marks})", (*first, *chunk))
            out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out


def _made_from(conn: Connection, names: list[str]) -> set[str]:
    """Every name made, directly or not, from any of ``names`` (forward genealogy, level by
    level; may hold one of ``names`` on a stored cycle)."""
    seen: set[str] = set()
    level = names
    while level:
        rows = among(conn, "SELECT child FROM genealogy", "parent", level)
        level = [c for (c,) in dict.fromkeys(rows) if c not in seen]
        seen.update(level)
    return seen


def _unit_types(conn: Connection, names: Iterable[str]) -> dict[str, str]:
    """Stored unit -> its type, for those of ``names`` that are stored units."""
    return {r[0]: r[1] for r in among(conn, "SELECT id, unit_type FROM units", "id", names)}


def descendants(conn: Connection, name: str) -> list[tuple[str, str]]:
    """Every unit that contains the lot or unit ``name``, as (unit, unit_type), sorted; never
    ``name`` itself (a stored cycle)."""
    found = _made_from(conn, [name])
    found.discard(name)
    return sorted(_unit_types(conn, found).items())


def descendant_names(conn: Connection, names: list[str]) -> list[str]:
    """Every unit that contains any of the lots or units ``names``, each once, sorted."""
    return sorted(_unit_types(conn, _made_from(conn, list(dict.fromkeys(names)))))


def kind_of(conn: Connection, name: str) -> Literal["unit", "lot"] | None:
    """ "unit" or "lot" if ``name`` is stored as one, else None."""
    kind = conn.execute(_KIND, {"name": name}).scalar()
    return "unit" if kind == "unit" else "lot" if kind == "lot" else None


def history(conn: Connection, unit: str) -> UnitHistory | None:
    """The unit's records, ancestors, curves and active holds (None: no such unit)."""
    key = {"unit": unit}
    row = conn.execute(_UNIT_TYPE, key).first()
    if row is None:
        return None
    loads = orjson.loads
    records = [
        StoredRecord(r[0], r[1], r[2], r[3], r[4], r[5], loads(r[6]) if r[6] else {}, r[7])
        for r in conn.execute(_RECORDS, key)
    ]
    anc = ancestors(conn, unit)
    curves = [StoredCurve(c[0], c[1], loads(c[2])) for c in conn.execute(_CURVES, key)]
    holds = [ActiveHold(r[0], r[1], r[2], r[3]) for r in conn.execute(_HOLDS, key)]
    return UnitHistory(unit, row[0], records, anc, curves, holds)


def step_results(conn: Connection) -> list[StepResult]:
    """Per step with records: records and OK records, in route order."""
    pr, st = t.process_records, t.steps
    ok = func.sum(case((pr.c.result == "OK", 1), else_=0))
    q = (
        select(st.c.name, st.c.position, func.count(), ok)
        .join(st, st.c.id == pr.c.step_id)
        .group_by(st.c.name, st.c.position)
        .order_by(st.c.position)
    )
    return [StepResult(name, int(pos), int(n), int(n_ok)) for name, pos, n, n_ok in conn.execute(q)]


#: The tables :func:`table_counts` counts.
COUNTED = (
    "events", "lots", "units", "process_records", "genealogy", "machine_states", "curves",
    "holds", "held_units", "dead_letters", "pending_events",
)  # fmt: skip


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows per table of :data:`COUNTED`."""
    return {
        n: int(conn.execute(select(func.count()).select_from(t.metadata.tables[n])).scalar_one())
        for n in COUNTED
    }


def latest_time(conn: Connection) -> datetime | None:
    """The newest ``ts`` of the process records and the machine states (aware UTC).

    Read as the newest of each station's newest, one step down each station's (station_id,
    ts) index: a plain ``max(ts)`` scans the whole table (seconds on 16 days of the reference
    line, for every floor page and every live update)."""
    found = [_per_station(conn, t.process_records, func.max),
             _per_station(conn, t.machine_states, func.max)]  # fmt: skip
    times = [_aware(x) for x in found if x is not None]
    return max(times) if times else None


def _aware(x: datetime) -> datetime:
    return x.replace(tzinfo=UTC) if x.tzinfo is None else x


def _per_station(conn: Connection, table: Any, agg: Any) -> datetime | None:
    """``agg`` (max or min) of ``table.ts`` as the ``agg`` of each station's own, each one
    step into the station's end of its (station_id, ts) index."""
    per_station = (
        select(agg(table.c.ts)).where(table.c.station_id == t.stations.c.id).scalar_subquery()
    )
    each = select(per_station.label("ts")).select_from(t.stations).subquery()
    found: datetime | None = conn.execute(select(agg(each.c.ts))).scalar()
    return found


def first_state_time(conn: Connection) -> datetime | None:
    """The oldest ``ts`` of the machine states (aware UTC), as the oldest of each station's
    oldest (the (station_id, ts) index: a plain ``min(ts)`` scans the whole table)."""
    x = _per_station(conn, t.machine_states, func.min)
    return None if x is None else _aware(x)


def links(conn: Connection, names: Sequence[str], direction: str) -> list[Link]:
    """The genealogy edges into (``"in"``) or out of (``"out"``) the lots or units ``names``
    (bound parameters, in chunks; the child and parent indexes serve them)."""
    key = g.c.child if direction == "in" else g.c.parent
    out: list[Link] = []
    for i in range(0, len(names), 5_000):
        q = (
            select(g.c.parent, g.c.parent_kind, g.c.child, g.c.qty)
            .where(key.in_(names[i : i + 5_000]))
            .order_by(g.c.id)
        )
        out.extend(Link(r[0], r[1], r[2], float(r[3])) for r in conn.execute(q))
    return out
