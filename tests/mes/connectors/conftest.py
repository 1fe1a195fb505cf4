"""Fixtures of the live-connector tests: a SQLite store with the mini line's stations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gigaline.mes.services import init_line
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import Line


@pytest.fixture
def sqlite_store(tmp_path: Path, mini_line: Line) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'mes.db'}")
    init_line(s, mini_line)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def pg_store(postgres_url: str, mini_line: Line) -> Iterator[SqlStore]:
    """The same on PostgreSQL, in a schema of its own (skips or fails without a server)."""
    from tests.mes.conftest import _pg_schema_url

    url, drop = _pg_schema_url(postgres_url)
    s = open_store(url)
    init_line(s, mini_line)
    try:
        yield s
    finally:
        s.close()
        drop()
