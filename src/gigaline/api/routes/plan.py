"""The planner over HTTP: the plan of an uploaded line file, or of the reference line, for its
target or another one (the JSON of ``gigaline plan --json``, docs/plan-json.md)."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from gigaline.api.deps import require
from gigaline.api.problems import FieldProblem, ProblemError, responses
from gigaline.errors import GigalineError
from gigaline.mes.services.models import Principal
from gigaline.model import Line, parse_line
from gigaline.model.bounds import GWH_PER_YEAR
from gigaline.model.examples import REFERENCE_LINE, reference_line_path

__all__ = ["YAML_TYPES", "line_from_body", "reference_line", "reference_line_text", "router"]

router = APIRouter(tags=["plan"], responses=responses(401, 403))
#: Media types of a line file body.
YAML_TYPES: Final = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
                     "text/plain")  # fmt: skip
REFERENCE_FILE: Final = f"{REFERENCE_LINE}.yaml"

_YAML_BODY: Final[dict[str, Any]] = {
    "required": True,
    "content": {
        "application/yaml": {"schema": {"type": "string", "description": "A line file (YAML)"}}
    },
}
Target = Annotated[
    float | None,
    Query(gt=GWH_PER_YEAR.low, le=GWH_PER_YEAR.high,
          description="Plan for this many GWh per year instead of the file's target"),
]  # fmt: skip
Keep = Annotated[bool, Query(description="Keep the file's machine counts")]


def reference_line_text() -> str:
    """The YAML of the 20 GWh LFP reference line, shipped in the package (``gigaline
    examples``), as ``gigaline demo`` reads it."""
    return reference_line_path().read_text(encoding="utf-8")


def reference_line() -> Line:
    """The 20 GWh LFP reference line."""
    return parse_line(reference_line_text(), REFERENCE_FILE)


async def line_from_body(request: Request) -> Line:
    """The line file of a request's body (YAML, bounded by the body limit), validated."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise ProblemError(
            415, f"Content-Type {media or '(none)'!r} is not taken here; send the line file "
            "as application/yaml",
        )  # fmt: skip
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(422, f"the line file is not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})", [FieldProblem(field="body", in_="body", value=None,
                           allowed="a line file in UTF-8")]) from None  # fmt: skip
    return await run_in_threadpool(parse_line, text, "body")


def _plan(line: Line, target_gwh: float | None, keep_machines: bool) -> dict[str, Any]:
    from gigaline.plan import plan_line

    result: dict[str, Any] = plan_line(
        line, target_gwh=target_gwh, keep_machines=keep_machines
    ).to_dict()
    return result


_PLAN_DOC = "The plan: the JSON of `gigaline plan --json` (docs/plan-json.md)"


@router.post(
    "/plan",
    response_model=dict[str, Any],
    responses={200: {"description": _PLAN_DOC}, **responses(400, 413, 415, 422)},
    openapi_extra={"requestBody": _YAML_BODY},
    summary="Plan an uploaded line file (YAML body) for its target or another",
)
async def post_plan(
    request: Request,
    _: Annotated[Principal, Depends(require("engineer"))],
    target_gwh: Target = None,
    keep_machines: Keep = False,
) -> dict[str, Any]:
    line = await line_from_body(request)
    return await _planned(line, target_gwh, keep_machines)


@router.get(
    "/plan/reference",
    response_model=dict[str, Any],
    responses={200: {"description": _PLAN_DOC}, **responses(400, 422)},
    summary="Plan the 20 GWh LFP reference line for its target or another",
)
async def get_reference_plan(
    _: Annotated[Principal, Depends(require("viewer"))],
    target_gwh: Target = None,
    keep_machines: Keep = False,
) -> dict[str, Any]:
    line = await run_in_threadpool(reference_line)
    return await _planned(line, target_gwh, keep_machines)


async def _planned(line: Line, target_gwh: float | None, keep: bool) -> dict[str, Any]:
    try:
        return await run_in_threadpool(_plan, line, target_gwh, keep)
    except GigalineError:
        raise
    except (ValueError, ArithmeticError) as exc:  # a line the planner's maths cannot use
        raise ProblemError(422, f"the line cannot be planned: {exc}") from exc
