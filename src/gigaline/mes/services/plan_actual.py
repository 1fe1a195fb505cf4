"""Plan versus actual: what the planner asks of each step of a line, next to what the MES
holds of it over the stored period, and the gap (the dashboard's plan-versus-actual page and
``GET /api/v1/plan-vs-actual``).

Planned, from :func:`gigaline.plan.plan_line` on the line file: machines, the rate each step
must start (per scheduled hour, in the step's own units) and the good output that gives (times
the step's yield), and the planned utilisation. Both rates are also given per calendar hour
(times the calendar's scheduled share of the year), the basis of the comparison, because the
stored period is calendar time.

Actual, from the store over the stored period (from the first stored state change, where the
stations' states begin to be known, to the newest stored record or state, unless given): the
records ending in the period per step (produced, good, NG, scrap rate), good output per
calendar hour, and live OEE per ISO 22400-2 with its factors (:func:`live_oee`, the same
:mod:`gigaline.kpi` functions as the twin).

The gap is actual minus planned good output per calendar hour, for the steps whose records
are cells (the main route); a step that makes coils or sheet stacks records jobs, not cells,
so its rates are not compared (its OEE and scrap still are). Reads only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from gigaline.errors import FieldError
from gigaline.mes.ports import LineRegistry, OeeReader, Tallies
from gigaline.mes.services.models import _Result
from gigaline.mes.services.oee import live_oee
from gigaline.model import Line

__all__ = ["PlanActualStep", "PlanVsActual", "plan_vs_actual"]

HOURS_PER_YEAR = 8760.0


class PlanActualStore(LineRegistry, OeeReader, Tallies, Protocol):
    """What the comparison reads: live OEE's inputs and the stored period."""


class PlanActualStep(_Result):
    """One step: planned, actual over the period, and the gap."""

    step: str
    position: int
    unit: str  # the step's unit (cell, m, sheet ...); the plan's rates are in it
    cells: bool  # its records are cells: its rates are compared
    machines_planned: int
    machines_in_file: int
    stations_stored: int  # stations of the step with OEE in the period
    planned_yield: float
    planned_utilisation: float
    planned_starts_per_scheduled_h: float
    planned_starts_per_h: float  # per calendar hour
    planned_good_per_h: float  # per calendar hour
    produced: int  # records ending in the period
    good: int
    ng: int
    scrap_rate: float | None  # NG / produced
    good_per_h: float  # per calendar hour of the period
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    undefined: dict[str, str]
    gap_good_per_h: float | None  # actual - planned (cell steps only)
    gap_share: float | None  # gap / planned


class PlanVsActual(_Result):
    """The line's plan against the stored period."""

    line: str
    since: str
    until: str
    hours: float
    gwh_per_year: float
    scheduled_share: float  # scheduled hours / 8,760
    bottleneck: str
    planned_cells_per_h: float  # good cells out of the line per calendar hour, planned
    actual_cells_per_h: float | None  # the same, stored (the last cell step's good records)
    gap_cells_per_h: float | None
    steps: list[PlanActualStep]


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def plan_vs_actual(
    store: PlanActualStore,
    line: Line,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    target_gwh: float | None = None,
) -> PlanVsActual:
    """The plan of ``line`` (for its target, or ``target_gwh``) against what the store holds
    of the line of the same name over [since, until) (default: the stored period)."""
    from gigaline.plan import plan_line

    stored = {s.name: s for s in store.steps() if s.line == line.name}
    if not stored:
        lines = sorted({s.line for s in store.steps()})
        raise FieldError("line", line.name, "a line stored in this database: "
                         + (", ".join(repr(n) for n in lines) or "none is"))  # fmt: skip
    if until is None:  # each bound read only when not given (each one index step a station)
        latest = store.latest_time()
        if latest is None:
            raise FieldError("until", None, "a time: nothing is stored yet")
        until = latest + timedelta(microseconds=1)
    until = _utc(until)
    if since is None:
        first = store.first_state_time()
        if first is None:
            raise FieldError("since", None, "a time: no state change is stored yet")
        since = first
    since = _utc(since)
    if since >= until:
        raise FieldError("since", _iso(since), f"a time before until ({_iso(until)})")
    plan = plan_line(line, target_gwh=target_gwh).first
    share = plan.scheduled_h_per_year / HOURS_PER_YEAR
    hours = (until - since).total_seconds() / 3600.0
    report = live_oee(store, line=line.name, since=since, until=until, now=until)
    rows = {r.name: r for r in report.rows if r.scope == "step"}
    main = {s.id for s in line.main_steps}
    steps: list[PlanActualStep] = []
    for sp in plan.steps:
        row = rows.get(sp.id)
        produced = row.produced if row is not None else 0
        good = row.good if row is not None else 0
        is_cell = sp.id in main
        planned_good = sp.rate_per_h * sp.yield_ * share
        good_h = good / hours
        gap = good_h - planned_good if is_cell else None
        steps.append(PlanActualStep(
            step=sp.id, position=stored[sp.id].position if sp.id in stored else 0,
            unit=sp.unit, cells=is_cell, machines_planned=sp.machines_planned,
            machines_in_file=sp.machines_in_file,
            stations_stored=row.stations if row is not None else 0,
            planned_yield=sp.yield_, planned_utilisation=sp.utilization,
            planned_starts_per_scheduled_h=sp.rate_per_h,
            planned_starts_per_h=sp.rate_per_h * share, planned_good_per_h=planned_good,
            produced=produced, good=good, ng=produced - good,
            scrap_rate=(produced - good) / produced if produced else None, good_per_h=good_h,
            availability=row.availability if row else None,
            performance=row.performance if row else None,
            quality=row.quality if row else None, oee=row.oee if row else None,
            undefined=dict(row.undefined) if row else {"oee": "no stored data of this step"},
            gap_good_per_h=gap,
            gap_share=gap / planned_good if gap is not None and planned_good > 0 else None,
        ))  # fmt: skip
    last = next((s for s in reversed(steps) if s.cells), None)
    planned_cells = plan.cells_per_year / HOURS_PER_YEAR
    actual = last.good_per_h if last is not None else None
    return PlanVsActual(
        line=line.name, since=_iso(since), until=_iso(until), hours=hours,
        gwh_per_year=plan.gwh_per_year, scheduled_share=share, bottleneck=plan.bottleneck,
        planned_cells_per_h=planned_cells, actual_cells_per_h=actual,
        gap_cells_per_h=actual - planned_cells if actual is not None else None, steps=steps,
    )  # fmt: skip
