"""The ``ramp`` section of a line file: learning curves from first cells to steady state, and
the start month and capex of each build-out phase.

Each step's yield, availability (the availability factor of its OEE) and speed (the
performance factor) reach the line file's steady-state values along an exponential approach
(the three-parameter exponential learning curve, in its time form: Anzanello and Fogliatto,
"Learning curve models and applications: literature review and research directions",
Int. J. Industrial Ergonomics 41(5), 2011, doi:10.1016/j.ergon.2011.05.001):

.. math:: f(t) = 1 - (1 - f_0)\\, e^{-t / \\tau}

with ``t`` the months since the phase started production, ``f_0`` the share of the steady
value reached at the start (``initial``) and ``tau`` the months in which 63 % of the shortfall
is closed (``tau_months``). The step's value in month ``t`` is its steady value times f(t);
the OEE's learning curve is the product of the three. A later phase copies a running line and
starts with a share ``transfer`` of the first phase's shortfall already closed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gigaline.model import bounds
from gigaline.model.bounds import Bound

if TYPE_CHECKING:
    from gigaline.model.schema import Step

__all__ = ["LearningCurve", "PhaseRamp", "Ramp", "StepCurves"]

#: Months of a ramp: 50 years is past any plan.
MONTHS = Bound(0, 600, "months")
#: Time constant of a learning curve: up to 50 years (a curve that slow never ramps).
TAU_MONTHS = Bound(0.0, 600.0, "months", low_open=True)
#: Build period of a phase: up to 10 years.
BUILD_MONTHS = Bound(1, 120, "months")
#: A phase's capex: up to 1,000 billion USD, several times the dearest plant announced.
CAPEX_USD = Bound(0.0, 1e12, "USD")
#: Share of the first phase's shortfall a copied line starts with already closed.
TRANSFER = Bound(0.0, 1.0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LearningCurve(_Strict):
    """``f(t) = 1 - (1 - initial) exp(-t / tau_months)`` [-], t in months since start."""

    initial: Annotated[float, bounds.SHARE]
    tau_months: Annotated[float, TAU_MONTHS]

    def factor(self, months: float, transfer: float = 0.0) -> float:
        """The share of the steady value reached ``months`` after the start of production,
        with ``transfer`` of the initial shortfall already closed (a copied line)."""
        if months < 0:
            return 0.0
        gap = (1.0 - self.initial) * (1.0 - transfer)
        return 1.0 - gap * math.exp(-months / self.tau_months)


class StepCurves(_Strict):
    """Learning curves of one step (any left out: the default's, or none)."""

    yield_: LearningCurve | None = Field(default=None, alias="yield")
    availability: LearningCurve | None = None
    speed: LearningCurve | None = None


class PhaseRamp(_Strict):
    """When a phase of the plan (``phase 1`` or a name from ``target.phases``) starts
    production, how long before that its capex is spent, and what it learns from before."""

    phase: str = Field(min_length=1)
    start_month: Annotated[int, MONTHS]
    build_months: Annotated[int, BUILD_MONTHS] = 12
    capex_usd: Annotated[float, CAPEX_USD] | None = None
    transfer: Annotated[float, TRANSFER] = 0.0


class Ramp(_Strict):
    """Learning curves (defaults for every step, and per step id), phases, and the horizon."""

    months: Annotated[int, Bound(1, 600, "months")] = 60
    curves: StepCurves = Field(default_factory=StepCurves)
    steps: dict[str, StepCurves] = Field(default_factory=dict)
    phases: list[PhaseRamp] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _phases_in_order(self) -> Ramp:
        names = [p.phase for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("each phase may appear once in ramp.phases")
        starts = [p.start_month for p in self.phases]
        if starts != sorted(starts):
            raise ValueError("ramp.phases must be in order of start_month")
        return self

    def curve(self, step_id: str, quantity: str) -> LearningCurve | None:
        """The learning curve of ``quantity`` (``yield``, ``availability``, ``speed``) at
        step ``step_id``: the step's own, else the default, else None (steady from the
        start)."""
        attr = "yield_" if quantity == "yield" else quantity
        own = self.steps.get(step_id)
        mine: LearningCurve | None = getattr(own, attr) if own is not None else None
        return mine if mine is not None else getattr(self.curves, attr)  # type: ignore[no-any-return]

    def factor(self, step_id: str, quantity: str, months: float, transfer: float = 0.0) -> float:
        """f(t) of ``quantity`` at ``step_id`` (1 without a curve)."""
        c = self.curve(step_id, quantity)
        return 1.0 if c is None else c.factor(months, transfer)

    def step_factors(
        self, step: Step, months: float, transfer: float = 0.0
    ) -> tuple[float, float, float]:
        """(yield, availability, speed) factors of ``step`` ``months`` after its phase started.

        Availability learns only on steps with failures (without failures a step's
        availability is 1 in the plan and the twin alike); speed does not shorten dwell holds
        (aging lasts what the chemistry needs).
        """
        y = self.factor(step.id, "yield", months, transfer)
        a = self.factor(step.id, "availability", months, transfer) if step.failures else 1.0
        v = self.factor(step.id, "speed", months, transfer) if step.kind != "dwell" else 1.0
        return y, a, v
