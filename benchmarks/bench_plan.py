"""Start-up time of ``gigaline plan`` on the 20 GWh reference line.

Runs ``gigaline plan examples/abf-lfp-20gwh.yaml --json`` in fresh interpreters and, as the
baseline measured in the same run, a bare ``python -c pass``; prints both medians and their
ratio. The issue asks for the plan in under one second. Run: ``python benchmarks/bench_plan.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINE = ROOT / "examples" / "abf-lfp-20gwh.yaml"
RUNS = 7


def _median_s(args: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    plan = [
        sys.executable,
        "-c",
        "import sys; from gigaline.cli import run; sys.argv[0] = 'gigaline'; run()",
        "plan",
        str(LINE),
        "--json",
    ]
    base = _median_s([sys.executable, "-c", "pass"])
    cli = _median_s(plan)
    print(f"python -c pass:            {base:.3f} s (median of {RUNS})")
    print(f"gigaline plan (reference): {cli:.3f} s (median of {RUNS})")
    print(
        f"ratio: {cli / base:.1f}x the bare interpreter; target < 1 s: "
        f"{'met' if cli < 1.0 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
