"""Cross-field checks of a line that no single field can make, each in one pass over the steps.

Ids, branches and merges, electrodes, the quality and ramp sections' references to steps,
grades and phases,
and two derived bounds that keep the planner and the simulation finite: the yield from each
step to the end of the line, and each step's nominal capacity in cells per second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gigaline.model import bounds
from gigaline.model.flow import flow_of

if TYPE_CHECKING:
    from gigaline.model.schema import Line

__all__ = ["Loc", "line_problems"]

Loc = tuple[str | int, ...]
Problems = list[tuple[Loc, object, str]]


def line_problems(line: Line) -> Problems:
    """Cross-field checks: ``(location, value, message)`` triples, empty when consistent."""
    problems: Problems = []
    _ids(line, problems)
    _branches(line, problems)
    _electrodes(line, problems)
    _quality(line, problems)
    _ramp(line, problems)
    if not problems:  # the flow is sound: the derived bounds can be computed
        _yield_to_end(line, problems)
        _capacities(line, problems)
    return problems


def _ids(line: Line, problems: Problems) -> None:
    seen: dict[str, int] = {}
    for i, s in enumerate(line.steps):
        if s.id in seen:
            problems.append(
                (("steps", i, "id"), s.id, f"duplicate step id (also step {seen[s.id] + 1})")
            )
        seen.setdefault(s.id, i)


def _branches(line: Line, problems: Problems) -> None:
    first_in_branch: dict[str, int] = {}
    last_in_branch: dict[str, int] = {}
    for i, s in enumerate(line.steps):
        if s.branch is not None:
            first_in_branch.setdefault(s.branch, i)
            last_in_branch[s.branch] = i
            if s.merge:
                problems.append(
                    (("steps", i, "merge"), s.merge, "a merge step must be on the main chain")
                )
    merged: dict[str, int] = {}
    for i, s in enumerate(line.steps):
        for name in s.merge or []:
            if name not in last_in_branch:
                allowed = ", ".join(sorted(last_in_branch)) or "none defined"
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
    for name in sorted(set(last_in_branch) - set(merged)):
        problems.append(
            (("steps", first_in_branch[name], "branch"), name, "branch is never merged")
        )
    if last_in_branch and all(s.branch is not None for s in line.steps):
        problems.append((("steps",), None, "branches need a main-chain step that merges them"))


def _electrodes(line: Line, problems: Problems) -> None:
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


def _known(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names):,} in all)" if len(names) > limit else "")


def _quality(line: Line, problems: Problems) -> None:
    q = line.quality
    if q is None:
        return
    ids = {s.id for s in line.steps}
    seen: dict[tuple[str, str], int] = {}
    for i, spec in enumerate(q.specs):
        if spec.step not in ids:
            problems.append(
                (
                    ("quality", "specs", i, "step"),
                    spec.step,
                    f"no step with this id; steps are {_known([s.id for s in line.steps])}",
                )
            )
        key = (spec.step, spec.param)
        if key in seen:
            problems.append(
                (
                    ("quality", "specs", i, "param"),
                    spec.param,
                    f"a second spec for {spec.step}/{spec.param} (also specs[{seen[key]}]): "
                    "give each parameter of a step one spec",
                )
            )
        seen.setdefault(key, i)
    names = [g.name for g in q.grades]
    if q.matching is not None and names:
        for j, grade in enumerate(q.matching.grades):
            if grade not in names:
                problems.append(
                    (
                        ("quality", "matching", "grades", j),
                        grade,
                        f"no grade with this name; grades are {_known(names)}",
                    )
                )


def _yield_to_end(line: Line, problems: Problems) -> None:
    """Of the units a step starts, the share that ends in good cells must stay above 1e-6.

    Below, the planner would need over a million starts per good cell, and a long line of low
    yields underflows to zero (an infinite number of machines).
    """
    steps = line.steps
    consumer = flow_of(steps).consumer
    to_end = [1.0] * len(steps)
    first_low = -1
    for i in range(len(steps) - 1, -1, -1):
        after = to_end[consumer[i]] if consumer[i] >= 0 else 1.0
        to_end[i] = steps[i].yield_ * after
        if bounds.YIELD_TO_END.problem(to_end[i]) is not None:
            first_low = i  # ends at the first such step in the list
    if first_low >= 0:
        problems.append(
            (
                ("steps", first_low, "yield"),
                float(f"{to_end[first_low]:.3g}"),
                f"the yield from step {steps[first_low].id!r} to the end of the line (the "
                f"product of the step yields) must be {bounds.YIELD_TO_END.allowed()}: at least "
                "one good cell per million units started",
            )
        )


def _capacities(line: Line, problems: Problems) -> None:
    """A step's nominal capacity in cells per second must be finite and below 10^6."""
    for i, s in enumerate(line.steps):
        cells_per_s = s.machines * s.rate_per_machine_units_per_s / line.units_per_cell(s)
        message = bounds.STEP_CELLS_PER_S.problem(cells_per_s)
        if message is not None:
            problems.append(
                (
                    ("steps", i),
                    float(f"{cells_per_s:.3g}"),
                    "the nominal capacity of the step (machines x units per cycle / cycle time "
                    f"/ units per cell) {message}",
                )
            )


def _ramp(line: Line, problems: Problems) -> None:
    """The ramp section names steps and phases that exist."""
    ramp = line.ramp
    if ramp is None:
        return
    ids = [s.id for s in line.steps]
    for sid in ramp.steps:
        if sid not in ids:
            problems.append((("ramp", "steps", sid), sid, f"no such step (steps: {_known(ids)})"))
    phases = ["phase 1", *(p.name for p in (line.target.phases if line.target else []))]
    for i, ph in enumerate(ramp.phases):
        if ph.phase not in phases:
            problems.append(
                (
                    ("ramp", "phases", i, "phase"),
                    ph.phase,
                    f"no such phase (phases: {', '.join(phases)}; later phases come from "
                    "target.phases)",
                )
            )
