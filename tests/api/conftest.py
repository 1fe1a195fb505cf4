"""API fixtures: an app over a fresh store (SQLite, and PostgreSQL where storage matters), with
one token of each role, and a client that sends them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gigaline.api import create_app
from gigaline.mes.services import init_line
from gigaline.mes.services.access import ROLES, create_token
from gigaline.mes.sql import SqlStore, open_store
from gigaline.model import Line
from gigaline.settings import Settings
from tests.mes.conftest import db_url, mini_day, mini_line  # noqa: F401 (fixtures)


@dataclass
class Api:
    """A test client of the app, the store behind it and a token per role."""

    client: TestClient
    store: SqlStore
    tokens: dict[str, str]

    def as_(self, role: str | None) -> dict[str, str]:
        """The headers of a request made with ``role``'s token (None: no token)."""
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: str | None = "viewer", **kw: Any) -> Any:
        return self.client.get(path, headers=self.as_(role), **kw)

    def post(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        headers = {**self.as_(role), **kw.pop("headers", {})}
        return self.client.post(path, headers=headers, **kw)

    def delete(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        return self.client.delete(path, headers=self.as_(role), **kw)


def make_api(url: str, line: Line, **settings: Any) -> Iterator[Api]:
    store = open_store(url)
    init_line(store, line)
    tokens = {role: create_token(store, role, f"{role}-user", by="test").token for role in ROLES}
    app = create_app(Settings(db=url, **settings), store=store)
    try:
        with TestClient(app) as client:
            yield Api(client, store, tokens)
    finally:
        store.close()


@pytest.fixture
def api(db_url: str, mini_line: Line) -> Iterator[Api]:  # noqa: F811
    """The app over a SQLite file and over a PostgreSQL schema."""
    yield from make_api(db_url, mini_line)


@pytest.fixture
def sqlite_api(tmp_path: Any, mini_line: Line) -> Iterator[Api]:  # noqa: F811
    """The app over a SQLite file only (where the database does not matter)."""
    yield from make_api(f"sqlite:///{tmp_path / 'api.db'}", mini_line)
