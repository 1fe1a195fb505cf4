"""The migrations shipped in the package build exactly the tables of gigaline.mes.tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from gigaline.mes.sql import open_store
from gigaline.mes.sql.db import downgrade, resolve_url, upgrade
from gigaline.mes.sql.tables import metadata


def test_migrated_schema_matches_the_tables(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
            assert ctx.get_current_revision() == "0003"
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
