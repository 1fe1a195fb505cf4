"""The equipment hierarchy as the MES stores it: site, lines, steps and their stations."""

from __future__ import annotations

from typing import Protocol

from gigaline.errors import NotFoundError
from gigaline.mes.ports import EventLog, LineRegistry
from gigaline.mes.services.models import LineSummary, Plant, StepSummary

__all__ = ["LayoutStore", "find_line", "find_step", "plant_layout"]


class LayoutStore(LineRegistry, EventLog, Protocol):
    """The doors the layout uses: steps (the registry) and stations and site (the event log)."""


def plant_layout(store: LayoutStore) -> Plant:
    """Every registered line of the store's site with its steps, in route order, and stations."""
    by_step: dict[str, list[str]] = {}
    for name, ref in sorted(store.stations().items()):
        by_step.setdefault(ref.step, []).append(name)
    lines: dict[str, list[StepSummary]] = {}
    for s in store.steps():
        lines.setdefault(s.line, []).append(
            StepSummary(
                name=s.name,
                line=s.line,
                process=s.process,
                position=s.position,
                stations=by_step.get(s.name, []),
            )
        )
    return Plant(
        site=store.site,
        lines=[LineSummary(name=n, site=store.site, steps=steps) for n, steps in lines.items()],
    )


def find_line(plant: Plant, line: str) -> LineSummary:
    """The line called ``line``; a :class:`NotFoundError` naming the lines there are."""
    for ln in plant.lines:
        if ln.name == line:
            return ln
    known = ", ".join(repr(ln.name) for ln in plant.lines) or "none registered"
    raise NotFoundError("line", line, "line", f"lines: {known}")


def find_step(plant: Plant, step: str) -> StepSummary:
    """The step called ``step`` (of any line); a :class:`NotFoundError` if there is none."""
    for ln in plant.lines:
        for s in ln.steps:
            if s.name == step:
                return s
    raise NotFoundError("step", step, "step")
