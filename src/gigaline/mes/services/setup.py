"""Registering a line in the MES (``gigaline mes init``).

From the line file: site and area (``line.site``), the line, one *step* per process step (its
route position, kind, process, branch and work unit), and per step one *station* per machine,
named ``<step id>-<k>`` (k = 1..machines, :func:`gigaline.model.naming.station_names`), each
with one piece of *equipment* of the step's process; and the line's ``quality`` section (spec
limits, grades, matching) for SPC and grading. Running it again adds what is missing, replaces
the quality section with the line file's and changes nothing else.

For live OEE (:mod:`gigaline.mes.services.oee`) it also stores the line's ``calendar`` (its
planned stops) and each step's planned run time per item of one station (ISO 22400-2 PRI,
:meth:`gigaline.model.Line.pri_s_per_cell`), for the steps whose records are per cell
(``unit: cell``; an electrode step's records are per coil or batch of varying size, so its
performance is left undefined); running it again replaces both.
"""

from __future__ import annotations

from gigaline.mes.ports import LineLayout, LineRegistry, StepLayout
from gigaline.mes.services.models import LineSetup
from gigaline.model import Line
from gigaline.model.naming import station_names

__all__ = ["init_line", "line_layout"]


def line_layout(line: Line) -> LineLayout:
    """What of ``line`` the MES registers: site, area, line, quality settings, steps, stations."""
    quality = line.quality.model_dump_json() if line.quality is not None else None
    steps = tuple(
        StepLayout(
            name=step.id,
            position=position,
            kind=step.kind,
            process=step.process,
            branch=step.branch,
            unit=step.unit,
            stations=tuple(station_names(step.id, step.machines)),
            equipment_kind=step.process or step.kind,
            pri_s=line.pri_s_per_cell(step) if step.unit == "cell" else None,
        )
        for position, step in enumerate(line.steps, start=1)
    )
    calendar = line.calendar.model_dump_json()
    return LineLayout(line.site.name, line.site.area, line.name, quality, steps, calendar)


def init_line(store: LineRegistry, line: Line) -> LineSetup:
    """Register the line's site, area, line, steps, stations and equipment; a summary."""
    added = store.register_line(line_layout(line))
    return LineSetup(
        site=line.site.name,
        area=line.site.area,
        line=line.name,
        steps=len(line.steps),
        stations=sum(s.machines for s in line.steps),
        stations_added=added,
    )
