"""The SQL store: every door of :mod:`gigaline.mes.ports` on SQLite or PostgreSQL.

:class:`SqlStore` is an adapter, nothing more: it turns each port method into SQL (through
:mod:`~gigaline.mes.sql.queries`, :mod:`~gigaline.mes.sql.measures`,
:mod:`~gigaline.mes.sql.writes` and the bulk paths of :mod:`~gigaline.mes.sql.bulk`) and
knows nothing of ingestion or the services, which take it as a port. Open one with
:func:`open_store`.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, exists, or_, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from gigaline.mes.errors import StoreError
from gigaline.mes.ports import (
    Alarm,
    AppendConflictError,
    AuditEntry,
    CellGrade,
    Feature,
    HoldRow,
    LineLayout,
    Link,
    MeasureSeries,
    NewHold,
    OeeHour,
    OeeHourSums,
    OeeLayout,
    OeeStationStatus,
    PlacedHold,
    RecordTally,
    RowsRefusedError,
    StationEdges,
    StationRef,
    StationTimeline,
    StepInfo,
    StepResult,
    TokenRow,
    UnitHistory,
    Waiting,
)
from gigaline.mes.propagation import held_units
from gigaline.mes.rows import DeadLetter, Rows
from gigaline.mes.sql import access, measures, oee, queries, writes
from gigaline.mes.sql import tables as t
from gigaline.mes.sql.bulk import write_rows
from gigaline.mes.sql.db import (
    HEAD,
    check_target,
    connect_problem,
    current_revision,
    is_initialised,
    make_engine,
    require_table,
    resolve_url,
    shown,
    upgrade,
)
from gigaline.model.quality import QualitySpec
from gigaline.settings import Settings

__all__ = ["SqlStore", "open_store"]

try:  # psycopg's errors (raised through the raw connection by COPY), with their SQLSTATE
    from psycopg import DataError as _PgData
    from psycopg import Error as _PgError
    from psycopg import IntegrityError as _PgIntegrity
except ImportError:  # pragma: no cover
    _PgError = DBAPIError  # type: ignore[assignment,misc]
    _PgData = DataError  # type: ignore[assignment,misc]
    _PgIntegrity = IntegrityError  # type: ignore[assignment,misc]

#: What a write that met another writer's rows may raise (:func:`_is_conflict` decides).
_CONFLICTS: tuple[type[BaseException], ...] = (DBAPIError, sqlite3.IntegrityError, _PgError)


def _is_conflict(exc: BaseException) -> bool:
    """Whether a failed write met a row of another writer: a unique key (an event, unit or
    lot stored meanwhile) or, on PostgreSQL, a deadlock between two writers' batches (either
    way the transaction rolled back whole). Other integrity errors are not retried."""
    cause = getattr(exc, "orig", None) or exc
    if isinstance(cause, sqlite3.IntegrityError):
        text = str(cause)
        return "UNIQUE constraint failed" in text or "PRIMARY KEY" in text
    return getattr(cause, "sqlstate", None) in ("23505", "40P01")


#: What a database raises when it refuses a row for its value (a check, NOT NULL or trigger
#: the row fails, a value out of the column's range; UnicodeEncodeError: a driver that cannot
#: send a text, such as one with a lone surrogate).
_REFUSALS: tuple[type[BaseException], ...] = (
    DataError,
    sqlite3.DataError,
    _PgData,
    UnicodeEncodeError,
)


def _is_refusal(exc: BaseException) -> bool:
    """Whether a failed write that is not a conflict is the row's own fault (its value), as
    opposed to the database being unreachable or failing (which is raised, not isolated)."""
    cause = getattr(exc, "orig", None) or exc
    kinds = (DataError, IntegrityError, sqlite3.IntegrityError, sqlite3.DataError)
    return isinstance(exc, kinds) or isinstance(cause, (*kinds, _PgData, _PgIntegrity))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


_ACTIVE = "SELECT id, target FROM holds WHERE released IS NULL"

#: The first key of the PostgreSQL advisory lock that serialises holds against ingest batches
#: ("gigl"); the second is the hash of the schema, so that MES stores in other schemas of the
#: same database do not wait for each other.
_HOLD_LOCK = 0x6769676C


def _pg_time(ts: datetime) -> Any:
    return ts  # psycopg binds an aware datetime as timestamptz


def _sqlite_time(ts: datetime) -> Any:
    """SQLAlchemy's SQLite text of an aware UTC datetime: ``2026-01-05 08:00:00.123000``.

    Cut from the aware text (``...+00:00``) rather than made from a naive copy: one call and
    no new datetime for each of the two timestamps of every process record.
    """
    text = ts.isoformat(" ", "microseconds")
    if text.endswith("+00:00"):
        return text[:-6]
    if ts.tzinfo is None:  # naive: UTC already
        return text
    return ts.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def open_store(
    db: str | None = None,
    create: bool = True,
    settings: Settings | None = None,
    read_only: bool = False,
) -> SqlStore:
    """Open the MES database ``db`` (else ``GIGALINE_DB``, else ``gigaline.db``).

    ``create``: create the schema, or migrate it to this gigaline's revision. Without it,
    nothing is created: a missing or empty SQLite file is a
    :class:`~gigaline.errors.FieldError` and a database with no schema a
    :class:`~gigaline.mes.errors.StoreError`. A target that cannot be a database (a folder, a
    file of another kind, a server that does not answer, a PostgreSQL database not created)
    is a :class:`~gigaline.errors.FieldError` on ``db``. ``read_only`` (implies not
    ``create``): the SQLite file is opened read-only (looking never writes).
    """
    settings = settings or Settings.load()
    given = settings.database(db).value
    url = resolve_url(given, settings)
    if read_only:
        create = False
    check_target(url, create, given)
    if read_only:
        url = _read_only_url(url)
    engine = make_engine(url)
    try:
        if create:
            upgrade(engine)
        elif not is_initialised(engine):
            raise StoreError(
                f"{shown(given)}: no MES schema; create it with"
                " `gigaline mes init LINE.yaml --db URL`"
            )
    except DBAPIError as exc:
        engine.dispose()
        raise connect_problem(url, exc, given) from None
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)


def _first_lines(exc: BaseException, limit: int = 500) -> str:
    """The database's reason of a refusal: the driver's message without SQLAlchemy's SQL and
    parameters (which can be a whole batch), cut to ``limit`` characters."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _read_only_url(url: str) -> str:
    """``url`` opened read-only: a SQLite file must exist and is opened with ``mode=ro``."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return url
    path = Path(parsed.database)
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return url
    if not path.is_file():
        raise StoreError(
            f"{path}: no such database; create it with `gigaline mes init LINE.yaml --db URL`"
        )
    return f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"


#: The table each feature needs (a later migration added it), and what needs it.
_FEATURE_TABLES: dict[str, tuple[str, str]] = {
    "spc": ("alarms", "SPC"),
    "grading": ("cell_grades", "grade"),
    "access": ("api_tokens", "the API's tokens"),
}


class SqlStore:
    """An MES database (SQLite or PostgreSQL) behind the ports (and the :class:`~gigaline.mes.
    ports.AccessBook` of the HTTP API); close it (or use ``with``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._stations: dict[str, StationRef] | None = None
        self._site: str | None = None
        self._revision_ok = False
        self._oee_tables: dict[str, bool] = {}  # summary tables found (or not) in the schema
        self._access_ok = False
        self._tables_ok: set[str] = set()  # tables of require() found present
        self.row_time = _pg_time if self._postgres else _sqlite_time  # type: ignore[method-assign]

    @property
    def url(self) -> str:
        """The database URL (password hidden)."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def require(self, feature: Feature) -> None:
        needs = _FEATURE_TABLES.get(feature)
        if needs is not None and needs[0] not in self._tables_ok:
            # a table once found stays (migrations only add them): asked once, not per request
            # (the catalog's query was a tenth of an SPC request's CPU, 3 Dec 2026)
            require_table(self.engine, *needs)
            self._tables_ok.add(needs[0])
        elif feature == "ingest" and not self._revision_ok:
            revision = current_revision(self.engine)
            if revision != HEAD:
                raise StoreError(
                    f"ingestion needs MES schema revision {HEAD}, the database has {revision};"
                    " upgrade it with `gigaline mes init LINE.yaml --db URL`"
                )
            self._revision_ok = True

    def forget(self) -> None:
        """Drop cached metadata (after stations or sites change)."""
        self._stations = None
        self._site = None

    # -- EventLog ------------------------------------------------------------------------

    @property
    def site(self) -> str:
        if self._site is None:
            with self.engine.connect() as conn:
                names = conn.execute(select(t.sites.c.name).order_by(t.sites.c.id)).scalars()
                self._site = next(iter(names), "site")
        return self._site

    def stations(self) -> Mapping[str, StationRef]:
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

    def known_events(self, site: str, ids: Collection[str]) -> set[str]:
        # the site first: bound before the ids (the key's index serves id, then site)
        rows = self._among("SELECT id FROM events WHERE site = %s AND", "id", ids, False, site)
        return {r[0] for r in rows}

    def unit_types(self, names: Collection[str]) -> dict[str, str]:
        return {r[0]: r[1] for r in self._among("SELECT id, unit_type FROM units", "id", names)}

    def unit_firsts(self, names: Collection[str]) -> dict[str, tuple[str, Any, str]]:
        sql = "SELECT id, unit_type, ts, event_id FROM units"
        return {r[0]: (r[1], r[2], r[3]) for r in self._among(sql, "id", names)}

    def existing_lots(self, names: Collection[str]) -> set[str]:
        return {r[0] for r in self._among("SELECT id FROM lots", "id", names)}

    def _active_holds(
        self, conn: Connection, names: Collection[str], active: Sequence[Any]
    ) -> dict[str, set[int]]:
        """Lot or unit name -> ids of the active holds on it (held units, and held targets),
        for those of ``names`` that have any, read on ``conn``; ``active``: the (id, target)
        of every active hold."""
        out: dict[str, set[int]] = {}
        wanted = set(names)
        for hold_id, target in active:
            if target in wanted:
                out.setdefault(target, set()).add(hold_id)
        held = (
            "SELECT hu.unit, hu.hold_id FROM held_units hu JOIN holds h ON h.id = hu.hold_id"
            " WHERE h.released IS NULL AND"
        )
        for name, hold_id in self._among(held, "hu.unit", wanted, False, conn=conn):
            out.setdefault(name, set()).add(hold_id)
        return out

    def _children(self, conn: Connection, names: Collection[str]) -> dict[str, list[str]]:
        """Stored lot or unit -> the units made from it, for ``names``, read on ``conn``."""
        out: dict[str, list[str]] = {}
        for parent, child in self._among(
            "SELECT parent, child FROM genealogy", "parent", names, conn=conn
        ):
            out.setdefault(parent, []).append(child)
        return out

    def _serialise(self, conn: Connection, hold: bool) -> None:
        """Order this transaction against the placing of holds (``hold``: this one places a
        hold), as its first statement.

        PostgreSQL: a transaction-scoped advisory lock, shared for ingest batches (they write
        side by side) and exclusive for a hold (it waits for the batches being written, and
        batches wait for it); released at commit or rollback. SQLite: the database's one write
        lock (``BEGIN IMMEDIATE``): every write is serialised anyway, and the lock is taken
        before the transaction's first read, so that what it reads is not stale. Either way the
        reads that follow on ``conn`` see every transaction committed before this one, and
        every hold or batch ordered after it sees this one.
        """
        if self._postgres:
            fn = "" if hold else "_shared"
            conn.exec_driver_sql(
                f"SELECT pg_advisory_xact_lock{fn}(%(k)s, hashtext(current_schema()))",
                {"k": _HOLD_LOCK},
            )
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _among(
        self,
        sql: str,
        key: str,
        values: Iterable[str],
        where: bool = True,
        *first: Any,
        conn: Connection | None = None,
    ) -> list[tuple[Any, ...]]:
        """:func:`gigaline.mes.sql.queries.among` on ``conn`` or a connection of its own."""
        with self.engine.connect() if conn is None else nullcontext(conn) as conn:
            return queries.among(conn, sql, key, values, where, *first)

    def ready_pending(self) -> list[Waiting]:
        p = t.pending_events
        stored = or_(
            exists().where(t.units.c.id == p.c.waits_for),
            exists().where(t.lots.c.id == p.c.waits_for),
            exists().where(t.events.c.id == p.c.id, t.events.c.site == p.c.site),
        )
        q = select(p.c.site, p.c.id, p.c.raw, p.c.received).where(stored)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(p.c.received, p.c.id)).all()
        return [Waiting(r[0], r[1], r[2], r[3]) for r in rows]

    def pending_among(self, keys: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        by_site: dict[str, list[str]] = {}
        for site, event_id in keys:
            by_site.setdefault(site, []).append(event_id)
        sql = "SELECT id FROM pending_events WHERE site = %s AND"
        return {
            (site, r[0])
            for site, ids in by_site.items()
            for r in self._among(sql, "id", ids, False, site)
        }

    def expire_pending(self, before: datetime, reason: str) -> int:
        p = t.pending_events
        with self.engine.begin() as conn:
            old = conn.execute(
                select(p.c.site, p.c.id, p.c.received, p.c.reason, p.c.raw).where(
                    p.c.received < before
                )
            ).all()
            if not old:
                return 0
            rows = Rows(
                dead_letters=[
                    DeadLetter(r[2], r[1], reason + r[3], r[4], _sha256(r[4])) for r in old
                ],
                settled=[(r[0], r[1]) for r in old],
            )
            write_rows(conn, rows)
        return len(old)

    def row_time(self, ts: datetime) -> Any:
        """A UTC datetime as the bulk path binds it (text on SQLite, as SQLAlchemy stores it).

        Replaced per instance by :func:`_sqlite_time` or :func:`_pg_time` (one call per
        timestamp, twice per process record: the plain function saves the method's dispatch).
        """
        return _pg_time(ts) if self._postgres else _sqlite_time(ts)

    def append(self, rows: Rows) -> int:
        """Write one batch in one transaction (all of it or, on any error, none of it)."""
        self.require("ingest")
        try:
            with self.engine.begin() as conn:
                self._serialise(conn, hold=False)
                active = conn.exec_driver_sql(_ACTIVE).all()
                rows.held_units = (
                    held_units(
                        rows,
                        lambda names: self._active_holds(conn, names, active),
                        lambda names: self._children(conn, names),
                    )
                    if active
                    else []  # nearly always: no active hold, nothing to walk
                )
                write_rows(conn, rows)
        except _CONFLICTS as exc:
            if not _is_conflict(exc):
                if _is_refusal(exc):
                    raise RowsRefusedError(_first_lines(exc)) from exc
                raise
            raise AppendConflictError(
                f"a row of the batch was stored meanwhile by another writer ({exc})"
            ) from exc
        except _REFUSALS as exc:
            raise RowsRefusedError(_first_lines(exc)) from exc
        return len(rows.events)

    # -- LineRegistry --------------------------------------------------------------------

    def register_line(self, layout: LineLayout) -> int:
        with self.engine.begin() as conn:
            added = writes.register_line(conn, layout)
        self.forget()
        return added

    def steps(self) -> list[StepInfo]:
        st, ln = t.steps, t.lines
        q = (
            select(st.c.name, ln.c.name, st.c.process, st.c.position)
            .join(ln, ln.c.id == st.c.line_id)
            .order_by(st.c.line_id, st.c.position)
        )
        with self.engine.connect() as conn:
            return [StepInfo(r[0], r[1], r[2], int(r[3])) for r in conn.execute(q)]

    def qualities(self) -> dict[str, QualitySpec | None]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.lines.c.name, t.lines.c.quality)).all()
        return {
            name: None if text is None else QualitySpec.model_validate_json(text)
            for name, text in rows
        }

    # -- GenealogyReader -----------------------------------------------------------------

    def kind_of(self, name: str) -> Literal["unit", "lot"] | None:
        with self.engine.connect() as conn:
            return queries.kind_of(conn, name)

    def history(self, unit: str) -> UnitHistory | None:
        with self.engine.connect() as conn:
            return queries.history(conn, unit)

    def ancestors(self, unit: str) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return queries.ancestors(conn, unit)

    def links(self, names: Collection[str], direction: Literal["in", "out"]) -> list[Link]:
        with self.engine.connect() as conn:
            return queries.links(conn, list(dict.fromkeys(names)), direction)

    def descendants(self, name: str) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            return queries.descendants(conn, name)

    # -- MeasureReader -------------------------------------------------------------------

    def measure_series(
        self, step: str, param: str, since: datetime | None, last: int | None = None
    ) -> MeasureSeries:
        with self.engine.connect() as conn:
            return measures.measure_series(conn, step, param, since, last)

    def latest_cell_params(
        self, process: str, names: Sequence[str]
    ) -> dict[str, tuple[float | None, ...]]:
        with self.engine.connect() as conn:
            return measures.latest_cell_params(conn, process, names)

    def latest_curve_features(
        self, kind: str, names: Sequence[str]
    ) -> dict[str, tuple[float | None, ...]]:
        with self.engine.connect() as conn:
            return measures.latest_curve_features(conn, kind, names)

    # -- HoldBook, AlarmBook, GradeBook ----------------------------------------------------

    def add_hold(self, hold: NewHold) -> PlacedHold:
        self._audited()
        with self.engine.begin() as conn:
            self._serialise(conn, hold=True)
            return writes.add_hold(conn, hold)

    def holds(self, include_released: bool = False) -> list[HoldRow]:
        with self.engine.connect() as conn:
            return writes.list_holds(conn, include_released)

    def get_hold(self, hold_id: int) -> HoldRow | None:
        with self.engine.connect() as conn:
            return writes.get_hold(conn, hold_id)

    def release_hold(self, hold_id: int, reason: str, by: str, when: datetime) -> bool:
        self._audited()
        with self.engine.begin() as conn:
            return writes.release_hold(conn, hold_id, reason, by, when)

    def hold_units(self, hold_id: int, limit: int) -> list[str]:
        with self.engine.connect() as conn:
            return writes.hold_units(conn, hold_id, limit)

    def recent_alarms(
        self, limit: int, step: str | None = None, param: str | None = None
    ) -> list[tuple[Alarm, int | None]]:
        with self.engine.connect() as conn:
            return writes.recent_alarms(conn, limit, step, param)

    def known_alarms(self, keys: Collection[str]) -> set[str]:
        with self.engine.connect() as conn:
            return writes.known_alarms(conn, keys)

    def record_alarms(
        self, alarms: Sequence[Alarm], hold: NewHold | None
    ) -> tuple[int, PlacedHold | None]:
        if hold is not None:
            self._audited()
        with self.engine.begin() as conn:
            self._serialise(conn, hold=hold is not None)
            return writes.record_alarms(conn, alarms, hold)

    def replace_grades(self, grades: Sequence[CellGrade], graded: datetime) -> None:
        with self.engine.begin() as conn:
            writes.replace_grades(conn, grades, self.row_time(graded))

    # -- OeeReader -----------------------------------------------------------------------

    def oee_layout(self) -> OeeLayout:
        with self.engine.connect() as conn:
            return oee.oee_layout(conn)

    def station_timelines(
        self, stations: Collection[str], since: datetime, until: datetime, *,
        records: bool = True,
    ) -> dict[str, StationTimeline]:  # fmt: skip
        with self.engine.connect() as conn:
            return oee.station_timelines(conn, stations, since, until, records)

    def station_edges(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> StationEdges:
        with self.engine.connect() as conn:
            return oee.station_edges(conn, stations, since, until)

    def station_record_tallies(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> dict[str, RecordTally]:
        with self.engine.connect() as conn:
            return oee.station_record_tallies(conn, stations, since, until)

    def station_last_records(
        self, stations: Collection[str], since: datetime, until: datetime
    ) -> dict[str, float]:
        with self.engine.connect() as conn:
            return oee.station_last_records(conn, stations, since, until)

    def oee_hour_sums(
        self, stations: Collection[str], since_s: int, until_s: int, silence_s: float,
        buckets: Sequence[tuple[float, float]], *, by_step: bool = False,
        quarters: Sequence[tuple[int, int]] = (), downtime: bool = True,
    ) -> OeeHourSums:  # fmt: skip
        if not self._has_oee_hours():
            return OeeHourSums({}, {}, {})
        if quarters and not self._has_oee_hours("oee_quarters"):
            quarters = ()
        with self.engine.connect() as conn:
            return oee.oee_hour_sums(conn, stations, since_s, until_s, silence_s, buckets,
                                     by_step, quarters, downtime)  # fmt: skip

    def _has_oee_hours(self, table: str = "oee_hours") -> bool:
        """Whether the schema has the hourly summaries (migration 0010; ``oee_quarters``: the
        quarters, migration 0014): an older database is read raw."""
        if table not in self._oee_tables:
            from sqlalchemy import inspect

            self._oee_tables[table] = inspect(self.engine).has_table(table)
        return self._oee_tables[table]

    # -- OeeSummaryBook ------------------------------------------------------------------

    def oee_status(self, stations: Collection[str]) -> dict[str, OeeStationStatus]:
        self.require("ingest")  # the summariser's first read: an older schema says so first
        with self.engine.connect() as conn:
            return oee.oee_status(conn, stations)

    def oee_covered(
        self,
        stations: Collection[str],
        since_s: int,
        until_s: int,
        silence_s: float,
        span_s: int = 3600,
    ) -> dict[str, list[tuple[float, float]]]:
        with self.engine.connect() as conn:
            return oee.oee_covered(conn, stations, since_s, until_s, silence_s, span_s)

    def put_oee_hours(self, hours: Sequence[OeeHour], versions: Mapping[str, int]) -> int:
        self.require("ingest")
        with self.engine.begin() as conn:
            self._serialise(conn, hold=False)
            return oee.put_oee_hours(conn, hours, versions)

    def roll_up_oee_steps(self, silence_s: float, since_s: int) -> int:
        self.require("ingest")
        with self.engine.begin() as conn:
            self._serialise(conn, hold=False)
            return oee.roll_up_steps(conn, silence_s, since_s)

    # -- Tallies -------------------------------------------------------------------------

    def table_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return queries.table_counts(conn)

    def step_results(self) -> list[StepResult]:
        with self.engine.connect() as conn:
            return queries.step_results(conn)

    def latest_time(self) -> datetime | None:
        with self.engine.connect() as conn:
            return queries.latest_time(conn)

    def first_state_time(self) -> datetime | None:
        with self.engine.connect() as conn:
            return queries.first_state_time(conn)

    # -- AccessBook ----------------------------------------------------------------------

    def _audited(self) -> None:
        """Holds are audited: refuse them, naming the fix, on a schema without the trail."""
        if not self._access_ok:
            require_table(self.engine, "audit", "holds (their audit trail)")
            self._access_ok = True

    def add_token(self, name: str, role: str, sha256: str, by: str, when: datetime) -> int:
        self._audited()
        with self.engine.begin() as conn:
            return access.add_token(conn, name, role, sha256, by, when)

    def token_by_hash(self, sha256: str) -> TokenRow | None:
        with self.engine.connect() as conn:
            return access.token_by_hash(conn, sha256)

    def tokens(self, include_revoked: bool = False) -> list[TokenRow]:
        with self.engine.connect() as conn:
            return access.list_tokens(conn, include_revoked)

    def revoke_token(self, token_id: int, by: str, when: datetime) -> bool:
        with self.engine.begin() as conn:
            return access.revoke_token(conn, token_id, by, when)

    def audit_trail(self, limit: int = 100, before: int | None = None) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            return access.audit_trail(conn, limit, before)
