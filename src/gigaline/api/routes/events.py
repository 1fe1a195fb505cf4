"""``POST /events``: equipment events in, with the contract, validation, dead letters and
idempotency of ``gigaline ingest`` (:func:`gigaline.mes.ingest.ingest`).

The body is NDJSON (``application/x-ndjson`` or ``application/jsonl``: one event a line) or a
JSON array of events (``application/json``). Each event is checked against the contract and
the store; a rejected one goes to the dead letters with its reason (the answer counts it and
names the first ones), a duplicate ``(site, id)`` changes nothing. The answer comes after the
commit: a connector that acknowledges on it acknowledges durable events only. The body is
bounded by ``api_max_events_bytes`` (413 beyond).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from gigaline.api.deps import ApiStore, get_store, require
from gigaline.api.problems import FieldProblem, ProblemError, responses
from gigaline.mes.ingest import IngestResult, ingest
from gigaline.mes.services.models import Principal

__all__ = ["NDJSON_TYPES", "router"]

router = APIRouter(tags=["events"], responses=responses(401, 403))
#: Media types of NDJSON bodies (one JSON event a line).
NDJSON_TYPES: Final = ("application/x-ndjson", "application/jsonl", "application/ndjson")

_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": True},
                "description": "Events of the contract (docs/events.md)",
            }
        },
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "One JSON event a line"}
        },
    },
}


def _payloads(body: bytes, media_type: str) -> list[bytes]:
    """The events of a body as JSON texts, one per event, for ingestion to decode."""
    if media_type in NDJSON_TYPES:
        return body.splitlines()
    if media_type != "application/json":
        raise ProblemError(
            415,
            f"Content-Type {media_type or '(none)'!r} is not taken here; send "
            "application/json (an array of events) or application/x-ndjson (one a line)",
        )
    if not body.strip():
        return []
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(422, f"the body is not JSON: {exc}", [
            FieldProblem(field="body", in_="body", value=None, allowed=f"JSON ({exc})")
        ]) from None  # fmt: skip
    if not isinstance(data, list):
        raise ProblemError(422, "a JSON body must be an array of events", [
            FieldProblem(field="body", in_="body", value=type(data).__name__,
                         allowed="a JSON array of event objects (or NDJSON, one a line)")
        ])  # fmt: skip
    # each event as its own JSON text: the fast decoder applies, and a dead letter keeps it
    return [orjson.dumps(e) for e in data]


@router.post(
    "/events",
    response_model=IngestResult,
    responses=responses(409, 413, 415, 422),
    openapi_extra={"requestBody": _BODY},
    summary="Store equipment events (NDJSON or a JSON array); the answer comes after the commit",
)
async def post_events(
    request: Request,
    _: Annotated[Principal, Depends(require("operator"))],
    store: Annotated[ApiStore, Depends(get_store)],
) -> IngestResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()  # bounded by the BodyLimit middleware
    payloads = _payloads(body, media_type)
    return await run_in_threadpool(ingest, store, payloads)
