"""Fixtures of the live-connector tests: a SQLite store with the mini line's stations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gigaline.mes import Store, init_line
from gigaline.model import Line


@pytest.fixture
def sqlite_store(tmp_path: Path, mini_line: Line) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'mes.db'}")
    init_line(s, mini_line)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def pg_store(postgres_url: str, mini_line: Line) -> Iterator[Store]:
    """The same on PostgreSQL, in a schema of its own (skips or fails without a server)."""
    from tests.mes.conftest import _pg_schema_url

    url, drop = _pg_schema_url(postgres_url)
    s = Store.open(url)
    init_line(s, mini_line)
    try:
        yield s
    finally:
        s.close()
        drop()
