"""Recall queries: a unit's trace (history and backward genealogy) and where-used (forward).

Genealogy is walked with recursive common table expressions (SQL:1999 ``WITH RECURSIVE``, in
SQLite since 3.8.3 and PostgreSQL since 8.4), each step one index lookup on
``genealogy(child)`` (backward) or ``genealogy(parent)`` (forward). ``UNION`` (not ``UNION
ALL``) stops on cycles and diamonds. All SQL is built with SQLAlchemy Core: parameterised.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    union,
)

from gigaline.mes import tables as t
from gigaline.mes.db import StoreError

__all__ = ["ancestors", "descendants", "rfc3339", "step_yields", "trace", "where_used"]

g = t.genealogy


def rfc3339(value: datetime | None) -> str | None:
    """A stored timestamp (naive on SQLite, aware on PostgreSQL; UTC) as RFC 3339 text."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
    return select(anc.c.name, anc.c.kind)


def _descendants_stmt() -> Select[Any]:
    down = (
        select(g.c.child.label("name"))
        .where(g.c.parent == bindparam("name"))
        .cte("down", recursive=True)
    )
    down = down.union(select(g.c.child).join(down, g.c.parent == down.c.name))
    return (
        select(t.units.c.id, t.units.c.unit_type)
        .join(down, t.units.c.id == down.c.name)
        .order_by(t.units.c.id)
    )


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
_DESCENDANTS = _descendants_stmt()
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
    """Every lot and unit that went into ``unit``, as (name, "lot"|"unit")."""
    return [(r[0], r[1]) for r in conn.execute(_ANCESTORS, {"unit": unit})]


def descendants(conn: Connection, name: str) -> list[tuple[str, str]]:
    """Every unit that contains the lot or unit ``name``, as (unit, unit_type), sorted."""
    return [(r[0], r[1]) for r in conn.execute(_DESCENDANTS, {"name": name})]


def _exists(conn: Connection, name: str) -> str | None:
    """ "unit" or "lot" if ``name`` is stored as one, else None."""
    kind = conn.execute(_KIND, {"name": name}).scalar()
    return None if kind is None else str(kind)


def trace(engine: Engine, unit: str) -> dict[str, Any]:
    """The unit's full history and its backward genealogy down to the material lots."""
    key = {"unit": unit}
    with engine.connect() as conn:
        row = conn.execute(_UNIT_TYPE, key).first()
        if row is None:
            raise StoreError(f"no unit {unit!r} in the store")
        records = [
            {
                "step": r[0],
                "station": r[1],
                "ts": rfc3339(r[3]),
                "started": rfc3339(r[2]),
                "result": r[4],
                "reason": r[5],
                "params": json.loads(r[6]) if r[6] else {},
                "event_id": r[7],
            }
            for r in conn.execute(_RECORDS, key)
        ]
        anc = ancestors(conn, unit)
        curves = conn.execute(_CURVES, key).all()
        holds = [
            {"id": r[0], "target": r[1], "reason": r[2], "created": rfc3339(r[3])}
            for r in conn.execute(_HOLDS, key)
        ]
    return {
        "unit": unit,
        "unit_type": row[0],
        "records": records,
        "lots": sorted(n for n, k in anc if k == "lot"),
        "ancestors": sorted(n for n, k in anc if k == "unit"),
        "curves": [
            {"curve": c[0], "ts": rfc3339(c[1]), "features": json.loads(c[2])} for c in curves
        ],
        "holds": holds,
    }


def where_used(engine: Engine, name: str) -> dict[str, Any]:
    """Every unit that contains the lot or unit ``name`` (forward genealogy)."""
    with engine.connect() as conn:
        if _exists(conn, name) is None:
            raise StoreError(f"no lot or unit {name!r} in the store")
        found = descendants(conn, name)
    return {
        "source": name,
        "units": [u for u, _ in found],
        "cells": [u for u, kind in found if kind == "cell"],
    }


def step_yields(engine: Engine) -> list[dict[str, Any]]:
    """Per step: records, OK and NG counts and first-pass yield OK / (OK + NG)."""
    pr, st = t.process_records, t.steps
    ok = func.sum(case((pr.c.result == "OK", 1), else_=0))
    q = (
        select(st.c.name, st.c.position, func.count(), ok)
        .join(st, st.c.id == pr.c.step_id)
        .group_by(st.c.name, st.c.position)
        .order_by(st.c.position)
    )
    with engine.connect() as conn:
        out = []
        for name, _, n, n_ok in conn.execute(q):
            out.append({"step": name, "records": int(n), "ok": int(n_ok), "ng": int(n - n_ok),
                        "yield": int(n_ok) / int(n)})  # fmt: skip
    return out
