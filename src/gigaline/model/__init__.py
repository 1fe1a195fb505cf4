"""The line description: schema, units, loader and reference data (layer 0, no I/O beyond
its own loader)."""

from gigaline.model.cell import Cell, CellDesign, ElectrodeDesign
from gigaline.model.distributions import Distribution
from gigaline.model.load import load_line, parse_line
from gigaline.model.ramp import LearningCurve, PhaseRamp, Ramp
from gigaline.model.schema import Calendar, Failures, Line, Phase, Step, Target

__all__ = [
    "Calendar",
    "Cell",
    "CellDesign",
    "Distribution",
    "ElectrodeDesign",
    "Failures",
    "LearningCurve",
    "Line",
    "Phase",
    "PhaseRamp",
    "Ramp",
    "Step",
    "Target",
    "load_line",
    "parse_line",
]
