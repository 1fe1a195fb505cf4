"""gigaline against SimPy on the same serial line, same horizon, in one run.

The line: 15 stations of one machine each, exponential processing (mean 1 s), a finite buffer
of 10 places after each station, blocking after service, exponential failures on operating time
(MTBF 200 s, MTTR 10 s). SimPy runs the textbook process-per-station model (a Container per
buffer; a station holds its finished part until the next buffer has room). Both count station
operations (jobs finished at a station) per second of wall time.

    python benchmarks/bench_simpy.py [--hours H] [--repeats R]

The two simulators run the same seeded model in turns (gigaline for at least 1 s of repeated
runs, then SimPy once), so that each pair of turns sees the same machine load; the median of
the pairs' ratios is reported, so that a change of load between phases does not decide it.

Target (issue 3): gigaline at least 100 times SimPy's station operations per second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

import simpy

from gigaline.model import parse_line
from gigaline.sim import compile_line, run_replication

STATIONS = 15
MEAN_S, MTBF_S, MTTR_S, BUFFER = 1.0, 200.0, 10.0, 10


def line_yaml(stations: int = STATIONS) -> str:
    """The benchmark line as a line file, with ``stations`` stations."""
    steps = "\n".join(
        f"  - {{id: s{i:03d}, kind: discrete, cycle_time: {{dist: exponential, mean: {MEAN_S} s}},"
        f" buffer_after: {BUFFER}, failures: {{mtbf: {MTBF_S} s, mttr: {MTTR_S} s}}}}"
        for i in range(stations)
    )
    return (
        f"name: {stations}-station serial line\n"
        "cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}\n"
        f"calendar: {{hours_per_year: 8760}}\nsteps:\n{steps}\n"
    )


def run_simpy(horizon_s: float, seed: int = 1) -> int:
    """Station operations finished by SimPy in ``horizon_s``.

    Random numbers come from Python's own ``random`` module, as in SimPy's examples: one
    scalar draw from it is cheaper than from a numpy ``Generator``, which made this model
    4-8 % faster (measured 28 November 2026), so the baseline is the quicker of the two.
    """
    env = simpy.Environment()
    rng = random.Random(seed)
    buffers = [simpy.Container(env, capacity=BUFFER) for _ in range(STATIONS - 1)]
    done = [0]

    def station(i: int):  # type: ignore[no-untyped-def]
        ttf = rng.expovariate(1.0 / MTBF_S)
        while True:
            if i > 0:
                yield buffers[i - 1].get(1)
            work = rng.expovariate(1.0 / MEAN_S)
            while work > 0.0:
                if ttf <= work:  # fails during this part: work up to it, repair, go on
                    yield env.timeout(ttf)
                    work -= ttf
                    yield env.timeout(rng.expovariate(1.0 / MTTR_S))
                    ttf = rng.expovariate(1.0 / MTBF_S)
                else:
                    yield env.timeout(work)
                    ttf -= work
                    work = 0.0
            if i < STATIONS - 1:
                yield buffers[i].put(1)  # blocks while the buffer is full
            done[0] += 1

    for i in range(STATIONS):
        env.process(station(i))
    env.run(until=horizon_s)
    return done[0]


def _measure(fn: Callable[[], int]) -> tuple[int, float, float]:
    """Station operations of one run of ``fn`` and its wall and CPU seconds."""
    t, c = time.perf_counter(), time.process_time()
    ops = fn()
    return ops, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=48.0, help="simulated hours (default 48)")
    ap.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="paired turns of the two simulators; the median ratio is reported (default 3)",
    )
    args = ap.parse_args()
    horizon_s = args.hours * 3600.0
    compiled = compile_line(parse_line(line_yaml()))
    run_replication(compiled, days=0.01, seed=0)  # compile (or load) the kernel first
    good = [0]
    rec_ops = [0]

    def gigaline() -> int:
        rec = run_replication(compiled, days=horizon_s / 86400.0, seed=1)
        good[0] = rec.good
        rec_ops[0] = int(rec.counters[:, 4].sum())
        return rec_ops[0]

    # The two simulators run in turns (gigaline, SimPy, gigaline, ...) so that each pair sees
    # the same machine load; the ratio of each pair is taken, and the median of those ratios is
    # reported. gigaline's run is ~100 times shorter, so it repeats within each turn until it
    # has used at least 1 s, for a steadier rate.
    pairs: list[tuple[float, float]] = []
    g_rates, s_rates = [], []
    for _ in range(args.repeats):
        g_ops = 0
        g_wall = g_cpu = 0.0
        while g_wall < 1.0:
            ops, wall, cpu = _measure(gigaline)
            g_ops, g_wall, g_cpu = g_ops + ops, g_wall + wall, g_cpu + cpu
        s_ops, s_wall, s_cpu = _measure(lambda: run_simpy(horizon_s))
        g_rates.append(g_ops / g_wall)
        s_rates.append(s_ops / s_wall)
        pairs.append(((g_ops / g_wall) / (s_ops / s_wall), (g_ops / g_cpu) / (s_ops / s_cpu)))
    ops_g = int(rec_ops[0])
    g_rate, s_rate = statistics.median(g_rates), statistics.median(s_rates)
    load = os.getloadavg()[0]
    print(f"horizon: {args.hours:g} h of a {STATIONS}-station line; {args.repeats} paired turns")
    print(f"machine load average (1 min) at the end: {load:.2f}")
    print(f"gigaline: {ops_g:,} station operations per run, median {g_rate:,.0f} ops/s")
    print(f"SimPy:    {s_ops:,} station operations per run, median {s_rate:,.0f} ops/s")
    print(
        f"throughput (parts/s): gigaline {good[0] / horizon_s:.4f}, "
        f"SimPy {s_ops / STATIONS / horizon_s:.4f} (same model: should agree within noise)"
    )
    wall_ratio = statistics.median(p[0] for p in pairs)
    cpu_ratio = statistics.median(p[1] for p in pairs)
    print(
        f"ratio: gigaline is {wall_ratio:,.0f}x SimPy, median of paired turns "
        f"(pairs {', '.join(f'{p[0]:,.0f}' for p in pairs)}; target >= 100x)"
    )
    print(f"ratio on CPU time (robust to a busy machine): {cpu_ratio:,.0f}x")


if __name__ == "__main__":
    main()
