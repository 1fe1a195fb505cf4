"""The web dashboard (layer 3): the MES, the planner and the twin in a browser.

Server-rendered pages (Jinja2 templates, htmx for the parts that change, Plotly.js for the
charts), with every script vendored in the package (``static/vendor``: plants are often
offline, so nothing loads from a CDN). :func:`mount` adds the pages and the static files to an
app of :func:`gigaline.api.create_app`; :func:`create_app` is that API app with the dashboard
mounted, which ``gigaline serve`` serves. Pages: :mod:`gigaline.web.pages`; what each shows:
:mod:`gigaline.web.views`; login and sessions: :mod:`gigaline.web.session`; docs/web.md.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI

    from gigaline.api.deps import ApiStore
    from gigaline.settings import Settings

__all__ = ["STATIC", "create_app", "mount"]

#: The package's static files (CSS, the dashboard's script, the vendored htmx and plotly.js).
STATIC = files("gigaline.web") / "static"


def mount(app: FastAPI) -> FastAPI:
    """Add the dashboard (pages, live streams, ``/static``) to an API app; returns ``app``."""
    from contextlib import asynccontextmanager
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from gigaline.web.pages import LIVE_EVERY_S, exception_handlers, router
    from gigaline.web.session import ActiveTokens, Sessions
    from gigaline.web.twin import Runs
    from gigaline.web.views import FloorViews

    settings = app.state.settings
    app.state.web_sessions = Sessions()
    app.state.web_tokens = ActiveTokens()
    app.state.web_feeds = {}  # the live views (gigaline.web.pages.Feeds)
    app.state.web_views = FloorViews(reuse_s=LIVE_EVERY_S)  # computed once for pages and feeds
    app.state.web_runs = Runs(queue=settings.api_sim_queue)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(str(STATIC))), name="static")
    for exc, handler in exception_handlers().items():
        app.add_exception_handler(exc, handler)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        try:
            async with inner(a) as state:
                yield state
        finally:
            a.state.web_runs.shutdown()

    app.router.lifespan_context = lifespan
    return app


def create_app(settings: Settings | None = None, store: ApiStore | None = None) -> FastAPI:
    """The HTTP API of :func:`gigaline.api.create_app` with the dashboard mounted on it."""
    from gigaline.api import create_app as create_api

    return mount(create_api(settings, store=store))
