"""Who is looking at the dashboard: a login that takes an API token, then a session cookie.

The login page takes a bearer token (``gigaline token create --role R --db URL``); the server
checks it (:func:`gigaline.mes.services.access.authenticate`) and answers with a session
cookie: 32 random bytes (:mod:`secrets`), ``HttpOnly`` (no script can read it),
``SameSite=Strict`` (no other site can send it, so no cross-site request forgery), ``Secure``
when the page came over HTTPS, ``Path=/``, for at most :data:`SESSION_HOURS`. Sessions are
kept server-side, in memory: the cookie is only their key, and the server keeps the token's
SHA-256, never the token. Every request looks the token up again, so a revoked token ends its
sessions at once; a restart of the server ends them all (log in again). A live stream
(``/live/...``) is checked in full when it opens; while it runs, its session (logged out,
expired) is checked in memory before every message, and its token against the active tokens
that :class:`ActiveTokens` reads at most once every :data:`TOKEN_CHECK_S` for all the streams
of the server (one query, not one per stream and message). Roles are the API's:
viewer < operator < engineer < admin. In demo mode (loopback only) every request is the API's
``demo`` admin, as on the API.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from gigaline.api.deps import DEMO, get_settings, get_store
from gigaline.mes.services.access import authenticate, has_role, token_hash
from gigaline.mes.services.models import Principal

__all__ = [
    "COOKIE",
    "SESSION_HOURS",
    "TOKEN_CHECK_S",
    "ActiveTokens",
    "Sessions",
    "current_user",
    "may",
    "still_allowed",
]

COOKIE: Final = "gigaline_session"
#: How long a session lasts [h]: a 12-hour shift (assumption: plants run two 12 h shifts).
SESSION_HOURS: Final = 12.0
#: Sessions kept at most; the oldest goes first (bounds the memory a flood of logins takes).
MAX_SESSIONS: Final = 10_000
#: How often the live streams' tokens are checked against the store [s]: a revoked token's
#: streams end within this (assumption: prompt enough for a revocation, at one query for
#: every stream of the server).
TOKEN_CHECK_S: Final = 5.0


@dataclass(frozen=True)
class _Session:
    sha256: str
    expires: float  # time.monotonic()


class Sessions:
    """The server's sessions: cookie key -> the SHA-256 of the token that opened it."""

    def __init__(self, hours: float = SESSION_HOURS) -> None:
        self._ttl_s = hours * 3600.0
        self._lock = threading.Lock()
        self._by_key: dict[str, _Session] = {}

    def open(self, token: str) -> str:
        """A new session for ``token`` (already checked); its cookie key."""
        key = secrets.token_urlsafe(32)
        with self._lock:
            while len(self._by_key) >= MAX_SESSIONS:
                self._by_key.pop(next(iter(self._by_key)))
            self._by_key[key] = _Session(token_hash(token), time.monotonic() + self._ttl_s)
        return key

    def token_sha256(self, key: str) -> str | None:
        """The token hash of a live session (None: unknown or expired, which is dropped)."""
        with self._lock:
            s = self._by_key.get(key)
            if s is None:
                return None
            if s.expires < time.monotonic():
                del self._by_key[key]
                return None
            return s.sha256

    def close(self, key: str) -> None:
        with self._lock:
            self._by_key.pop(key, None)

    def set_cookie(self, request: Request, response: Response, key: str) -> None:
        response.set_cookie(
            COOKIE, key, max_age=int(self._ttl_s), path="/", httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )  # fmt: skip


class ActiveTokens:
    """The ids of the active tokens as the store had them at most :data:`TOKEN_CHECK_S` ago:
    read once for every live stream of the server (the first stream to find them stale reads
    them, the others wait for that read)."""

    def __init__(self, every_s: float = TOKEN_CHECK_S) -> None:
        self.every_s = every_s
        self.reads = 0
        self._ids: frozenset[int] = frozenset()
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def ids(self, store: Any, read_after: float = float("-inf")) -> frozenset[int]:
        """The active ids, read again if the last read is :attr:`every_s` old or began before
        ``read_after`` (a :func:`time.monotonic` time)."""
        if time.monotonic() - self._read_at < self.every_s and self._read_at >= read_after:
            return self._ids
        async with self._lock:
            if time.monotonic() - self._read_at >= self.every_s or self._read_at < read_after:
                started = time.monotonic()
                rows = await run_in_threadpool(store.tokens, False)
                self._ids = frozenset(r.id for r in rows)
                self._read_at = started
                self.reads += 1
        return self._ids


def sessions(request: Request) -> Sessions:
    """The app's sessions (made by :func:`gigaline.web.mount`)."""
    book: Sessions = request.app.state.web_sessions
    return book


def login(request: Request, token: str) -> tuple[Principal, str] | None:
    """Check ``token``; the principal and a new session key, or None if it is not valid."""
    who = authenticate(get_store(request), token.strip())
    if who is None:
        return None
    return who, sessions(request).open(token.strip())


def current_user(request: Request) -> Principal | None:
    """Who sent this request (None: nobody logged in, or the token was revoked meanwhile)."""
    if get_settings(request).api_demo:
        return DEMO
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    digest = sessions(request).token_sha256(key)
    if digest is None:
        return None
    row = get_store(request).token_by_hash(digest)
    if row is None or row.revoked is not None or not secrets.compare_digest(row.sha256, digest):
        sessions(request).close(key)
        return None
    return Principal(name=row.name, role=row.role, token_id=row.id)


async def still_allowed(request: Request, user: Principal, checked_at: float) -> bool:
    """Whether a live stream opened by ``user`` (checked in full at ``checked_at``, a
    :func:`time.monotonic` time) may go on: its session is still open and unexpired, and its
    token was still active at the last read of :class:`ActiveTokens` (at most
    :data:`TOKEN_CHECK_S` ago). A token missing from a read older than the full check may be
    newer than that read (created and used within :data:`TOKEN_CHECK_S`): the tokens are then
    read again before the stream is refused."""
    if get_settings(request).api_demo:
        return True
    key = request.cookies.get(COOKIE)
    if not key or sessions(request).token_sha256(key) is None:
        return False
    active: ActiveTokens = request.app.state.web_tokens
    store = get_store(request)
    if user.token_id in await active.ids(store):
        return True
    return user.token_id in await active.ids(store, read_after=checked_at)


def may(user: Principal | None, role: str) -> bool:
    """Whether ``user`` has ``role`` or a stronger one."""
    return user is not None and has_role(user.role, role)
