"""The planner's errors: one :class:`PlanError` family under :class:`GigalineError`."""

from __future__ import annotations

from gigaline.errors import GigalineError

__all__ = ["CapacityError", "PlanError", "PlanInputError"]


class PlanError(GigalineError):
    """A line that cannot be planned as asked (no target, a step that cannot run)."""


class CapacityError(PlanError):
    """A capacity question without an answer (no machine capacity, no steps)."""


class PlanInputError(PlanError):
    """A number given to a planning function that it cannot use (negative, zero, missing)."""
