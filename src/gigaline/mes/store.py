"""The MES store: one small interface over SQLite and PostgreSQL.

:class:`Store` is what the CLI, the HTTP layer and the connectors talk to: append events
(:meth:`Store.ingest`), query a unit's trace and a lot's where-used, put and release holds,
and read counts and step yields (the KPI inputs). It hides which database holds the data, so a
later store (process records in ClickHouse, genealogy in PostgreSQL; ARCHITECTURE.md, "Beyond
one machine") can stand behind the same methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, func, select

from gigaline.mes import tables as t
from gigaline.mes.bulk import Batch, write_batch
from gigaline.mes.db import StoreError, is_initialised, make_engine, resolve_url, upgrade

if TYPE_CHECKING:
    from gigaline.mes.ingest import IngestResult

__all__ = ["StationRef", "Store"]

#: Bound parameters per lookup statement (SQLite allows 32,766, PostgreSQL 65,535).
_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class StationRef:
    """A station as ingestion needs it: ids and the step it performs."""

    station_id: int
    step_id: int
    step: str


class Store:
    """An MES database. Open with :meth:`Store.open`; close with :meth:`close` (or ``with``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._stations: dict[str, StationRef] | None = None
        self._site: str | None = None

    @classmethod
    def open(cls, db: str | None = None, create: bool = True) -> Store:
        """Open the database named by ``db`` / ``$GIGALINE_DB``; migrate it when ``create``."""
        url = resolve_url(db)
        engine = make_engine(url)
        if create:
            upgrade(engine)
        elif not is_initialised(engine):
            engine.dispose()
            raise StoreError(
                f"{url}: no MES schema; create it with `gigaline mes init LINE.yaml --db URL`"
            )
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- ingestion -------------------------------------------------------------------------

    def ingest(
        self, payloads: Iterable[str | bytes | Mapping[str, Any]], **kw: Any
    ) -> IngestResult:
        """Validate and append events (see :func:`gigaline.mes.ingest.ingest`)."""
        from gigaline.mes.ingest import ingest

        return ingest(self, payloads, **kw)

    @property
    def site(self) -> str:
        """The site events default to: the store's one site, else ``"site"``."""
        if self._site is None:
            with self.engine.connect() as conn:
                names = conn.execute(select(t.sites.c.name).order_by(t.sites.c.id)).scalars()
                self._site = next(iter(names), "site")
        return self._site

    def stations(self) -> dict[str, StationRef]:
        """Station name -> :class:`StationRef` (cached; :meth:`forget` clears it)."""
        if self._stations is None:
            q = select(t.stations.c.name, t.stations.c.id, t.steps.c.id, t.steps.c.name).join(
                t.steps, t.steps.c.id == t.stations.c.step_id
            )
            with self.engine.connect() as conn:
                self._stations = {
                    name: StationRef(sid, step_id, step)
                    for name, sid, step_id, step in conn.execute(q)
                }
        return self._stations

    def forget(self) -> None:
        """Drop cached metadata (after stations or sites change)."""
        self._stations = None
        self._site = None

    def existing_events(self, ids: Iterable[str]) -> set[str]:
        return {r[0] for r in self._among("SELECT id FROM events", "id", ids)}

    def unit_types(self, names: Iterable[str]) -> dict[str, str]:
        return {r[0]: r[1] for r in self._among("SELECT id, unit_type FROM units", "id", names)}

    def existing_lots(self, names: Iterable[str]) -> set[str]:
        return {r[0] for r in self._among("SELECT id FROM lots", "id", names)}

    def active_holds(self, names: Iterable[str]) -> dict[str, set[int]]:
        """Lot or unit name -> ids of the unreleased holds on it, for the given names."""
        names = list(names)
        out: dict[str, set[int]] = {}
        held = (
            "SELECT hu.unit, hu.hold_id FROM held_units hu JOIN holds h ON h.id = hu.hold_id"
            " WHERE h.released IS NULL AND"
        )
        targets = "SELECT target, id FROM holds WHERE released IS NULL AND"  # held lots too
        for sql, key in ((held, "hu.unit"), (targets, "target")):
            for name, hold_id in self._among(sql, key, names, where=False):
                out.setdefault(name, set()).add(hold_id)
        return out

    def _among(
        self, sql: str, key: str, values: Iterable[str], where: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` whose ``key`` is one of ``values`` (bound parameters, chunked).

        Driver-level SQL: at 20,000 names a batch, SQLAlchemy's expanding IN costs more than
        the query. ``sql`` and ``key`` are constants of this module; only values are bound.
        On PostgreSQL the names travel as one JSON array (serialised in C by orjson; psycopg
        dumps a list parameter element by element in Python, 3x the client time) that the
        server unpacks into the array of an index scan.
        """
        items = list(dict.fromkeys(values))
        if not items:
            return
        glue = " WHERE " if where else " "
        with self.engine.connect() as conn:
            if self.postgres:
                names = orjson.dumps(items).decode()
                rows = conn.exec_driver_sql(
                    f"{sql}{glue}{key} = ANY(ARRAY(SELECT json_array_elements_text(%s::json)))",
                    (names,),
                )
                yield from (tuple(r) for r in rows)
                return
            for i in range(0, len(items), _CHUNK):
                chunk = tuple(items[i : i + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = conn.exec_driver_sql(f"{sql}{glue}{key} IN ({marks})", chunk)
                yield from (tuple(r) for r in rows)

    def write(self, batch: Batch) -> None:
        """Write one batch in one transaction (all of it or, on any error, none of it)."""
        with self.engine.begin() as conn:
            write_batch(conn, batch)

    def ts_value(self, ts: datetime) -> Any:
        """A UTC datetime as the bulk path binds it (text on SQLite, as SQLAlchemy stores it)."""
        if self.postgres:
            return ts
        return ts.replace(tzinfo=None).isoformat(" ", "microseconds")

    # -- queries ---------------------------------------------------------------------------

    def trace(self, unit: str) -> dict[str, Any]:
        from gigaline.mes.queries import trace

        return trace(self.engine, unit)

    def where_used(self, name: str) -> dict[str, Any]:
        from gigaline.mes.queries import where_used

        return where_used(self.engine, name)

    def hold(self, target: str, reason: str, by: str = "gigaline") -> dict[str, Any]:
        from gigaline.mes.holds import hold

        return hold(self.engine, target, reason, by)

    def holds(self, include_released: bool = False) -> list[dict[str, Any]]:
        from gigaline.mes.holds import list_holds

        return list_holds(self.engine, include_released)

    def release(self, hold_id: int, reason: str, by: str = "gigaline") -> dict[str, Any]:
        from gigaline.mes.holds import release

        return release(self.engine, hold_id, reason, by)

    def step_yields(self) -> list[dict[str, Any]]:
        from gigaline.mes.queries import step_yields

        return step_yields(self.engine)

    def counts(self) -> dict[str, int]:
        """Rows per table (for reports and tests)."""
        names = [
            "events", "lots", "units", "process_records", "genealogy", "machine_states",
            "curves", "holds", "held_units", "dead_letters",
        ]  # fmt: skip
        with self.engine.connect() as conn:
            return {
                n: int(
                    conn.execute(
                        select(func.count()).select_from(t.metadata.tables[n])
                    ).scalar_one()
                )
                for n in names
            }
