"""The MES tables, in ISA-95 words (SQLAlchemy 2 Core; the schema itself is made by Alembic).

Equipment hierarchy (IEC 62264-1 / ISA-95 Part 1): site > area > line > station > equipment. A
*step* is a process segment of the line's route; a *station* is one work unit that performs a
step (the line file's ``machines`` of a step become that many stations). Events name stations.

Material and production: material *lots* (bought-in material, by quantity), *units*
(serialised production items: slurry batches, electrode coils, sheet stacks, cells, modules),
*process records* (one per unit and step: station, start and end, OK or NG with a reason code,
parameters as name to number), *genealogy* edges (consumed lot or unit -> produced unit, with
quantity), *machine states*, *curves* (formation and aging curves as compressed per-unit arrays
plus summary features), *holds*, the *events* ledger (one row per accepted event id: the
idempotency key) and the *dead letters* (rejected events with their raw payload and reason).
Quality (migration 0002): the line's quality section (``lines.quality``), SPC *alarms* and
*cell grades*. Live OEE (migration 0005): the line's calendar (``lines.calendar``) and each
step's planned run time per item (``steps.pri_s``). Ingestion (migration 0007): the *pending
events*, waiting for a lot or unit not stored yet.

The high-volume tables (process records, genealogy, machine states, curves) carry no foreign
keys: ingestion has already checked every reference, and PostgreSQL would otherwise run a
trigger per row (it more than doubled the COPY time of process records here).

Every column holds what the event contract allows (:mod:`gigaline.events.contract`): names of
``MAX_NAME`` characters, reasons of ``MAX_TEXT`` (migration 0007 widened the process records'
reason to it), and the dead letters keep a rejected id whole, whatever its length; texts no
database can store (NUL, lone surrogates) are refused by the contract, and dead letters carry
them escaped.

Timestamps are UTC. The events ledger is keyed by ``(id, site)`` (migration 0003): an event id
is unique within its plant, so that stores of several plants can be merged (ARCHITECTURE.md,
"Beyond one machine").

The only SQLAlchemy code of gigaline lives in this package (:mod:`gigaline.mes.sql`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "alarms",
    "api_tokens",
    "areas",
    "audit",
    "cell_grades",
    "curves",
    "dead_letters",
    "equipment",
    "events",
    "genealogy",
    "held_units",
    "holds",
    "lines",
    "lots",
    "machine_states",
    "metadata",
    "oee_hour_downtime",
    "oee_hours",
    "oee_quarter_downtime",
    "oee_quarters",
    "pending_events",
    "process_records",
    "sites",
    "stations",
    "steps",
    "units",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

#: Surrogate keys of the high-volume tables: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Ts = DateTime(timezone=True)
Name = String(128)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Name, nullable=False, unique=True),
)

areas = Table(
    "areas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    Column("name", Name, nullable=False),
    UniqueConstraint("site_id", "name"),
)

lines = Table(
    "lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("area_id", Integer, ForeignKey("areas.id"), nullable=False),
    Column("name", Name, nullable=False),
    Column("quality", Text),  # the line file's quality section as JSON (``mes init``)
    Column("calendar", Text),  # the line file's calendar section as JSON (migration 0005)
    UniqueConstraint("area_id", "name"),
)

steps = Table(
    "steps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", Integer, ForeignKey("lines.id"), nullable=False),
    Column("name", Name, nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("process", String(64)),
    Column("branch", Name),
    Column("unit", String(32), nullable=False),
    Column("pri_s", Float),  # planned run time per item of one station (migration 0005)
    UniqueConstraint("line_id", "name"),
)

stations = Table(
    "stations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("step_id", Integer, ForeignKey("steps.id"), nullable=False),
    Column("name", Name, nullable=False, unique=True),
    # bumped by every write of the station's states or records (migration 0010): the
    # summariser stores an hour of OEE only if it is unchanged since it read the rows
    Column("oee_version", BigInteger, nullable=False, server_default="0"),
)

equipment = Table(
    "equipment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("station_id", Integer, ForeignKey("stations.id"), nullable=False),
    Column("name", Name, nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Name, primary_key=True),  # the key is (id, site): an event id is per plant
    Column("type", String(16), nullable=False),
    Column("site", Name, primary_key=True),
    Column("ts", Ts, nullable=False),
)

lots = Table(
    "lots",
    metadata,
    Column("id", Name, primary_key=True),
    Column("material", Name, nullable=False),
    Column("qty", Float, nullable=False),
    Column("uom", String(16), nullable=False),
    Column("ts", Ts, nullable=False),
    Column("event_id", Name, nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("id", Name, primary_key=True),
    Column("unit_type", String(32), nullable=False),
    Column("ts", Ts, nullable=False),
    Column("event_id", Name, nullable=False),
)

process_records = Table(
    "process_records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", Name, nullable=False),
    Column("unit", Name, nullable=False),
    Column("step_id", Integer, nullable=False),
    Column("station_id", Integer, nullable=False),
    Column("started", Ts),
    Column("ts", Ts, nullable=False),
    Column("result", String(2), nullable=False),
    Column("reason", String(256)),  # the contract's MAX_TEXT (migration 0007; was 128)
    Column("params", Text),
    Index(None, "unit", "ts"),  # trace: one range scan per unit
    # SPC: a step's series in (ts, id) order, read from the index alone on PostgreSQL
    # (migration 0011; was (step_id, ts) of 0009)
    Index(None, "step_id", "ts", "id", postgresql_include=["unit", "params"]),
    # OEE, floor pages: a station's window (migration 0009), its results in the index on
    # PostgreSQL (migration 0012: the window's records counted by an index-only scan)
    Index(None, "station_id", "ts", postgresql_include=["result"]),
)

genealogy = Table(
    "genealogy",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("parent", Name, nullable=False),
    Column("parent_kind", String(4), nullable=False),
    Column("child", Name, nullable=False),
    Column("qty", Float, nullable=False),
    Column("ts", Ts, nullable=False),
    Column("event_id", Name, nullable=False),
    Index(None, "child"),
    Index(None, "parent"),
)

machine_states = Table(
    "machine_states",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", Name, nullable=False),
    Column("station_id", Integer, nullable=False),
    Column("ts", Ts, nullable=False),
    Column("state", String(32), nullable=False),
    Column("reason", String(256)),
    # PostgreSQL (migration 0013): the state standing at a time (the last change before it,
    # ties by id) is one backward step of the index, read from it alone; SQLite's indexes end
    # with the rowid (``id``) already
    Index(
        "ix_machine_states_station_id_ts",
        "station_id",
        "ts",
        "id",
        postgresql_include=["state", "reason"],
    ),
)


def _oee_hour_table(name: str, key: str, *extra: Any, time: str = "hour_s") -> Table:
    """An hourly summary of live OEE per ``key`` (station or step) and whole hour (or
    ``time``: per quarter of an hour).

    Keyed by (key, silence, hour); also indexed by (key, hour) (migration 0014: what a write
    deletes is a key's rows of every silence threshold from an hour on, through the primary
    key alone a scan of each of its hours). The quarters are keyed by (station, quarter,
    silence) and indexed by time: a window's edge reads a quarter of every station, one range
    of that index."""
    quarters = time != "hour_s"
    order = (key, time, "silence_s") if quarters else (key, "silence_s", time)
    return Table(
        name,
        metadata,
        Column(key, Integer, nullable=False),
        Column("silence_s", Float, nullable=False),
        Column(time, BigInteger, nullable=False),
        PrimaryKeyConstraint(*order),
        Index(None, time) if quarters else Index(None, key, time),
        *extra,
        Column("pdot_s", Float, nullable=False),
        Column("apt_s", Float, nullable=False),
        Column("unqualified_s", Float, nullable=False),
        Column("pq", Integer, nullable=False),
        Column("gq", Integer, nullable=False),
    )


def _oee_downtime_table(name: str, key: str, time: str = "hour_s") -> Table:
    """The downtime of each summarised hour (or quarter) of ``key`` by (state, reason):
    seconds and runs begun in it. Indexed by (key, hour, silence) (until migration 0014 by
    (key, silence, hour): see :func:`_oee_hour_table`), the quarters also by time."""
    return Table(
        name,
        metadata,
        Column(key, Integer, nullable=False),
        Column(time, BigInteger, nullable=False),
        Column("silence_s", Float, nullable=False),
        Column("state", String(32), nullable=False),
        Column("reason", String(256)),
        Column("seconds", Float, nullable=False),
        Column("begins", Integer, nullable=False),
        Index(None, key, time, "silence_s"),
        *([Index(None, time)] if time != "hour_s" else []),
    )


#: Live OEE per station and whole hour (migration 0010; gigaline.mes.services.oee): the
#: additive elements of [hour_s, hour_s + 3600) for one silence threshold.
oee_hours = _oee_hour_table("oee_hours", "station_id")
oee_hour_downtime = _oee_downtime_table("oee_hour_downtime", "station_id")

#: The hourly summaries of a whole step (migration 0013): an hour of ``oee_hours`` summed over
#: every station of the step, stored once each of them has that hour (``stations``: how many
#: were summed). A line's window reads these instead of a row per station and hour (16 days
#: of the reference line: 28 steps x 384 hours instead of 789 stations x 384 hours). Deleted
#: with the station hours a write deletes (:func:`gigaline.mes.sql.oee.invalidate`).
oee_step_hours = _oee_hour_table(
    "oee_step_hours", "step_id", Column("stations", Integer, nullable=False)
)
oee_step_hour_downtime = _oee_downtime_table("oee_step_hour_downtime", "step_id")

#: Live OEE per station and quarter of an hour (migration 0014): the elements of [quarter_s,
#: quarter_s + 900), what ``oee_hours`` holds of a whole hour. A window's edges (the parts
#: before its first and after its last whole hour: a live window ends in the hour now
#: running) read these and only the rest, under 15 minutes, raw: on 16 days of the reference
#: line half an hour of 789 stations raw took 25 to 30 ms of the database's time (4 Dec 2026).
#: Kept and deleted as the hours are; read by time (through the key an edge was a probe per
#: station, 7 to 10 ms for 789).
oee_quarters = _oee_hour_table("oee_quarters", "station_id", time="quarter_s")
oee_quarter_downtime = _oee_downtime_table("oee_quarter_downtime", "station_id", "quarter_s")

curves = Table(
    "curves",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", Name, nullable=False),
    Column("unit", Name, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("station_id", Integer, nullable=False),
    Column("ts", Ts, nullable=False),
    Column("dt_s", Float, nullable=False),
    Column("n", Integer, nullable=False),
    Column("channels", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("features", Text, nullable=False),
    Index(None, "unit"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target", Text, nullable=False),  # a lot, a unit, or "spc:STEP/PARAM" (0007)
    Column("reason", Text, nullable=False),
    Column("created", Ts, nullable=False),
    Column("created_by", Name, nullable=False),
    Column("released", Ts),
    Column("release_reason", Text),
    Column("released_by", Name),
)

held_units = Table(
    "held_units",
    metadata,
    Column("hold_id", Integer, ForeignKey("holds.id"), primary_key=True),
    Column("unit", Name, primary_key=True),
    Index(None, "unit"),
)

alarms = Table(
    "alarms",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(512), nullable=False, unique=True),  # one alarm per point and rule
    Column("source", String(16), nullable=False),
    Column("raised", Ts, nullable=False),
    Column("ts", Ts, nullable=False),  # time of the flagged point (its last record)
    Column("step", Name, nullable=False),
    Column("param", String(64), nullable=False),
    Column("chart", String(16), nullable=False),
    Column("rules", String(32), nullable=False),
    Column("rule", Integer, nullable=False),
    Column("value", Float, nullable=False),
    Column("center", Float, nullable=False),
    Column("lcl", Float, nullable=False),
    Column("ucl", Float, nullable=False),
    Column("units", Text, nullable=False),  # JSON list of the units of the flagged point
    Column("message", Text, nullable=False),
    Column("hold_id", Integer),
    Index(None, "step", "param"),
)

cell_grades = Table(
    "cell_grades",
    metadata,
    Column("unit", Name, primary_key=True),
    Column("grade", String(32), nullable=False),
    Column("reason", Text),
    Column("capacity_ah", Float),
    Column("dcir_mohm", Float),
    Column("ocv_v", Float),
    Column("k_mv_per_day", Float),
    Column("graded", Ts, nullable=False),
    Index(None, "grade"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("received", Ts, nullable=False),
    Column("event_id", Text),  # as received: a rejected id may be of any length (0007)
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("raw_sha256", String(64), nullable=False, unique=True),
)

#: Events waiting for a lot or unit not stored yet (migration 0007), keyed like ``events``.
pending_events = Table(
    "pending_events",
    metadata,
    Column("id", Name, primary_key=True),
    Column("site", Name, primary_key=True),
    Column("waits_for", Name, nullable=False, index=True),
    Column("received", Ts, nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Name, nullable=False),
    Column("role", String(16), nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),  # of the secret, never the secret
    Column("created", Ts, nullable=False),
    Column("created_by", Name, nullable=False),
    Column("revoked", Ts),
    Column("revoked_by", Name),
)

audit = Table(
    "audit",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ts", Ts, nullable=False),
    Column("user", Name, nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Name, nullable=False),
    Column("detail", Text, nullable=False),
    Index(None, "ts"),
)
