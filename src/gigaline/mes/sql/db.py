"""Opening the MES database: URL resolution, engine set-up and schema migrations.

The database is named by a SQLAlchemy URL: ``--db`` on the command line, else the setting
``GIGALINE_DB`` (:class:`gigaline.settings.Settings`), else the SQLite file ``gigaline.db`` in
the working directory. A bare path (``plant.db``) means a SQLite file. SQLite runs in WAL mode
(readers never block the one writer) with ``synchronous=NORMAL`` (durable at each checkpoint; a
crash can lose the last committed transactions but never corrupts the file,
https://www.sqlite.org/wal.html). PostgreSQL is reached through psycopg 3
(``postgresql+psycopg://...``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gigaline.errors import FieldError
from gigaline.mes.errors import StoreError
from gigaline.settings import Settings

__all__ = [
    "HEAD",
    "StoreError",
    "current_revision",
    "downgrade",
    "is_initialised",
    "make_engine",
    "require_table",
    "resolve_url",
    "upgrade",
]

#: The schema revision this gigaline writes (the last migration).
HEAD = "0006"
_MIGRATIONS = "gigaline.mes.sql:migrations"
_ALLOWED = "allowed: sqlite:///FILE, a SQLite file path, or postgresql+psycopg://USER@HOST/DB"


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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (already resolved), with SQLite in WAL mode."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


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
