"""Dashboard fixtures: a small plant database, the dashboard served by uvicorn on a free port,
tokens of every role, and Debian's Chromium driven by Playwright.

The database is half a day of the mini line (tests/mes/lines/mini.yaml) generated and ingested
through the services, with the quality section of tests/mes/test_quality.py (spec limits, so
the SPC page shows capability). The server runs in a thread of the test process (uvicorn
``Server``), ended at the end of the session. Chromium is ``/usr/bin/chromium`` (Debian's
``chromium`` package, which ``.ci/run`` installs where it is missing); Playwright never
downloads a browser. Screenshots go to ``out/web/`` (kept after the run, ignored by git).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gigaline.mes.ingest import ingest
from gigaline.mes.services import init_line
from gigaline.mes.services.access import ROLES, create_token
from gigaline.mes.sql import SqlStore, open_store
from gigaline.settings import Settings
from tests.conftest import ROOT, services_required
from tests.mes.conftest import mini_events, mini_line  # noqa: F401 (fixture)
from tests.mes.test_quality import QUALITY

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "out" / "web"


@dataclass
class Plant:
    """The test plant: its database, the store, the events ingested, a token per role and the
    line file (the server knows it: the plan-versus-actual page)."""

    url: str
    store: SqlStore
    events: list[dict[str, Any]]
    tokens: dict[str, str]
    line: Any = None

    def first(self, kind: str, **where: Any) -> dict[str, Any]:
        return next(
            e for e in self.events
            if e["type"] == kind and all(e.get(k) == v for k, v in where.items())
        )  # fmt: skip


@pytest.fixture(scope="module")
def plant(mini_line: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plant]:  # noqa: F811
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'plant.db'}"
    store = open_store(url)
    events = mini_events(mini_line, days=0.5, seed=11)
    init_line(store, mini_line.model_copy(update={"quality": QUALITY}))
    assert ingest(store, events).rejected == 0
    tokens = {r: create_token(store, r, f"{r}-user", by="test").token for r in ROLES}
    try:
        yield Plant(url, store, events, tokens, mini_line)
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on http://127.0.0.1:PORT until the block ends."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            timeout_graceful_shutdown=2)  # fmt: skip
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="uvicorn-web-tests", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(plant: Plant) -> Iterator[str]:
    """The dashboard and API on http://127.0.0.1:PORT (tokens required, as in production)."""
    from gigaline.web import create_app

    app = create_app(Settings(db=plant.url), store=plant.store)
    app.state.line_files = {plant.line.name: plant.line}  # as `gigaline serve --line`
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian's package (skipped where it is not installed, except in
    CI: ``GIGALINE_REQUIRE_SERVICES=1`` makes it a failure)."""
    if not os.access(CHROMIUM, os.X_OK):
        msg = f"{CHROMIUM} not installed (Debian package chromium; .ci/run installs it)"
        if services_required():
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
