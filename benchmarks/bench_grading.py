"""Benchmark: grading and matching a day's output (60,000 cells) against a naive baseline.

Run: ``python benchmarks/bench_grading.py``. Prints the time of :func:`grade_cells` and
:func:`match_cells` on 60,000 synthetic cells and of a naive first-fit matcher (pure Python,
each cell in capacity order collects the next unmatched cells that keep every spread within
tolerance) on the same cells, with the match rates and the speed ratio.

The synthetic cells are an assumption for timing only, not measured data: capacity
N(280 Ah, 1.0 Ah), DCIR N(0.18 mΩ, 0.008 mΩ), OCV N(3.300 V, 3 mV), K N(1.0, 0.5) mV/day
(magnitude), in the range of a 280 Ah LFP prismatic cell.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gigaline.model.quality import Grade, GradeLimits, Matching
from gigaline.quality.grading import grade_cells, match_cells

CELLS = 60_000
GRADES = [
    Grade(
        name="A",
        capacity_ah=GradeLimits(min=279.0),
        dcir_mohm=GradeLimits(max=0.20),
        k_mv_per_day=GradeLimits(max=2.0),
    ),
    Grade(name="B", capacity_ah=GradeLimits(min=277.0), k_mv_per_day=GradeLimits(max=3.0)),
]
MATCHING = Matching(
    cells_per_module=16,
    capacity_spread_ah=1.0,
    dcir_spread_mohm=0.01,
    ocv_spread_mv=2.0,
    grades=["A", "B"],
)


def synthetic_cells(m: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "capacity_ah": rng.normal(280.0, 1.0, m),
        "dcir_mohm": rng.normal(0.18, 0.008, m),
        "ocv_v": rng.normal(3.300, 0.003, m),
        "k_mv_per_day": np.abs(rng.normal(1.0, 0.5, m)),
    }


def naive_match(cells: dict[str, np.ndarray], eligible: np.ndarray, m: Matching) -> int:
    """First fit in pure Python: the baseline. Returns the number of cells matched."""
    idx = [int(i) for i in np.flatnonzero(eligible)]
    idx.sort(key=lambda i: cells["capacity_ah"][i])
    cap = cells["capacity_ah"].tolist()
    res = cells["dcir_mohm"].tolist()
    ocv = (cells["ocv_v"] * 1000).tolist()
    used = [False] * len(cap)
    matched = 0
    for pos, a in enumerate(idx):
        if used[a]:
            continue
        group = [a]
        lo_r = hi_r = res[a]
        lo_o = hi_o = ocv[a]
        for b in idx[pos + 1 :]:
            if cap[b] - cap[a] > m.capacity_spread_ah:
                break
            if used[b]:
                continue
            nr_lo, nr_hi = min(lo_r, res[b]), max(hi_r, res[b])
            no_lo, no_hi = min(lo_o, ocv[b]), max(hi_o, ocv[b])
            if nr_hi - nr_lo <= m.dcir_spread_mohm and no_hi - no_lo <= m.ocv_spread_mv:
                group.append(b)
                lo_r, hi_r, lo_o, hi_o = nr_lo, nr_hi, no_lo, no_hi
                if len(group) == m.cells_per_module:
                    break
        if len(group) == m.cells_per_module:
            for c in group:
                used[c] = True
            matched += len(group)
    return matched


def main() -> None:
    cells = synthetic_cells(CELLS)
    match_cells(cells, MATCHING)  # warm up imports
    t0 = time.perf_counter()
    graded = grade_cells(cells, GRADES)
    t1 = time.perf_counter()
    result = match_cells(cells, MATCHING, graded)
    t2 = time.perf_counter()
    eligible = np.isin(graded.grade, MATCHING.grades)
    naive_matched = naive_match(cells, eligible, MATCHING)
    t3 = time.perf_counter()
    print(f"cells: {CELLS:,}; grades: {graded.counts}")
    print(f"grade_cells: {t1 - t0:.3f} s")
    print(
        f"match_cells: {t2 - t1:.3f} s, {result.matched:,} of {result.eligible:,} matched "
        f"({result.match_rate:.2%}), {result.modules.shape[0]:,} modules of "
        f"{MATCHING.cells_per_module}"
    )
    naive_rate = naive_matched / result.eligible
    print(f"naive first fit: {t3 - t2:.3f} s, {naive_matched:,} matched ({naive_rate:.2%})")
    print(f"speed-up over the naive baseline: {(t3 - t2) / (t2 - t1):.1f}x")


if __name__ == "__main__":
    main()
