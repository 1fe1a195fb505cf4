"""One simulated year of the 20 GWh reference line at cell granularity: wall time and memory.

    python benchmarks/bench_year.py [LINE.yaml] [--days 365]

Runs one replication on one core (the kernel is single-threaded) after loading the compiled
kernel with a one-day run, then prints the wall and CPU time of the year, station operations
per second, and the peak resident memory of the process (which includes Python, numpy and
numba). Target (issue 3): at most 60 s and 2 GiB on one core of the 2-core CI machine.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from gigaline.model import load_line
from gigaline.sim import compile_line, run_replication

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("line", nargs="?", default=str(ROOT / "examples" / "abf-lfp-20gwh.yaml"))
    ap.add_argument("--days", type=float, default=365.0)
    args = ap.parse_args()
    compiled = compile_line(load_line(args.line))
    run_replication(compiled, days=1, seed=0)  # compile (or load) the kernel first

    t, c = time.perf_counter(), time.process_time()
    rec = run_replication(compiled, days=args.days, seed=1)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    ops = int(rec.counters[:, 4].sum())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    kwh = compiled.line.cell.energy_kwh
    print(
        f"line: {compiled.line.name} ({compiled.n_steps} steps, {compiled.n_machines} machines,"
        f" {compiled.n_servers:,} servers)"
    )
    print(
        f"simulated: {args.days:g} days; good cells {rec.good:,} "
        f"({rec.good * kwh / 1e6 * 365.0 / args.days:.2f} GWh/year)"
    )
    print(f"station operations (jobs): {ops:,}; events: {rec.events:,}")
    print(f"wall {wall:.1f} s, cpu {cpu:.1f} s, {ops / wall / 1e6:.2f} M station ops/s (wall)")
    print(f"peak memory (max RSS of the process): {peak_mib:,.0f} MiB")
    print(
        f"targets: wall <= 60 s {'ok' if wall <= 60 else 'MISSED'}, "
        f"memory <= 2048 MiB {'ok' if peak_mib <= 2048 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
