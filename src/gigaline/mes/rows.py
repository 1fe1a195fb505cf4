"""The rows one ingest batch appends, table by table (pure: no I/O, no database).

The pure step of ingestion (:func:`gigaline.mes.ingest.prepare`) builds a :class:`Rows`; a
store's :meth:`~gigaline.mes.ports.EventLog.append` writes it in one transaction. Each row is
a tuple in the column order of :data:`COLUMNS` (tuples, not objects: a batch is tens of
thousands of rows, and the SQL adapter hands them to the driver's bulk path as they are).
Timestamps are what the store's :meth:`~gigaline.mes.ports.EventLog.row_time` made of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["COLUMNS", "DeadLetter", "Parked", "Row", "Rows"]

Row = tuple[Any, ...]

#: Columns of each appended table, in the order the rows of :class:`Rows` carry them, and in an
#: order of tables that respects references (a unit before the records that name it).
COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("id", "type", "site", "ts"),
    "lots": ("id", "material", "qty", "uom", "ts", "event_id"),
    "units": ("id", "unit_type", "ts", "event_id"),
    "process_records": (
        "event_id", "unit", "step_id", "station_id", "started", "ts", "result", "reason",
        "params",
    ),
    "genealogy": ("parent", "parent_kind", "child", "qty", "ts", "event_id"),
    "machine_states": ("event_id", "station_id", "ts", "state", "reason"),
    "curves": (
        "event_id", "unit", "kind", "station_id", "ts", "dt_s", "n", "channels", "data",
        "features",
    ),
    "held_units": ("hold_id", "unit"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected payload: when it came, its id (if it had one), why, and the raw text."""

    received: datetime
    event_id: str | None
    reason: str
    raw: str
    raw_sha256: str


@dataclass(frozen=True, slots=True)
class Parked:
    """An event that waits for a lot or unit not stored yet (the pending store): its key, the
    name it waits for, when it first came, why it could not be stored, and the raw text."""

    event_id: str
    site: str
    waits_for: str
    received: datetime
    reason: str
    raw: str


@dataclass
class Rows:
    """The rows of one ingest batch, per table (column order as in :data:`COLUMNS`)."""

    events: list[Row] = field(default_factory=list)
    lots: list[Row] = field(default_factory=list)
    units: list[Row] = field(default_factory=list)
    process_records: list[Row] = field(default_factory=list)
    genealogy: list[Row] = field(default_factory=list)
    machine_states: list[Row] = field(default_factory=list)
    curves: list[Row] = field(default_factory=list)
    held_units: list[Row] = field(default_factory=list)
    #: (id, unit_type, ts, event_id) of stored units that this batch has an earlier event of:
    #: a unit's row is its earliest event (``ts``, ties by event id), and the store keeps the
    #: earlier of its row and this one (whichever writer met which event first)
    earlier_units: list[Row] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: events to keep waiting (an event waiting already keeps its first ``received``)
    parked: list[Parked] = field(default_factory=list)
    #: (site, id) of waiting events that no longer wait (stored, duplicates or dead letters)
    settled: list[tuple[str, str]] = field(default_factory=list)

    def tables(self) -> list[tuple[str, list[Row]]]:
        """(table name, rows) in an order that respects references (dead letters apart)."""
        return [(name, getattr(self, name)) for name in COLUMNS]

    def event_keys(self) -> list[tuple[str, str]]:
        """The (site, id) of every event in the batch."""
        return [(row[2], row[0]) for row in self.events]
