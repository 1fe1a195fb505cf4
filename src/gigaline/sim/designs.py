"""Designs of experiments: the factor levels of every scenario.

* ``list``: the scenarios written out, each a mapping of factor name to value (a factor left
  out keeps the base line's value);
* ``full_factorial``: every combination of the factors' ``values``, the last factor changing
  fastest (``itertools.product`` order), so the first scenario takes every factor's first
  value;
* ``latin_hypercube``: ``samples`` points of a Latin hypercube (McKay, Beckman and Conover,
  Technometrics 21(2), 1979, doi:10.2307/1268522) from :class:`scipy.stats.qmc.LatinHypercube`,
  seeded by the scenario file's ``seed``. Each point's coordinate u in [0, 1) maps to
  ``low + u (high - low)`` for a range (in the unit of ``low``), to one of the
  ``high - low + 1`` integers for an integer range, and to ``values[floor(u n)]`` for n levels,
  so that every level or stratum is used equally often.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import qmc

from gigaline.errors import Problem

if TYPE_CHECKING:
    from gigaline.sim.factor_paths import Value
    from gigaline.sim.scenario import Factor, ScenarioSet

__all__ = ["design_levels", "level_at"]


def design_levels(
    s: ScenarioSet, listed: Sequence[Mapping[str, Value]] | None, samples: int | None
) -> list[dict[str, Value]]:
    """The factor levels of every scenario of ``s``'s design (see the module doc)."""
    from gigaline.sim._scenario_io import ScenarioFileError, dotted, line_at

    problems: list[Problem] = []

    def bad(where: tuple[str | int, ...], value: object, message: str) -> None:
        problems.append(Problem(s.source, line_at(s._lines, where), dotted(where), value, message))

    if s.design == "list":
        if not listed:
            bad(("scenarios",), None, "design 'list' needs scenarios: a list of {factor: value}")
        known = {f.name for f in s.factors}
        for i, sc in enumerate(listed or []):
            for k in sc:
                if k != "name" and k not in known:
                    bad(("scenarios", i, k), sc[k], f"unknown factor; factors: {', '.join(known)}")
        if problems:
            raise ScenarioFileError(problems)
        return [dict(sc) for sc in listed or []]
    if listed:
        bad(("scenarios",), "...", f"scenarios are for design 'list', not {s.design!r}")
    if s.design == "full_factorial":
        for f in s.factors:
            if f.values is None:
                bad(
                    ("factors", f.name),
                    f.path,
                    "full_factorial needs values (levels); a range "
                    "(low, high) is for latin_hypercube",
                )
        if problems:
            raise ScenarioFileError(problems)
        combos = itertools.product(*[f.values or () for f in s.factors])
        return [dict(zip([f.name for f in s.factors], c, strict=True)) for c in combos]
    if samples is None:
        bad(("samples",), None, "design 'latin_hypercube' needs samples (how many scenarios)")
    if problems:
        raise ScenarioFileError(problems)
    assert samples is not None
    sampler = qmc.LatinHypercube(d=len(s.factors), rng=np.random.default_rng(s.settings.seed))
    points = sampler.random(samples)
    return [
        {f.name: level_at(f, float(u)) for f, u in zip(s.factors, row, strict=True)}
        for row in points
    ]


def level_at(f: Factor, u: float) -> Value:
    """The level of factor ``f`` at coordinate ``u`` in [0, 1) (see the module doc)."""
    from gigaline.sim.factor_paths import as_number, convert

    if f.values is not None:
        n = len(f.values)
        return f.values[min(n - 1, math.floor(u * n))]
    assert f.low is not None and f.high is not None
    if f.is_integer:
        lo, hi = int(f.low), int(f.high)
        return min(hi, lo + math.floor(u * (hi - lo + 1)))
    lo_q = as_number(f.low)
    hi_n = convert(as_number(f.high), lo_q[1])
    x = lo_q[0] + u * (hi_n - lo_q[0])
    return float(f"{x:.6g}") if not lo_q[1] else f"{x:.6g} {lo_q[1]}"
