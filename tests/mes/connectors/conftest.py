"""Fixtures of the live-connector tests: a SQLite store with the mini line's stations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gigaline.mes.sql import SqlStore
from gigaline.model import Line
from tests.mes.conftest import line_store


@pytest.fixture
def sqlite_store(tmp_path: Path, mini_line: Line) -> Iterator[SqlStore]:
    with line_store(f"sqlite:///{tmp_path / 'mes.db'}", mini_line) as s:
        yield s


@pytest.fixture
def pg_store(postgres_url: str, mini_line: Line) -> Iterator[SqlStore]:
    """The same on PostgreSQL, in a schema of its own (skips or fails without a server)."""
    from tests.mes.conftest import _pg_schema_url

    url, drop = _pg_schema_url(postgres_url)
    try:
        with line_store(url, mini_line) as s:
            yield s
    finally:
        drop()
