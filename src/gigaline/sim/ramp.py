"""The twin through a ramp-up: the line's parameters follow its learning curves over simulated
time.

The line file's ``ramp`` section (:class:`gigaline.model.Ramp`) gives each step's yield,
availability and speed as a share of its steady value, month by month after the start of
production. The twin simulates that in day-long segments: at every day boundary the run
stops (``run_replication``'s state hook), the step parameters of the compiled line are set to
that day's values, and the run goes on from the same state (cells in process, machines down,
buffers, random streams), so no kernel change is needed. Within a day the parameters are
constant; a job drawn before a boundary keeps its time (one job of lag at most).

What a factor changes in the compiled arrays:

* yield: the step's scrap probability, 1 - yield x f_yield;
* speed: the step's cycle-time distribution scaled in time by 1 / f_speed (every kind of
  distribution: a fixed value, a mean, a scale, lognormal mu + ln k, empirical values), not on
  dwell steps, whose holds last what the chemistry needs;
* availability, on steps with failures: the repair-time distribution scaled by m so that
  MTBF / (MTBF + m MTTR) = f_availability x MTBF / (MTBF + MTTR).

The factors are the line model's (:meth:`gigaline.model.Ramp.step_factors`), the same the
planner's ramp uses; the tests compare the twin with the planner month by month.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from gigaline.kpi import mean_ci95
from gigaline.model import Line, Ramp
from gigaline.sim._layout import (
    D_EMPIRICAL,
    D_GAMMA,
    D_LOGNORMAL,
    D_NORMAL,
    D_TRIANGULAR,
    D_UNIFORM,
    D_WEIBULL,
    G_GOOD,
    G_N_IN,
    SF_MEAN,
    SF_SCRAP,
    SI_DIST,
    SI_MTTR,
    ST_SCRAP,
)
from gigaline.sim.compile import CompiledLine, SimulationError, compile_line
from gigaline.sim.runner import run_replication
from gigaline.sim.state import KernelState

__all__ = ["MONTH_S", "TwinRamp", "simulate_ramp"]

#: One month of simulated time [s]: a year / 12 (365.25 days).
MONTH_S = 365.25 / 12.0 * 86400.0
FloatArray = npt.NDArray[np.float64]


def _scale_time(
    c: CompiledLine, base_dp: FloatArray, base_emp: FloatArray, d: int, k: float
) -> None:
    """Distribution ``d`` of ``c`` = its base scaled in time by ``k``."""
    kind = int(c.DK[d])
    p = base_dp[d].copy()
    if kind == D_LOGNORMAL:
        p[0] += math.log(k)
    elif kind == D_EMPIRICAL:
        off, n = int(p[0]), int(p[1])
        c.EMP[off : off + n] = base_emp[off : off + n] * k
    elif kind in (D_NORMAL, D_UNIFORM):
        p[:2] *= k
    elif kind == D_TRIANGULAR:
        p *= k
    elif kind in (D_GAMMA, D_WEIBULL):  # (shape, scale)
        p[1] *= k
    else:  # fixed, exponential: (value or mean)
        p[0] *= k
    c.DP[d] = p


@dataclass
class _Base:
    dp: FloatArray
    emp: FloatArray
    sf: FloatArray


def _apply(c: CompiledLine, base: _Base, ramp: Ramp, t_months: float, transfer: float) -> None:
    """Set the compiled line's step parameters to their values ``t_months`` into the ramp."""
    for i, step in enumerate(c.line.steps):
        fy, fa, fv = ramp.step_factors(step, t_months, transfer)
        c.SF[i, SF_SCRAP] = 1.0 - step.yield_ * fy
        k = 1.0 / fv
        _scale_time(c, base.dp, base.emp, int(c.SI[i, SI_DIST]), k)
        c.SF[i, SF_MEAN] = base.sf[i, SF_MEAN] * k
        if step.failures is not None and fa < 1.0:
            up, down = step.failures.mtbf.mean_s, step.failures.mttr.mean_s
            a = fa * up / (up + down)
            _scale_time(c, base.dp, base.emp, int(c.SI[i, SI_MTTR]), up * (1.0 / a - 1.0) / down)
        elif step.failures is not None:
            _scale_time(c, base.dp, base.emp, int(c.SI[i, SI_MTTR]), 1.0)


def _run_one(
    line: Line, months: float, seed: int, replication: int, transfer: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """One replication of the ramp: per day, cumulative good cells, cells entered, main-chain
    scrap and branch scrap (cell equivalents)."""
    ramp = line.ramp
    assert ramp is not None
    c = compile_line(line)  # this run's own arrays: they change as the ramp goes
    base = _Base(c.DP.copy(), c.EMP.copy(), c.SF.copy())
    main = np.array([s.branch is None for s in line.steps])
    days = math.ceil(months * MONTH_S / 86400.0)
    rows = np.zeros((days + 1, 4))

    def hook(st: KernelState, t: float) -> None:
        d = round(t / 86400.0)
        scrap = st.ST[:, ST_SCRAP]
        rows[d] = (st.G[G_GOOD], st.G[G_N_IN], scrap[main].sum(), scrap[~main].sum())
        _apply(c, base, ramp, t / MONTH_S, transfer)

    _apply(c, base, ramp, 0.0, transfer)
    run_replication(c, float(days), 0.0, seed, replication, state_hook=hook)
    return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]


def _task(args: tuple[Line, float, int, int, float]) -> tuple[FloatArray, ...]:
    return _run_one(*args)


@dataclass(frozen=True)
class TwinRamp:
    """Replications of the twin through the ramp, summed by month."""

    line: Line
    months: int
    seed: int
    transfer: float
    #: per replication: cumulative good, entered, main scrap, branch scrap at each day
    runs: tuple[tuple[FloatArray, ...], ...]
    wall_s: float = 0.0

    def _monthly(self, col: int) -> np.ndarray:  # type: ignore[type-arg]
        edges = np.floor(np.arange(self.months + 1) * MONTH_S / 86400.0).astype(int)
        return np.array([np.diff(r[col][edges]) for r in self.runs])

    @property
    def monthly(self) -> pd.DataFrame:
        """Per month: good cells, GWh, main-chain scrap and its share (means over
        replications), and the 95 % half width of the GWh."""
        kwh = self.line.cell.energy_kwh
        good = self._monthly(0)
        scrap = self._monthly(2)
        gwh = good * kwh / 1e6
        cis = [mean_ci95(list(gwh[:, m])) for m in range(self.months)]
        g, s = good.mean(axis=0), scrap.mean(axis=0)
        return pd.DataFrame(
            {
                "good_cells": g,
                "gwh": [ci.mean for ci in cis],
                "gwh_half_width": [ci.half_width for ci in cis],
                "scrap_cells": s,
                "scrap_share": np.where(g + s > 0, s / np.maximum(g + s, 1e-300), np.nan),
                "electrode_scrap_cell_equivalents": self._monthly(3).mean(axis=0),
            },
            index=pd.Index(np.arange(self.months), name="month"),
        )


def simulate_ramp(
    line: Line,
    months: int,
    *,
    replications: int = 1,
    seed: int = 0,
    transfer: float = 0.0,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
) -> TwinRamp:
    """Simulate ``months`` of one line of ``line``'s design from its start of production,
    its parameters following the ramp section's learning curves (``transfer``: a copied
    line's head start, as in a later phase). Replications run on ``executor`` (None: here)."""
    if line.ramp is None:
        raise SimulationError(f"line {line.name!r} has no ramp section to simulate")
    if months < 1:
        raise SimulationError(f"months must be at least 1 (got {months})")
    t0 = time.perf_counter()
    tasks = [(line, float(months), seed, i, transfer) for i in range(replications)]
    out: dict[int, tuple[FloatArray, ...]] = {}
    if executor is None:
        for i, t in enumerate(tasks):
            out[i] = _task(t)
            if progress is not None:
                progress(len(out) / replications)
    else:
        from concurrent.futures import as_completed

        futures = {executor.submit(_task, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            if progress is not None:
                progress(len(out) / replications)
    runs = tuple(out[i] for i in range(replications))
    return TwinRamp(line, months, seed, transfer, runs, time.perf_counter() - t0)
