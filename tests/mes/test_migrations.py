"""The migrations shipped in the package build exactly the tables of gigaline.mes.sql.tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
