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
        return {row[0] for row in self._lookup(t.events.c.id, [t.events.c.id], ids)}

    def unit_types(self, names: Iterable[str]) -> dict[str, str]:
        return {
            row[0]: row[1]
            for row in self._lookup(t.units.c.id, [t.units.c.id, t.units.c.unit_type], names)
        }

    def existing_lots(self, names: Iterable[str]) -> set[str]:
        return {row[0] for row in self._lookup(t.lots.c.id, [t.lots.c.id], names)}

    def active_holds(self, names: Iterable[str]) -> dict[str, set[int]]:
        """Lot or unit name -> ids of the unreleased holds on it, for the given names."""
        out: dict[str, set[int]] = {}
        hu, h = t.held_units, t.holds
        cols = [hu.c.unit, hu.c.hold_id]
        join = hu.join(h, h.c.id == hu.c.hold_id)
        names = list(names)
        active = h.c.released.is_(None)
        for unit, hold_id in self._lookup(hu.c.unit, cols, names, join, active):
            out.setdefault(unit, set()).add(hold_id)
        for target, hold_id in self._lookup(h.c.target, [h.c.target, h.c.id], names, None, active):
            out.setdefault(target, set()).add(hold_id)  # a held lot is not in held_units
        return out

    def _lookup(
        self, key: Any, cols: list[Any], values: Iterable[str], frm: Any = None, *where: Any
    ) -> Iterator[tuple[Any, ...]]:
        items = list(dict.fromkeys(values))
        if not items:
            return
        with self.engine.connect() as conn:
            for i in range(0, len(items), _CHUNK):
                q = select(*cols).where(key.in_(items[i : i + _CHUNK]), *where)
                if frm is not None:
                    q = q.select_from(frm)
                yield from (tuple(r) for r in conn.execute(q))

    def write(self, batch: Batch) -> None:
        """Write one batch in one transaction (all of it or, on any error, none of it)."""
        with self.engine.begin() as conn:
            write_batch(conn, batch)

    def ts_value(self, ts: datetime) -> Any:
        """A UTC datetime as the bulk path binds it (text on SQLite, as SQLAlchemy stores it)."""
        if self.postgres:
            return ts
        return ts.strftime("%Y-%m-%d %H:%M:%S.%f")

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
