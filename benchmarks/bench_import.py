"""Start-up cost of the event contract: ``python -c "import gigaline.events"`` as a whole process.

Target (issue 9): under 0.3 s, loading neither numpy, pandas, pydantic nor SQLAlchemy (a test,
``tests/test_structure.py``, checks the modules). Baselines in the same run: an interpreter that
imports nothing (``python -c pass``) and one that imports msgspec alone (the contract's one
dependency), and for scale the MES's SQL store. Runs alternate, medians of ``--runs``.

    python benchmarks/bench_import.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

_CASES = {
    "python -c pass": "pass",
    "import msgspec": "import msgspec",
    "import gigaline.events": "import gigaline.events",
    "import gigaline.mes.sql": "import gigaline.mes.sql",
}


def _once(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    times: dict[str, list[float]] = {name: [] for name in _CASES}
    for code in _CASES.values():
        _once(code)  # warm the file cache and the bytecode
    for _ in range(args.runs):
        for name, code in _CASES.items():
            times[name].append(_once(code))
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<26}{'median s':>10}{'min s':>8}{'max s':>8}{'over pass s':>13}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<26}{med:>10.3f}{min(ts):>8.3f}{max(ts):>8.3f}{med - base:>13.3f}")
    verdict = "met" if statistics.median(times["import gigaline.events"]) < 0.3 else "NOT met"
    print(f"target: import gigaline.events < 0.3 s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
