"""Replications: independent seeds, run in parallel local processes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Literal

from gigaline.model import Line
from gigaline.sim.budget import check_memory, check_request
from gigaline.sim.checks import emit
from gigaline.sim.compile import DEFAULT_COIL_LENGTH_M, SimulationError, compile_line
from gigaline.sim.results import SimResult
from gigaline.sim.runner import RunRecord, run_replication

__all__ = ["simulate"]


def simulate(
    line: Line,
    days: float = 30.0,
    warmup_days: float | Literal["auto"] = 0.0,
    replications: int = 1,
    seed: int = 0,
    *,
    workers: int | None = None,
    coil_length_m: float = DEFAULT_COIL_LENGTH_M,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Simulate ``line`` for ``days`` after ``warmup_days``, ``replications`` times.

    Replication ``i`` uses the streams of (``seed``, ``i``): independent across replications,
    and the same for the same step in another scenario run with the same seed (common random
    numbers). With several replications they run in up to ``workers`` local processes (default:
    the number of CPUs). ``progress(fraction)`` reports completion. ``warmup_days="auto"``
    chooses the warm-up by MSER-5 on a pilot run (:mod:`gigaline.sim.warmup`).
    """
    if isinstance(warmup_days, str):
        if warmup_days != "auto":
            raise SimulationError(
                f"warmup_days {warmup_days!r}: must be a number of days or 'auto'"
            )
        check_request(days, 0.0, seed, replications)
        from gigaline.sim.warmup import simulate_with_auto_warmup

        return simulate_with_auto_warmup(
            line, days, replications, seed,
            workers=workers, coil_length_m=coil_length_m, progress=progress,
        )  # fmt: skip
    check_request(days, warmup_days, seed, replications)
    compiled = compile_line(line, coil_length_m=coil_length_m)
    t0 = time.perf_counter()
    n_workers = min(replications, workers or os.cpu_count() or 1)
    check_memory(compiled, days, warmup_days, replications, n_workers)
    records: list[RunRecord]
    if n_workers <= 1:
        records = []
        for i in range(replications):

            def _one(f: float, i: int = i) -> None:
                if progress is not None:
                    progress((i + f) / replications)

            records.append(run_replication(compiled, days, warmup_days, seed, i, progress=_one))
    else:
        done: dict[int, RunRecord] = {}
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            futures = {
                pool.submit(run_replication, compiled, days, warmup_days, seed, i): i
                for i in range(replications)
            }
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
                if progress is not None:
                    progress(len(done) / replications)
        records = [done[i] for i in range(replications)]
    result = SimResult(
        compiled=compiled,
        records=records,
        days=days,
        warmup_days=warmup_days,
        seed=seed,
        wall_s=time.perf_counter() - t0,
    )
    emit(result.warnings)  # a run too short for steady state says so (SimulationWarning)
    return result
