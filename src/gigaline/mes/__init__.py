"""The MES (layer 2): storage behind ports, ingestion, services with typed results.

- :mod:`gigaline.mes.ports`: the doors a store offers (typing Protocols);
- :mod:`gigaline.mes.sql`: the SQL store (SQLite, PostgreSQL), :func:`open_store`; the only
  SQLAlchemy code; :mod:`gigaline.mes.memory`: :class:`MemoryStore`, the same doors in memory;
- :mod:`gigaline.mes.ingest`: the pure check of a batch, :func:`submit` (one batch, result
  after the commit) and :func:`ingest` (the bulk path of files);
- :mod:`gigaline.mes.services`: trace, where-used, holds, SPC, grading, counts, step yields,
  line set-up, each returning a pydantic model;
- :func:`generate_events`: a realistic, seeded event stream for any line.

Names load on first use, so that importing one part (the services, the memory store) does not
load another (SQLAlchemy).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "IngestResult",
    "MemoryStore",
    "Rejection",
    "SqlStore",
    "StoreError",
    "generate_events",
    "ingest",
    "init_line",
    "open_store",
    "submit",
]

_WHERE = {
    "IngestResult": "gigaline.mes.ingest",
    "Rejection": "gigaline.mes.ingest",
    "ingest": "gigaline.mes.ingest",
    "submit": "gigaline.mes.ingest",
    "MemoryStore": "gigaline.mes.memory",
    "SqlStore": "gigaline.mes.sql.store",
    "open_store": "gigaline.mes.sql.store",
    "StoreError": "gigaline.mes.errors",
    "generate_events": "gigaline.mes.generate",
    "init_line": "gigaline.mes.services.setup",
}

if TYPE_CHECKING:  # pragma: no cover
    from gigaline.mes.errors import StoreError
    from gigaline.mes.generate import generate_events
    from gigaline.mes.ingest import IngestResult, Rejection, ingest, submit
    from gigaline.mes.memory import MemoryStore
    from gigaline.mes.services.setup import init_line
    from gigaline.mes.sql.store import SqlStore, open_store


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'gigaline.mes' has no attribute {name!r}")
    return getattr(import_module(module), name)
