"""The line calendar as planned-stop intervals: :mod:`gigaline.model.calendar` (the layout is
part of the line's description, and the MES reads it without loading the simulation)."""

from gigaline.model.calendar import DAY_S, planned_stop_seconds, planned_stops

__all__ = ["DAY_S", "planned_stop_seconds", "planned_stops"]
