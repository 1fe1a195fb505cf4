"""What a run can and cannot say: warnings when the warm-up or the measured window is too
short for the line's steady state, and the reason behind every undefined figure.

Every warning names the figure it is about, the line's own number it was held against, and what
to do. Undefined figures are never shown as 0 or NaN: they are null (JSON) or "undefined"
(text, report), with one of the reasons given here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from gigaline.sim.calendar import planned_stops
from gigaline.sim.runner import RunRecord
from gigaline.sim.steady import (
    MSER_BATCH,
    FirstOutput,
    WarmupChoice,
    calendar_cycle_days,
    ceil_days,
    duration_text,
    settling_hour,
)

if TYPE_CHECKING:
    from gigaline.sim.compile import CompiledLine

__all__ = [
    "SimulationWarning",
    "emit",
    "headline_undefined",
    "run_warnings",
    "step_undefined",
]

#: MSER-5 speaks only about runs of at least this many batches of scheduled hours.
MSER_MIN_BATCHES = 20
#: A start-up left in the measured window is reported when it moves the throughput this much.
SETTLING_COST = 0.01


class SimulationWarning(UserWarning):
    """A run too short for the line's steady state: its figures describe the start-up."""


def run_warnings(
    c: CompiledLine,
    records: Sequence[RunRecord],
    days: float,
    warmup: WarmupChoice,
    first: FirstOutput,
) -> list[str]:
    """The warnings of a run (empty when nothing is wrong)."""
    out: list[str] = []
    warm = warmup.days
    fill = first.days
    needs = (
        f"an empty line needs about {duration_text(first.seconds)} to deliver its first cell"
        f" (mostly {first.describe()})"
    )
    advice = f"set the warm-up to 'auto' or to at least {ceil_days(1.1 * fill):g} d"
    good = sum(r.good for r in records)
    run_good = sum(float(r.run_hourly_good.sum()) for r in records)
    if run_good == 0:
        out.append(
            f"no good cell left the line in the {_d(warm + days)} simulated: {needs}. Every"
            f" figure describes the start-up, not the line at work: {advice} (and measure at"
            f" least {ceil_days(fill):g} d for lead times)"
        )
    elif good == 0:
        in_stops = all(r.planned_stop_s >= r.window_s - 1e-6 for r in records)
        why = (
            "the window lies in planned stops throughout"
            if in_stops
            else "the line was held up throughout the window (failures, repairs or blocking)"
        )
        out.append(
            f"no good cell left the line in the measured window ({_d(days)}), though some did"
            f" earlier in the run: {why}; measure a longer window"
        )
    elif warmup.method == "given" and warm < fill - max(0.02 * fill, 1 / 24):
        # (fill is an estimate from mean job times: a tolerance, and none for a chosen warm-up)
        out.append(
            f"the warm-up ({_d(warm)}) is shorter than the time the line needs to fill: {needs}."
            " The measured window begins while the line is still filling, so throughput, OEE"
            f" and WIP are below their steady-state values and lead times are biased; {advice}"
        )
    if days < fill and good > 0:
        out.append(
            f"the measured window ({_d(days)}) is shorter than the line's shortest lead time"
            f" (about {duration_text(first.seconds)}, mostly {first.describe()}): cells that enter"
            " the line in the"
            " window cannot leave it in the window; measure at least"
            f" {ceil_days(fill):g} d for lead times"
        )
    if warmup.method == "given" and good > 0:
        out.extend(_mser_warnings(c, records, warm))
    elif not warmup.found:
        out.append(
            f"MSER-5 found no steady state in a {warmup.pilot_days:g}-day pilot (the hourly output"
            " still drifts in its second half): the warm-up was set to half the pilot,"
            f" {_d(warm)}; check the output over time (the report's throughput chart)"
        )
    cycle, what = calendar_cycle_days(c)
    if days < cycle - 1e-9:
        out.append(
            f"the measured window ({_d(days)}) is shorter than the calendar's cycle ({what}, every"
            f" {cycle:.1f} d): output and OEE depend on whether the window holds a stop; measure"
            f" whole cycles (at least {ceil_days(cycle):g} d)"
        )
    return out


def _d(days: float) -> str:
    """Days for messages: ``2 d``, ``14.46 d``."""
    return f"{days:.2f}".rstrip("0").rstrip(".") + " d"


def _mser_warnings(c: CompiledLine, records: Sequence[RunRecord], warmup_days: float) -> list[str]:
    """MSER-5 on the whole run: does the output settle later than the given warm-up?

    Spoken only when it matters: MSER-5 also cuts a few hours off a settled series by chance,
    and a short settled series can look unsettled; either costs the measured throughput next
    to nothing, so a warning needs the start-up left in the window to move it by at least
    SETTLING_COST.
    """
    good = np.mean([r.run_hourly_good for r in records], axis=0)
    stops = planned_stops(c.line.calendar, records[0].horizon_s)
    hour, cut = settling_hour(good, stops)
    first = round(warmup_days * 24.0)
    if cut.batches < MSER_MIN_BATCHES or hour <= first + MSER_BATCH:
        return []
    settled = float(good[hour:].mean())
    cost = 1.0 - float(good[first:].mean()) / settled if settled > 0 else 0.0
    if abs(cost) < SETTLING_COST:
        return []
    effect = f"put the measured throughput {abs(cost):.1%} {'below' if cost > 0 else 'above'}"
    if not cut.found:
        run_days = records[0].horizon_s / 86400.0
        return [
            f"the hourly output is still settling half-way through the {_d(run_days)} run, so"
            " MSER-5 (White 1997) cannot tell where the start-up ends; what it saw so far would"
            f" {effect} the output of its second half: simulate longer, or set the warm-up to"
            " 'auto'"
        ]
    return [
        f"the hourly output settles only {hour / 24.0:.1f} d into the run (MSER-5 truncation"
        f" point, White 1997), after the warm-up of {_d(warmup_days)}: the first"
        f" {hour / 24.0 - warmup_days:.1f} d of the measured window are start-up and {effect}"
        f" the settled output; set the warm-up to 'auto' or to at least"
        f" {ceil_days(hour / 24.0):g} d"
    ]


def headline_undefined(records: Sequence[RunRecord]) -> dict[str, str]:
    """Headline figures that are undefined, with the reason (keys as in the JSON)."""
    out: dict[str, str] = {}
    if any(r.good == 0 for r in records):
        reason = (
            "no good cell left the line in the measured window: a lead time there would come"
            " from scrapped cells alone"
        )
    elif any(r.lead_times_s.size == 0 for r in records):
        reason = (
            "no cell that entered the main chain in the measured window left it before the end"
            " (the window is shorter than the lead time)"
        )
    else:
        return out
    out["lead_time_mean_h"] = reason
    out["lead_time_percentiles_h"] = reason
    return out


_STEP_REASONS = {
    "availability": "no planned busy time in the window (the step's machines were in planned"
    " stops throughout)",
    "performance": "the step did not work in the window (no actual production time)",
    "quality": "the step finished no cell in the window",
}


def step_undefined(steps: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, str]]:
    """Per step id, its undefined KPIs and why (OEE is undefined with any of its factors), from
    the rows of the per-step table (:attr:`gigaline.sim.SimResult.step_rows`)."""
    out: dict[str, dict[str, str]] = {}
    for sid, row in steps.items():
        reasons = {k: v for k, v in _STEP_REASONS.items() if not math.isfinite(row[k])}
        if reasons:
            first = next(iter(reasons))
            reasons = {"oee": f"its {first} is undefined: {reasons[first]}", **reasons}
            out[str(sid)] = reasons
    return out


def emit(messages: Sequence[str], stacklevel: int = 3) -> None:
    """Issue each message as a :class:`SimulationWarning` (Python's warnings machinery)."""
    for m in messages:
        warnings.warn(m, SimulationWarning, stacklevel=stacklevel)
