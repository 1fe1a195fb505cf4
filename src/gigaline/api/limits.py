"""Request body limits: every body is bounded, before and while it is read.

A pure ASGI middleware (:class:`BodyLimit`): a ``Content-Length`` above the route's limit is
refused at once (413, nothing read); a body without one (chunked) is counted as it streams and
refused as soon as it passes the limit (:class:`BodyTooLargeError`, answered as a 413 problem by
the app's handlers). Limits come from the settings: ``api_max_events_bytes`` for the events
route, ``api_max_line_file_bytes`` for the line-file routes, ``api_max_body_bytes`` for every
other body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gigaline.api.problems import ProblemError, problem_response

__all__ = ["BodyLimit", "BodyTooLargeError"]


class BodyTooLargeError(ProblemError):
    """A body larger than its route allows (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit:,} bytes, the limit here")


class BodyLimit:
    """Refuse request bodies over their route's limit (``limits``: path prefix -> bytes)."""

    def __init__(self, app: ASGIApp, default: int, limits: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.limits = sorted(limits.items(), key=lambda kv: -len(kv[0]))  # longest prefix first

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers: dict[bytes, bytes] = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None:
            declared = int(length) if length.isdigit() else -1
            if declared < 0 or declared > limit:
                status = 413 if declared > limit else 400
                detail = (
                    BodyTooLargeError(limit).detail
                    if status == 413
                    else f"Content-Length {length.decode('latin-1')!r} is not a byte count"
                )
                response = problem_response(status, str(detail))
                await response(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message: dict[str, Any] = dict(await receive())
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message  # type: ignore[return-value]

        await self.app(scope, counted, send)
