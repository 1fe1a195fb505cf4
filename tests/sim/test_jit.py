"""The compiled kernel indexes arrays without negative-index wraparound (gigaline.sim._jit):
check that it never needs it, by running lines with numba's bounds checking on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.sim.conftest import LINES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PROBE = """
import numpy as np

import gigaline.sim.state as state
from gigaline.model import load_line
from gigaline.sim import compile_line, run_replication
from gigaline.sim._jit import jit


@jit
def last(a):
    return a[-1]


try:
    print("wrapped", last(np.arange(3.0)))
except IndexError:
    print("raised")

for path, days, limit in {runs!r}:
    state.SORTED_MAX_EVENTS = limit
    r = run_replication(compile_line(load_line(path)), days=days, warmup_days=0.5, seed=3)
    print(path, limit, r.good, r.events)
"""


def test_the_kernel_never_indexes_from_the_end(tmp_path: Path) -> None:
    # Under NUMBA_BOUNDSCHECK=1 the kernel's pipeline turns a negative index into IndexError
    # (plain numba would read from the end). Every event path runs: failures on operating
    # and calendar time, planned stops, merges, batches, FIFO and non-FIFO dwell, scrap, both
    # event lists (the merge line forced to the sorted array and to the heap).
    runs = [
        (str(LINES / "merge-line.yaml"), 3.0, 10**9),
        (str(LINES / "merge-line.yaml"), 3.0, 0),
        (str(EXAMPLES / "abf-lfp-20gwh.yaml"), 25.0, 384),  # aging: cells out after ~3 weeks
        (str(EXAMPLES / "five-step.yaml"), 25.0, 384),
        (str(EXAMPLES / "two-machine.yaml"), 25.0, 384),
        (str(LINES / "failure-clock.yaml"), 2.0, 384),  # every path of the failure clocks
    ]
    script = tmp_path / "probe.py"  # a file, not -c: numba caches only functions in files
    script.write_text(textwrap.dedent(PROBE.format(runs=runs)))
    env = {
        **os.environ,
        "NUMBA_BOUNDSCHECK": "1",
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "GIGALINE_SIM_JIT": "1",
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "raised"  # the probe: bounds checking sees negative indices
    assert len(lines) == 1 + len(runs)
    for line in lines[1:]:
        good, events = (int(x) for x in line.split()[-2:])
        assert good > 0 and events > 0, line
