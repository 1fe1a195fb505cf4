"""Holds: stop every unit affected by a suspect lot or unit, list holds, release them.

A hold on a lot or unit covers the target (if a unit) and every unit made from it (forward
genealogy at the time of the hold); units made later from a held unit join the hold at
ingestion. Putting and releasing a hold are both recorded: who, when and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from gigaline.mes import tables as t
from gigaline.mes.db import StoreError
from gigaline.mes.queries import _exists, descendants, rfc3339

__all__ = ["hold", "hold_units", "list_holds", "release"]


def hold(engine: Engine, target: str, reason: str, by: str) -> dict[str, Any]:
    """Put ``target`` and every unit containing it on a new hold; the hold as a dict."""
    if not reason.strip():
        raise StoreError("hold: --reason must say why (it is recorded)")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        kind = _exists(conn, target)
        if kind is None:
            raise StoreError(f"hold: no lot or unit {target!r} in the store")
        affected = [u for u, _ in descendants(conn, target)]
        if kind == "unit":
            affected.insert(0, target)
        hold_id = _new_hold(conn, target, affected, reason, by, now)
    return {"id": hold_id, "target": target, "reason": reason, "created": rfc3339(now),
            "created_by": by, "units": len(affected)}  # fmt: skip


def hold_units(
    conn: Connection, units: list[str], target: str, reason: str, by: str
) -> dict[str, Any]:
    """Put ``units`` and every unit made from them on one new hold named ``target``.

    For holds raised by the MES itself (an SPC alarm on a parameter): ``target`` names the
    cause (e.g. ``spc:c_coating/coating_weight_mg_cm2``), not a lot or unit. Runs in the
    caller's transaction, so the hold and what raised it are written together.
    """
    now = datetime.now(UTC)
    affected = dict.fromkeys(units)
    for unit in units:
        affected.update(dict.fromkeys(u for u, _ in descendants(conn, unit)))
    hold_id = _new_hold(conn, target, list(affected), reason, by, now)
    return {"id": hold_id, "target": target, "reason": reason, "created": rfc3339(now),
            "created_by": by, "units": len(affected)}  # fmt: skip


def _new_hold(
    conn: Connection, target: str, units: list[str], reason: str, by: str, now: datetime
) -> int:
    hold_id = conn.execute(
        insert(t.holds)
        .values(target=target, reason=reason, created=now, created_by=by)
        .returning(t.holds.c.id)
    ).scalar_one()
    if units:
        conn.execute(insert(t.held_units), [{"hold_id": hold_id, "unit": u} for u in units])
    return int(hold_id)


def list_holds(engine: Engine, include_released: bool = False) -> list[dict[str, Any]]:
    """Holds, newest first: active only unless ``include_released``."""
    h, hu = t.holds, t.held_units
    n_units = select(func.count()).where(hu.c.hold_id == h.c.id).scalar_subquery()
    q = select(h, n_units.label("units")).order_by(h.c.id.desc())
    if not include_released:
        q = q.where(h.c.released.is_(None))
    with engine.connect() as conn:
        return [
            {
                "id": r.id,
                "target": r.target,
                "reason": r.reason,
                "created": rfc3339(r.created),
                "created_by": r.created_by,
                "released": rfc3339(r.released),
                "release_reason": r.release_reason,
                "released_by": r.released_by,
                "units": int(r.units),
            }
            for r in conn.execute(q)
        ]


def release(engine: Engine, hold_id: int, reason: str, by: str) -> dict[str, Any]:
    """Release an active hold, recording why and by whom."""
    if not reason.strip():
        raise StoreError("release: --reason must say why (it is recorded)")
    now = datetime.now(UTC)
    h = t.holds
    with engine.begin() as conn:
        row = conn.execute(select(h.c.released).where(h.c.id == hold_id)).first()
        if row is None:
            raise StoreError(f"release: no hold {hold_id}")
        if row[0] is not None:
            raise StoreError(f"release: hold {hold_id} was already released at {rfc3339(row[0])}")
        conn.execute(
            update(h)
            .where(h.c.id == hold_id)
            .values(released=now, release_reason=reason, released_by=by)
        )
    return {"id": hold_id, "released": rfc3339(now), "release_reason": reason,
            "released_by": by}  # fmt: skip
