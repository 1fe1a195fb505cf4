"""The MES services: what the CLI, the HTTP API and connectors ask of the MES.

Each service is a function of a store port (:mod:`gigaline.mes.ports`) and typed inputs that
returns a pydantic model whose ``model_dump()`` is the JSON the CLI prints with ``--json``.
Mistakes are :class:`~gigaline.errors.FieldError` (field, value, what is allowed) or
:class:`~gigaline.errors.NotFoundError`; front ends name the field in their own words.

- :func:`init_line` -> :class:`LineSetup` (``gigaline mes init``)
- :func:`trace` -> :class:`Trace` (``gigaline trace``)
- :func:`where_used` -> :class:`WhereUsed` (``gigaline where-used``)
- :func:`place_hold` -> :class:`Hold` (``gigaline hold``)
- :func:`list_holds` -> :class:`HoldList` of :class:`HoldStatus` (``gigaline holds``)
- :func:`hold_contents` -> :class:`HoldContents` (a hold and the units it caught)
- :func:`release_hold` -> :class:`Release` (``gigaline release``)
- :func:`run_spc` -> :class:`SpcResult` (``gigaline spc``)
- :func:`grade_stored_cells` -> :class:`Grading` (``gigaline grade``)
- :func:`floor` -> :class:`Floor` (stations' states, timeline, downtime: the dashboard)
- :func:`counts` -> ``dict[str, int]`` (rows per table)
- :func:`step_yields` -> ``list[StepYield]`` (first-pass yield per step)
"""

from gigaline.mes.services.counts import counts, step_yields
from gigaline.mes.services.floor import floor
from gigaline.mes.services.grading import Grading, MatchingSummary, grade_stored_cells
from gigaline.mes.services.holds import hold_contents, list_holds, place_hold, release_hold
from gigaline.mes.services.models import (
    CurveSummary,
    DowntimeCause,
    Floor,
    Hold,
    HoldContents,
    HoldList,
    HoldOnUnit,
    HoldStatus,
    LineSetup,
    Record,
    Release,
    StateSegment,
    StationFloor,
    StepYield,
    Trace,
    WhereUsed,
)
from gigaline.mes.services.setup import init_line
from gigaline.mes.services.spc import SPC_CHARTS, CapabilitySummary, SpcResult, run_spc
from gigaline.mes.services.trace import trace, where_used

__all__ = [
    "SPC_CHARTS",
    "CapabilitySummary",
    "CurveSummary",
    "DowntimeCause",
    "Floor",
    "Grading",
    "Hold",
    "HoldContents",
    "HoldList",
    "HoldOnUnit",
    "HoldStatus",
    "LineSetup",
    "MatchingSummary",
    "Record",
    "Release",
    "SpcResult",
    "StateSegment",
    "StationFloor",
    "StepYield",
    "Trace",
    "WhereUsed",
    "counts",
    "floor",
    "grade_stored_cells",
    "hold_contents",
    "init_line",
    "list_holds",
    "place_hold",
    "release_hold",
    "run_spc",
    "step_yields",
    "trace",
    "where_used",
]
