"""Start-up of ``gigaline`` as a whole process: ``--help``, ``plan`` and a tiny ``simulate``.

Targets (issue 10), in wall-clock seconds of the whole process: ``gigaline --help`` and
``gigaline plan examples/abf-lfp-20gwh.yaml`` at most 0.5 s, ``gigaline simulate
examples/two-machine.yaml --days 0.01`` at most 1 s once the compiled kernel is cached (one
untimed run of every command first fills the cache, and Python's bytecode cache, as an
installed package has them). Baselines in the same run: an interpreter that imports nothing
(``python -c pass``) and one that imports numpy (``python -c "import numpy"``); each command's
median is printed as a multiple of both. Runs alternate, medians of ``--runs``; each run's wall
time and its CPU time (user + sys of the child, from the operating system) are printed: on a
shared machine wall time grows with the load, CPU time much less, so CPU time is the better
estimate of the wall time on an idle machine; the verdict says both.

``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment: with it set (as on the
team's machines) every run compiles gigaline's sources again, which an installed package never
does (pip writes the bytecode at install); ``--no-bytecode`` keeps it, to time that case too.
``--before SRC`` times the same commands of another source tree beside them (``SRC/src`` first
on ``PYTHONPATH``, e.g. a ``git worktree`` of the commit before a change) and prints the paired
ratios.

    python benchmarks/bench_startup.py [--runs 7] [--before /tmp/gigaline-before] [--no-bytecode]
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


def _once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
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
    ap.add_argument(
        "--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if it is set"
    )
    args = ap.parse_args()
    env = dict(os.environ)
    if not args.no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    Case = tuple[list[str], float | None, dict[str, str]]
    cases: dict[str, Case] = {
        "python -c pass": ([sys.executable, "-c", "pass"], None, env),
        "python -c 'import numpy'": ([sys.executable, "-c", "import numpy"], None, env),
    }
    for name, (argv, target) in COMMANDS.items():
        cases[f"gigaline {name}"] = ([os.fspath(GIGALINE), *argv], target, env)
    if args.before is not None:
        before = {**env, "PYTHONPATH": os.fspath(args.before.resolve() / "src")}
        for name, (argv, _) in COMMANDS.items():
            cases[f"gigaline {name} (before)"] = ([os.fspath(GIGALINE), *argv], None, before)
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
    numpy = statistics.median(wall["python -c 'import numpy'"])
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    bytecode = "kept" if "PYTHONDONTWRITEBYTECODE" in env else "written (as installed)"
    print(f"{args.runs} runs each, alternating; load average {load}; bytecode {bytecode}")
    print(
        f"{'command':<38}{'wall s':>8}{'min':>7}{'max':>7}{'cpu s':>8}{'x pass':>8}{'x numpy':>8}"
        "  target (wall s)"
    )
    for name, (_, target, _) in cases.items():
        med, c = statistics.median(wall[name]), statistics.median(cpu[name])
        verdict = ""
        if target is not None:
            verdict = f"<= {target:g}: wall {'met' if med <= target else 'NOT met'}"
            verdict += f" (cpu {'within' if c <= target else 'over'})"
        print(
            f"{name:<38}{med:>8.3f}{min(wall[name]):>7.3f}{max(wall[name]):>7.3f}"
            f"{c:>8.3f}{med / base:>8.1f}{med / numpy:>8.2f}  {verdict}"
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
