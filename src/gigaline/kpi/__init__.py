"""Key performance indicators shared by the simulation and the MES (layer 0, pure maths).

:mod:`gigaline.kpi.oee` implements OEE and its factors per ISO 22400-2:2014;
:mod:`gigaline.kpi.flow` holds flow relations (Little's law) and replication statistics.

:mod:`~gigaline.kpi.flow` (SciPy's t distribution) is loaded on first use of one of its names,
so that live OEE (:mod:`gigaline.mes.services.oee`) loads no SciPy.
"""

from typing import TYPE_CHECKING, Any

from gigaline.kpi.oee import (
    EFFECTIVENESS_ABOVE_ONE,
    OEE,
    availability,
    effectiveness,
    effectiveness_above_one,
    oee,
    oee_factors,
    oee_from_times,
    quality_rate,
)

if TYPE_CHECKING:
    from gigaline.kpi.flow import MeanCI, little_lead_time_s, mean_ci95, paired_ci95, welch_ci95

_FLOW = frozenset({"MeanCI", "little_lead_time_s", "mean_ci95", "paired_ci95", "welch_ci95"})


def __getattr__(name: str) -> Any:
    if name in _FLOW:
        from gigaline.kpi import flow

        return getattr(flow, name)
    raise AttributeError(f"module 'gigaline.kpi' has no attribute {name!r}")


__all__ = [
    "EFFECTIVENESS_ABOVE_ONE",
    "OEE",
    "MeanCI",
    "availability",
    "effectiveness",
    "effectiveness_above_one",
    "little_lead_time_s",
    "mean_ci95",
    "oee",
    "oee_factors",
    "oee_from_times",
    "paired_ci95",
    "quality_rate",
    "welch_ci95",
]
