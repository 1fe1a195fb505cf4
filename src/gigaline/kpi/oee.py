"""Overall equipment effectiveness per ISO 22400-2:2014, clause 6.10 (KPIs for manufacturing
operations management), in the standard's own terms:

* PBT, planned busy time: planned operation time less planned downtime [s];
* APT, actual production time: the time the work unit actually produces [s];
* PRI, planned run time per item: the nominal time one item takes on the work unit [s];
* PQ, produced quantity; GQ, good quantity.

Availability = APT / PBT; effectiveness (performance) = PRI x PQ / APT; quality rate = GQ / PQ;
OEE = availability x effectiveness x quality rate = GQ x PRI / PBT.

:func:`oee_factors` is the one place both the twin (:mod:`gigaline.sim.results`) and the MES
(:mod:`gigaline.mes.services.oee`) turn those elements into the three factors, from the planned
operation time POT and the planned downtime PDOT (PBT = POT - PDOT): the same state times and
counts give bit for bit the same factors in both.

Worked example (the standard's relations; numbers from the OPC UA MachineTool companion
specification's illustration, reference.opcfoundation.org, MachineTool v1.01 C.2.4): PBT 1,440,
APT 1,200, PRI 1, PQ 1,100, GQ 1,080 gives A = 0.8333, E = 0.9167, Q = 0.9818, OEE = 0.75.

Where a factor's denominator is zero (no planned busy time, nothing produced) the factor is NaN:
the KPI is undefined, not zero. The functions take scalars or numpy arrays.

Effectiveness above 1 is kept as computed, never capped: the standard defines it as the ratio
PRI x PQ / APT, and only uncapped factors multiply to OEE = GQ x PRI / PBT, the identity the twin
and the MES are checked by. A value above 1 says that more was made in the actual production
time than the planned run time per item allows: on a real line, a PRI slower than the machine
runs (the usual cause: fix the line file's cycle time) or production time not recorded; in the
twin, random cycle times that came out faster than their mean in a finite window, or jobs begun
before the window and finished in it. Capping it would hide exactly that. Every table that
shows a factor above 1 marks it and prints :data:`EFFECTIVENESS_ABOVE_ONE`
(:func:`effectiveness_above_one` says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "EFFECTIVENESS_ABOVE_ONE",
    "OEE",
    "availability",
    "effectiveness",
    "effectiveness_above_one",
    "oee",
    "oee_factors",
    "oee_from_times",
    "quality_rate",
]

X = TypeVar("X", float, npt.NDArray[np.float64])


def _ratio(num: X, den: X) -> X:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(np.asarray(den) > 0, np.asarray(num, dtype=float) / np.asarray(den), np.nan)
    if np.ndim(out) == 0:
        return float(out)  # type: ignore[return-value]
    return out  # type: ignore[return-value]


def availability(apt_s: X, pbt_s: X) -> X:
    """Availability = APT / PBT (actual production time over planned busy time)."""
    return _ratio(apt_s, pbt_s)


def effectiveness(pri_s: X, pq: X, apt_s: X) -> X:
    """Effectiveness (performance) = PRI x PQ / APT."""
    work: X = np.asarray(pri_s) * np.asarray(pq)
    return _ratio(work, apt_s)


#: The footnote of a table with a performance (effectiveness) above 1: why, and why not capped.
EFFECTIVENESS_ABOVE_ONE = (
    "performance above 1: more was made in the working time than the planned run time per "
    "item allows (PRI x PQ > APT). In the twin: random cycles faster than their mean, or jobs "
    "begun before the window; on a line: a PRI slower than the machine runs, or production "
    "time not recorded. Not capped: ISO 22400-2's OEE = A x E x Q = GQ x PRI / PBT"
)


def effectiveness_above_one(e: X, tol: float = 1e-9) -> bool | npt.NDArray[np.bool_]:
    """Whether an effectiveness is above 1 by more than ``tol`` (NaN: no). Scalars or arrays."""
    out = np.asarray(e, dtype=float) > 1.0 + tol
    return bool(out) if out.ndim == 0 else out


def quality_rate(gq: X, pq: X) -> X:
    """Quality rate = GQ / PQ (good over produced quantity)."""
    return _ratio(gq, pq)


def oee(a: X, e: X, q: X) -> X:
    """OEE = availability x effectiveness x quality rate."""
    return a * e * q  # type: ignore[return-value,operator]


def oee_factors(pot_s: X, pdot_s: X, apt_s: X, pri_s: X, pq: X, gq: X) -> tuple[X, X, X]:
    """(availability, effectiveness, quality rate) of work units from the ISO 22400-2 elements.

    ``pot_s``: planned operation time; ``pdot_s``: planned downtime inside it (planned busy time
    PBT = POT - PDOT); ``apt_s``: actual production time; ``pri_s``: planned run time per item;
    ``pq``, ``gq``: produced and good quantity. Scalars or arrays (one entry per work unit).
    """
    pbt: X = np.asarray(pot_s) - np.asarray(pdot_s)  # type: ignore[assignment]
    return availability(apt_s, pbt), effectiveness(pri_s, pq, apt_s), quality_rate(gq, pq)


@dataclass(frozen=True)
class OEE:
    """The three factors and their product for one work unit (or arrays of work units)."""

    availability: float
    effectiveness: float
    quality_rate: float

    @property
    def oee(self) -> float:
        return self.availability * self.effectiveness * self.quality_rate


def oee_from_times(pbt_s: float, apt_s: float, pri_s: float, pq: float, gq: float) -> OEE:
    """All factors from the ISO 22400-2 elements of one work unit."""
    return OEE(
        availability=availability(apt_s, pbt_s),
        effectiveness=effectiveness(pri_s, pq, apt_s),
        quality_rate=quality_rate(gq, pq),
    )
