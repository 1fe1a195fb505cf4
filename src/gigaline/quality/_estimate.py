"""Within-subgroup statistics and the σ estimators the charts and capability share.

The estimators are qcc's defaults (R package qcc, ``sd.xbar``; SAS/QC User's Guide):
UWAVE-R, the unweighted mean of ``R_i / d2(n_i)``; UWAVE-SD, the unweighted mean of
``s_i / c4(n_i)``; and for single values the mean moving range over ``d2(2)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gigaline.quality.constants import MAX_RANGE_N, c4, d2, d3
from gigaline.quality.errors import QualityInputError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Subgroups:
    """Per-subgroup size, mean, range and standard deviation (ddof 1) of a padded 2-D array."""

    sizes: FloatArray
    means: FloatArray
    ranges: FloatArray
    sds: FloatArray


def subgroup_stats(arr: FloatArray, field: str = "data", min_size: int = 2) -> Subgroups:
    present = ~np.isnan(arr)
    sizes = present.sum(axis=1).astype(float)
    small = np.flatnonzero(sizes < min_size)
    if small.size:
        i = int(small[0])
        raise QualityInputError(
            f"{field}[{i}]",
            f"subgroup of {int(sizes[i])} value(s)",
            f"every subgroup needs at least {min_size} values (for single values use chart='imr')",
        )
    big = np.flatnonzero(sizes > MAX_RANGE_N)
    if big.size and min_size >= 2:
        i = int(big[0])
        raise QualityInputError(
            f"{field}[{i}]", f"subgroup of {int(sizes[i])}", f"at most {MAX_RANGE_N} values"
        )
    means = np.nanmean(arr, axis=1)
    if min_size >= 2:
        ranges = np.nanmax(arr, axis=1) - np.nanmin(arr, axis=1)
        sds = np.nanstd(arr, axis=1, ddof=1)
    else:
        ranges = np.zeros_like(means)
        sds = np.zeros_like(means)
    return Subgroups(sizes=sizes, means=means, ranges=ranges, sds=sds)


def per_size(constant: Callable[[int], float], sizes: FloatArray) -> FloatArray:
    """``constant(n)`` of each subgroup size, computed once per distinct size (a chart of
    10,000 subgroups has one or two sizes: a call per subgroup was most of its CPU time)."""
    distinct, where = np.unique(sizes, return_inverse=True)
    values = np.array([constant(int(n)) for n in distinct], dtype=np.float64)
    return values[where.reshape(-1)]


def d2_of(sizes: FloatArray) -> FloatArray:
    return per_size(d2, sizes)


def c4_of(sizes: FloatArray) -> FloatArray:
    return per_size(c4, sizes)


def d3_of(sizes: FloatArray) -> FloatArray:
    return per_size(d3, sizes)


def sigma_uwave_r(groups: Subgroups, keep: NDArray[np.bool_]) -> float:
    """Unweighted mean of R_i/d2(n_i) over the kept subgroups."""
    return float(np.mean(groups.ranges[keep] / d2_of(groups.sizes[keep])))


def sigma_uwave_sd(groups: Subgroups, keep: NDArray[np.bool_]) -> float:
    """Unweighted mean of s_i/c4(n_i) over the kept subgroups."""
    return float(np.mean(groups.sds[keep] / c4_of(groups.sizes[keep])))


def moving_ranges(x: FloatArray) -> FloatArray:
    return np.abs(np.diff(x))


def sigma_moving_range(x: FloatArray, keep: NDArray[np.bool_], field: str = "data") -> float:
    """Mean moving range of consecutive kept points over d2(2).

    A moving range that touches an excluded point is left out (the two values around a
    gap are not consecutive in time).
    """
    mr = moving_ranges(x)
    use = keep[1:] & keep[:-1]
    if not use.any():
        raise QualityInputError(
            field, f"{int(keep.sum())} usable value(s)", "two consecutive included values needed"
        )
    return float(np.mean(mr[use]) / d2(2))
