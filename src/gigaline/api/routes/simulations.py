"""Simulation runs over HTTP: submit (engineer), then watch progress, read the result and the
report (viewer). Runs go to worker processes (:mod:`gigaline.api.runs`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gigaline.api.deps import require
from gigaline.api.problems import ProblemError, responses
from gigaline.api.routes.plan import reference_line_text
from gigaline.api.runs import QueueFullError, RunPool, RunStatus
from gigaline.mes.services.models import Principal
from gigaline.model import parse_line

__all__ = ["RunRequest", "router"]

router = APIRouter(tags=["simulations"], responses=responses(401, 403))
Viewer = Annotated[Principal, Depends(require("viewer"))]

#: Longest run the API takes [days] (assumption: an interactive run of a quarter plus; longer
#: studies run with `gigaline simulate` or on a Dask cluster).
MAX_API_DAYS = 400.0


class RunRequest(BaseModel):
    """A simulation to run: a line file (default: the 20 GWh reference line) and its horizon."""

    model_config = ConfigDict(extra="forbid")

    line_yaml: str | None = Field(
        default=None, max_length=16 * 1024 * 1024,
        description="The line file's YAML text; leave out for the 20 GWh reference line",
    )  # fmt: skip
    days: float = Field(default=7.0, gt=0, le=MAX_API_DAYS, description="Measured days")
    warmup_days: float = Field(default=1.0, ge=0, le=MAX_API_DAYS, description="Warm-up days")
    replications: int = Field(default=1, ge=1, le=30)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


def _pool(request: Request) -> RunPool:
    pool: RunPool = request.app.state.runs
    return pool


@router.post(
    "/simulations",
    response_model=RunStatus,
    status_code=202,
    responses=responses(409, 413, 422, 429),
    summary="Submit a simulation run (it runs in a worker process)",
)
async def post_run(
    request: Request,
    who: Annotated[Principal, Depends(require("engineer"))],
    body: RunRequest,
) -> RunStatus:
    text = body.line_yaml if body.line_yaml is not None else await run_in_threadpool(
        reference_line_text
    )  # fmt: skip
    line = await run_in_threadpool(parse_line, text, "line_yaml")  # its mistakes: 422 at once
    params: dict[str, Any] = {"days": body.days, "warmup_days": body.warmup_days,
                              "replications": body.replications, "seed": body.seed}  # fmt: skip
    try:
        return _pool(request).submit(line.name, text, params, who.name)
    except QueueFullError as exc:
        raise ProblemError(429, str(exc), headers={"Retry-After": "30"}) from None


@router.get("/simulations", response_model=list[RunStatus], summary="Runs, newest first")
def get_runs(request: Request, _: Viewer) -> list[RunStatus]:
    return _pool(request).list()


@router.get(
    "/simulations/{run_id}", response_model=RunStatus, responses=responses(404),
    summary="A run's state and progress",
)  # fmt: skip
def get_run(request: Request, _: Viewer, run_id: str) -> RunStatus:
    return _pool(request).status(run_id)


def _finished(request: Request, run_id: str) -> tuple[dict[str, Any], str]:
    status, result, report = _pool(request).result(run_id)
    if status.state == "failed":
        raise ProblemError(409, f"run {run_id} failed: {status.error}")
    if result is None or report is None:
        raise ProblemError(409, f"run {run_id} is {status.state} ({status.progress:.0%}); "
                           "its result comes when it is done")  # fmt: skip
    return result, report


@router.get(
    "/simulations/{run_id}/result",
    response_model=dict[str, Any],
    responses={200: {"description": "The JSON of `gigaline simulate --json` (docs/sim-json.md)"},
               **responses(404, 409)},
    summary="A finished run's result",
)  # fmt: skip
def get_result(request: Request, _: Viewer, run_id: str) -> dict[str, Any]:
    return _finished(request, run_id)[0]


@router.get(
    "/simulations/{run_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "A self-contained HTML page"},
               **responses(404, 409)},
    summary="A finished run's HTML report (plotly.js inside: it opens offline)",
)  # fmt: skip
def get_report(request: Request, _: Viewer, run_id: str) -> HTMLResponse:
    return HTMLResponse(_finished(request, run_id)[1])
