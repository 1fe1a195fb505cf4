"""What a simulation may ask of the machine, checked before it starts.

A run's memory grows with its horizon (hourly series, per step) and its servers; a request
such as ``days=1e7`` used to reach numpy as a 50 GiB allocation, and a NaN horizon as a crash
deep in the kernel. :func:`check_request` refuses values outside their bounds
(:mod:`gigaline.model.bounds`), and :func:`check_memory` a run whose arrays would not fit in
half of this machine's memory, saying what it would need and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gigaline.model import bounds
from gigaline.sim.compile import CompiledLine, SimulationError
from gigaline.sim.state import LEAD_TIME_SAMPLES, state_bytes

__all__ = ["MemoryNeed", "check_memory", "check_request", "memory_allowed", "memory_need"]

_GIB = 2**30
#: Where the operating system does not say how much memory there is (assumption: a laptop).
_FALLBACK_MEMORY = 16 * _GIB


def check_request(
    days: float, warmup_days: float = 0.0, seed: int = 0, replications: int = 1
) -> None:
    """Refuse a horizon, seed or number of replications outside its bounds (names which)."""
    for name, whole in (("seed", seed), ("replications", replications)):
        if isinstance(whole, bool) or not isinstance(whole, int):
            raise SimulationError(f"{name} {whole!r}: must be a whole number")
    for name, value, bound in (
        ("days", days, bounds.RUN_DAYS),
        ("warmup_days", warmup_days, bounds.WARMUP_DAYS),
        ("seed", seed, bounds.SEED),
        ("replications", replications, bounds.REPLICATIONS),
    ):
        message = bound.problem(value)
        if message is not None:
            raise SimulationError(f"{name} {value!r}: {message}")
    message = bounds.RUN_DAYS.problem(days + warmup_days)
    if message is not None:
        raise SimulationError(
            f"warmup_days + days = {days + warmup_days:,g}: the simulated horizon {message}"
        )


@dataclass(frozen=True)
class MemoryNeed:
    """The memory a simulation would take, and of what."""

    total_bytes: int
    per_run_bytes: int
    at_once: int
    record_bytes: int
    replications: int
    hours: int
    steps: int

    def describe(self) -> str:
        return (
            f"{_gib(self.total_bytes)}: {self.at_once} run(s) at once x "
            f"{_gib(self.per_run_bytes)} of state, and {self.replications} result(s) x "
            f"{_gib(self.record_bytes)} kept and averaged (hourly output of {self.steps:,} "
            f"steps over {self.hours:,} h)"
        )


def memory_need(
    c: CompiledLine,
    days: float,
    warmup_days: float = 0.0,
    replications: int = 1,
    workers: int | None = None,
) -> MemoryNeed:
    """The arrays a simulation of ``c`` allocates, sized up front (see the module doc).

    Each run in flight holds its kernel state (:func:`gigaline.sim.state.state_bytes`); each
    replication's result keeps its hourly series, counted twice: stored, and stacked once more
    while the replications are averaged.
    """
    horizon_s = (warmup_days + days) * 86400.0
    per_run = state_bytes(c, horizon_s, step_hourly=True)
    window_h = int(days * 24.0) + 1
    record = 8 * (
        window_h * (2 + c.n_steps) + LEAD_TIME_SAMPLES + 7 * c.n_machines + 11 * c.n_steps
    )
    at_once = min(replications, workers or os.cpu_count() or 1)
    return MemoryNeed(
        total_bytes=at_once * per_run + 2 * replications * record,
        per_run_bytes=per_run,
        at_once=at_once,
        record_bytes=record,
        replications=replications,
        hours=int(horizon_s // 3600.0),
        steps=c.n_steps,
    )


def memory_allowed() -> tuple[int, str]:
    """Bytes a simulation may use, and why: half of this machine's physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        where = f"half of this machine's {_gib(total)}"
    except (AttributeError, ValueError, OSError):  # not POSIX: assume a 16 GiB laptop
        total = _FALLBACK_MEMORY
        where = f"half of an assumed {_gib(total)} (this system does not report its memory)"
    return total // 2, where


def check_memory(
    c: CompiledLine,
    days: float,
    warmup_days: float = 0.0,
    replications: int = 1,
    workers: int | None = None,
) -> MemoryNeed:
    """Refuse a simulation whose arrays would exceed :func:`memory_allowed`."""
    need = memory_need(c, days, warmup_days, replications, workers)
    allowed, why = memory_allowed()
    if need.total_bytes > allowed:
        raise SimulationError(
            f"simulating {warmup_days:,g} + {days:,g} days of {c.line.name!r} "
            f"({replications} replication(s)) would need about {need.describe()}; allowed: "
            f"{_gib(allowed)} ({why}). Simulate fewer days, or fewer replications at once"
        )
    return need


def _gib(n: float) -> str:
    return f"{n / _GIB:,.1f} GiB" if n >= 0.1 * _GIB else f"{n / 2**20:,.1f} MiB"
