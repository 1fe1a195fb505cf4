"""One candidate design, judged by the twin and the planner together.

A candidate is a scenario of a scenario file (factor levels applied to the base line). The
twin gives its output (replications with the scenario file's seed: every candidate sees the
same random numbers, so candidates are compared paired); the planner prices the candidate
line at that output: :func:`gigaline.plan.plan_line` with the simulated GWh per year as the
target and the candidate's own machines (``keep_machines=True``) gives its capex (machines
times unit prices, bottom-up) and cost per kWh, gross and net of production credits. Nothing
here computes a cost itself.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

from gigaline.errors import GigalineError
from gigaline.plan import plan_line
from gigaline.sim import ScenarioSet, SimResult, simulate
from gigaline.sim.compare import FIGURES
from gigaline.sim.factor_paths import Value

__all__ = [
    "ALL_FIGURES",
    "PLAN_FIGURES",
    "Candidate",
    "Constraint",
    "StudyError",
    "evaluate",
    "parse_constraint",
]

#: Figures the planner gives for a candidate at its simulated output (net: less credits).
PLAN_FIGURES = ("capex_usd", "cost_usd_per_kwh", "cost_usd_per_kwh_net")
#: Every figure an objective or a constraint may name.
ALL_FIGURES = (*FIGURES, *PLAN_FIGURES, "machines")
#: The direction each figure is best in (an objective's default).
BEST = {
    "throughput_per_h": "maximize",
    "gwh_per_year": "maximize",
    "wip_mean": "minimize",
    "lead_time_mean_h": "minimize",
    "capex_usd": "minimize",
    "cost_usd_per_kwh": "minimize",
    "cost_usd_per_kwh_net": "minimize",
    "machines": "minimize",
}


class StudyError(GigalineError):
    """An optimisation or sensitivity study that cannot run as asked."""


@dataclass(frozen=True)
class Constraint:
    """``figure op bound``, e.g. ``gwh_per_year >= 20``."""

    figure: str
    op: str
    bound: float

    def violation(self, value: float) -> float:
        """How far ``value`` is on the wrong side (<= 0: satisfied), Optuna's convention."""
        if not math.isfinite(value):
            return math.inf
        return self.bound - value if self.op == ">=" else value - self.bound

    def holds(self, value: float) -> bool:
        return _OPS[self.op](value, self.bound)

    def __str__(self) -> str:
        return f"{self.figure} {self.op} {self.bound:g}"


_OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}
_CONSTRAINT = re.compile(r"^\s*([a-z_]+)\s*(>=|<=)\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")


def parse_constraint(text: str) -> Constraint:
    """``"gwh_per_year >= 20"`` -> :class:`Constraint` (figures: :data:`ALL_FIGURES`)."""
    m = _CONSTRAINT.match(text)
    if not m:
        raise StudyError(
            f"constraint {text!r}: write FIGURE >= NUMBER or FIGURE <= NUMBER, "
            f"e.g. 'gwh_per_year >= 20' (figures: {', '.join(ALL_FIGURES)})"
        )
    figure = check_figure(m.group(1), "constraint")
    return Constraint(figure, m.group(2), float(m.group(3)))


def check_figure(name: str, what: str) -> str:
    if name not in ALL_FIGURES:
        raise StudyError(f"{what} {name!r} is not a figure; allowed: {', '.join(ALL_FIGURES)}")
    return name


@dataclass(frozen=True)
class Candidate:
    """A design, its figures (means over replications) and their 95 % half widths."""

    number: int
    levels: dict[str, Value]
    figures: dict[str, float]
    half_widths: dict[str, float] = field(default_factory=dict)
    feasible: bool = True
    note: str = ""

    def value(self, figure: str, pessimistic_for: Constraint | None = None) -> float:
        """A figure's mean, or with a constraint its end of the 95 % interval least favourable
        to that constraint (robust feasibility)."""
        x = self.figures.get(figure, math.nan)
        if pessimistic_for is None:
            return x
        hw = self.half_widths.get(figure, 0.0)
        hw = hw if math.isfinite(hw) else 0.0
        return x - hw if pessimistic_for.op == ">=" else x + hw


def evaluate(
    study: ScenarioSet,
    levels: Mapping[str, Value],
    number: int = 0,
    *,
    executor: Executor | None = None,
) -> tuple[Candidate, SimResult | None]:
    """Simulate and plan the candidate ``levels`` of ``study``.

    A candidate whose line is invalid, or that makes nothing to plan, comes back with
    ``feasible=False`` and a note saying why (an optimiser moves on; a user's mistake in the
    file was caught when the file was loaded).
    """
    st = study.settings
    try:
        sc = study.scenario(levels)
    except GigalineError as exc:
        return Candidate(number, dict(levels), {}, feasible=False, note=str(exc)), None
    res = simulate(
        sc.line, st.days, st.warmup_days, st.replications, st.seed, executor=executor, workers=1
    )
    figures = {f: res.ci(f).mean for f in FIGURES}
    hws = {f: res.ci(f).half_width for f in FIGURES}
    figures["machines"] = float(sum(s.machines for s in sc.line.steps))
    hws["machines"] = 0.0
    gwh = figures["gwh_per_year"]
    note = ""
    try:
        p = plan_line(sc.line, target_gwh=gwh, keep_machines=True).first
        figures["capex_usd"] = p.capex_usd
        figures["cost_usd_per_kwh"] = p.cost.total
        figures["cost_usd_per_kwh_net"] = p.cost_usd_per_kwh_net
    except GigalineError as exc:
        for f in PLAN_FIGURES:
            figures[f] = math.nan
        note = f"not planned: {exc}"
    return Candidate(number, dict(sc.factors), figures, hws, feasible=not note, note=note), res
