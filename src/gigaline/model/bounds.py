"""The allowed range of every number a line file (or a command) may give, in one place.

A value outside its range is a mistake, not a model: ``capacity_ah: 1e308`` or a gamma
``shape: 1e-300`` would only make the planner and the simulation overflow, divide by zero or run
without end. Each :class:`Bound` is physically reasoned (the reason is in docs/line-file.md,
"Allowed ranges"), checks a value once at the edge, and says in its message what is allowed.
Inside the bounds everything downstream stays finite.

A bound is a pydantic validator too: ``Annotated[float, CAPACITY_AH]`` checks the field after
its unit is converted; from plain code, :meth:`Bound.problem` gives the message or ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Bound", "finite_number"]

_DAY_S = 86400.0


def finite_number(value: float) -> str:
    """A number as people write it: ``100,000``, ``0.01``, ``1e-06``, ``2.5e+15``."""
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return repr(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:g}"


@dataclass(frozen=True)
class Bound:
    """A closed (or, with ``low_open``, half-open) range of finite numbers.

    ``low`` and ``high`` are in SI (or in the unit the field's name carries); ``shown`` gives
    their human form (``("1 ms", "3,650 d")``) where a plain number would not say the unit.
    """

    low: float
    high: float
    unit: str = ""
    low_open: bool = False
    shown: tuple[str, str] | None = None

    def allowed(self) -> str:
        """What is allowed, e.g. ``"> 0 and <= 1"`` or ``">= 1 ms and <= 3,650 d"``."""
        lo, hi = self.shown or (self._show(self.low), self._show(self.high))
        return f"{'>' if self.low_open else '>='} {lo} and <= {hi}"

    def _show(self, value: float) -> str:
        text = finite_number(value)
        return f"{text} {self.unit}" if self.unit else text

    def problem(self, value: float) -> str | None:
        """The message for ``value`` outside the range (``None`` when it is allowed)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number {self.allowed()}"
        if not isinstance(value, int) and not math.isfinite(value):  # ints are exact, any size
            return f"must be a finite number {self.allowed()}"
        below = value <= self.low if self.low_open else value < self.low
        if below or value > self.high:
            return f"must be {self.allowed()}"
        return None

    def __call__(self, value: float) -> float:
        """Pydantic after-validator: ``value`` unchanged, or ValueError saying what is allowed."""
        message = self.problem(value)
        if message is not None:
            raise ValueError(message)
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """As ``Annotated`` metadata: check the field (after its unit is converted)."""
        return core_schema.no_info_after_validator_function(self, handler(source))


def _shown(low: float, high: float, low_text: str, high_text: str, open_: bool = False) -> Bound:
    """A bound in SI whose ends are shown in the unit people use (``"1 ms"``, ``"3,650 d"``)."""
    return Bound(low, high, low_open=open_, shown=(low_text, high_text))


# --- time ---------------------------------------------------------------------------------

#: Longest time anywhere in a line: 10 years. Aging, the longest process, takes weeks; an MTBF
#: beyond ten years is a machine that does not fail within its life (leave ``failures`` out).
TIME_MAX_S = 3650 * _DAY_S
#: Any time parameter of a distribution (a value, sd, low, mode, high, an observed time).
TIME = _shown(0.0, TIME_MAX_S, "0 s", "3,650 d")
#: A time that must be positive (a mean, a scale, the top of a range).
POSITIVE_TIME = _shown(0.0, TIME_MAX_S, "0 s", "3,650 d", open_=True)
#: The mean of every cycle, dwell, failure and repair time: at least 1 ms, so that a
#: simulated day holds at most ~10^8 events per machine.
MEAN_TIME = _shown(1e-3, TIME_MAX_S, "1 ms", "3,650 d")
#: Gamma shape k: coefficient of variation 1/sqrt(k), from 10 (k = 0.01) to 0.01 (k = 10^4).
GAMMA_SHAPE = Bound(0.01, 10_000.0)
#: Weibull shape beta: failure and process data lie within 0.5-5; below 0.1 the mean is over
#: 3.6 million scales (Gamma(11)), above 100 the time is fixed in all but name.
WEIBULL_SHAPE = Bound(0.1, 100.0)
#: Planned maintenance interval: an hour to ten years (shorter stops are failures or micro-stops).
MAINTENANCE_EVERY = _shown(3600.0, TIME_MAX_S, "1 h", "3,650 d")

# --- the calendar -------------------------------------------------------------------------

#: Scheduled hours: at least one a year (a line never scheduled plans infinite machines), at
#: most a leap year, 366 x 24.
HOURS_PER_YEAR = Bound(1.0, 8784.0)
DAYS_PER_YEAR = Bound(1.0, 366.0)
SHIFTS_PER_DAY = Bound(1, 4)
HOURS_PER_SHIFT = Bound(0.1, 24.0)
#: Share of scheduled time planned maintenance may take: a line stopped more than half its
#: scheduled time is not producing (real plants plan a few per cent).
MAINTENANCE_SHARE = Bound(0.0, 0.5, low_open=True)

# --- the cell -----------------------------------------------------------------------------

#: 10 mAh (small wearable cells) to 10,000 Ah; the largest storage cells hold about 1,000 Ah.
CAPACITY_AH = Bound(0.01, 10_000.0, "Ah")
#: No cell chemistry is below 1 V (NiMH 1.2, LTO 2.4) or above 5 V; 10 V leaves bipolar stacks.
VOLTAGE_V = Bound(1.0, 10.0, "V")
#: Cell and electrolyte mass, 0.1 g to 100 kg (the largest cells weigh ~20 kg).
MASS = _shown(1e-4, 100.0, "0.1 g", "100 kg")
SHEETS_PER_CELL = Bound(1, 10_000)
#: Electrode sheet width or height: 1 mm to 100 m (a wound electrode is one sheet, metres long).
SHEET_LENGTH = _shown(1e-3, 100.0, "1 mm", "100 m")
#: Electrode or separator area in one cell: 1 cm2 to 1,000 m2 (a 280 Ah cell has ~20 m2).
AREA = _shown(1e-4, 1000.0, "1 cm2", "1,000 m2")
#: Coating per side: 0.1 to 200 mg/cm2 (gigafactory electrodes 10-30, thick dry ones ~100).
AREAL_MASS = _shown(1e-3, 2.0, "0.1 mg/cm2", "200 mg/cm2")
#: A share of a whole (active fraction, yield).
SHARE = Bound(0.0, 1.0, low_open=True)
#: Solids in the wet slurry (mass share): wet coating runs at 40-75 %; below 5 % or above 95 %
#: it is no slurry (a dry-coated electrode has none: leave the field out).
SLURRY_SOLIDS = Bound(0.05, 0.95)
#: Current collector foil: 1 um to 1 mm (gigafactory foils are 6-20 um).
FOIL_THICKNESS = _shown(1e-6, 1e-3, "1 um", "1 mm")
#: Any solid: lithium 534 kg/m3 to osmium 22,590 kg/m3, the densest element.
DENSITY_KG_M3 = Bound(500.0, 25_000.0, "kg/m3")

# --- steps --------------------------------------------------------------------------------

MACHINES = Bound(1, 100_000)
#: Units per batch: formation racks and ovens hold hundreds to thousands of cells.
BATCH_SIZE = Bound(1, 1_000_000)
#: Units one dwell machine holds: an aging room holds 10^4-10^6 cells.
CAPACITY = Bound(1, 10_000_000)
#: Web speed: 0.1 to 1,000 m/min (coaters run 5-150 m/min, slitters up to ~300 m/min).
SPEED = _shown(0.1 / 60.0, 1000.0 / 60.0, "0.1 m/min", "1,000 m/min")
#: Coated web width: 1 mm to 10 m (gigafactory coaters are 1-2 m wide).
WIDTH = _shown(1e-3, 10.0, "1 mm", "10 m")
#: Work units per cell: 10^-6 (a unit of a million cells) to 10^6 (e.g. grams per cell).
UNITS_PER_CELL = Bound(1e-6, 1e6)
BUFFER_AFTER = Bound(0, 100_000_000)
#: The price of one machine: up to 10 billion USD (the dearest single production machines,
#: EUV scanners, cost ~0.2 billion; a cell plant's machines cost thousands to tens of millions).
UNIT_PRICE_USD = Bound(0.0, 1e10, "USD", low_open=True)
#: A step's nominal capacity [cells/s]: the whole world makes ~300 cells a second.
STEP_CELLS_PER_S = Bound(0.0, 1e6, "cells/s", low_open=True)
#: Of the units a step starts, the share that ends in good cells: at least one in a million.
YIELD_TO_END = Bound(1e-6, 1.0)

# --- targets ------------------------------------------------------------------------------

#: What a line (or a phase) must make [GWh/yr]: the largest plants plan 100-200 GWh/yr, the
#: world made ~2,000 GWh of cells in 2024; 1,000 GWh/yr for one line design is the ceiling.
GWH_PER_YEAR = Bound(0.0, 1000.0, "GWh/yr", low_open=True)
PHASE_YEAR = Bound(1990, 2100, shown=("1990", "2100"))
#: First year of production, for the production credits: this century.
START_YEAR = Bound(2000, 2100, shown=("2000", "2100"))

# --- quality ------------------------------------------------------------------------------

#: Spec limits and targets of any parameter, in its own unit: finite, and small enough that
#: differences and squares of two limits stay finite.
PARAMETER = Bound(-1e15, 1e15)
GRADE_LIMITS = {
    "capacity_ah": Bound(0.0, 10_000.0, "Ah"),
    "dcir_mohm": Bound(0.0, 100_000.0, "mOhm"),
    "ocv_v": Bound(0.0, 10.0, "V"),
    "k_mv_per_day": Bound(-10_000.0, 10_000.0, "mV/d"),
}
CELLS_PER_MODULE = Bound(1, 10_000)
SPREAD_AH = Bound(0.0, 10_000.0, "Ah")
SPREAD_MOHM = Bound(0.0, 100_000.0, "mOhm")
SPREAD_MV = Bound(0.0, 10_000.0, "mV")

# --- runs (command-line values and the simulation API) -------------------------------------

#: Simulated horizon (warm-up and measured days together): at most 100 years, several plant
#: lives; a year of the 20 GWh reference line takes 27-29 s (docs/simulation.md).
MAX_RUN_DAYS = 36_525
RUN_DAYS = Bound(0.0, MAX_RUN_DAYS, "days", low_open=True)
WARMUP_DAYS = Bound(0.0, MAX_RUN_DAYS, "days")
#: Replications: confidence intervals shrink as 1/sqrt(n); 10,000 give 1 % of one run's spread.
REPLICATIONS = Bound(1, 10_000)
#: Seeds of the random streams: non-negative, within a signed 64-bit integer.
SEED = Bound(0, 2**63 - 1)
#: Worker processes of one machine (``--workers``): more than a large server's cores only adds
#: start-up time and memory (each worker loads the compiled kernel, ~300 MB).
WORKERS = Bound(1, 1024)
#: Designs an optimisation tries (``--trials``): each is at least one simulation; the search
#: spaces of a line's machine counts and buffers are explored in hundreds to thousands.
TRIALS = Bound(1, 100_000)
#: Sobol base samples N (``--samples``): N x (factors + 2) designs; 2^16 already gives
#: indices to a few thousandths, beyond it no study finishes.
SOBOL_SAMPLES = Bound(2, 65_536)
#: Months of a ramp-up the twin runs (``ramp --simulate``): at most the longest run, 100 years.
RAMP_MONTHS = Bound(1, 1200, shown=("1 month", "1,200 months"))

# --- the MES (command-line values) ---------------------------------------------------------

#: Events per ingest transaction (``--batch-size``): a batch is held in memory, about 1 kB an
#: event; past ~10^5 larger batches ingest no faster, and 10^6 is already about 1 GB.
INGEST_BATCH = Bound(1, 1_000_000)
#: The number of a stored row (``release HOLD``, ``token revoke ID``): a table's key, a positive
#: 64-bit integer.
ROW_ID = Bound(1, 2**63 - 1)
#: Records per SPC subgroup (``--subgroup``): X-bar charts need 2 or more; range constants are
#: computed up to 100, and subgroups of thousands make a chart of a handful of points.
SUBGROUP = Bound(2, 10_000)
#: Points of an SPC baseline (``--baseline``): phase I needs at least 2 points to estimate.
BASELINE = Bound(2, 2**63 - 1)
