"""The MES over HTTP: the plant's hierarchy, trace and genealogy, holds, SPC, grades, alarms.

Reading needs a viewer token; placing and releasing holds, raising SPC alarms and storing
grades need an operator. The user recorded with a hold or release is the token's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from gigaline.api.deps import ApiStore, get_store, require
from gigaline.api.problems import ProblemError, responses
from gigaline.errors import FieldError
from gigaline.mes import services as sv
from gigaline.mes.services import alarms, plant
from gigaline.mes.services.grading import GradingSummary, Modules, module_matches
from gigaline.mes.services.holds import hold_status
from gigaline.mes.services.models import (
    AlarmList,
    Genealogy,
    Hold,
    HoldList,
    HoldStatus,
    LineSummary,
    Plant,
    Principal,
    Release,
    StepSummary,
    StepYield,
    Trace,
    WhereUsed,
)
from gigaline.mes.services.spc import RULE_SETS, SPC_CHARTS, SpcReport
from gigaline.mes.services.trace import MAX_GRAPH_NODES, genealogy_graph

__all__ = ["HoldRequest", "ReleaseRequest", "router"]

router = APIRouter(responses=responses(401, 403))
Viewer = Annotated[Principal, Depends(require("viewer"))]
Operator = Annotated[Principal, Depends(require("operator"))]
StoreDep = Annotated[ApiStore, Depends(get_store)]
Name = Annotated[str, Path(min_length=1, max_length=128, description="A lot or unit id")]

_READ = responses(404, 422)
#: A stored id: an INTEGER column (32 bits on PostgreSQL), so larger is no id (422, not a
#: database overflow).
HoldId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_WRITE = responses(404, 409, 413, 422)


# -- the plant ----------------------------------------------------------------------------


@router.get("/plant", response_model=Plant, tags=["plant"], summary="Site, lines, steps, stations")
def get_plant(_: Viewer, store: StoreDep) -> Plant:
    return plant.plant_layout(store)


@router.get("/lines", response_model=list[LineSummary], tags=["plant"], summary="Lines")
def get_lines(_: Viewer, store: StoreDep) -> list[LineSummary]:
    return plant.plant_layout(store).lines


@router.get(
    "/lines/{line}", response_model=LineSummary, tags=["plant"], responses=_READ,
    summary="One line with its steps and stations",
)  # fmt: skip
def get_line(_: Viewer, store: StoreDep, line: Annotated[str, Path(max_length=128)]) -> LineSummary:
    return plant.find_line(plant.plant_layout(store), line)


@router.get("/steps", response_model=list[StepSummary], tags=["plant"], summary="Steps")
def get_steps(_: Viewer, store: StoreDep) -> list[StepSummary]:
    return [s for ln in plant.plant_layout(store).lines for s in ln.steps]


@router.get(
    "/steps/{step}", response_model=StepSummary, tags=["plant"], responses=_READ,
    summary="One step and its stations",
)  # fmt: skip
def get_step(_: Viewer, store: StoreDep, step: Annotated[str, Path(max_length=128)]) -> StepSummary:
    return plant.find_step(plant.plant_layout(store), step)


@router.get(
    "/yields", response_model=list[StepYield], tags=["plant"], summary="First-pass yield per step"
)
def get_yields(_: Viewer, store: StoreDep) -> list[StepYield]:
    return sv.step_yields(store)


@router.get("/counts", response_model=dict[str, int], tags=["plant"], summary="Rows per table")
def get_counts(_: Viewer, store: StoreDep) -> dict[str, int]:
    return sv.counts(store)


# -- trace and genealogy ------------------------------------------------------------------


@router.get(
    "/trace/{unit}", response_model=Trace, tags=["trace"], responses=_READ,
    summary="A unit's history and backward genealogy",
)  # fmt: skip
def get_trace(_: Viewer, store: StoreDep, unit: Name) -> Trace:
    return sv.trace(store, unit)


@router.get(
    "/where-used/{source}", response_model=WhereUsed, tags=["trace"], responses=_READ,
    summary="Every unit containing a lot or unit",
)  # fmt: skip
def get_where_used(_: Viewer, store: StoreDep, source: Name) -> WhereUsed:
    return sv.where_used(store, source)


@router.get(
    "/genealogy/{name}", response_model=Genealogy, tags=["trace"], responses=_READ,
    summary="The genealogy around a lot or unit as a graph of nodes and edges",
)  # fmt: skip
def get_genealogy(
    _: Viewer,
    store: StoreDep,
    name: Name,
    direction: Literal["backward", "forward"] = "backward",
    max_nodes: Annotated[int, Query(ge=1, le=MAX_GRAPH_NODES)] = 2_000,
) -> Genealogy:
    return genealogy_graph(store, name, direction, max_nodes)


# -- holds --------------------------------------------------------------------------------


class HoldRequest(BaseModel):
    """A hold to place on a lot or unit (and every unit made from it), and why."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(min_length=1, max_length=128, description="A lot or unit id")
    reason: str = Field(min_length=1, max_length=2000, description="Why (it is recorded)")


class ReleaseRequest(BaseModel):
    """Why a hold is released (recorded with the user)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


@router.get("/holds", response_model=HoldList, tags=["holds"], summary="Holds, newest first")
def get_holds(_: Viewer, store: StoreDep, include_released: bool = False) -> HoldList:
    return sv.list_holds(store, include_released)


@router.post(
    "/holds", response_model=Hold, status_code=201, tags=["holds"], responses=_WRITE,
    summary="Place a hold on a lot or unit and everything made from it",
)  # fmt: skip
def post_hold(who: Operator, store: StoreDep, body: HoldRequest) -> Hold:
    return sv.place_hold(store, body.target, body.reason, by=who.name)


@router.get(
    "/holds/{hold_id}", response_model=HoldStatus, tags=["holds"], responses=_READ,
    summary="One hold",
)  # fmt: skip
def get_hold(_: Viewer, store: StoreDep, hold_id: HoldId) -> HoldStatus:
    return hold_status(store, hold_id)


@router.post(
    "/holds/{hold_id}/release", response_model=Release, tags=["holds"], responses=_WRITE,
    summary="Release a hold, saying why",
)  # fmt: skip
def post_release(who: Operator, store: StoreDep, hold_id: HoldId, body: ReleaseRequest) -> Release:
    return sv.release_hold(store, hold_id, body.reason, by=who.name)


# -- SPC, alarms, grades ------------------------------------------------------------------

Chart = Literal["imr", "xbar_r", "xbar_s", "ewma", "cusum"]
Rules = Literal["nelson", "western_electric"]
assert set(Chart.__args__) == set(SPC_CHARTS) and set(Rules.__args__) == set(RULE_SETS)  # type: ignore[attr-defined]


class SpcQuery(BaseModel):
    """The chart asked for: its kind, run rules, subgroup size, baseline and start."""

    chart: Chart = "imr"
    rules: Rules = "nelson"
    subgroup_size: int = Field(default=5, ge=2, le=100)
    baseline: int | None = Field(default=None, ge=2)
    since: datetime | None = None
    limit: int = Field(
        default=10_000, ge=2, le=1_000_000,
        description="Chart at most the newest so many points (after since); the answer's "
        "limit and truncated say whether older records were left out",
    )  # fmt: skip


def _spc(store: ApiStore, step: str, param: str, q: SpcQuery, alarms_by: str | None) -> SpcReport:
    return SpcReport.of(sv.run_spc(
        store, step, param, since=q.since, chart=q.chart, rules=q.rules,
        subgroup_size=q.subgroup_size, baseline=q.baseline, limit=q.limit,
        raise_alarms=alarms_by is not None, by=alarms_by or "api",
    ))  # fmt: skip


Step = Annotated[str, Path(min_length=1, max_length=128)]
Param = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "/spc/{step}/{param}", response_model=SpcReport, tags=["spc"], responses=_READ,
    summary="Control chart: series, limits, violations, capability (stores nothing)",
)  # fmt: skip
def get_spc(
    _: Viewer, store: StoreDep, step: Step, param: Param, q: Annotated[SpcQuery, Query()]
) -> SpcReport:
    return _spc(store, step, param, q, None)


@router.post(
    "/spc/{step}/{param}/alarms", response_model=SpcReport, tags=["spc"], responses=_WRITE,
    summary="Run SPC and store its alarms (and the hold its spec asks for)",
)  # fmt: skip
def post_spc_alarms(
    who: Operator, store: StoreDep, step: Step, param: Param, q: Annotated[SpcQuery, Query()]
) -> SpcReport:
    return _spc(store, step, param, q, who.name)


@router.get("/alarms", response_model=AlarmList, tags=["spc"], responses=responses(422),
            summary="Stored SPC alarms, newest first")  # fmt: skip
def get_alarms(
    _: Viewer,
    store: StoreDep,
    step: Annotated[str | None, Query(max_length=128)] = None,
    param: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> AlarmList:
    return alarms.list_alarms(store, step, param, limit)


@router.get(
    "/grades", response_model=GradingSummary, tags=["grades"], responses=responses(409, 422),
    summary="Grade counts and module matching of the stored cells (stores nothing)",
)  # fmt: skip
def get_grades(_: Viewer, store: StoreDep) -> GradingSummary:
    return GradingSummary.of(_grade(store, save=False))


@router.post(
    "/grades", response_model=GradingSummary, tags=["grades"], responses=responses(409, 422),
    summary="Grade the stored cells and store their grades",
)  # fmt: skip
def post_grades(_: Operator, store: StoreDep) -> GradingSummary:
    return GradingSummary.of(_grade(store, save=True))


@router.get(
    "/grades/modules", response_model=Modules, tags=["grades"], responses=responses(409, 422),
    summary="The modules of matched cells, by cell id",
)  # fmt: skip
def get_modules(_: Viewer, store: StoreDep) -> Modules:
    return module_matches(_grade(store, save=False))


def _grade(store: ApiStore, save: bool) -> sv.Grading:
    """Grading; a line without grades, or no graded cell yet, is a state of the store (409),
    not a mistake of the request."""
    try:
        return sv.grade_stored_cells(store, save=save)
    except FieldError as exc:
        if exc.field != "quality":
            raise
        raise ProblemError(409, exc.allowed) from None
