"""Generated lines of any number of steps, for the scale test and ``benchmarks/bench_load.py``.

A quarter of the steps form a cathode branch, a quarter an anode branch (sheets, two per cell),
and the rest the main chain, which merges both at its first step and cycles through discrete,
batch and dwell steps with exponential cycle times and failures: every kind of predecessor a
line can have, at any length.
"""

from __future__ import annotations

HEADER = """\
name: generated line
cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
steps:
"""

_KIND_EXTRA = {"discrete": "", "batch": ", batch_size: 8", "dwell": ", capacity: 4"}


def many_steps_yaml(n: int) -> str:
    """A line file of ``n`` steps (``n >= 4``) in two branches and a main chain."""
    if n < 4:
        raise ValueError("a generated line needs at least 4 steps")
    out = [HEADER.rstrip("\n")]
    per_branch = n // 4
    for branch in ("cathode", "anode"):
        for i in range(per_branch):
            out.append(
                f"  - {{id: {branch}_{i}, kind: discrete, branch: {branch}, cycle_time: 1 s, "
                "unit: sheet, units_per_cell: 2, buffer_after: 10}"
            )
    for i in range(n - 2 * per_branch):
        kind = ("discrete", "batch", "dwell")[i % 3]
        merge = ", merge: [cathode, anode]" if i == 0 else ""
        out.append(
            f"  - {{id: s{i}, kind: {kind}, cycle_time: {{dist: exponential, mean: 1 s}}"
            f"{_KIND_EXTRA[kind]}{merge}, failures: {{mtbf: 1 h, mttr: 1 min}}, buffer_after: 5}}"
        )
    return "\n".join(out) + "\n"
