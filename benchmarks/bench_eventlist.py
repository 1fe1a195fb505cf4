"""The kernel's two event lists on serial lines of growing length: where the heap takes over.

    python benchmarks/bench_eventlist.py [--stations 15 30 60 120 240 480]

Lines are the SimPy benchmark's (bench_simpy.py) with n stations, so at most 3 n + 2 events
are pending. Each line runs with the sorted event array and with the binary heap (the kernel
picks by ``gigaline.sim.state.SORTED_MAX_EVENTS``; both pop the same events in the same order),
and the best of three runs is printed in million station operations per CPU second. The
crossover justifies ``SORTED_MAX_EVENTS``.
"""

from __future__ import annotations

import argparse
import time

import gigaline.sim.state as state
from bench_simpy import line_yaml
from gigaline.model import parse_line
from gigaline.sim import compile_line, run_replication
from gigaline.sim.compile import CompiledLine

OPS_PER_RUN = 7.0e6  # about 4 s of CPU per line and list at 15 stations


def best_rate(compiled: CompiledLine, days: float, runs: int = 3) -> float:
    """Million station operations per CPU second, best of ``runs``."""
    best = 0.0
    for _ in range(runs):
        c = time.process_time()
        rec = run_replication(compiled, days=days, seed=1)
        best = max(best, float(rec.counters[:, 4].sum()) / (time.process_time() - c) / 1e6)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=int, nargs="+", default=[15, 30, 60, 120, 240, 480])
    args = ap.parse_args()
    limit = state.SORTED_MAX_EVENTS
    print(f"SORTED_MAX_EVENTS = {limit}; M station operations per CPU second, best of 3")
    print(f"{'stations':>8} {'max pending':>11} {'sorted':>8} {'heap':>8}  kernel picks")
    for n in args.stations:
        compiled = compile_line(parse_line(line_yaml(n)))
        days = OPS_PER_RUN / (0.7 * n * 86400.0)  # the line makes about 0.7 parts/s
        rates = {}
        for name, forced in (("sorted", 10**9), ("heap", 0)):
            state.SORTED_MAX_EVENTS = forced
            run_replication(compiled, days=0.01, seed=0)  # compile (or load) the kernel
            rates[name] = best_rate(compiled, days)
        state.SORTED_MAX_EVENTS = limit
        pending = 3 * n + 2
        picks = "sorted" if pending <= limit else "heap"
        print(f"{n:>8} {pending:>11} {rates['sorted']:>8.1f} {rates['heap']:>8.1f}  {picks}")


if __name__ == "__main__":
    main()
