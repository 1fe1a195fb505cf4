"""The MES core (layer 2): ISA-95 tables, event ingestion, traceability queries and holds.

Open a store with :meth:`Store.open` (SQLite file or PostgreSQL URL), register a line with
:func:`init_line`, append events with :func:`ingest`, then ask :meth:`Store.trace`,
:meth:`Store.where_used` and :meth:`Store.hold`. :func:`generate_events` writes a realistic,
seeded event stream for any line.
"""

from gigaline.mes.db import StoreError, resolve_url
from gigaline.mes.events import EventError, check_event
from gigaline.mes.generate import generate_events
from gigaline.mes.ingest import IngestResult, Rejection, ingest
from gigaline.mes.setup import init_line
from gigaline.mes.store import Store

__all__ = [
    "EventError",
    "IngestResult",
    "Rejection",
    "Store",
    "StoreError",
    "check_event",
    "generate_events",
    "ingest",
    "init_line",
    "resolve_url",
]
