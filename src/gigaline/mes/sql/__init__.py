"""The SQL adapter of the MES (SQLite, PostgreSQL): the only SQLAlchemy code of gigaline.

- :func:`open_store` -> :class:`SqlStore`, which implements every port of
  :mod:`gigaline.mes.ports`;
- :mod:`~gigaline.mes.sql.tables` (the ISA-95 tables), :mod:`~gigaline.mes.sql.db` (URLs,
  engines, migrations; the Alembic scripts are in ``migrations/``),
  :mod:`~gigaline.mes.sql.bulk` (executemany on SQLite, binary COPY on PostgreSQL),
  :mod:`~gigaline.mes.sql.queries`, :mod:`~gigaline.mes.sql.measures` and
  :mod:`~gigaline.mes.sql.writes` (the SQL of each port).
"""

from gigaline.mes.sql.db import resolve_url
from gigaline.mes.sql.store import SqlStore, open_store

__all__ = ["SqlStore", "open_store", "resolve_url"]
