"""``create_app(settings)``: the FastAPI app of gigaline's HTTP API.

The app opens its store when it is made (so that a bad database or a missing admin token stops
``gigaline serve`` before it binds a port) and closes it at shutdown. Security by default:

- without ``api_demo``, the database must be named (``GIGALINE_DB`` or ``--db``:
  :meth:`~gigaline.settings.Settings.require_explicit_database`) and hold at least one active
  admin token, else :class:`~gigaline.settings.SettingsError`;
- ``api_demo`` (no tokens: every request is the admin ``demo``) only with a loopback
  ``api_host``;
- CORS is closed unless ``api_cors_origins`` names origins;
- every request body is bounded (:mod:`gigaline.api.limits`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from gigaline import __version__
from gigaline.api.deps import ApiStore
from gigaline.api.limits import BodyLimit
from gigaline.api.problems import install_handlers
from gigaline.settings import Settings, SettingsError, is_loopback

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"

_DESCRIPTION = """\
The MES, the planner and the digital twin of a gigaline line over HTTP.

Every route under `/api/v1` needs a bearer token (`Authorization: Bearer glt_...`, made by
`gigaline token create --role ROLE --db URL`) except `/api/v1/health`. Roles, each including
the ones before it: **viewer** reads, **operator** places and releases holds and posts events,
**engineer** plans line files and runs simulations, **admin** manages tokens and reads the
audit trail. Errors are problem details (RFC 9457, `application/problem+json`) naming the
field, the value and what is allowed.
"""


def _check(settings: Settings) -> str:
    """The database URL the server may use, after the security checks of the settings."""
    if settings.api_demo:
        if not is_loopback(settings.api_host):
            raise SettingsError(
                "--host",
                settings.api_host,
                "the demo mode serves without tokens, so only on a loopback address "
                "(127.0.0.1, ::1 or localhost)",
            )
        return settings.database().value
    return settings.require_explicit_database()


def _require_admin_token(store: ApiStore, url: str) -> None:
    from gigaline.mes.services.access import list_tokens

    if not any(t.role == "admin" for t in list_tokens(store).tokens):
        raise SettingsError(
            "token",
            None,
            f"the API needs an admin token in {url} before it serves; make one with "
            f"`gigaline token create --role admin --db {url}` (or serve --demo on a loopback "
            "address)",
        )


def create_app(settings: Settings | None = None, store: ApiStore | None = None) -> FastAPI:
    """The API app configured by ``settings`` (default: the environment).

    ``store``: serve this store instead of opening ``settings.db`` (tests); it is not closed
    at shutdown.
    """
    settings = settings or Settings.load()
    url = _check(settings)
    owned = store is None
    if store is None:
        from gigaline.mes.sql import open_store

        store = open_store(url, create=True, settings=settings)
    try:
        store.require("access")
        if not settings.api_demo:
            _require_admin_token(store, url)
    except BaseException:
        if owned:
            store.close()
        raise

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            runs = getattr(app.state, "runs", None)
            if runs is not None:
                runs.shutdown()
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="gigaline",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.store = store
    install_handlers(app)
    _include_routes(app)
    if settings.api_cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api_cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    limits: dict[str, Any] = {
        f"{API_PREFIX}/events": settings.api_max_events_bytes,
        f"{API_PREFIX}/plan": settings.api_max_line_file_bytes,
        f"{API_PREFIX}/simulations": settings.api_max_line_file_bytes,
    }
    app.add_middleware(BodyLimit, default=settings.api_max_body_bytes, limits=limits)
    return app


def _include_routes(app: FastAPI) -> None:
    from gigaline.api.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
