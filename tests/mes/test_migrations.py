"""The migrations shipped in the package build exactly the tables of gigaline.mes.sql.tables."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from gigaline.mes.sql import SqlStore, open_store
from gigaline.mes.sql.db import HEAD, downgrade, resolve_url, upgrade
from gigaline.mes.sql.tables import metadata


def test_migrated_schema_matches_the_tables(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
            assert ctx.get_current_revision() == HEAD
        upgrade(store.engine)  # again: nothing to do
        downgrade(store.engine, "base")
        assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    store = open_store(f"{tmp_path}/wal.db")
    try:
        with store.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert mode == "wal"
    finally:
        store.close()


def test_urls() -> None:
    assert resolve_url("plant.db") == "sqlite:///plant.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_database_of_the_previous_schema_upgrades_with_its_events(db_url: str) -> None:
    """Migration 0003 keys the events by (id, site); the events already stored stay."""
    from datetime import UTC, datetime

    import pytest
    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    from gigaline.mes.errors import StoreError
    from gigaline.mes.sql import tables as t
    from gigaline.mes.sql.db import make_engine

    engine = make_engine(resolve_url(db_url))
    try:
        upgrade(engine, "0002")  # a store made before this gigaline
        ts = datetime(2026, 1, 5, 8, tzinfo=UTC)
        rows = [{"id": f"e-{i}", "type": "lot", "site": "plant-a", "ts": ts} for i in range(3)]
        with engine.begin() as conn:
            conn.execute(insert(t.events), rows)
        old = SqlStore(engine)
        with pytest.raises(StoreError, match="gigaline mes init"):
            old.require("ingest")  # ingestion wants the upgrade first, and says how
        upgrade(engine)
        assert inspect(engine).get_pk_constraint("events")["constrained_columns"] == ["id", "site"]
        with engine.begin() as conn:
            assert len(conn.execute(select(t.events)).all()) == 3
            conn.execute(insert(t.events), [{**rows[0], "site": "plant-b"}])  # another plant
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(t.events), [rows[1]])  # the same plant: the same event
        SqlStore(engine).require("ingest")
    finally:
        engine.dispose()  # the database (a file, a schema) is the fixture's to drop


def test_a_database_of_schema_0006_upgrades_to_columns_that_hold_the_contract(
    db_url: str,
) -> None:
    """Migration 0007 widens the process records' reason to 256 characters and makes the dead
    letters' event id unbounded; the rows stored before stay as they were."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from gigaline.mes.sql import tables as t
    from gigaline.mes.sql.db import make_engine

    engine = make_engine(resolve_url(db_url))
    try:
        upgrade(engine, "0006")
        ts = datetime(2026, 1, 5, 8, tzinfo=UTC)
        record = {"event_id": "e-1", "unit": "C-1", "step_id": 1, "station_id": 1, "ts": ts,
                  "result": "NG", "reason": "r" * 128}  # fmt: skip
        letter = {"received": ts, "event_id": "x" * 128, "reason": "id too long", "raw": "{}",
                  "raw_sha256": "0" * 64}  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(t.process_records), [record])
            conn.execute(insert(t.dead_letters), [letter])
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(insert(t.process_records), [{**record, "reason": "s" * 256}])
            long_id = {**letter, "event_id": "y" * 10_000, "raw_sha256": "1" * 64}
            conn.execute(insert(t.dead_letters), [long_id])
            reasons = conn.execute(select(t.process_records.c.reason)).scalars().all()
            ids = conn.execute(select(t.dead_letters.c.event_id)).scalars().all()
        assert sorted(reasons) == ["r" * 128, "s" * 256]
        assert sorted(ids) == ["x" * 128, "y" * 10_000]
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
        with engine.begin() as conn:  # rows the old columns hold: then back down, and up again
            conn.execute(t.dead_letters.delete().where(t.dead_letters.c.raw_sha256 == "1" * 64))
            conn.execute(t.process_records.delete().where(t.process_records.c.reason != "r" * 128))
        downgrade(engine, "0006")
        upgrade(engine)
    finally:
        engine.dispose()


def test_the_migrations_are_one_line_ending_at_head() -> None:
    """One head, the one this gigaline writes: two branches adding a migration after the same
    revision (a merge of parallel work) must be put in order, not left as two heads."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "gigaline.mes.sql:migrations")
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == [HEAD]
    revisions = [r.revision for r in script.walk_revisions()]
    assert len(revisions) == len(set(revisions))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_sessions_are_at_utc_without_jit(store: SqlStore) -> None:
    """Every session of the store is at ``UTC`` (not the server's zone, nor ``Etc/UTC``): its
    times come back with ``timezone.utc`` (psycopg's fast path; a ``ZoneInfo`` made reading an
    SPC series' times twice as slow), also after the pool hands the connection out again; and
    without JIT compilation (half a second compiling the steps' roll-up of a day)."""
    from datetime import UTC  # datetime.timezone.utc

    for _ in range(2):
        with store.engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
            assert conn.execute(text("SHOW jit")).scalar() == "off"
            got = conn.execute(text("SELECT TIMESTAMPTZ '2026-01-05 12:00:00+02'")).scalar()
            conn.rollback()
        assert got.tzinfo is UTC and got.hour == 10


def _plan(store: SqlStore, sql: str) -> str:
    """PostgreSQL's plan of ``sql`` with sequential and bitmap scans off: which index, if any,
    answers it alone (on a small test database the planner would scan the table)."""
    with store.engine.connect() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        return "\n".join(conn.execute(text("EXPLAIN " + sql)).scalars())


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # INCLUDE is PostgreSQL's
def test_postgresql_reads_an_spc_series_from_the_index_alone(store: SqlStore) -> None:
    """The newest records of a step in (ts, id) order with their unit and parameters (the
    read of ``measure_series(..., last=N)``): an index-only scan in key order, no table visit
    and no sort (migration 0011; through (step_id, ts) it was an index scan, then a sort)."""
    plan = _plan(
        store,
        "SELECT unit, ts, params FROM process_records WHERE step_id IN (1)"
        " AND params IS NOT NULL ORDER BY ts DESC, id DESC LIMIT 11",
    )
    assert "Index Only Scan Backward using ix_process_records_step_id_ts_id " in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # INCLUDE is PostgreSQL's
def test_postgresql_counts_a_stations_window_from_the_index_alone(store: SqlStore) -> None:
    """Records of some stations in a window, counted with their OK count and newest time (the
    read of ``station_record_tallies``, and of ``station_timelines``' records): an index-only
    scan (migration 0012; through the bare (station_id, ts) each record was a table visit)."""
    plan = _plan(
        store,
        "SELECT station_id, count(*), sum(CASE WHEN result = 'OK' THEN 1 ELSE 0 END), max(ts)"
        " FROM process_records WHERE station_id = ANY(ARRAY[1, 2]) AND ts >= "
        "'2026-01-05T06:00:00Z' AND ts < '2026-01-05T14:00:00Z' GROUP BY station_id",
    )
    assert "Index Only Scan using ix_process_records_station_id_ts " in plan, plan


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # INCLUDE is PostgreSQL's
def test_postgresql_reads_the_standing_state_from_the_index_alone(store: SqlStore) -> None:
    """A station's last state change before a time, ties broken by id, with its state and
    reason (the read of live OEE's edges, ``_before``): one backward index-only step, no sort
    (migration 0013; through (station_id, ts) PostgreSQL sorted the station's earlier changes
    to break the ties)."""
    plan = _plan(
        store,
        "SELECT ts, state, reason FROM machine_states WHERE station_id = 1"
        " AND ts < '2026-01-05T06:00:00Z' ORDER BY ts DESC, id DESC LIMIT 1",
    )
    assert "Index Only Scan Backward using ix_machine_states_station_id_ts " in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_deletes_a_writes_summaries_by_station_and_time(store: SqlStore) -> None:
    """What a write deletes of each summary table (its stations' rows of every silence
    threshold from an hour or a quarter on: ``invalidate``) is a range of a (key, time) index
    per station (migration 0014; through the keys (key, silence, hour) each delete scanned
    every hour of the station), and a window's edge reads the quarters by time."""
    from gigaline.mes.sql.oee import _PG_INVALIDATE, _SUMMARIES

    deletes = {table.name: stmt for table, stmt in zip(_SUMMARIES, _PG_INVALIDATE, strict=True)}

    want = {
        "oee_hours": "ix_oee_hours_station_id_hour_s",
        "oee_hour_downtime": "ix_oee_hour_downtime_station_id_hour_s_silence_s",
        "oee_quarters": "pk_oee_quarters",
        "oee_quarter_downtime": "ix_oee_quarter_downtime_station_id_quarter_s_silence_s",
        "oee_step_hours": "ix_oee_step_hours_step_id_hour_s",
        "oee_step_hour_downtime": "ix_oee_step_hour_downtime_step_id_hour_s_silence_s",
    }
    assert set(deletes) == set(want)
    with store.engine.connect() as conn:
        for table, stmt in deletes.items():
            sql = str(stmt.compile(dialect=conn.dialect))
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cur.execute("EXPLAIN " + sql, {"sids": [1, 2], "hs": [3600, 7200], "qs": [900, 1800]})
            plan = "\n".join(r[0] for r in cur.fetchall())
            conn.rollback()
            assert f"Index Scan using {want[table]} " in plan, (table, plan)
    plan = _plan(
        store,
        "SELECT station_id, sum(pq) FROM oee_quarters WHERE silence_s = 60"
        " AND quarter_s >= 0 AND quarter_s < 1800 GROUP BY station_id",
    )
    assert "Index Scan using ix_oee_quarters_quarter_s " in plan, plan


def test_summarising_a_database_of_the_previous_schema_says_how_to_upgrade(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gigaline mes summarise` on a database of schema 0013 (no quarters): a clear error
    naming the upgrade, no traceback, nothing written; after `mes init` it summarises."""
    from pathlib import Path

    from gigaline.cli import main
    from gigaline.mes.sql.db import make_engine

    examples = Path(__file__).resolve().parents[2] / "examples"
    db = str(Path(str(tmp_path)) / "old.db")
    assert main(["mes", "init", str(examples / "oee-example.yaml"), "--db", db]) == 0
    assert main(["ingest", str(examples / "oee-example.ndjson"), "--db", db]) == 0
    engine = make_engine(resolve_url(db))
    downgrade(engine, "0013")  # as a gigaline before the quarters left it
    engine.dispose()
    capsys.readouterr()
    assert main(["mes", "summarise", "--db", db]) != 0
    err = capsys.readouterr().err
    assert "gigaline mes init" in err and "0013" in err and "Traceback" not in err, err
    engine = make_engine(resolve_url(db))
    assert not inspect(engine).has_table("oee_quarters")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM oee_hours")).scalar_one() == 0
    engine.dispose()
    assert main(["mes", "init", str(examples / "oee-example.yaml"), "--db", db]) == 0
    assert main(["mes", "summarise", "--db", db]) == 0
    assert "17 station-hours" in capsys.readouterr().out
