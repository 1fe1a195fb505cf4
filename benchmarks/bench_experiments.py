"""Replications on a Dask LocalCluster against the same replications in one process.

    python benchmarks/bench_experiments.py [LINE.yaml] [--replications 200] [--days 7]
                                           [--workers N]

Runs ``--replications`` replications of ``--days`` of the line (default: 200 weeks of the
20 GWh reference line) three ways, each after the kernel is loaded: in this process, one after
another (the baseline); on a ``distributed.LocalCluster`` of N worker processes with one
thread each (N = the machine's cores by default), through ``gigaline.sim.simulate(...,
executor=...)``; and, for comparison, on a local ``ProcessPoolExecutor`` of N processes. It
prints the wall times, the speed-up, the speed-up per core (target: at least 0.90 of linear)
and the overhead per task, ``(N x cluster wall - baseline wall) / replications``, and checks
that every executor gave the same numbers. The cluster's start (workers loading the kernel)
is timed apart and not counted in the speed-up: it is paid once per session, not per task.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from gigaline.model import load_line
from gigaline.sim import simulate
from gigaline.sim.executors import dask_executor, local_executor, warm_kernel

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("line", nargs="?", default=str(ROOT / "examples" / "abf-lfp-20gwh.yaml"))
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    line = load_line(args.line)
    n, w = args.replications, args.workers
    load1, _, _ = os.getloadavg()
    print(f"line: {line.name}; {n} replications x {args.days:g} days; {w} workers")
    print(f"load average before: {load1:.2f} (cores: {os.cpu_count()})")
    warm_kernel()

    t0 = time.perf_counter()
    base = simulate(line, days=args.days, replications=n, seed=1, workers=1)
    serial = time.perf_counter() - t0
    print(f"one process:        {serial:8.1f} s  ({serial / n * 1000:.0f} ms per replication)")

    t0 = time.perf_counter()
    with dask_executor(workers=w) as ex:
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = simulate(line, days=args.days, replications=n, seed=1, executor=ex)
        cluster = time.perf_counter() - t1
    same = [r.events for r in res.records] == [r.events for r in base.records]
    speedup = serial / cluster
    print(f"LocalCluster start: {start:8.1f} s  ({w} workers loading the kernel; paid once)")
    print(
        f"LocalCluster:       {cluster:8.1f} s  speed-up {speedup:.2f}x on {w} cores = "
        f"{speedup / w:.1%} of linear (target >= 90 %: {'ok' if speedup / w >= 0.9 else 'MISSED'})"
    )
    print(f"overhead per task:  {(w * cluster - serial) / n * 1000:8.1f} ms (N x wall - baseline)")

    with local_executor(w) as pool:
        list(pool.map(abs, range(w)))  # start the processes (each loads the kernel)
        t1 = time.perf_counter()
        loc = simulate(line, days=args.days, replications=n, seed=1, executor=pool)
        local = time.perf_counter() - t1
    print(
        f"ProcessPool:        {local:8.1f} s  speed-up {serial / local:.2f}x = "
        f"{serial / local / w:.1%} of linear"
    )
    same = same and [r.events for r in loc.records] == [r.events for r in base.records]
    print(f"same numbers on every executor: {'yes' if same else 'NO'}")
    load1, _, _ = os.getloadavg()
    print(f"load average after: {load1:.2f}")


if __name__ == "__main__":
    main()
