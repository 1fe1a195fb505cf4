"""Key performance indicators shared by the simulation and the MES (layer 0, pure maths).

:mod:`gigaline.kpi.oee` implements OEE and its factors per ISO 22400-2:2014;
:mod:`gigaline.kpi.flow` holds flow relations (Little's law) and replication statistics.
"""

from gigaline.kpi.flow import MeanCI, little_lead_time_s, mean_ci95, paired_ci95, welch_ci95
from gigaline.kpi.oee import (
    OEE,
    availability,
    effectiveness,
    oee,
    oee_factors,
    oee_from_times,
    quality_rate,
)

__all__ = [
    "OEE",
    "MeanCI",
    "availability",
    "effectiveness",
    "little_lead_time_s",
    "mean_ci95",
    "oee",
    "oee_factors",
    "oee_from_times",
    "paired_ci95",
    "quality_rate",
    "welch_ci95",
]
