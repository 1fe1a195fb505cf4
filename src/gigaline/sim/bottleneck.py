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

import heapq
import itertools

import numpy as np
import numpy.typing as npt

__all__ = ["momentary_bottleneck"]

FloatArray = npt.NDArray[np.float64]


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
    heap: list[tuple[float, float, int]] = []  # (-length, start, index)
    nxt = 0
    segments: list[tuple[float, float, int]] = []  # (from, to, period index)
    for x, y in itertools.pairwise(bounds):
        while nxt < n and per[nxt, 1] <= x:
            heapq.heappush(heap, (-(per[nxt, 2] - per[nxt, 1]), per[nxt, 1], nxt))
            nxt += 1
        while heap and per[heap[0][2], 2] <= x:
            heapq.heappop(heap)
        if not heap:
            continue
        i = heap[0][2]
        if segments and segments[-1][2] == i and segments[-1][1] == x:
            segments[-1] = (segments[-1][0], y, i)
        else:
            segments.append((x, y, i))
    for a, b, i in segments:
        momentary[int(per[i, 0])] += b - a
    for (_, b1, i), (a2, _, j) in itertools.pairwise(segments):
        si, sj = int(per[i, 0]), int(per[j, 0])
        if si == sj or b1 != a2:
            continue
        lo = max(per[i, 1], per[j, 1], t0)
        hi = min(per[i, 2], per[j, 2], t1)
        if hi > lo:
            shifting[si] += hi - lo
            shifting[sj] += hi - lo
    sole[:] = np.maximum(momentary - shifting, 0.0)
    return sole, shifting, momentary
