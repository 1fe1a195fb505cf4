"""Compile a :class:`~gigaline.model.Line` into the static arrays the kernel runs on.

What a *job* is at each step (the simulation's unit of work) is decided here:

* cell steps (``unit: cell``, one unit per cell): one cell per cycle, one job per cycle;
* batch steps: one batch per job, ``batch_size / units_per_cell`` cells;
* dwell steps: every place of every machine is a server holding one unit;
* sub-cell units (electrode sheets, ~100 per cell): a job is one cell's worth, ``n`` cycles,
  timed as the sum of ``n`` cycles (mean and variance kept, one random draw);
* continuous steps (metres of web): a job is one coil of ``coil_length_m`` metres rounded to
  whole cells, at the nominal speed: electrode material moves between continuous machines in
  coils, and coil jobs keep a year of electrode making to ~10^5 jobs instead of ~10^9 metres.

Buffers hold cell equivalents: ``buffer_after`` (in the step's unit) divided by
``units_per_cell``. A merge step takes one cell equivalent from each input per cell.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gigaline.errors import GigalineError
from gigaline.model import Line, Step
from gigaline.model.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Normal,
    Triangular,
    Uniform,
    Weibull,
)
from gigaline.sim._layout import (
    D_EMPIRICAL,
    D_EXPONENTIAL,
    D_FIXED,
    D_GAMMA,
    D_LOGNORMAL,
    D_NORMAL,
    D_TRIANGULAR,
    D_UNIFORM,
    D_WEIBULL,
    KIND_BATCH,
    KIND_CONTINUOUS,
    KIND_DISCRETE,
    KIND_DWELL,
    MAX_IN,
    N_SF,
    N_SI,
    SF_MEAN,
    SF_NCYC,
    SF_SCRAP,
    SI_BUFCAP,
    SI_CALENDAR_FAIL,
    SI_CONS,
    SI_DIST,
    SI_ENTRY,
    SI_EXEMPT,
    SI_FIFO,
    SI_IN0,
    SI_JOB,
    SI_K,
    SI_KIND,
    SI_M0,
    SI_MAIN,
    SI_MTBF,
    SI_MTTR,
    SI_NIN,
    SI_NMACH,
    SI_NV,
    SI_V0,
)

__all__ = ["DEFAULT_COIL_LENGTH_M", "CompiledLine", "SimulationError", "compile_line"]

#: Metres of electrode web per coil job on continuous steps. Assumption: electrode mother rolls
#: after coating and calendering run to roughly 1,000-3,000 m; 1,000 m is the short end, which
#: keeps the transfer granularity between continuous machines fine.
DEFAULT_COIL_LENGTH_M = 1000.0

#: Servers (machines x dwell places) a line may have: ~130 bytes of state each, so 2 GiB.
MAX_SERVERS = 15_000_000

_KINDS = {"discrete": KIND_DISCRETE, "batch": KIND_BATCH, "dwell": KIND_DWELL}
_KINDS["continuous"] = KIND_CONTINUOUS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class SimulationError(GigalineError):
    """A line or a request the simulation cannot run (names the step and the value)."""


@dataclass(frozen=True)
class CompiledLine:
    """The static arrays of one line, and what each row means."""

    line: Line
    step_ids: tuple[str, ...]
    SI: IntArray
    SF: FloatArray
    DK: IntArray
    DP: FloatArray
    EMP: FloatArray
    units_per_cell: FloatArray
    #: planned run time per cell of one machine [s] (ISO 22400-2 PRI, in cells)
    pri_s_per_cell: FloatArray
    coil_length_m: float
    n_machines: int = field(init=False)
    n_servers: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_machines", int(self.SI[:, SI_NMACH].sum()))
        object.__setattr__(self, "n_servers", int((self.SI[:, SI_NMACH] * self.SI[:, SI_K]).sum()))

    @property
    def n_steps(self) -> int:
        return len(self.step_ids)

    def capacity_cells_per_s(self) -> FloatArray:
        """Nominal capacity of each step [cells/s]: machines / PRI, before losses."""
        return self.SI[:, SI_NMACH] / self.pri_s_per_cell


class _Dists:
    """Distribution table: kind, three parameters, and a pool of empirical values."""

    def __init__(self) -> None:
        self.kinds: list[int] = []
        self.params: list[tuple[float, float, float]] = []
        self.emp: list[float] = []

    def add(self, d: Distribution) -> int:
        self.kinds.append(_kind_of(d))
        self.params.append(self._params(d))
        return len(self.kinds) - 1

    def _params(self, d: Distribution) -> tuple[float, float, float]:
        if isinstance(d, Fixed):
            return (d.value, 0.0, 0.0)
        if isinstance(d, Exponential):
            return (d.mean, 0.0, 0.0)
        if isinstance(d, Normal):
            return (d.mean, d.sd, 0.0)
        if isinstance(d, Lognormal):
            mu, sigma = d.log_params
            return (mu, sigma, 0.0)
        if isinstance(d, Gamma | Weibull):
            return (d.shape, d.scale, 0.0)
        if isinstance(d, Uniform):
            return (d.low, d.high, 0.0)
        if isinstance(d, Triangular):
            return (d.low, d.mode, d.high)
        assert isinstance(d, Empirical)
        offset = len(self.emp)
        self.emp.extend(d.values)
        return (float(offset), float(len(d.values)), 0.0)


def _kind_of(d: Distribution) -> int:
    table: dict[type, int] = {
        Fixed: D_FIXED,
        Exponential: D_EXPONENTIAL,
        Normal: D_NORMAL,
        Lognormal: D_LOGNORMAL,
        Gamma: D_GAMMA,
        Weibull: D_WEIBULL,
        Uniform: D_UNIFORM,
        Triangular: D_TRIANGULAR,
        Empirical: D_EMPIRICAL,
    }
    return table[type(d)]


def _job(line: Line, step: Step, coil_length_m: float) -> tuple[int, float, Distribution, float]:
    """(cells per job, cycles per job, cycle distribution, PRI per cell of one machine [s])."""
    upc = line.units_per_cell(step)
    if step.kind == "continuous":
        assert step.speed_m_per_s is not None
        cells = max(1, round(coil_length_m / upc))
        seconds = cells * upc / step.speed_m_per_s
        # Built from validated numbers, not read from a file: a coil of a slow, wide web may
        # take longer than the 10-year bound of a time a line file may give.
        coil = Fixed.model_construct(value=seconds)
        return cells, 1.0, coil, line.pri_s_per_cell(step)
    assert step.cycle_time is not None
    per_cycle = 1 if step.kind == "dwell" else step.units_per_cycle  # dwell: per place
    cells_per_cycle = per_cycle / upc
    cells = max(1, round(cells_per_cycle))
    return cells, cells / cells_per_cycle, step.cycle_time, line.pri_s_per_cell(step)


def compile_line(line: Line, coil_length_m: float = DEFAULT_COIL_LENGTH_M) -> CompiledLine:
    """The kernel's static arrays for ``line`` (see the module doc for what a job is)."""
    if coil_length_m <= 0:
        raise SimulationError(f"coil_length_m must be positive (got {coil_length_m!r})")
    steps = line.steps
    flow = line.flow  # predecessors by position, computed once (Line.flow)
    S = len(steps)
    SI = np.zeros((S, N_SI), dtype=np.int64)
    SF = np.zeros((S, N_SF), dtype=np.float64)
    upc = np.zeros(S)
    pri = np.zeros(S)
    dists = _Dists()
    consumer = [-1] * S
    entry = flow.main[0] if flow.main else -1
    m0 = v0 = 0
    for i, step in enumerate(steps):
        preds = flow.feeds[i]
        if len(preds) > MAX_IN:
            raise SimulationError(
                f"step {step.id!r} merges {len(preds)} inputs; the simulation takes at most "
                f"{MAX_IN}"
            )
        for p in preds:
            consumer[p] = i
        cells, ncyc, dist, pri[i] = _job(line, step, coil_length_m)
        upc[i] = line.units_per_cell(step)
        k = (step.capacity or 1) if step.kind == "dwell" else 1
        SI[i, SI_KIND] = _KINDS[step.kind]
        SI[i, SI_JOB] = cells
        SI[i, SI_NMACH] = step.machines
        SI[i, SI_M0] = m0
        SI[i, SI_K] = k
        SI[i, SI_V0] = v0
        SI[i, SI_NV] = step.machines * k
        SI[i, SI_DIST] = dists.add(dist)
        SI[i, SI_MTBF] = dists.add(step.failures.mtbf) if step.failures else -1
        SI[i, SI_MTTR] = dists.add(step.failures.mttr) if step.failures else -1
        SI[i, SI_CALENDAR_FAIL] = int(
            step.failures is not None and step.failures.basis == "calendar"
        )
        SI[i, SI_EXEMPT] = int(step.kind == "dwell")
        # A fixed hold with no failures ends its jobs in the order they started (dwell steps
        # ignore the calendar): a ring replaces a million heap entries for 21-day aging.
        SI[i, SI_FIFO] = int(step.kind == "dwell" and dist.dist == "fixed" and not step.failures)
        SI[i, SI_BUFCAP] = int(step.buffer_after / upc[i] + 1e-9)
        SI[i, SI_MAIN] = int(step.branch is None)
        SI[i, SI_ENTRY] = int(i == entry)
        SI[i, SI_NIN] = len(preds)
        for j, p in enumerate(preds):
            SI[i, SI_IN0 + j] = p
        SF[i, SF_MEAN] = dist.mean_s
        SF[i, SF_NCYC] = ncyc
        SF[i, SF_SCRAP] = 1.0 - step.yield_
        m0 += step.machines
        v0 += step.machines * k
    SI[:, SI_CONS] = consumer
    if v0 > MAX_SERVERS:
        raise SimulationError(
            f"the line has {v0:,} servers (machines x dwell places); the simulation keeps one "
            f"row per server and takes at most {MAX_SERVERS:,}: give dwell steps fewer, larger "
            "places (a unit of several cells, units_per_cell < 1)"
        )
    return CompiledLine(
        line=line,
        step_ids=tuple(s.id for s in steps),
        SI=SI,
        SF=SF,
        DK=np.asarray(dists.kinds, dtype=np.int64),
        DP=np.asarray(dists.params, dtype=np.float64).reshape(-1, 3),
        EMP=np.asarray(dists.emp or [0.0], dtype=np.float64),
        units_per_cell=upc,
        pri_s_per_cell=pri,
        coil_length_m=coil_length_m,
    )


def stream_seeds(step_ids: tuple[str, ...], seed: int, replication: int) -> npt.NDArray[np.uint64]:
    """Initial states of the three streams of every step (processing, scrap, failures).

    Keyed by the step's id, not its position, so that adding a step or changing a buffer in a
    scenario leaves every other step's random numbers unchanged (common random numbers).
    """
    out = np.zeros(3 * len(step_ids), dtype=np.uint64)
    for i, sid in enumerate(step_ids):
        key = zlib.crc32(sid.encode("utf-8"))
        for purpose in range(3):
            ss = np.random.SeedSequence([seed, replication, key, purpose])
            out[3 * i + purpose] = ss.generate_state(1, dtype=np.uint64)[0]
    return out
