"""The line description: a validated, SI-unit model of one production line.

``Line`` is what every job starts from: the planner reads its rates, the simulation compiles
it to arrays, the MES creates its stations from it. Build one with
:func:`gigaline.model.load_line` from a YAML file (errors then name file and line), or with
``Line.model_validate(mapping)``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gigaline.model import bounds
from gigaline.model.cell import Cell
from gigaline.model.checks import line_problems
from gigaline.model.distributions import Distribution, PositiveDuration, as_distribution
from gigaline.model.flow import Flow, flow_of
from gigaline.model.processes import PROCESSES, Electrode
from gigaline.model.quality import QualitySpec
from gigaline.model.ramp import Ramp
from gigaline.model.units import quantity

__all__ = [
    "Calendar",
    "Failures",
    "Line",
    "Phase",
    "PlannedMaintenance",
    "Site",
    "Step",
    "StepKind",
    "Target",
    "line_problems",
]

StepKind = Literal["continuous", "discrete", "batch", "dwell"]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64)]

CycleTime = Annotated[Distribution, BeforeValidator(lambda v: as_distribution(v, "fixed"))]
FailureTime = Annotated[Distribution, BeforeValidator(lambda v: as_distribution(v, "exponential"))]
Speed = Annotated[float, quantity("speed"), bounds.SPEED]
Width = Annotated[float, quantity("length"), bounds.WIDTH]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PlannedMaintenance(_Strict):
    """A whole-line planned stop of ``duration`` every ``every`` (both times)."""

    every_s: Annotated[float, quantity("time"), bounds.MAINTENANCE_EVERY] = Field(alias="every")
    duration_s: PositiveDuration = Field(alias="duration")

    @model_validator(mode="after")
    def _shorter(self) -> PlannedMaintenance:
        message = bounds.MAINTENANCE_SHARE.problem(self.duration_s / self.every_s)
        if message is not None:
            raise ValueError(
                f"duration / every is {self.duration_s / self.every_s:.3g}: the share of "
                f"scheduled time in planned maintenance {message}"
            )
        return self


class Calendar(_Strict):
    """When the line is scheduled to run.

    Either ``hours_per_year`` or ``days_per_year`` x ``shifts_per_day`` x ``hours_per_shift``.
    Planned maintenance is planned downtime inside the scheduled time (ISO 22400-2: planned
    busy time = planned operation time - planned downtime).
    """

    hours_per_year: Annotated[float, bounds.HOURS_PER_YEAR] | None = None
    days_per_year: Annotated[float, bounds.DAYS_PER_YEAR] | None = None
    shifts_per_day: Annotated[int, bounds.SHIFTS_PER_DAY] | None = None
    hours_per_shift: Annotated[float, bounds.HOURS_PER_SHIFT] | None = None
    planned_maintenance: PlannedMaintenance | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Calendar:
        parts = (self.days_per_year, self.shifts_per_day, self.hours_per_shift)
        if self.hours_per_year is not None:
            if any(p is not None for p in parts):
                raise ValueError(
                    "give hours_per_year, or days_per_year with shifts_per_day and "
                    "hours_per_shift, not both"
                )
        elif any(p is None for p in parts):
            raise ValueError(
                "give hours_per_year, or all of days_per_year, shifts_per_day, hours_per_shift"
            )
        elif (self.shifts_per_day or 0) * (self.hours_per_shift or 0) > 24:
            raise ValueError("shifts_per_day x hours_per_shift exceeds 24 h")
        return self

    @property
    def hours_per_day(self) -> float:
        """Scheduled hours per scheduled day (24 when given as hours_per_year)."""
        if self.hours_per_year is not None:
            return 24.0
        return float((self.shifts_per_day or 0) * (self.hours_per_shift or 0))

    @property
    def scheduled_s_per_year(self) -> float:
        """Scheduled (planned operation) time per year [s]."""
        if self.hours_per_year is not None:
            return self.hours_per_year * 3600.0
        return (self.days_per_year or 0.0) * self.hours_per_day * 3600.0

    @property
    def maintenance_fraction(self) -> float:
        """Share of scheduled time lost to planned maintenance."""
        pm = self.planned_maintenance
        return 0.0 if pm is None else pm.duration_s / pm.every_s

    @property
    def available_s_per_year(self) -> float:
        """Planned busy time per year [s]: scheduled time less planned maintenance."""
        return self.scheduled_s_per_year * (1.0 - self.maintenance_fraction)


class Failures(_Strict):
    """Breakdowns of each machine of a step.

    ``mtbf``/``mttr`` are times (then exponential with that mean) or distributions. ``basis``
    says whether time between failures counts operating time only (the default) or calendar
    time.
    """

    mtbf: FailureTime
    mttr: FailureTime
    basis: Literal["operating", "calendar"] = "operating"

    @model_validator(mode="after")
    def _means(self) -> Failures:
        for name, dist in (("mtbf", self.mtbf), ("mttr", self.mttr)):
            message = bounds.MEAN_TIME.problem(dist.mean_s)
            if message is not None:
                raise ValueError(f"the mean of {name} {message} (it is {dist.mean_s:g} s)")
        return self

    @property
    def availability(self) -> float:
        """Steady-state availability of one machine, MTBF / (MTBF + MTTR)."""
        up, down = self.mtbf.mean_s, self.mttr.mean_s
        return up / (up + down)


class Step(_Strict):
    """One process step: identical parallel machines, what they do, and how fast.

    Kinds: ``discrete`` (one unit per cycle), ``batch`` (``batch_size`` units per cycle),
    ``dwell`` (up to ``capacity`` units per machine held for ``cycle_time`` each),
    ``continuous`` (a web at ``speed`` over ``width``; the unit is one metre of web).
    """

    id: Identifier
    kind: StepKind
    name: str | None = None
    process: str | None = None
    branch: Identifier | None = None
    merge: list[Identifier] | None = None
    electrode: Electrode | None = None
    machines: Annotated[int, bounds.MACHINES] = 1
    cycle_time: CycleTime | None = None
    batch_size: Annotated[int, bounds.BATCH_SIZE] | None = None
    capacity: Annotated[int, bounds.CAPACITY] | None = None
    speed_m_per_s: Speed | None = Field(default=None, alias="speed")
    width_m: Width | None = Field(default=None, alias="width")
    unit: str = "cell"
    units_per_cell: Annotated[float, bounds.UNITS_PER_CELL] | None = None
    yield_: Annotated[float, bounds.SHARE] = Field(default=1.0, alias="yield")
    failures: Failures | None = None
    buffer_after: Annotated[int, bounds.BUFFER_AFTER] = 0
    unit_price_usd: Annotated[float, bounds.UNIT_PRICE_USD] | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @field_validator("process")
    @classmethod
    def _known_process(cls, value: str | None) -> str | None:
        if value is not None and value not in PROCESSES:
            raise ValueError(f"unknown process; allowed: {', '.join(PROCESSES)}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Step:
        need: dict[str, tuple[str, ...]] = {
            "discrete": ("cycle_time",),
            "batch": ("cycle_time", "batch_size"),
            "dwell": ("cycle_time", "capacity"),
            "continuous": ("speed_m_per_s", "width_m"),
        }
        names = {"speed_m_per_s": "speed", "width_m": "width"}
        missing = [names.get(f, f) for f in need[self.kind] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.kind} step needs {' and '.join(missing)}")
        foreign = {
            "discrete": ("batch_size", "capacity", "speed_m_per_s", "width_m"),
            "batch": ("capacity", "speed_m_per_s", "width_m"),
            "dwell": ("batch_size", "speed_m_per_s", "width_m"),
            "continuous": ("cycle_time", "batch_size", "capacity"),
        }[self.kind]
        extra = [names.get(f, f) for f in foreign if getattr(self, f) is not None]
        if extra:
            raise ValueError(f"a {self.kind} step does not take {' or '.join(extra)}")
        if self.cycle_time is not None:
            message = bounds.MEAN_TIME.problem(self.cycle_time.mean_s)
            if message is not None:
                mean = self.cycle_time.mean_s
                raise ValueError(f"the mean of cycle_time {message} (it is {mean:g} s)")
        return self

    @property
    def units_per_cycle(self) -> int:
        """Units one machine completes per cycle (batch size, dwell capacity, or 1)."""
        if self.kind == "batch":
            return self.batch_size or 1
        if self.kind == "dwell":
            return self.capacity or 1
        return 1

    @property
    def rate_per_machine_units_per_s(self) -> float:
        """Nominal rate of one machine while working [units/s], before failures and yield."""
        if self.kind == "continuous":
            assert self.speed_m_per_s is not None
            return self.speed_m_per_s
        assert self.cycle_time is not None
        return self.units_per_cycle / self.cycle_time.mean_s


class Phase(_Strict):
    """A build-out phase: adds capacity (more lines of the same design)."""

    name: str = Field(min_length=1)
    adds_gwh_per_year: Annotated[float, bounds.GWH_PER_YEAR]
    year: Annotated[int, bounds.PHASE_YEAR] | None = None


class Target(_Strict):
    """What the line (or this phase of the plant) must make."""

    gwh_per_year: Annotated[float, bounds.GWH_PER_YEAR]
    phases: list[Phase] = Field(default_factory=list)


class Site(_Strict):
    """ISA-95 placement of the line (site and area names for the MES) and where and when the
    plant produces, for the production credits of the plan.

    ``country`` is an ISO 3166-1 alpha-2 code (``US``); ``start_year`` the first calendar year
    of production; ``assembles_modules`` says whether the plant also builds its cells into
    modules (the US 45X credit has an amount per kWh of modules).
    """

    name: str = "site"
    area: str = "cell-production"
    country: str | None = None
    start_year: Annotated[int, bounds.START_YEAR] | None = None
    assembles_modules: bool = False

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 2 and value.isascii() and value.isupper()):
            raise ValueError(
                "must be a two-letter ISO 3166-1 alpha-2 country code in capitals, such as US"
            )
        return value


class Line(_Strict):
    """A production line: the cell it makes, its calendar, and its steps in flow order."""

    name: str = Field(min_length=1)
    description: str | None = None
    site: Site = Field(default_factory=Site)
    cell: Cell
    calendar: Calendar
    target: Target | None = None
    steps: list[Step] = Field(min_length=1)
    quality: QualitySpec | None = None
    ramp: Ramp | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Line:
        if info.context and info.context.get("defer_cross_checks"):
            return self
        problems = line_problems(self)
        if problems:
            raise ValueError(
                "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, _, msg in problems)
            )
        return self

    @cached_property
    def _flow(self) -> Flow:
        return flow_of(self.steps)

    @property
    def flow(self) -> Flow:
        """How the steps feed each other, by position (computed once, in O(steps))."""
        flow = self._flow
        if flow.steps is not self.steps:  # a model_copy(update=...) replaced the steps
            del self.__dict__["_flow"]
            flow = self._flow
        return flow

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError naming the known ids otherwise)."""
        i = self.flow.index.get(step_id)
        if i is None:
            raise KeyError(f"no step {step_id!r}; steps are {_some_ids(self.steps)}")
        return self.steps[i]

    @property
    def branches(self) -> dict[str, list[Step]]:
        """The parallel branches, each its steps in flow order."""
        steps = self.steps
        return {name: [steps[i] for i in chain] for name, chain in self.flow.branches.items()}

    @property
    def main_steps(self) -> list[Step]:
        """The steps on the main chain (not in a branch), in flow order."""
        steps = self.steps
        return [steps[i] for i in self.flow.main]

    def units_per_cell(self, step: Step) -> float:
        """Work units of ``step`` that go into one cell.

        Given by ``units_per_cell``; for continuous electrode steps without it, metres of web
        per cell = electrode area per cell / coated width.
        """
        if step.units_per_cell is not None:
            return step.units_per_cell
        if step.kind == "continuous":
            design = self.cell.design
            assert design is not None and step.electrode is not None and step.width_m
            electrode = design.cathode if step.electrode == "cathode" else design.anode
            return electrode.area_m2 / step.width_m
        return 1.0

    def pri_s_per_cell(self, step: Step) -> float:
        """Planned run time per item of one machine of ``step``, per cell [s] (ISO 22400-2
        PRI: the nominal time one cell's worth of work takes, before failures and yield)."""
        return self.units_per_cell(step) / step.rate_per_machine_units_per_s

    def predecessors(self, step: Step) -> list[Step]:
        """The steps that feed ``step`` directly (two or more at a merge)."""
        flow = self.flow
        i = flow.index.get(step.id)
        if i is None:
            raise ValueError(f"step {step.id!r} is not a step of line {self.name!r}")
        return [self.steps[p] for p in flow.feeds[i]]


def _some_ids(steps: list[Step], limit: int = 20) -> str:
    ids = ", ".join(s.id for s in steps[:limit])
    return ids + (f", ... ({len(steps):,} in all)" if len(steps) > limit else "")
