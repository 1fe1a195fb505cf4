"""MES test fixtures: a fresh store per test on SQLite (a file) and PostgreSQL (a schema).

PostgreSQL tests get their own schema (``search_path``), dropped afterwards, so test modules
running in parallel never see each other's rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text

from gigaline.mes.generate import generate_events
from gigaline.mes.memory import MemoryStore
from gigaline.mes.rows import Rows
from gigaline.mes.services import (
    init_line,
)
from gigaline.mes.sql import SqlStore, open_store
from gigaline.mes.sql import tables as t
from gigaline.model import Line, load_line

LINES = Path(__file__).parent / "lines"


@pytest.fixture(scope="session")
def mini_line() -> Line:
    return load_line(LINES / "mini.yaml")


def mini_events(line: Line, days: float = 1.0, seed: int = 3) -> list[dict[str, Any]]:
    """A generated stream with several lots and coils a day (small lots and coils)."""
    return list(generate_events(line, days, seed, lot_scale=0.001, coil_m=40.0))


@pytest.fixture(scope="session")
def mini_day(mini_line: Line) -> list[dict[str, Any]]:
    return mini_events(mini_line)


@pytest.fixture(scope="session")
def mini_day_file(mini_day: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mes") / "mini-day.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in mini_day), encoding="utf-8")
    return path


def _pg_schema_url(base: str) -> tuple[str, Callable[[], None]]:
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite: bool, name: str
) -> Iterator[str]:
    """The URL of an empty database: a SQLite file ``name`` in ``tmp_path``, or a fresh
    PostgreSQL schema (dropped afterwards)."""
    if sqlite:
        yield f"sqlite:///{tmp_path / name}"
        return
    url, drop = _pg_schema_url(request.getfixturevalue("postgres_url"))
    try:
        yield url
    finally:
        drop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    yield from empty_database(request, tmp_path, request.param == "sqlite", "mes.db")


def _postgres(store: SqlStore) -> bool:
    return store.engine.dialect.name == "postgresql"


@contextmanager
def line_store(url: str, line: Line) -> Iterator[SqlStore]:
    """A migrated store at ``url`` with ``line`` registered (its stations), closed afterwards."""
    s = open_store(url)
    init_line(s, line)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def store(db_url: str, mini_line: Line) -> Iterator[SqlStore]:
    """A migrated store with the mini line's stations registered."""
    with line_store(db_url, mini_line) as s:
        yield s


@pytest.fixture(params=["sqlite", "postgres", "memory"])
def any_store(request: pytest.FixtureRequest, mini_line: Line, tmp_path: Path) -> Iterator[Any]:
    """The SQL store on SQLite and PostgreSQL, and the in-memory store."""
    if request.param == "memory":
        memory = MemoryStore()
        init_line(memory, mini_line)
        yield memory
        return
    drop = None
    url = f"sqlite:///{tmp_path / 'mes.db'}"
    if request.param == "postgres":
        url, drop = _pg_schema_url(request.getfixturevalue("postgres_url"))
    try:
        with line_store(url, mini_line) as store:
            yield store
    finally:
        if drop is not None:
            drop()


def write_genealogy(store: Any, lots: list[Any], units: list[Any], edges: list[Any]) -> None:
    """Rows of the lots, units and genealogy tables written straight into ``store`` (no
    ingestion checks: a stored cycle, a graph of any shape)."""
    if isinstance(store, MemoryStore):
        store.append(Rows(lots=lots, units=units, genealogy=edges))
        return
    with store.engine.begin() as conn:
        for table, rows in ((t.lots, lots), (t.units, units), (t.genealogy, edges)):
            names = [c.name for c in table.columns if c.name != "id" or table is not t.genealogy]
            conn.execute(insert(table), [dict(zip(names, r, strict=True)) for r in rows])
