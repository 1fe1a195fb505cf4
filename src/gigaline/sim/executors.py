"""Where replications run: any :class:`concurrent.futures.Executor`.

:func:`gigaline.sim.simulate` and :func:`gigaline.sim.run_experiment` take an ``executor``:
local processes (:func:`local_executor`, the default), a Dask cluster (:func:`dask_executor`:
a ``distributed.LocalCluster`` of processes, or a scheduler by address), or any other
``Executor`` a caller brings. Each task is one replication, ``run_replication(compiled, days,
warmup_days, seed, replication)``; its random streams depend only on (seed, replication) and
the step ids, so the same seed gives the same numbers, bit for bit, on every executor.

Each worker process loads the compiled kernel once, when it starts (:func:`warm_kernel`: the
numba functions are loaded from the on-disk cache by running one simulated minute of a tiny
line), so that no task pays for it. Results come back as they finish
(:func:`run_tasks` yields them in completion order).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager

from gigaline.sim.compile import CompiledLine, SimulationError
from gigaline.sim.runner import RunRecord, run_replication

__all__ = [
    "EXECUTORS",
    "ReplicationTask",
    "dask_executor",
    "local_executor",
    "open_executor",
    "run_tasks",
    "warm_kernel",
]

EXECUTORS = ("local", "dask")

#: One replication: (compiled line, days, warm-up days, seed, replication).
ReplicationTask = tuple[CompiledLine, float, float, int, int]

_TINY_LINE = """
name: kernel warm-up
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
steps:
  - {id: a, kind: discrete, cycle_time: {dist: exponential, mean: 1 s}, buffer_after: 2,
     failures: {mtbf: 50 s, mttr: 5 s}}
  - {id: b, kind: discrete, cycle_time: 1 s, yield: 0.99}
"""


def warm_kernel() -> None:
    """Load the compiled kernel into this process (a minute of a two-machine line)."""
    from gigaline.model import parse_line
    from gigaline.sim.compile import compile_line

    run_replication(compile_line(parse_line(_TINY_LINE)), days=60.0 / 86400.0)


def _run(task: ReplicationTask) -> RunRecord:
    c, days, warmup_days, seed, rep = task
    return run_replication(c, days, warmup_days, seed, rep)


def run_tasks(
    executor: Executor | None, tasks: Sequence[ReplicationTask]
) -> Iterator[tuple[int, RunRecord]]:
    """Run ``tasks`` on ``executor`` (in this process when None); yield ``(index, record)``
    as each finishes."""
    if executor is None:
        for i, task in enumerate(tasks):
            yield i, _run(task)
        return
    futures: dict[Future[RunRecord], int] = {
        executor.submit(_run, task): i for i, task in enumerate(tasks)
    }
    try:
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        for fut in futures:
            fut.cancel()


def local_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes (default: the CPUs), each with the kernel
    loaded once at start."""
    n = workers or os.cpu_count() or 1
    return ProcessPoolExecutor(max_workers=n, initializer=warm_kernel)


@contextmanager
def dask_executor(
    scheduler: str | None = None, workers: int | None = None, timeout_s: float = 10.0
) -> Iterator[Executor]:
    """A ``concurrent.futures`` view of a Dask cluster: the scheduler at ``scheduler`` (an
    address such as ``tcp://10.0.0.5:8786``), or a ``LocalCluster`` of ``workers`` processes
    with one thread each (default: the CPUs) that is closed afterwards. A scheduler that does
    not answer within ``timeout_s`` is an error."""
    try:
        from distributed import Client, LocalCluster

        from gigaline.sim._dask_plugin import WarmKernel
    except ImportError as exc:  # pragma: no cover - a dependency of gigaline
        raise SimulationError(f"the dask executor needs dask[distributed] ({exc})") from None

    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        else:
            n = workers or os.cpu_count() or 1
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,  # logging.ERROR: the cluster's chatter stays off the terminal
            )
            client = Client(cluster)
    except OSError as exc:
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
    try:
        client.register_plugin(WarmKernel(warm_kernel))
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def open_executor(
    kind: str = "local", scheduler: str | None = None, workers: int | None = None
) -> Iterator[Executor | None]:
    """The executor named ``kind`` (``local`` or ``dask``), closed afterwards. ``local`` with
    one worker runs in this process (None)."""
    if kind not in EXECUTORS:
        raise SimulationError(f"unknown executor {kind!r}; allowed: {', '.join(EXECUTORS)}")
    if scheduler and kind != "dask":
        raise SimulationError("--scheduler needs --executor dask")
    if kind == "dask":
        with dask_executor(scheduler, workers) as ex:
            yield ex
        return
    if (workers or os.cpu_count() or 1) <= 1:
        yield None
        return
    with local_executor(workers) as pool:
        yield pool
