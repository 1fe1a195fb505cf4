"""Creating the equipment hierarchy of a line in the MES (``gigaline mes init``).

From the line file: site and area (``line.site``), the line, one *step* per process step (its
route position, kind, process, branch and work unit), and per step one *station* per machine,
named ``<step id>-<k>`` (k = 1..machines), each with one piece of *equipment* of the step's
process; and the line's ``quality`` section (spec limits, grades, matching) for SPC and
grading. Running it again adds what is missing, replaces the quality section with the line
file's and changes nothing else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from gigaline.mes import tables as t
from gigaline.mes.store import Store
from gigaline.model import Line

__all__ = ["init_line", "station_names"]


def station_names(step_id: str, machines: int) -> list[str]:
    """The station names of a step: ``<step id>-1`` .. ``<step id>-<machines>``."""
    return [f"{step_id}-{k}" for k in range(1, machines + 1)]


def _get_or_add(conn: Connection, table: Table, key: dict[str, Any], extra: dict[str, Any]) -> int:
    q = select(table.c.id).where(*(table.c[k] == v for k, v in key.items()))
    found = conn.execute(q).scalar()
    if found is not None:
        return int(found)
    new = conn.execute(insert(table).values(**key, **extra).returning(table.c.id)).scalar_one()
    return int(new)


def init_line(store: Store, line: Line) -> dict[str, Any]:
    """Register the line's site, area, line, steps, stations and equipment; a summary."""
    added = 0
    with store.engine.begin() as conn:
        site_id = _get_or_add(conn, t.sites, {"name": line.site.name}, {})
        area_id = _get_or_add(conn, t.areas, {"site_id": site_id, "name": line.site.area}, {})
        line_id = _get_or_add(conn, t.lines, {"area_id": area_id, "name": line.name}, {})
        quality = line.quality.model_dump_json() if line.quality is not None else None
        conn.execute(update(t.lines).where(t.lines.c.id == line_id).values(quality=quality))
        existing = set(conn.execute(select(t.stations.c.name)).scalars())
        for position, step in enumerate(line.steps, start=1):
            step_id = _get_or_add(
                conn, t.steps, {"line_id": line_id, "name": step.id},
                {"position": position, "kind": step.kind, "process": step.process,
                 "branch": step.branch, "unit": step.unit},
            )  # fmt: skip
            for name in station_names(step.id, step.machines):
                if name in existing:
                    continue
                sid = conn.execute(
                    insert(t.stations).values(step_id=step_id, name=name).returning(t.stations.c.id)
                ).scalar_one()
                conn.execute(
                    insert(t.equipment).values(
                        station_id=sid, name=f"{name}/machine", kind=step.process or step.kind
                    )
                )
                added += 1
    store.forget()
    return {
        "site": line.site.name,
        "area": line.site.area,
        "line": line.name,
        "steps": len(line.steps),
        "stations": sum(s.machines for s in line.steps),
        "stations_added": added,
    }
