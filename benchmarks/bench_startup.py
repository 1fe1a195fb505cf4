"""Start-up of ``gigaline`` as a whole process: ``--help``, ``plan`` and a tiny ``simulate``.

Targets (issue 10): ``gigaline --help`` and ``gigaline plan examples/abf-lfp-20gwh.yaml`` at most
0.5 s, ``gigaline simulate examples/two-machine.yaml --days 0.01`` at most 1 s once the compiled
kernel is cached (one untimed run first fills the cache). Baseline in the same run: an
interpreter that imports nothing (``python -c pass``). Runs alternate, medians of ``--runs``;
each run's wall time and its CPU time (user + sys of the child, from the operating system) are
printed: on a shared machine wall time grows with the load, CPU time much less, so CPU time is
the better estimate of the wall time on an idle machine. ``--before SRC`` times the same
commands of another source tree beside them (``SRC/src`` first on ``PYTHONPATH``, e.g. a
``git worktree`` of the commit before a change) and prints the paired ratios.

    python benchmarks/bench_startup.py [--runs 7] [--before /tmp/gigaline-before]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIGALINE = Path(sys.executable).with_name("gigaline")
COMMANDS = {
    "--help": (["--help"], 0.5),
    "plan": (["plan", "examples/abf-lfp-20gwh.yaml"], 0.5),
    "simulate 0.01 d": (["simulate", "examples/two-machine.yaml", "--days", "0.01"], 1.0),
}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    subprocess.run(
        argv, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - t0, _children_cpu() - cpu0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--before", type=Path, help="another source tree to time beside")
    args = ap.parse_args()
    Case = tuple[list[str], float | None, dict[str, str] | None]
    cases: dict[str, Case] = {"python -c pass": ([sys.executable, "-c", "pass"], None, None)}
    for name, (argv, target) in COMMANDS.items():
        cases[f"gigaline {name}"] = ([os.fspath(GIGALINE), *argv], target, None)
    if args.before is not None:
        env = {**os.environ, "PYTHONPATH": os.fspath(args.before.resolve() / "src")}
        for name, (argv, _) in COMMANDS.items():
            cases[f"gigaline {name} (before)"] = ([os.fspath(GIGALINE), *argv], None, env)
    for argv, _, env in cases.values():
        _once(argv, env)  # warm the file cache, the bytecode and the compiled kernel
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (argv, _, env) in cases.items():
            w, c = _once(argv, env)
            wall[name].append(w)
            cpu[name].append(c)
    base = statistics.median(wall["python -c pass"])
    print(f"{args.runs} runs each, alternating; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<34}{'wall s':>8}{'min':>7}{'max':>7}{'cpu s':>8}{'x pass':>8}  target")
    for name, (_, target, _) in cases.items():
        med, c = statistics.median(wall[name]), statistics.median(cpu[name])
        verdict = ""
        if target is not None:
            verdict = f"<= {target:g} s: wall {'met' if med <= target else 'NOT met'}"
            verdict += f", cpu {'met' if c <= target else 'NOT met'}"
        print(
            f"{name:<34}{med:>8.3f}{min(wall[name]):>7.3f}{max(wall[name]):>7.3f}"
            f"{c:>8.3f}{med / base:>8.1f}  {verdict}"
        )
    if args.before is not None:
        for name in COMMANDS:
            a, b = f"gigaline {name}", f"gigaline {name} (before)"
            w = statistics.median(x / y for x, y in zip(wall[a], wall[b], strict=True))
            c = statistics.median(x / y for x, y in zip(cpu[a], cpu[b], strict=True))
            print(f"gigaline {name}: this / before, median paired ratio: wall {w:.2f}, cpu {c:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
