"""Replications and experiments: independent seeds, on any ``concurrent.futures.Executor``.

:func:`simulate` runs replications of one line; :func:`run_experiment` runs every scenario of
a scenario file (:mod:`gigaline.sim.scenario`) with common random numbers: replication ``i``
of every scenario uses the streams of (``seed``, ``i``), and streams are keyed by step id, so
a step has the same random numbers in every scenario and the differences between scenarios
are the changes, not the noise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Literal

from gigaline.model import Line
from gigaline.sim.budget import check_memory, check_request
from gigaline.sim.checks import emit
from gigaline.sim.compare import ExperimentResult
from gigaline.sim.compile import DEFAULT_COIL_LENGTH_M, SimulationError, compile_line
from gigaline.sim.executors import ReplicationTask, open_executor, run_tasks
from gigaline.sim.results import SimResult
from gigaline.sim.runner import RunRecord, run_replication
from gigaline.sim.scenario import Scenario, ScenarioSet

__all__ = ["run_experiment", "run_lines", "simulate"]


def simulate(
    line: Line,
    days: float = 30.0,
    warmup_days: float | Literal["auto"] = 0.0,
    replications: int = 1,
    seed: int = 0,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    coil_length_m: float = DEFAULT_COIL_LENGTH_M,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Simulate ``line`` for ``days`` after ``warmup_days``, ``replications`` times.

    Replication ``i`` uses the streams of (``seed``, ``i``): independent across replications,
    and the same for the same step in another scenario run with the same seed (common random
    numbers). Replications run on ``executor`` when given (any ``concurrent.futures.Executor``,
    e.g. :func:`gigaline.sim.executors.dask_executor`), else in up to ``workers`` local
    processes (default: the number of CPUs). ``progress(fraction)`` reports completion.
    The numbers do not depend on where the replications ran. ``warmup_days="auto"`` chooses
    the warm-up by MSER-5 on a pilot run (:mod:`gigaline.sim.warmup`).
    """
    if isinstance(warmup_days, str):
        if warmup_days != "auto":
            raise SimulationError(
                f"warmup_days {warmup_days!r}: must be a number of days or 'auto'"
            )
        check_request(days, 0.0, seed, replications)
        from gigaline.sim.warmup import simulate_with_auto_warmup

        return simulate_with_auto_warmup(
            simulate, line, days, replications, seed, workers=workers, executor=executor,
            coil_length_m=coil_length_m, progress=progress,
        )  # fmt: skip
    check_request(days, warmup_days, seed, replications)
    compiled = compile_line(line, coil_length_m=coil_length_m)
    # the memory of the runs at once in this machine's processes (an executor's own workers
    # hold one run each)
    here = 1 if executor is not None else min(replications, workers or os.cpu_count() or 1)
    check_memory(compiled, days, warmup_days, replications, here)
    t0 = time.perf_counter()
    if executor is None and (replications == 1 or workers == 1):
        records = []
        for i in range(replications):

            def _one(f: float, i: int = i) -> None:
                if progress is not None:
                    progress((i + f) / replications)

            records.append(run_replication(compiled, days, warmup_days, seed, i, progress=_one))
    else:
        tasks = [(compiled, days, warmup_days, seed, i) for i in range(replications)]
        if executor is not None:
            records = _gather(executor, tasks, progress)
        else:
            with open_executor("local", workers=min(replications, workers or 0) or None) as ex:
                records = _gather(ex, tasks, progress)
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


def run_lines(
    lines: Sequence[Line],
    days: float,
    warmup_days: float,
    replications: int,
    seed: int,
    *,
    executor: Executor | None = None,
    coil_length_m: float = DEFAULT_COIL_LENGTH_M,
    progress: Callable[[float], None] | None = None,
) -> list[SimResult]:
    """Replications of several lines with common random numbers, all tasks submitted at
    once to ``executor`` (None: in this process) and gathered as they finish."""
    check_request(days, warmup_days, seed, replications)
    compiled = [compile_line(line, coil_length_m=coil_length_m) for line in lines]
    for c in compiled:
        check_memory(c, days, warmup_days, replications, 1)
    tasks: list[ReplicationTask] = [
        (c, days, warmup_days, seed, i) for c in compiled for i in range(replications)
    ]
    t0 = time.perf_counter()
    flat = _gather(executor, tasks, progress)
    wall = time.perf_counter() - t0
    return [
        SimResult(
            compiled=c,
            records=flat[k * replications : (k + 1) * replications],
            days=days,
            warmup_days=warmup_days,
            seed=seed,
            wall_s=wall,
        )
        for k, c in enumerate(compiled)
    ]


def run_experiment(
    scenarios: ScenarioSet,
    *,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
    only: Sequence[Scenario] | None = None,
) -> ExperimentResult:
    """Run every scenario of ``scenarios`` (or ``only`` these) with common random numbers and
    compare each with the first: headline figures with 95 % intervals, and paired
    differences with their intervals (see :class:`~gigaline.sim.compare.ExperimentResult`)."""
    chosen = list(only if only is not None else scenarios.scenarios)
    if not chosen:
        raise SimulationError(
            f"{scenarios.source} designs no scenarios: give design (full_factorial with values, "
            "list with scenarios, or latin_hypercube with samples)"
        )
    st = scenarios.settings
    t0 = time.perf_counter()
    results = run_lines(
        [s.line for s in chosen],
        st.days,
        st.warmup_days,
        st.replications,
        st.seed,
        executor=executor,
        progress=progress,
    )
    return ExperimentResult(
        scenarios=scenarios,
        chosen=tuple(chosen),
        results=tuple(results),
        wall_s=time.perf_counter() - t0,
    )


def _gather(
    executor: Executor | None,
    tasks: Sequence[ReplicationTask],
    progress: Callable[[float], None] | None,
) -> list[RunRecord]:
    out: dict[int, RunRecord] = {}
    for i, rec in run_tasks(executor, tasks):
        out[i] = rec
        if progress is not None:
            progress(len(out) / len(tasks))
    return [out[i] for i in range(len(tasks))]
