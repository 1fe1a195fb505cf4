"""Cell grading (bins A, B, C ... or NG with the reason) and module matching.

Grading puts each cell in the first grade bin of the line file (``quality.grades``) whose
limits it meets on every measure the bin names: capacity [Ah], DC internal resistance [mΩ],
open-circuit voltage [V] and the self-discharge K value [mV/day], the OCV drop over aging
(:func:`k_value_mv_per_day`). Bins are tried in the order written, best first; a cell that
meets none is NG, and the reason names the measures that failed the last (loosest) bin.

Matching (``quality.matching``) groups cells of the allowed grades into modules of N cells
whose capacity, DCIR and OCV spreads (max - min within the module) are within tolerance,
maximising the number of cells matched. The algorithm, :func:`match_cells`:

1. Cells are put in buckets on a grid of DCIR x OCV cells whose sides equal the DCIR and
   OCV tolerances: any cells sharing a bucket meet those two spreads.
2. Within each bucket, cells sorted by capacity are swept: if the N cells starting at the
   lowest unmatched one span at most the capacity tolerance they form a module, otherwise
   the lowest cell cannot be in any module of that bucket and is skipped. For one
   measure this sweep is optimal (the lowest cell either fits with the next N-1 or with
   none; an exchange argument moves any optimal module to those N-1), so each bucket is
   matched optimally in capacity.
3. Cells near a bucket border can only match across it, so the sweep is repeated on the
   cells still unmatched with the grid shifted by half a tolerance in DCIR, in OCV and in
   both (4 passes in all).

With one binding tolerance (the others wide) the result is optimal; with several it is a
heuristic, checked against brute force on small cases in the tests. Time is O(n log n) per
pass; a day's output (60,000 cells) takes about 0.1 s (``benchmarks/bench_grading.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gigaline.model.quality import Grade, Matching
from gigaline.quality.errors import QualityInputError

__all__ = [
    "MEASURES",
    "GradingResult",
    "MatchResult",
    "grade_cells",
    "k_value_mv_per_day",
    "match_cells",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The measures a grade bin may limit, with their units.
MEASURES = {
    "capacity_ah": "Ah",
    "dcir_mohm": "mΩ",
    "ocv_v": "V",
    "k_mv_per_day": "mV/day",
}
NG = "NG"
_DAY_S = 86_400.0


def k_value_mv_per_day(ocv_start_v: Any, ocv_end_v: Any, aging_s: Any) -> FloatArray:
    """Self-discharge K value [mV/day]: the OCV drop over the aging time.

    ``K = (OCV_start - OCV_end) [V] x 1000 / (aging time [s] / 86,400)``. Arrays broadcast.
    """
    start = np.asarray(ocv_start_v, dtype=float)
    end = np.asarray(ocv_end_v, dtype=float)
    t = np.asarray(aging_s, dtype=float)
    if np.any(~np.isfinite(t) | (t <= 0)):
        raise QualityInputError("aging_s", aging_s, "aging times greater than 0 s")
    return np.asarray((start - end) * 1000.0 / (t / _DAY_S), dtype=float)


@dataclass(frozen=True)
class GradingResult:
    """The grade of every cell (``"NG"`` when none fits), with the reason for NG cells."""

    grade: NDArray[np.str_]
    grade_index: IntArray  # position of the grade in the bins, -1 for NG
    reason: NDArray[np.str_]  # "" for graded cells
    names: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Number of cells per grade, in bin order, NG last."""
        out = {name: int(np.sum(self.grade_index == i)) for i, name in enumerate(self.names)}
        out[NG] = int(np.sum(self.grade_index < 0))
        return out


def _measure(cells: Mapping[str, Any], name: str, m: int | None) -> FloatArray:
    if name not in cells:
        raise QualityInputError(
            "cells", sorted(cells), f"a grade limits {name!r}, so give that measure"
        )
    arr = np.asarray(cells[name], dtype=float).ravel()
    if m is not None and arr.size != m:
        raise QualityInputError(name, f"{arr.size} values", f"one value per cell ({m})")
    return arr


def _cell_count(cells: Mapping[str, Any]) -> int:
    sizes = {np.asarray(v).size for k, v in cells.items() if k in MEASURES}
    if not sizes:
        raise QualityInputError("cells", sorted(cells), f"measures among {sorted(MEASURES)}")
    if len(sizes) > 1:
        raise QualityInputError("cells", sorted(sizes), "every measure needs one value per cell")
    return sizes.pop()


def grade_cells(cells: Mapping[str, Any], grades: Sequence[Grade]) -> GradingResult:
    """Grade every cell: the first bin whose limits it meets (inclusive), else NG.

    ``cells`` maps measure names (:data:`MEASURES`) to one value per cell; a pandas
    DataFrame works. A missing (NaN) value fails every bin that limits that measure.
    """
    if not grades:
        raise QualityInputError("grades", grades, "at least one grade bin")
    names = tuple(g.name for g in grades)
    if NG in names or len(set(names)) != len(names):
        raise QualityInputError("grades", names, "distinct names, none of them 'NG'")
    m = _cell_count(cells)
    index = np.full(m, -1, dtype=np.int64)
    for i, g in enumerate(grades):
        free = index < 0
        index[free & _meets(cells, g, m)] = i
    grade = np.where(index >= 0, np.array(names, dtype=object)[np.maximum(index, 0)], NG)
    reason = np.full(m, "", dtype=object)
    for cell in np.flatnonzero(index < 0):
        reason[cell] = _reason(cells, grades[-1], int(cell))
    return GradingResult(
        grade=grade.astype(str), grade_index=index, reason=reason.astype(str), names=names
    )


def _meets(cells: Mapping[str, Any], g: Grade, m: int) -> NDArray[np.bool_]:
    ok = np.ones(m, dtype=bool)
    for name in MEASURES:
        lim = getattr(g, name)
        if lim is None:
            continue
        x = _measure(cells, name, m)
        ok &= ~np.isnan(x)
        if lim.min is not None:
            ok &= x >= lim.min
        if lim.max is not None:
            ok &= x <= lim.max
    return ok


def _reason(cells: Mapping[str, Any], g: Grade, cell: int) -> str:
    parts = []
    for name, unit in MEASURES.items():
        lim = getattr(g, name)
        if lim is None:
            continue
        x = float(np.asarray(cells[name], dtype=float).ravel()[cell])
        if np.isnan(x):
            parts.append(f"{name} missing")
        elif lim.min is not None and x < lim.min:
            parts.append(f"{name} {x:g} {unit} < {lim.min:g} (min of grade {g.name})")
        elif lim.max is not None and x > lim.max:
            parts.append(f"{name} {x:g} {unit} > {lim.max:g} (max of grade {g.name})")
    return "; ".join(parts)


@dataclass(frozen=True)
class MatchResult:
    """Modules of matched cells (rows of cell indices) and the cells left over."""

    modules: IntArray  # shape (modules, cells_per_module), cell indices
    leftovers: IntArray  # eligible cells not in any module
    eligible: int

    @property
    def matched(self) -> int:
        return int(self.modules.size)

    @property
    def match_rate(self) -> float:
        """Share of the eligible cells that went into modules (0 when none were eligible)."""
        return self.matched / self.eligible if self.eligible else 0.0


# Grid offsets of the passes, as fractions of the (DCIR, OCV) tolerance.
_OFFSETS = ((0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5))


def match_cells(
    cells: Mapping[str, Any],
    matching: Matching,
    graded: GradingResult | None = None,
) -> MatchResult:
    """Group eligible cells into modules within the matching tolerances (see module doc).

    Eligible cells: all, or with ``graded`` those whose grade is in ``matching.grades``.
    Needs ``capacity_ah``, ``dcir_mohm`` and ``ocv_v`` in ``cells``.
    """
    m = _cell_count(cells)
    cap = _measure(cells, "capacity_ah", m)
    res = _measure(cells, "dcir_mohm", m)
    ocv_mv = _measure(cells, "ocv_v", m) * 1000.0
    eligible = ~(np.isnan(cap) | np.isnan(res) | np.isnan(ocv_mv))
    if graded is not None:
        if graded.grade.size != m:
            raise QualityInputError("graded", graded.grade.size, f"one grade per cell ({m})")
        eligible &= np.isin(graded.grade, list(matching.grades))
    n = matching.cells_per_module
    measures = (cap, res, ocv_mv)
    tols = (matching.capacity_spread_ah, matching.dcir_spread_mohm, matching.ocv_spread_mv)
    free = np.flatnonzero(eligible)
    # Sweep along the dominant measure (widest range in tolerances), bucket the other two.
    axis = _dominant(measures, tols, free)
    order = (axis, *(i for i in range(3) if i != axis))
    x, y, z = (measures[i] for i in order)
    tol = (tols[order[0]], tols[order[1]], tols[order[2]])
    modules: list[IntArray] = []
    for off_y, off_z in _OFFSETS:
        if free.size < n:
            break
        found = _sweep(free, x, y, z, n, tol, (off_y, off_z))
        if found.size:
            modules.append(found)
            free = np.setdiff1d(free, found.ravel(), assume_unique=True)
    if free.size >= n:
        found = _rescue(free, x, y, z, n, tol)
        if found.size:
            modules.append(found)
            free = np.setdiff1d(free, found.ravel(), assume_unique=True)
    mods = np.concatenate(modules) if modules else np.empty((0, n), dtype=np.int64)
    return MatchResult(modules=mods.astype(np.int64), leftovers=free, eligible=int(eligible.sum()))


def _dominant(measures: tuple[FloatArray, ...], tols: tuple[float, ...], idx: IntArray) -> int:
    """The measure whose range spans the most tolerances (capacity on ties)."""
    if idx.size == 0:
        return 0
    spans = []
    for x, t in zip(measures, tols, strict=True):
        width = float(np.ptp(x[idx]))
        spans.append(width / t if t > 0 else (np.inf if width > 0 else 0.0))
    return int(np.argmax(spans))


def _bucket(x: FloatArray, tol: float, offset: float) -> IntArray:
    if x.size and float(np.ptp(x)) <= tol:
        return np.zeros(x.size, dtype=np.int64)  # the whole range fits: never split it
    if tol > 0:
        return np.floor(x / tol - offset).astype(np.int64)
    return np.unique(x, return_inverse=True)[1].astype(np.int64)  # zero tolerance: equal only


def _sweep(
    idx: IntArray,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    n: int,
    tol: tuple[float, float, float],
    offsets: tuple[float, float],
) -> IntArray:
    """One pass: bucket by the two secondary measures (y, z), sweep x within each bucket."""
    br = _bucket(y[idx], tol[1], offsets[0])
    bo = _bucket(z[idx], tol[2], offsets[1])
    order = np.lexsort((x[idx], bo, br))
    cells = idx[order]
    c = x[cells]
    # Same bucket as the cell n-1 places on, and within the capacity tolerance: the n cells
    # from here form a valid module (their capacity span is c[i+n-1] - c[i]).
    if cells.size < n:
        return np.empty((0, n), dtype=np.int64)
    same = (br[order][n - 1 :] == br[order][: 1 - n or None]) & (
        bo[order][n - 1 :] == bo[order][: 1 - n or None]
    )
    fits = same & (c[n - 1 :] - c[: c.size - n + 1] <= tol[0])
    starts = _greedy_starts(fits.tolist(), n)
    if not starts:
        return np.empty((0, n), dtype=np.int64)
    rows = np.asarray(starts)[:, None] + np.arange(n)[None, :]
    return cells[rows]


def _greedy_starts(fits: list[bool], n: int) -> list[int]:
    """Walk the sorted cells: take n where they fit, else skip one (plain loop over a list:
    one comparison per cell, faster than any numpy formulation of this sequential rule)."""
    starts = []
    i, last = 0, len(fits)
    while i < last:
        if fits[i]:
            starts.append(i)
            i += n
        else:
            i += 1
    return starts


def _rescue(
    idx: IntArray,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    n: int,
    tol: tuple[float, float, float],
) -> IntArray:
    """Last pass over the cells the grids left: anchor on the lowest unmatched cell in x
    and search its x window exactly for n-1 partners that fit every spread."""
    order = idx[np.argsort(x[idx], kind="stable")]
    c, r, o = x[order], y[order], z[order]
    window_end = np.searchsorted(c, c + tol[0], side="right")
    used = np.zeros(order.size, dtype=bool)
    found: list[IntArray] = []
    for a in range(order.size):
        if used[a]:
            continue
        cand = np.arange(a + 1, window_end[a])
        cand = cand[~used[cand]]
        cand = cand[(np.abs(r[cand] - r[a]) <= tol[1]) & (np.abs(o[cand] - o[a]) <= tol[2])]
        if cand.size < n - 1:
            continue
        partners = _partners(cand, r, o, r[a], o[a], n - 1, tol)
        if partners is not None:
            used[a] = True
            used[partners] = True
            found.append(order[np.concatenate(([a], partners))])
    return np.array(found, dtype=np.int64).reshape(-1, n)


def _partners(
    cand: IntArray,
    r: FloatArray,
    o: FloatArray,
    ra: float,
    oa: float,
    k: int,
    tol: tuple[float, float, float],
) -> IntArray | None:
    """The k lowest-capacity candidates inside some DCIR x OCV box of tolerance size that
    holds the anchor; among the boxes that hold k, the one whose k-th capacity is lowest
    (``cand`` is in capacity order, so the first k inside a box are its lowest)."""
    best: IntArray | None = None
    best_last = np.iinfo(np.int64).max
    r_starts = np.unique(np.concatenate(([ra], r[cand])))
    o_starts = np.unique(np.concatenate(([oa], o[cand])))
    o_starts = o_starts[(o_starts <= oa) & (o_starts >= oa - tol[2])]
    for r0 in r_starts[(r_starts <= ra) & (r_starts >= ra - tol[1])]:
        in_r = cand[(r[cand] >= r0) & (r[cand] <= r0 + tol[1])]
        if in_r.size < k:
            continue
        # Every OCV box at once: rows are box starts, columns candidates in capacity order.
        ov = o[in_r]
        inside = (ov[None, :] >= o_starts[:, None]) & (ov[None, :] <= o_starts[:, None] + tol[2])
        counts = np.cumsum(inside, axis=1)
        full = counts[:, -1] >= k
        if not full.any():
            continue
        kth = np.where(full, np.argmax(counts >= k, axis=1), np.iinfo(np.int64).max)
        row = int(np.argmin(kth))
        if in_r[kth[row]] < best_last:
            best = in_r[inside[row]][:k]
            best_last = int(best[-1])
    return best
