"""The active period method of bottleneck detection (Roser, Nakano and Tanaka).

A step is *active* while none of its servers is starved, blocked or in a planned stop (working
or under repair both count as active); an uninterrupted stretch of activity is an active
period. At any instant the bottleneck is the step whose active period covering that instant is
the longest ("Shifting bottleneck detection", Proc. Winter Simulation Conference 2002,
doi:10.1109/WSC.2002.1166410). Where the periods of the outgoing and the incoming bottleneck
overlap, both are *shifting* bottlenecks; elsewhere the bottleneck is the *sole* one.

For a step of parallel machines the step-level definition (all servers active) makes the step
a bottleneck only while it has no spare capacity at all, which is the sense of the method for
a station.

The kernel hands over only periods that can matter (see ``kernel._settle``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gigaline.sim._jit import jit

__all__ = ["momentary_bottleneck"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@jit
def _ahead(start: FloatArray, end: FloatArray, i: int, j: int) -> bool:
    """Period ``i`` ranks before ``j``: longer, then earlier, then first recorded."""
    li = -(end[i] - start[i])
    lj = -(end[j] - start[j])
    if li != lj:
        return bool(li < lj)
    if start[i] != start[j]:
        return bool(start[i] < start[j])
    return i < j


@jit
def _sweep(
    start: FloatArray, end: FloatArray, bounds: FloatArray, heap: IntArray, seg: FloatArray
) -> int:
    """Between consecutive ``bounds``, the longest period covering them; returns the number of
    segments written to ``seg`` as rows (from, to, period index), merged where one period
    stays on top. ``heap`` is scratch space of one slot per period (a binary heap of periods
    by rank; a period leaves it once it has ended)."""
    n = start.shape[0]
    h = 0
    nxt = 0
    ns = 0
    for k in range(bounds.shape[0] - 1):
        x = bounds[k]
        y = bounds[k + 1]
        while nxt < n and start[nxt] <= x:
            i = h
            while i > 0:
                p = (i - 1) >> 1
                if not _ahead(start, end, nxt, heap[p]):
                    break
                heap[i] = heap[p]
                i = p
            heap[i] = nxt
            h += 1
            nxt += 1
        while h > 0 and end[heap[0]] <= x:
            h -= 1
            last = heap[h]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= h:
                    break
                if c + 1 < h and _ahead(start, end, heap[c + 1], heap[c]):
                    c += 1
                if not _ahead(start, end, heap[c], last):
                    break
                heap[i] = heap[c]
                i = c
            heap[i] = last
        if h == 0:
            continue
        top = heap[0]
        if ns > 0 and seg[ns - 1, 2] == top and seg[ns - 1, 1] == x:
            seg[ns - 1, 1] = y
        else:
            seg[ns, 0] = x
            seg[ns, 1] = y
            seg[ns, 2] = top
            ns += 1
    return ns


@jit
def _attribute(
    seg: FloatArray,
    ns: int,
    step: IntArray,
    start: FloatArray,
    end: FloatArray,
    t0: float,
    t1: float,
    sole: FloatArray,
    shifting: FloatArray,
    momentary: FloatArray,
) -> None:
    """Add up the segments of :func:`_sweep` per step: momentary bottleneck time, and shifting
    time where one step's period hands over to another's and the two overlap."""
    for k in range(ns):
        momentary[step[int(seg[k, 2])]] += seg[k, 1] - seg[k, 0]
    for k in range(ns - 1):
        i = int(seg[k, 2])
        j = int(seg[k + 1, 2])
        si = step[i]
        sj = step[j]
        if si == sj or seg[k, 1] != seg[k + 1, 0]:
            continue
        lo = max(start[i], start[j], t0)
        hi = min(end[i], end[j], t1)
        if hi > lo:
            shifting[si] += hi - lo
            shifting[sj] += hi - lo
    for s in range(momentary.shape[0]):
        sole[s] = max(momentary[s] - shifting[s], 0.0)


def momentary_bottleneck(
    periods: FloatArray, t0: float, t1: float, n_steps: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per step: sole, shifting and momentary bottleneck time [s] inside [t0, t1].

    ``periods`` rows are (step, start, end). A period is ranked by its whole length, and only
    its part inside the window is counted.
    """
    sole = np.zeros(n_steps)
    shifting = np.zeros(n_steps)
    momentary = np.zeros(n_steps)
    if periods.size == 0:
        return sole, shifting, momentary
    keep = (periods[:, 2] > t0) & (periods[:, 1] < t1)
    per = periods[keep]
    per = per[np.argsort(per[:, 1], kind="stable")]
    n = len(per)
    bounds = np.unique(np.clip(np.concatenate([per[:, 1], per[:, 2]]), t0, t1))
    start = np.ascontiguousarray(per[:, 1])
    end = np.ascontiguousarray(per[:, 2])
    seg = np.zeros((max(len(bounds) - 1, 1), 3))
    ns = _sweep(start, end, bounds, np.zeros(n, dtype=np.int64), seg)
    _attribute(seg, ns, per[:, 0].astype(np.int64), start, end, t0, t1, sole, shifting, momentary)
    return sole, shifting, momentary
