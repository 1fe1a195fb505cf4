"""The line description: a validated, SI-unit model of one production line.

``Line`` is what every job starts from: the planner reads its rates, the simulation compiles
it to arrays, the MES creates its stations from it. Build one with
:func:`gigaline.model.load_line` from a YAML file (errors then name file and line), or with
``Line.model_validate(mapping)``.
"""

from __future__ import annotations

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

from gigaline.model.cell import Cell
from gigaline.model.distributions import Distribution, PositiveDuration, as_distribution
from gigaline.model.processes import PROCESSES, Electrode
from gigaline.model.quality import QualitySpec
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
Speed = Annotated[float, quantity("speed"), Field(gt=0)]
Width = Annotated[float, quantity("length"), Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PlannedMaintenance(_Strict):
    """A whole-line planned stop of ``duration`` every ``every`` (both times)."""

    every_s: PositiveDuration = Field(alias="every")
    duration_s: PositiveDuration = Field(alias="duration")

    @model_validator(mode="after")
    def _shorter(self) -> PlannedMaintenance:
        if self.duration_s >= self.every_s:
            raise ValueError("duration must be shorter than the interval 'every'")
        return self


class Calendar(_Strict):
    """When the line is scheduled to run.

    Either ``hours_per_year`` or ``days_per_year`` x ``shifts_per_day`` x ``hours_per_shift``.
    Planned maintenance is planned downtime inside the scheduled time (ISO 22400-2: planned
    busy time = planned operation time - planned downtime).
    """

    hours_per_year: float | None = Field(default=None, gt=0, le=8784)
    days_per_year: float | None = Field(default=None, gt=0, le=366)
    shifts_per_day: int | None = Field(default=None, ge=1, le=4)
    hours_per_shift: float | None = Field(default=None, gt=0, le=24)
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
    machines: int = Field(default=1, ge=1, le=100_000)
    cycle_time: CycleTime | None = None
    batch_size: int | None = Field(default=None, ge=1)
    capacity: int | None = Field(default=None, ge=1)
    speed_m_per_s: Speed | None = Field(default=None, alias="speed")
    width_m: Width | None = Field(default=None, alias="width")
    unit: str = "cell"
    units_per_cell: float | None = Field(default=None, gt=0)
    yield_: float = Field(default=1.0, gt=0, le=1, alias="yield")
    failures: Failures | None = None
    buffer_after: int = Field(default=0, ge=0, le=100_000_000)
    unit_price_usd: float | None = Field(default=None, gt=0, le=1e10)
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
        if self.cycle_time is not None and self.cycle_time.mean_s <= 0:
            raise ValueError("cycle_time must have a positive mean")
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
    adds_gwh_per_year: float = Field(gt=0)
    year: int | None = Field(default=None, ge=1990, le=2100)


class Target(_Strict):
    """What the line (or this phase of the plant) must make."""

    gwh_per_year: float = Field(gt=0)
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
    start_year: int | None = Field(default=None, ge=2000, le=2100)
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

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError naming the known ids otherwise)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"no step {step_id!r}; steps are {', '.join(s.id for s in self.steps)}")

    @property
    def branches(self) -> dict[str, list[Step]]:
        """The parallel branches, each its steps in flow order."""
        out: dict[str, list[Step]] = {}
        for s in self.steps:
            if s.branch is not None:
                out.setdefault(s.branch, []).append(s)
        return out

    @property
    def main_steps(self) -> list[Step]:
        """The steps on the main chain (not in a branch), in flow order."""
        return [s for s in self.steps if s.branch is None]

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

    def predecessors(self, step: Step) -> list[Step]:
        """The steps that feed ``step`` directly (two or more at a merge)."""
        idx = self.steps.index(step)
        if step.branch is not None:
            chain = self.branches[step.branch]
            i = chain.index(step)
            return [chain[i - 1]] if i > 0 else []
        main = self.main_steps
        i = main.index(step)
        feeds = [main[i - 1]] if i > 0 else []
        for name in step.merge or []:
            feeds.append(self.branches[name][-1])
        del idx
        return feeds


Loc = tuple[str | int, ...]


def line_problems(line: Line) -> list[tuple[Loc, object, str]]:
    """Cross-field checks a single field cannot make: ids, branches and merges, electrodes.

    Returns ``(location, value, message)`` triples; empty when the line is consistent.
    """
    problems: list[tuple[Loc, object, str]] = []
    seen: dict[str, int] = {}
    for i, s in enumerate(line.steps):
        if s.id in seen:
            problems.append(
                (("steps", i, "id"), s.id, f"duplicate step id (also step {seen[s.id] + 1})")
            )
        seen.setdefault(s.id, i)

    branch_names = {s.branch for s in line.steps if s.branch is not None}
    merged: dict[str, int] = {}
    last_in_branch: dict[str, int] = {}
    for i, s in enumerate(line.steps):
        if s.branch is not None:
            last_in_branch[s.branch] = i
            if s.merge:
                problems.append(
                    (("steps", i, "merge"), s.merge, "a merge step must be on the main chain")
                )
    for i, s in enumerate(line.steps):
        for name in s.merge or []:
            if name not in branch_names:
                allowed = ", ".join(sorted(branch_names)) or "none defined"
                problems.append(
                    (("steps", i, "merge"), name, f"merges an unknown branch (branches: {allowed})")
                )
            elif name in merged:
                problems.append((("steps", i, "merge"), name, "branch is merged twice"))
            elif last_in_branch[name] > i:
                problems.append(
                    (("steps", i, "merge"), name, "branch has steps after the step that merges it")
                )
            merged.setdefault(name, i)
    for name in sorted(branch_names - set(merged)):
        first = next(i for i, s in enumerate(line.steps) if s.branch == name)
        problems.append((("steps", first, "branch"), name, "branch is never merged"))
    if branch_names and not line.main_steps:
        problems.append((("steps",), None, "branches need a main-chain step that merges them"))

    for i, s in enumerate(line.steps):
        if s.kind == "continuous" and s.units_per_cell is None:
            if s.electrode is None:
                problems.append(
                    (
                        ("steps", i, "electrode"),
                        None,
                        "a continuous step needs electrode (cathode|anode) or units_per_cell",
                    )
                )
            elif line.cell.design is None:
                problems.append(
                    (
                        ("cell", "design"),
                        None,
                        f"step {s.id!r} converts metres to cells: the cell needs a design",
                    )
                )
    return problems
