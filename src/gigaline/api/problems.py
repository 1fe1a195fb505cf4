"""Errors of the API as problem details (RFC 9457, ``application/problem+json``).

Every error answer is one :class:`ProblemDetail`: ``type`` (``about:blank``: the status says
it), ``title`` (the status phrase), ``status``, ``detail`` (one sentence a person can act on)
and, where values were wrong, ``errors``: one :class:`FieldProblem` per value, naming the field
(``in``: path, query, header or body), the value given and what is allowed. FastAPI's own
validation errors, gigaline's :class:`~gigaline.errors.FieldError` (422; a
:class:`~gigaline.errors.NotFoundError` is 404), :class:`~gigaline.errors.LineFileError` (422,
one entry per problem of the file), store states that forbid a request (409) and unexpected
failures (500, without internals) all take this shape.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from gigaline.errors import FieldError, GigalineError, LineFileError, NotFoundError, shorten
from gigaline.mes.errors import StoreError

__all__ = [
    "PROBLEM_JSON",
    "FieldProblem",
    "ProblemDetail",
    "ProblemError",
    "install_handlers",
    "problem_response",
    "responses",
]

PROBLEM_JSON: Final = "application/problem+json"
_log = logging.getLogger("gigaline.api")


class FieldProblem(BaseModel):
    """One value that is not allowed: where it was, what it was, and what is allowed."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    field: str = Field(description="The field: a path, query or header parameter, or a body path")
    in_: str = Field(alias="in", description="path, query, header or body")
    value: Any = Field(default=None, description="The value given (cut to 200 characters)")
    allowed: str = Field(description="What is allowed")


class ProblemDetail(BaseModel):
    """A problem details object (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] = Field(default_factory=list)


class ProblemError(HTTPException, GigalineError):
    """An error a route raises to answer with a problem (status, detail, field problems).

    An HTTP exception first (its handler answers it), and one of gigaline's errors."""

    def __init__(
        self, status: int, detail: str, errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.errors = errors or []


def _value(value: Any) -> Any:
    """A value as it may be echoed: JSON scalars as they are (long text cut), others as repr."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:197] + "..."
    return shorten(value, 200)


def problem_response(
    status: int,
    detail: str,
    request: Request | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The problem+json answer."""
    body = ProblemDetail(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=None if request is None else request.url.path,
        errors=errors or [],
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


#: Where a service's field comes from in a request (the rest: the body).
_LOCATION: Final = {
    "unit": "path", "source": "path", "hold_id": "path", "token_id": "path", "run_id": "path",
    "step": "path", "param": "path", "chart": "query", "rules": "query",
    "subgroup_size": "query", "baseline": "query", "since": "query", "limit": "query",
}  # fmt: skip


def _field_problem(exc: FieldError) -> FieldProblem:
    return FieldProblem(
        field=exc.field, in_=_LOCATION.get(exc.field, "body"), value=_value(exc.value),
        allowed=exc.allowed,
    )  # fmt: skip


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:]) or where
        allowed = str(err.get("msg", "a valid value"))
        ctx = err.get("ctx") or {}
        if "expected" in ctx:
            allowed = f"{allowed} (expected {ctx['expected']})"
        errors.append(FieldProblem(field=field, in_=where, value=_value(err.get("input")),
                                   allowed=allowed))  # fmt: skip
    first = errors[0] if errors else None
    detail = (
        f"{first.in_} field {first.field!r}: {first.allowed}"
        if first
        else "the request is not valid"
    )
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem_response(422, detail, request, errors)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    errors = exc.errors if isinstance(exc, ProblemError) else []
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.url.path}; the API is under /api/v1 (see /docs)"
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, detail, request, errors, headers)


async def _on_gigaline(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, NotFoundError):
        return problem_response(404, str(exc), request, [_field_problem(exc)])
    if isinstance(exc, FieldError):
        return problem_response(422, str(exc), request, [_field_problem(exc)])
    if isinstance(exc, LineFileError):
        errors = [
            FieldProblem(field=p.field or "(top level)", in_="body", value=_value(p.value),
                         allowed=p.message + ("" if p.line is None else f" (line {p.line})"))
            for p in exc.problems
        ]  # fmt: skip
        n = len(exc.problems)
        return problem_response(
            422, f"{n} problem{'s' if n != 1 else ''} in the line file", request, errors
        )
    if isinstance(exc, StoreError):
        return problem_response(409, str(exc), request)
    assert isinstance(exc, GigalineError)
    return problem_response(400, str(exc), request)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    _log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        500, "the server failed on this request; its log has the cause", request
    )


def install_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with a problem."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(GigalineError, _on_gigaline)
    app.add_exception_handler(Exception, _on_unexpected)


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
    }


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of these problem status codes."""
    text = {
        400: "A request gigaline cannot use",
        401: "No valid bearer token (Authorization: Bearer glt_...)",
        403: "The token's role may not do this",
        404: "No such thing in the store",
        409: "The store's state does not allow it",
        413: "The request body is larger than allowed",
        415: "A body type this route does not take",
        422: "A value that is not allowed (the field, the value and what is allowed)",
        429: "Too many requests waiting; try again later",
    }
    return {code: _problem(text[code]) for code in codes}
