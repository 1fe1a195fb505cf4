"""Plan versus twin: the bottleneck each names, how, and why the two can differ.

Two notions of a bottleneck meet here, and they answer different questions:

* **The plan's bottleneck** is the step with the least static capacity (machines x nominal
  rate x MTBF / (MTBF + MTTR) x calendar share, in good cells leaving the line by the yields
  after it: :func:`gigaline.sim.capacity.static_capacity`, the planner's one capacity
  formula). At any target it is the step the planner shows most utilised (``gigaline plan``:
  utilisation = rate needed / capacity), because the rate needed at every step is the same
  good output divided by the same yields. It knows nothing of buffers, blocking, starving or
  variability.
* **The twin's bottleneck** is found by the active period method (Roser, Nakano and Tanaka,
  "Shifting bottleneck detection", WSC 2002, doi:10.1109/WSC.2002.1166410; the average active
  period method of their WSC 2001 paper is its forerunner): at every instant the step with the
  longest uninterrupted active period (no machine starved, blocked or in a planned stop) is the
  momentary bottleneck, and ``bottleneck`` names the step that is it most of the time (sole
  plus shifting). Beside it this module gives the *utilisation method* Roser et al. compare it
  with: the share of its planned time a step is active (working or under repair, not starved
  or blocked), mean over its machines.

They agree on a line with one clear constraint. They need not on a *balanced* line, where
several steps have nearly the same static capacity: the momentary bottleneck then wanders
between them with the failures, and one machine more at any of them raises the line's static
capacity by no more than the gap to the next one. :func:`compare_bottlenecks` says which case a
run is in, with the figures, and the reasons it finds for a disagreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gigaline.sim.capacity import YEAR_S

if TYPE_CHECKING:
    from gigaline.sim.results import SimResult

__all__ = ["NEAR_SHARE", "BottleneckComparison", "compare_bottlenecks"]

#: Steps whose static capacity lies within this share of the least one are "near" it: on such
#: a line the momentary bottleneck moves between them (a 2 % margin is of the order of the
#: failure losses a step's capacity already carries, and of one machine in fifty).
NEAR_SHARE = 0.02


@dataclass(frozen=True)
class BottleneckComparison:
    """The plan's and the twin's bottleneck of one simulation, side by side."""

    #: the step of least static capacity (the plan's most utilised step)
    plan: str
    #: its static capacity [good cells leaving the line per calendar hour]
    plan_capacity_per_h: float
    #: the plan's utilisation of it at the line file's target (None without a target)
    plan_utilization: float | None
    #: the twin's bottleneck (active period method: most often the momentary bottleneck)
    twin: str
    #: per step, the share of the window it was the momentary bottleneck (sole + shifting)
    momentary_share: dict[str, float]
    #: per step, the utilisation method: share of planned time active (working or down)
    active_share: dict[str, float]
    #: the step the utilisation method names
    utilization_bottleneck: str
    #: the twin's throughput over the plan bottleneck's static capacity on the window's own
    #: calendar (a window with fewer stops than the year's average may make more) [-]
    twin_load: float
    #: steps within NEAR_SHARE of the plan bottleneck's static capacity, least first
    near: tuple[str, ...]
    #: the step of second least static capacity, and its capacity [good cells/h]
    runner_up: str | None
    runner_up_capacity_per_h: float
    #: static capacity gained by one machine more at the plan's / the twin's bottleneck
    gain_plan_per_h: float
    gain_twin_per_h: float
    reasons: tuple[str, ...] = field(default=())

    @property
    def agree(self) -> bool:
        """Plan and twin name the same step."""
        return self.plan == self.twin

    def summary(self) -> str:
        """One sentence: both bottlenecks, and what one machine more would give."""
        util = (
            f" at {self.plan_utilization:.0%} utilisation for the line's target"
            if self.plan_utilization is not None
            else ""
        )
        head = (
            f"plan bottleneck: {self.plan}{util} (least static capacity,"
            f" {self.plan_capacity_per_h:,.0f} good cells/h; the twin's output is"
            f" {self.twin_load:.1%} of it on the window's calendar); twin bottleneck:"
            f" {self.twin} (the momentary bottleneck"
            f" {self.momentary_share.get(self.twin, 0.0):.0%} of the time, active period"
            " method)"
        )
        if self.agree:
            return head + ": they agree"
        return head + ": they differ, because " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """The ``bottleneck_comparison`` object of ``gigaline simulate --json``."""
        return {
            "plan": self.plan,
            "plan_method": "least static capacity (gigaline plan: most utilised step)",
            "plan_capacity_per_h": _num(self.plan_capacity_per_h),
            "plan_utilization": None
            if self.plan_utilization is None
            else _num(self.plan_utilization),
            "twin": self.twin,
            "twin_method": "active period (Roser, Nakano and Tanaka 2002)",
            "agree": self.agree,
            "twin_load": _num(self.twin_load),
            "utilization_bottleneck": self.utilization_bottleneck,
            "near": list(self.near),
            "runner_up": self.runner_up,
            "runner_up_capacity_per_h": _num(self.runner_up_capacity_per_h),
            "gain_one_machine_per_h": {
                self.plan: _num(self.gain_plan_per_h),
                self.twin: _num(self.gain_twin_per_h),
            },
            "momentary_share": {k: _num(v) for k, v in self.momentary_share.items()},
            "active_share": {k: _num(v) for k, v in self.active_share.items()},
            "reasons": list(self.reasons),
            "summary": self.summary(),
        }


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _gain(cap: dict[str, float], machines: dict[str, int], step: str) -> float:
    """Static capacity of the line gained by one machine more at ``step`` [good cells/h]."""
    line = min(cap.values())
    others = min((v for k, v in cap.items() if k != step), default=math.inf)
    n = machines[step]
    more = cap[step] * (n + 1) / n if n > 0 else math.inf
    return max(min(more, others) - line, 0.0)


def compare_bottlenecks(r: SimResult) -> BottleneckComparison:
    """The plan's and the twin's bottleneck of ``r``, the figures behind each, and why they
    differ where they do (see the module's docstring)."""
    line = r.compiled.line
    capacity = r.capacity
    cap = {str(k): float(v) for k, v in capacity["good_cells_per_h"].items()}
    machines = {str(k): int(v) for k, v in capacity["machines"].items()}
    order = sorted(cap, key=lambda k: cap[k])
    plan = order[0]
    runner_up = order[1] if len(order) > 1 else None
    steps = r.steps
    momentary = {
        str(k): float(v)
        for k, v in (steps["bottleneck_sole"] + steps["bottleneck_shifting"]).items()
    }
    planned = 1.0 - steps["planned_stop"]
    active = (steps["working"] + steps["down"]) / planned.where(planned > 0)
    active_share = {str(k): float(v) for k, v in active.fillna(0.0).items()}
    twin = r.bottleneck
    util_neck = max(active_share, key=lambda k: active_share[k])
    tph = r.throughput_per_h
    # the static capacity runs the year's calendar share; the window has its own stops
    shares = {
        col: {str(k): float(v) for k, v in steps[col].items()}
        for col in ("blocked", "starved", "planned_stop")
    }
    run_share = {str(k): float(v) for k, v in capacity["calendar_share"].items()}[plan]
    window_share = 1.0 - shares["planned_stop"][plan]
    window_cap = cap[plan] * window_share / run_share if run_share > 0 else math.nan
    plan_util = None
    if line.target is not None and line.cell.energy_kwh > 0:
        good_per_h = line.target.gwh_per_year * 1e6 / line.cell.energy_kwh / (YEAR_S / 3600.0)
        plan_util = good_per_h / cap[plan]
    near = tuple(k for k in order if cap[k] <= cap[plan] * (1.0 + NEAR_SHARE))
    gain_plan = _gain(cap, machines, plan)
    gain_twin = _gain(cap, machines, twin)
    reasons: list[str] = []
    if plan != twin:
        margin = cap[twin] / cap[plan] - 1.0
        if len(near) > 1 or margin <= 0.05:
            within = (
                f" and {len(near)} steps lie within {NEAR_SHARE:.0%} of it ({', '.join(near)})"
                if len(near) > 1
                else ""
            )
            reasons.append(
                f"the line is balanced: {twin}'s static capacity is only {margin:.1%} above"
                f" {plan}'s{within}, so the momentary bottleneck moves between them; one"
                f" machine more at {plan} raises the line's static capacity by"
                f" {gain_plan:,.0f} good cells/h ({gain_plan / cap[plan]:.1%}) before"
                f" {runner_up} limits it, and one more at {twin} by {gain_twin:,.0f}"
            )
        else:
            reasons.append(
                f"{twin}'s static capacity is {margin:.1%} above {plan}'s, yet the twin finds"
                f" {twin} active longest: its losses in the run (failures, batches, the stops"
                " of its neighbours) are larger than its static capacity allows for"
            )
        blocked, starved = shares["blocked"][plan], shares["starved"][plan]
        if blocked > 0.01 or starved > 0.01:
            reasons.append(
                f"{plan} lost {blocked:.1%} of the window blocked and"
                f" {starved:.1%} starved: the buffers beside it do not"
                " decouple it from its neighbours, which the static capacity ignores"
            )
        if machines[plan] >= 3 * max(machines[twin], 1):
            reasons.append(
                f"the active period method counts a step active only while none of its"
                f" machines waits: {plan}'s {machines[plan]} parallel machines are rarely all"
                f" busy at once, {twin}'s {machines[twin]} often are, so {twin}'s active"
                " periods run longer"
            )
        if util_neck == plan:
            reasons.append(
                f"the utilisation method (share of planned time active, mean over the"
                f" machines) names {plan}, as the plan does: {active_share[plan]:.1%} active"
                f" against {active_share[twin]:.1%} for {twin}"
            )
    return BottleneckComparison(
        plan=plan,
        plan_capacity_per_h=cap[plan],
        plan_utilization=plan_util,
        twin=twin,
        momentary_share=momentary,
        active_share=active_share,
        utilization_bottleneck=util_neck,
        twin_load=tph / window_cap if window_cap > 0 else math.nan,
        near=near,
        runner_up=runner_up,
        runner_up_capacity_per_h=cap[runner_up] if runner_up is not None else math.nan,
        gain_plan_per_h=gain_plan,
        gain_twin_per_h=gain_twin,
        reasons=tuple(reasons),
    )
