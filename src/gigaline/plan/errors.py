"""The errors of :mod:`gigaline.plan`: a line or an input the planner cannot use."""

from __future__ import annotations

from gigaline.errors import GigalineError

__all__ = ["CapacityError", "PlanError", "PlanInputError"]


class PlanError(GigalineError, ValueError):
    """A line that cannot be planned as asked (no target, a step that cannot run), or an input
    out of its range (a negative rate, a zero baseline). Also a ``ValueError``."""


class CapacityError(PlanError):
    """A capacity question without an answer (no machine capacity, no steps)."""


class PlanInputError(PlanError):
    """A number given to a planning function that it cannot use (negative, zero, missing)."""
