"""Replications on a Dask LocalCluster against the same replications in one process.

    python benchmarks/bench_experiments.py [LINE.yaml] [--replications 200] [--days 7]
                                           [--workers N]

Runs ``--replications`` replications of ``--days`` of the line (default: 200 weeks of the
20 GWh reference line) three ways, each after the kernel is loaded: in a process of its own,
one after another (the baseline: a spawned process that holds neither the Dask client nor
the pool, whose threads and heap slowed it when it ran in this one); on a
``distributed.LocalCluster`` of N worker processes with one
thread each (N = the machine's cores by default), through ``gigaline.sim.simulate(...,
executor=...)``; and, for comparison, on a local ``ProcessPoolExecutor`` of N processes. By
default each runs the replications as one experiment (``--rounds 1``: what a user runs, with one
idle tail at its end); on a machine shared with other work, ``--rounds 4`` alternates the three
in four rounds so that each sees the same load (each round then pays its own tail). Each
round prints how much of a core the baseline got (its CPU time over its wall time) and the
load average. It prints the wall times, the speed-up, the speed-up per
core (target: at least 0.90 of linear) and the overhead per task, ``(N x cluster wall -
baseline wall) / replications``, and checks that every executor gave the same numbers. Beside
these it prints a figure other work on the machine does not change: the share of N x wall
time the workers spent inside replications (each replication times itself), and the
executor's time per task, the rest (scheduling, transfer of inputs and results, idle
workers at the end). The
cluster's start (workers loading the kernel) is timed apart and not counted in the speed-up:
it is paid once per session, not per task.

Before the replications it measures what the machine's cores give to work that is not ours
(``--probe``, on by default): the same task run alone and then on N processes at once, for a
compute-bound loop that stays in the core's cache and for random reads over a 512 MiB array
(memory-bound, as the reference line's 1.7 million servers are). Their per-core efficiency
is the ceiling this machine puts on any executor: a replication cannot scale better than the
memory-bound probe if it is memory-bound itself.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from gigaline.model import load_line
from gigaline.sim import SimResult, SimulationWarning, simulate
from gigaline.sim.executors import dask_executor, local_executor, warm_kernel

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn: Callable[[], SimResult]) -> tuple[float, float, SimResult]:
    t, c = time.perf_counter(), time.process_time()
    res = fn()
    return time.perf_counter() - t, time.process_time() - c, res


def _baseline(path: str, days: float, replications: int, seed: int) -> tuple[float, float, list]:
    """The replications one after another in this (the baseline's own) process: wall and
    CPU seconds and the events of each replication."""
    warnings.simplefilter("ignore", SimulationWarning)  # see main()
    line = load_line(path)
    wall, cpu, res = _timed(lambda: simulate(line, days, 0.0, replications, seed, workers=1))
    return wall, cpu, [x.events for x in res.records]


def _probe_compute() -> float:
    """Seconds for a pure-Python integer loop (a few KiB of working set)."""
    t = time.perf_counter()
    acc = 0
    for i in range(20_000_000):
        acc = (acc + i * i) % 1_000_003
    return time.perf_counter() - t


def _probe_memory() -> float:
    """Seconds for random 8-byte reads over a 512 MiB array (cache misses on every read)."""
    import numpy as np

    rng = np.random.default_rng(0)
    data = np.ones(64 * 2**20, dtype=np.float64)  # 512 MiB
    idx = rng.integers(0, data.size, size=4_000_000)
    t = time.perf_counter()
    for _ in range(20):
        float(data[idx].sum())
    return time.perf_counter() - t


def _scaling(task: Callable[[], float], workers: int) -> float:
    """Per-core efficiency of ``task``: its time alone over its mean time on ``workers``
    processes started at once (1.0 = the cores do not slow each other)."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(abs, range(workers)))  # start the processes first
        alone = min(pool.submit(task).result() for _ in range(2))
        together = [f.result() for f in [pool.submit(task) for _ in range(workers)]]
    return alone / (sum(together) / len(together))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("line", nargs="?", default=str(ROOT / "examples" / "abf-lfp-20gwh.yaml"))
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-probe", dest="probe", action="store_false", help="skip the probes")
    args = ap.parse_args()
    # A week of the reference line starts empty and ends before its first cell is aged: the
    # twin warns so (its figures describe the start-up); this benchmark times the replications
    # and compares their numbers across executors, so it does not repeat the warning per run.
    warnings.simplefilter("ignore", SimulationWarning)
    line = load_line(args.line)
    n, w, k = args.replications, args.workers, args.rounds
    per = n // k
    print(
        f"line: {line.name}; {per * k} replications x {args.days:g} days in {k} rounds; {w} workers"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    if args.probe and args.workers > 1:
        print(
            f"machine probe, per-core efficiency on {args.workers} processes at once: "
            f"compute-bound {_scaling(_probe_compute, args.workers):.1%}, "
            f"memory-bound {_scaling(_probe_memory, args.workers):.1%}"
        )
    # The baseline's process is spawned (not forked from this one, which holds the client's
    # threads) and loads the kernel before the first round, as the workers do.
    one = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=warm_kernel)
    one.submit(abs, 0).result()
    t0 = time.perf_counter()
    with one, dask_executor(workers=w) as ex, local_executor(w) as pool:
        print(f"LocalCluster and pool start: {time.perf_counter() - t0:.1f} s (paid once)")
        list(pool.map(abs, range(w)))  # start the pool's processes (each loads the kernel)
        serial = cluster = local = cpu = busy_c = busy_l = 0.0
        same = True
        for r in range(k):  # interleaved, so that all three see the same load on a shared box
            seed = 1 + r
            ts, cs, ev = one.submit(_baseline, args.line, args.days, per, seed).result()
            tc, _, res = _timed(lambda s=seed: simulate(line, args.days, 0.0, per, s, executor=ex))
            tl, _, loc = _timed(
                lambda s=seed: simulate(line, args.days, 0.0, per, s, executor=pool)
            )
            serial, cluster, local, cpu = serial + ts, cluster + tc, local + tl, cpu + cs
            busy_c += sum(x.wall_s for x in res.records)  # time the workers spent in tasks
            busy_l += sum(x.wall_s for x in loc.records)
            same = same and ev == [x.events for x in res.records] == [x.events for x in loc.records]
            print(
                f"  round {r + 1}: one process {ts:6.1f} s (cpu {cs / ts:.0%} of wall), "
                f"LocalCluster {tc:6.1f} s ({ts / tc / w:.0%} of linear), "
                f"ProcessPool {tl:6.1f} s ({ts / tl / w:.0%}), load {os.getloadavg()[0]:.1f}"
            )
    m = per * k
    speedup = serial / cluster
    print(
        f"one process:  {serial:7.1f} s  ({serial / m * 1000:.0f} ms per replication, "
        f"cpu {cpu / serial:.0%} of wall)"
    )
    verdict = "ok" if speedup / w >= 0.9 else "MISSED"
    print(
        f"LocalCluster: {cluster:7.1f} s  speed-up {speedup:.2f}x on {w} cores = "
        f"{speedup / w:.1%} of linear (target >= 90 %: {verdict})"
    )
    overhead = (w * cluster - serial) / m * 1000
    print(f"overhead per task: {overhead:.1f} ms ((N x wall - baseline) / tasks)")
    # Independent of other work on the machine: how much of the N x wall the workers spent
    # inside replications; the rest is the executor's (scheduling, transfer, idle at the end).
    print(
        f"LocalCluster workers busy {busy_c / (w * cluster):.1%} of N x wall; executor time "
        f"per task {(w * cluster - busy_c) / m * 1000:.1f} ms"
    )
    print(
        f"ProcessPool:  {local:7.1f} s  speed-up {serial / local:.2f}x = "
        f"{serial / local / w:.1%} of linear"
    )
    print(
        f"ProcessPool workers busy {busy_l / (w * local):.1%} of N x wall; executor time "
        f"per task {(w * local - busy_l) / m * 1000:.1f} ms"
    )
    print(f"same numbers on every executor: {'yes' if same else 'NO'}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
