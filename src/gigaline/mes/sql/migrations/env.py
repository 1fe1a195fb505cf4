"""Alembic environment of the MES store.

Migrations ship inside the package (``gigaline.mes.sql:migrations``), so an installed gigaline can
create and upgrade its database without a checkout. :func:`gigaline.mes.sql.db.upgrade` passes an
open connection in ``config.attributes["connection"]``; the ``alembic`` command line works too,
with ``sqlalchemy.url`` set in its ini file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.engine import Connection

from gigaline.mes.sql.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run(conn)


_main()
