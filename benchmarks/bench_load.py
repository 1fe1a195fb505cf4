"""Loading and compiling a line are linear in its steps: 1,000 against 10,000 steps.

Generates the two lines (``tests/model/_big.py``: two electrode branches and a main chain of
discrete, batch and dwell steps with failures), then times in this process, median of a few
runs each, ``load_line`` (read, YAML, validation, cross-checks) and ``compile_line`` (the
kernel's arrays), and, as the user runs it, the whole ``gigaline validate`` process. The 1,000
step line is the baseline measured in the same run: linear means a ratio of about 10. The
issue asks for a 10,000-step line loaded and compiled in under 10 s (it took over 300 s).
Run: ``python benchmarks/bench_load.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.model._big, the generator the scale test uses too

from tests.model._big import many_steps_yaml  # noqa: E402

from gigaline.model import load_line  # noqa: E402
from gigaline.sim import compile_line  # noqa: E402

SIZES = (1_000, 10_000)
RUNS = 3


def _median_s(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _validate(path: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; from gigaline.cli import run; run()"]
    subprocess.run([*cmd, "validate", str(path)], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    rows: dict[int, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            path = Path(tmp) / f"line-{n}.yaml"
            path.write_text(many_steps_yaml(n), encoding="utf-8")
            line = load_line(path)
            rows[n] = (
                _median_s(lambda path=path: load_line(path)),  # type: ignore[misc]
                _median_s(lambda line=line: compile_line(line)),  # type: ignore[misc]
                _median_s(lambda path=path: _validate(path)),  # type: ignore[misc]
            )
    print(f"{'steps':>7} {'load s':>8} {'compile s':>10} {'load+compile s':>15} {'validate s':>11}")
    for n, (load, comp, proc) in rows.items():
        print(f"{n:>7,} {load:>8.3f} {comp:>10.3f} {load + comp:>15.3f} {proc:>11.3f}")
    (l1, c1, p1), (l2, c2, p2) = rows[SIZES[0]], rows[SIZES[1]]
    print(
        f"ratio 10,000 / 1,000 steps (linear is ~10): load {l2 / l1:.1f}x, compile "
        f"{c2 / c1:.1f}x, load+compile {(l2 + c2) / (l1 + c1):.1f}x, "
        f"whole validate process {p2 / p1:.1f}x (median of {RUNS})"
    )
    total = l2 + c2
    print(f"10,000 steps loaded and compiled in {total:.2f} s; target < 10 s: "
          f"{'met' if total < 10.0 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
