"""Run rules for Shewhart charts: Western Electric 1-4 and Nelson 1-8.

Each rule returns the indices (0-based) of the points that complete a violating pattern,
with the conventions of R qcc (``R/rules.R``, version 3.0), so results can be compared:

* a run rule flags every point from the one that completes the run onwards, for as long
  as the run lasts (the 9th, 10th, ... point of a run on one side for Nelson 2);
* the "k of m beyond a zone" rules look at the window of ``m`` points ending at a point,
  flag it only when the point itself lies beyond the zone, and need a full window;
* zones are the centre ± 1, 2 (of ``nsigmas/3``) standard errors of the plotted
  statistic, so they follow variable limits point by point.

Sources: Western Electric, *Statistical Quality Control Handbook* (1956); L. S. Nelson,
"The Shewhart control chart: tests for special causes", *J. Quality Technology* 16(4),
1984, 237-239; Montgomery, *Introduction to Statistical Quality Control*, sec. 5.3.6.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gigaline.quality.errors import QualityInputError

__all__ = ["NELSON", "RULE_SETS", "WESTERN_ELECTRIC", "Series", "evaluate_rules", "resolve_rules"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

WESTERN_ELECTRIC = {
    1: "one point beyond the 3-sigma limits",
    2: "2 of 3 consecutive points beyond 2 sigma on the same side",
    3: "4 of 5 consecutive points beyond 1 sigma on the same side",
    4: "8 consecutive points on one side of the centre line",
}
NELSON = {
    1: "one point beyond the 3-sigma limits",
    2: "9 points in a row on one side of the centre line",
    3: "6 points in a row steadily increasing or decreasing",
    4: "14 points in a row alternating up and down",
    5: "2 of 3 consecutive points beyond 2 sigma on the same side",
    6: "4 of 5 consecutive points beyond 1 sigma on the same side",
    7: "15 points in a row within 1 sigma of the centre line",
    8: "8 points in a row beyond 1 sigma on either side, with both sides present",
}
RULE_SETS = {"western_electric": WESTERN_ELECTRIC, "nelson": NELSON}
_ALIASES = {
    "western_electric": "western_electric",
    "western-electric": "western_electric",
    "we": "western_electric",
    "wer": "western_electric",
    "nelson": "nelson",
}


def _run(cond: BoolArray, length: int) -> BoolArray:
    """True where the point is at least the ``length``-th of a run of True."""
    idx = np.arange(cond.size)
    last_false = np.maximum.accumulate(np.where(cond, -1, idx))
    return cond & (idx - last_false >= length)


def _k_of_m(beyond: BoolArray, k: int, m: int) -> BoolArray:
    """True at points beyond the zone that end a full window of ``m`` with ``k`` beyond."""
    out = np.zeros(beyond.size, dtype=bool)
    if beyond.size < m:
        return out
    csum = np.concatenate(([0], np.cumsum(beyond.astype(int))))
    counts = csum[m:] - csum[:-m]  # window ending at index m-1 .. n-1
    out[m - 1 :] = (counts >= k) & beyond[m - 1 :]
    return out


@dataclass(frozen=True)
class Series:
    """A plotted statistic point by point: its expected value (centre line), its standard
    error and the control limits."""

    stat: FloatArray
    center: FloatArray
    se: FloatArray
    lcl: FloatArray
    ucl: FloatArray

    def __add__(self, other: Series) -> Series:
        """The two series one after the other (earlier points first)."""
        return Series(
            *(np.concatenate((getattr(self, f), getattr(other, f))) for f in _SERIES_FIELDS)
        )


_SERIES_FIELDS = ("stat", "center", "se", "lcl", "ucl")


class _Series:
    """A series with its zone width: one "sigma zone" is nsigmas/3 standard errors."""

    def __init__(self, series: Series, nsigmas: float) -> None:
        self.stat, self.center, self.se = series.stat, series.center, series.se
        self.lcl, self.ucl = series.lcl, series.ucl
        self.unit = nsigmas / 3.0

    def beyond(self, zones: float) -> tuple[BoolArray, BoolArray]:
        width = zones * self.unit * self.se
        return self.stat > self.center + width, self.stat < self.center - width


def _rule_limits(s: _Series) -> BoolArray:
    return (s.stat > s.ucl) | (s.stat < s.lcl)


def _rule_2_of_3(s: _Series) -> BoolArray:
    above, below = s.beyond(2)
    return _k_of_m(above, 2, 3) | _k_of_m(below, 2, 3)


def _rule_4_of_5(s: _Series) -> BoolArray:
    above, below = s.beyond(1)
    return _k_of_m(above, 4, 5) | _k_of_m(below, 4, 5)


def _one_side(length: int) -> Callable[[_Series], BoolArray]:
    def rule(s: _Series) -> BoolArray:
        return _run(s.stat > s.center, length) | _run(s.stat < s.center, length)

    return rule


def _trend(s: _Series) -> BoolArray:
    out = np.zeros(s.stat.size, dtype=bool)
    d = np.diff(s.stat)
    out[1:] = _run(d > 0, 5) | _run(d < 0, 5)
    return out


def _alternating(s: _Series) -> BoolArray:
    out = np.zeros(s.stat.size, dtype=bool)
    d = np.diff(s.stat)
    if d.size >= 2:
        out[2:] = _run(d[1:] * d[:-1] < 0, 12)
    return out


def _within_one(s: _Series) -> BoolArray:
    width = s.unit * s.se
    inside = (s.stat >= s.center - width) & (s.stat <= s.center + width)
    return _run(inside, 15)


def _outside_one_both_sides(s: _Series) -> BoolArray:
    above, below = s.beyond(1)
    out = np.zeros(s.stat.size, dtype=bool)
    m = 8
    if s.stat.size < m:
        return out
    outside = _run(above | below, m)
    ca = np.concatenate(([0], np.cumsum(above.astype(int))))
    cb = np.concatenate(([0], np.cumsum(below.astype(int))))
    any_above = (ca[m:] - ca[:-m]) > 0
    any_below = (cb[m:] - cb[:-m]) > 0
    out[m - 1 :] = outside[m - 1 :] & any_above & any_below
    return out


_RULES: dict[str, dict[int, Callable[[_Series], BoolArray]]] = {
    "western_electric": {1: _rule_limits, 2: _rule_2_of_3, 3: _rule_4_of_5, 4: _one_side(8)},
    "nelson": {
        1: _rule_limits,
        2: _one_side(9),
        3: _trend,
        4: _alternating,
        5: _rule_2_of_3,
        6: _rule_4_of_5,
        7: _within_one,
        8: _outside_one_both_sides,
    },
}


def resolve_rules(rules: str | None, only: Iterable[int] | None) -> tuple[str, list[int]]:
    """Normalise a rule-set name and the rule numbers selected from it."""
    if rules is None:
        if only is not None and list(only) != [1]:
            raise QualityInputError("only", only, "choose a rule set with rules=... first")
        return "western_electric", [1]
    key = _ALIASES.get(str(rules).strip().lower())
    if key is None:
        raise QualityInputError("rules", rules, "'western_electric' or 'nelson' is allowed")
    numbers = sorted(RULE_SETS[key])
    if only is not None:
        chosen = sorted({int(r) for r in only})
        bad = [r for r in chosen if r not in RULE_SETS[key]]
        if bad:
            raise QualityInputError("only", bad, f"{key} rules are numbered {numbers}")
        numbers = chosen
    return key, numbers


def evaluate_rules(
    series: Series, nsigmas: float, rule_set: str, numbers: list[int]
) -> dict[int, BoolArray]:
    """Boolean flags per rule for every point of the series."""
    zones = _Series(series, nsigmas)
    return {r: _RULES[rule_set][r](zones) for r in numbers}
