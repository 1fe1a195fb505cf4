"""The SQL of the MES's writes other than ingestion: the line, holds, alarms and grades.

Each function runs on the caller's connection, inside the caller's transaction, so that what
belongs together commits together (an SPC alarm and the hold it starts).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from gigaline.mes.ports import Alarm, CellGrade, HoldRow, LineLayout, NewHold, PlacedHold
from gigaline.mes.sql import queries
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.access import audit
from gigaline.mes.sql.bulk import copy_rows, insert_rows

__all__ = [
    "add_hold",
    "get_hold",
    "hold_units",
    "known_alarms",
    "list_holds",
    "recent_alarms",
    "record_alarms",
    "register_line",
    "release_hold",
    "replace_grades",
]

_CHUNK = 5_000


def _get_or_add(conn: Connection, table: Table, key: dict[str, Any], extra: dict[str, Any]) -> int:
    q = select(table.c.id).where(*(table.c[k] == v for k, v in key.items()))
    found = conn.execute(q).scalar()
    if found is not None:
        return int(found)
    new = conn.execute(insert(table).values(**key, **extra).returning(table.c.id)).scalar_one()
    return int(new)


def register_line(conn: Connection, layout: LineLayout) -> int:
    """Add the missing parts of ``layout``, replace its quality settings and calendar and its
    steps' planned run times; stations added. Drops every hourly OEE summary when the line's
    calendar changed (its planned stops are in them; a summary holds no planned run time, and
    a step's kind and a station's step never change here), so that running ``gigaline mes
    init`` again with the same line file keeps them."""
    from gigaline.mes.sql.oee import drop_oee_hours

    added = 0
    site_id = _get_or_add(conn, t.sites, {"name": layout.site}, {})
    area_id = _get_or_add(conn, t.areas, {"site_id": site_id, "name": layout.area}, {})
    line_id = _get_or_add(conn, t.lines, {"area_id": area_id, "name": layout.line}, {})
    calendar = conn.execute(select(t.lines.c.calendar).where(t.lines.c.id == line_id)).scalar()
    if calendar != layout.calendar_json:
        drop_oee_hours(conn)
    conn.execute(
        update(t.lines)
        .where(t.lines.c.id == line_id)
        .values(quality=layout.quality_json, calendar=layout.calendar_json)
    )
    existing = set(conn.execute(select(t.stations.c.name)).scalars())
    for step in layout.steps:
        step_id = _get_or_add(
            conn, t.steps, {"line_id": line_id, "name": step.name},
            {"position": step.position, "kind": step.kind, "process": step.process,
             "branch": step.branch, "unit": step.unit},
        )  # fmt: skip
        conn.execute(update(t.steps).where(t.steps.c.id == step_id).values(pri_s=step.pri_s))
        for name in step.stations:
            if name in existing:
                continue
            sid = conn.execute(
                insert(t.stations).values(step_id=step_id, name=name).returning(t.stations.c.id)
            ).scalar_one()
            conn.execute(
                insert(t.equipment).values(
                    station_id=sid, name=f"{name}/machine", kind=step.equipment_kind
                )
            )
            added += 1
    return added


def add_hold(conn: Connection, hold: NewHold) -> PlacedHold:
    """Insert a hold over ``hold.units`` and every unit containing its target or any of them,
    read on ``conn`` (the caller has serialised the transaction against ingest batches), and
    its audit line."""
    units = dict.fromkeys(hold.units)
    seeds = list(dict.fromkeys([hold.target, *hold.units]))
    units.update(dict.fromkeys(queries.descendant_names(conn, seeds)))
    hold_id = conn.execute(
        insert(t.holds)
        .values(target=hold.target, reason=hold.reason, created=hold.created, created_by=hold.by)
        .returning(t.holds.c.id)
    ).scalar_one()
    if units:
        conn.execute(insert(t.held_units), [{"hold_id": hold_id, "unit": u} for u in units])
    audit(conn, hold.created, hold.by, "hold.place", hold.target, hold=int(hold_id),
          reason=hold.reason, units=len(units))  # fmt: skip
    return PlacedHold(int(hold_id), len(units))


def _holds_query(include_released: bool, hold_id: int | None = None) -> Any:
    h, hu = t.holds, t.held_units
    n_units = select(func.count()).where(hu.c.hold_id == h.c.id).scalar_subquery()
    q = select(h, n_units.label("units")).order_by(h.c.id.desc())
    if not include_released:
        q = q.where(h.c.released.is_(None))
    if hold_id is not None:
        q = q.where(h.c.id == hold_id)
    return q


def _hold_row(r: Any) -> HoldRow:
    return HoldRow(r.id, r.target, r.reason, r.created, r.created_by, r.released,
                   r.release_reason, r.released_by, int(r.units))  # fmt: skip


def list_holds(conn: Connection, include_released: bool) -> list[HoldRow]:
    """Holds, newest first: active only unless ``include_released``."""
    return [_hold_row(r) for r in conn.execute(_holds_query(include_released))]


def get_hold(conn: Connection, hold_id: int) -> HoldRow | None:
    row = conn.execute(_holds_query(True, hold_id)).first()
    return None if row is None else _hold_row(row)


def hold_units(conn: Connection, hold_id: int, limit: int) -> list[str]:
    """The first ``limit`` units (by name) a hold covers."""
    hu = t.held_units
    q = select(hu.c.unit).where(hu.c.hold_id == hold_id).order_by(hu.c.unit).limit(limit)
    return list(conn.execute(q).scalars())


def release_hold(conn: Connection, hold_id: int, reason: str, by: str, when: datetime) -> bool:
    """Release an active hold (and audit it); False when there was none active with that id."""
    h = t.holds
    done = conn.execute(
        update(h)
        .where(h.c.id == hold_id, h.c.released.is_(None))
        .values(released=when, release_reason=reason, released_by=by)
    )
    if not done.rowcount:
        return False
    target = conn.execute(select(h.c.target).where(h.c.id == hold_id)).scalar_one()
    audit(conn, when, by, "hold.release", target, hold=hold_id, reason=reason)
    return True


def known_alarms(conn: Connection, keys: Collection[str]) -> set[str]:
    """Those of ``keys`` that are stored alarms."""
    keys = list(keys)
    seen: set[str] = set()
    for j in range(0, len(keys), _CHUNK):
        q = select(t.alarms.c.key).where(t.alarms.c.key.in_(keys[j : j + _CHUNK]))
        seen.update(conn.execute(q).scalars())
    return seen


def record_alarms(
    conn: Connection, alarms: Sequence[Alarm], hold: NewHold | None
) -> tuple[int, PlacedHold | None]:
    """Store the alarms not stored yet (and the hold, if any is new): (stored, the hold)."""
    seen = known_alarms(conn, [a.key for a in alarms])
    new = [a for a in alarms if a.key not in seen]
    placed = add_hold(conn, hold) if new and hold is not None else None
    hold_id = None if placed is None else placed.id
    if new:
        conn.execute(
            insert(t.alarms),
            [
                {"key": a.key, "source": a.source, "raised": a.raised, "ts": a.ts,
                 "step": a.step, "param": a.param, "chart": a.chart, "rules": a.rules,
                 "rule": a.rule, "value": a.value, "center": a.center, "lcl": a.lcl,
                 "ucl": a.ucl, "units": json.dumps(a.units), "message": a.message,
                 "hold_id": hold_id}
                for a in new
            ],
        )  # fmt: skip
    return len(new), placed


def replace_grades(conn: Connection, grades: Sequence[CellGrade], graded: Any) -> None:
    """Replace the stored grades, through the bulk paths ingestion uses (COPY, executemany).

    ``graded`` is the grading time as the bulk path binds it (``SqlStore.row_time``).
    """
    rows = [(*g, graded) for g in grades]  # CellGrade's fields are the columns, in order
    columns = ("unit", "grade", "reason", "capacity_ah", "dcir_mohm", "ocv_v", "k_mv_per_day",
               "graded")  # fmt: skip
    conn.execute(delete(t.cell_grades))
    postgres = conn.dialect.name == "postgresql"
    (copy_rows if postgres else insert_rows)(conn, "cell_grades", columns, rows)


def recent_alarms(
    conn: Connection, limit: int, step: str | None, param: str | None
) -> list[tuple[Alarm, int | None]]:
    """The latest ``limit`` alarms (of ``step`` and ``param``, where given), newest first."""
    a = t.alarms
    q = select(a).order_by(a.c.id.desc()).limit(limit)
    if step is not None:
        q = q.where(a.c.step == step)
    if param is not None:
        q = q.where(a.c.param == param)
    return [
        (
            Alarm(r.key, r.source, r.raised, r.ts, r.step, r.param, r.chart, r.rules, r.rule,
                  r.value, r.center, r.lcl, r.ucl, json.loads(r.units), r.message),
            r.hold_id,
        )
        for r in conn.execute(q)
    ]  # fmt: skip
