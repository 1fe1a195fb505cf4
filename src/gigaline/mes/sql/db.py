"""Opening the MES database: URL resolution, engine set-up and schema migrations.

The database is named by a SQLAlchemy URL: ``--db`` on the command line, else the setting
``GIGALINE_DB`` (:class:`gigaline.settings.Settings`), else the SQLite file ``gigaline.db`` in
the working directory. A bare path (``plant.db``) means a SQLite file. SQLite runs in WAL mode
(readers never block the one writer) with ``synchronous=NORMAL``: a crash of the process loses
nothing committed; a power loss or an operating-system crash never corrupts the file but can
roll back what was committed since the log's last sync at a checkpoint
(https://www.sqlite.org/wal.html; docs/mes.md says what that means for acknowledged messages).
PostgreSQL is reached through psycopg 3 (``postgresql+psycopg://...``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from gigaline.errors import FieldError
from gigaline.mes.errors import StoreError
from gigaline.settings import Settings

__all__ = [
    "HEAD",
    "StoreError",
    "check_target",
    "connect_problem",
    "current_revision",
    "downgrade",
    "is_initialised",
    "make_engine",
    "require_table",
    "resolve_url",
    "shown",
    "upgrade",
]

#: The schema revision this gigaline writes (the last migration).
HEAD = "0014"
_MIGRATIONS = "gigaline.mes.sql:migrations"
_ALLOWED = "allowed: sqlite:///FILE, a SQLite file path, or postgresql+psycopg://USER@HOST/DB"
#: The first 16 bytes of every SQLite 3 database file (https://www.sqlite.org/fileformat.html).
_SQLITE_HEADER = b"SQLite format 3\x00"
#: Seconds to wait for a PostgreSQL server before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10
_INIT = "`gigaline mes init LINE.yaml --db URL` creates it"


def resolve_url(db: str | None = None, settings: Settings | None = None) -> str:
    """The database URL: ``db``, else ``GIGALINE_DB``, else ``sqlite:///gigaline.db``.

    A bad URL is a :class:`~gigaline.errors.FieldError` on the field ``db``.
    """
    url = (settings or Settings.load()).database(db).value
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise FieldError("db", url, f"not a database URL ({exc}); {_ALLOWED}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise FieldError(
            "db", url, f"unsupported database {parsed.get_backend_name()!r}; {_ALLOWED}"
        )
    return url


def shown(value: str) -> str:
    """A database as the user gave it, for messages (a URL's password hidden)."""
    if "://" not in value:
        return value
    try:
        return make_url(value).render_as_string(hide_password=True)
    except ArgumentError:
        return value


def check_target(url: str, create: bool, given: str | None = None) -> None:
    """Refuse, before anything is opened, a SQLite target that cannot be the MES database.

    ``url`` is resolved (:func:`resolve_url`); ``given`` is what the user wrote (named in the
    messages; default: ``url``). A directory, a path in a missing folder and a file that is
    not a SQLite database are :class:`~gigaline.errors.FieldError` on ``db``; without
    ``create`` a missing or empty file is one too (reading never creates a database), and
    with it a folder that cannot be written. In-memory and ``file:`` URI databases are not
    checked; PostgreSQL targets are judged when connecting (:func:`connect_problem`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:") or parsed.query.get("uri"):
        return
    path = Path(name)
    said = shown(given if given is not None else url)
    if path.is_dir():
        raise FieldError("db", said, f"{str(path)!r} is a folder; give a database file in it")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise FieldError("db", said, f"folder {str(folder)!r} {what}; create it first")
    if path.exists():
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_HEADER))
        if head and head != _SQLITE_HEADER:
            raise FieldError("db", said, f"{str(path)!r} is not a SQLite database; {_ALLOWED}")
        if not head and not create:  # opening it would make it a database: reading never does
            raise FieldError("db", said, f"an empty file, no MES database yet; {_INIT}")
    elif not create:
        raise FieldError("db", said, f"no such database file; {_INIT}")
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise FieldError("db", said, f"cannot create a database in folder {str(folder)!r}")


def connect_problem(url: str, exc: DBAPIError, given: str | None = None) -> FieldError:
    """The error to give for a database that could not be opened: what the driver said, on
    one line, with the likely fix (a server not running, a database not created)."""
    said = shown(given if given is not None else url)
    why = " ".join(str(exc.orig).split()) if exc.orig is not None else str(exc)
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return FieldError("db", said, f"cannot open it: {why}; {_ALLOWED}")
    name = parsed.database
    if name and f'database "{name}" does not exist' in why:
        hint = f"create the database first (createdb {name}), then the schema: {_INIT}"
    elif "Is the server running" in why:
        hint = "check the host and port"
    else:
        hint = "check the server, host, port, user and password"
    return FieldError("db", said, f"cannot connect: {why}; {hint}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    cur.close()


def _pg_session(dbapi_conn: Any, _record: Any) -> None:
    """Each PostgreSQL session at ``UTC`` and without JIT compilation (committed at once: a
    rolled-back ``SET`` is undone).

    The store's times are UTC. A session at ``UTC`` (not ``Etc/UTC``, the usual server default,
    nor the server's local zone) gets its ``timestamptz`` values from psycopg with
    ``datetime.timezone.utc``, whose offset costs nothing, instead of a ``ZoneInfo``: half the
    client's time of reading 50,000 SPC records' times (20 -> 11 ms, 3 Dec 2026); and a naive
    time written is taken as UTC whatever the server's zone.

    JIT: PostgreSQL compiles a query planned to cost more than ``jit_above_cost`` (100,000 by
    default) before running it. The store's queries are short index-bound reads whose plans
    cost that much by their correlated subqueries (the steps' roll-up of a day of hourly
    summaries: 1,058 ms, of which about 500 ms compiling, for a query that runs in about 50 ms;
    3 Dec 2026, 2-core machine, load 4); none of them runs long enough to gain from it.
    """
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        cur = dbapi_conn.cursor()
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SET jit = off")
        cur.close()
    finally:
        dbapi_conn.autocommit = autocommit


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (already resolved): SQLite in WAL mode, PostgreSQL sessions at UTC."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT_S}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    event.listen(engine, "connect", _pg_session)
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision`` with the migrations shipped in the package."""
    _migrate(engine, revision, up=True)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the schema down to ``revision`` (``"base"``: drop every MES table)."""
    _migrate(engine, revision, up=False)


def _migrate(engine: Engine, revision: str, up: bool) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", _MIGRATIONS)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None: no schema)."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        value = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return None if value is None else str(value)


def require_table(engine: Engine, table: str, what: str) -> None:
    """Raise a :class:`StoreError` naming the fix when ``table`` (added by a later migration)
    is missing: the database was made by an older gigaline."""
    if not inspect(engine).has_table(table):
        raise StoreError(
            f"{what} needs a newer MES schema (table {table!r} is missing); upgrade it with"
            " `gigaline mes init LINE.yaml --db URL`"
        )


def is_initialised(engine: Engine) -> bool:
    """Whether the schema exists (the ``events`` table is there)."""
    return inspect(engine).has_table("events")
