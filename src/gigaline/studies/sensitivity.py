"""Sensitivity: which inputs move throughput and cost per kWh most.

* **One at a time** around the base line: each factor alone to the low and the high end of its
  range (or its first and last level), every other input as in the base line file. The swing
  (high minus low) of each figure is drawn as a tornado chart.
* **Variance-based (Sobol) indices** over the whole space, with SALib (Herman and Usher,
  "SALib: an open-source Python library for sensitivity analysis", JOSS 2(9), 2017,
  doi:10.21105/joss.00097): Saltelli's sampling scheme (Saltelli et al., Computer Physics
  Communications 181(2), 2010, doi:10.1016/j.cpc.2009.09.018) draws ``samples`` x (k + 2)
  points of the unit cube for k factors; each coordinate maps to a level as in a Latin
  hypercube design (:func:`gigaline.sim.designs.level_at`: integers and levels by stratum).
  First-order indices S1 say how much of a figure's variance one factor explains alone, total
  indices ST how much it explains with its interactions; each with its 95 % bootstrap
  interval. Integer and level factors make the indices those of the discretised inputs.

Every evaluation is a candidate of :func:`gigaline.studies.evaluate.evaluate` (simulated with
common random numbers, priced by the planner); identical designs are simulated once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigaline.sim import ScenarioSet
from gigaline.sim.designs import level_at
from gigaline.sim.factor_paths import Value, get_value
from gigaline.studies.evaluate import Candidate, StudyError, evaluate

__all__ = ["OneAtATime", "SensitivityResult", "sensitivity"]

#: The figures analysed (simulated throughput, the planner's cost per kWh) and shown.
SENSITIVITY_FIGURES = ("throughput_per_h", "gwh_per_year", "cost_usd_per_kwh", "capex_usd")


@dataclass(frozen=True)
class OneAtATime:
    """One factor moved alone to its two ends."""

    factor: str
    low_level: Value
    high_level: Value
    low: Candidate
    high: Candidate

    def swing(self, figure: str) -> float:
        return self.high.figures.get(figure, math.nan) - self.low.figures.get(figure, math.nan)


@dataclass(frozen=True)
class SensitivityResult:
    """The base design, one-at-a-time swings, and Sobol indices per figure."""

    study: ScenarioSet
    base: Candidate
    oat: tuple[OneAtATime, ...]
    #: figure -> factor -> {S1, S1_conf, ST, ST_conf}
    sobol: dict[str, dict[str, dict[str, float]]]
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        """The ``gigaline sensitivity --json`` object (docs/experiments.md)."""
        return {
            "study": self.study.name,
            "line": self.study.base.name,
            "factors": {f.name: f.path for f in self.study.factors},
            "base": {"factors": self.base.levels, **_figs(self.base)},
            "one_at_a_time": [
                {
                    "factor": o.factor,
                    "low": {"level": o.low_level, **_figs(o.low)},
                    "high": {"level": o.high_level, **_figs(o.high)},
                    "swing": {f: _num(o.swing(f)) for f in SENSITIVITY_FIGURES},
                }
                for o in self.oat
            ],
            "sobol": {
                fig: {k: {n: _num(v) for n, v in d.items()} for k, d in by.items()}
                for fig, by in self.sobol.items()
            },
            "evaluations": self.evaluations,
        }


def _figs(c: Candidate) -> dict[str, float | None]:
    return {f: _num(c.figures.get(f, math.nan)) for f in SENSITIVITY_FIGURES}


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def sensitivity(
    study: ScenarioSet,
    *,
    samples: int = 16,
    sobol: bool = True,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
) -> SensitivityResult:
    """One-at-a-time swings and (with ``sobol``) Sobol indices of ``study``'s factors."""
    factors = study.factors
    for f in factors:
        if f.values is None and f.low is None:
            raise StudyError(f"factor {f.name!r}: sensitivity needs a range (low, high) or values")
    if sobol and samples < 2:
        raise StudyError(f"samples must be at least 2 for Sobol indices (got {samples})")
    cache: dict[tuple[Value, ...], Candidate] = {}
    base_levels = {f.name: get_value(study.base_data, f.paths[0]) for f in factors}
    total = 1 + 2 * len(factors) + (samples * (len(factors) + 2) if sobol else 0)

    calls = 0

    def judge(levels: dict[str, Value]) -> Candidate:
        nonlocal calls
        key = tuple(levels[f.name] for f in factors)
        if key not in cache:
            cache[key] = evaluate(study, levels, len(cache), executor=executor)[0]
        calls += 1
        if progress is not None:
            progress(min(1.0, calls / total))
        return cache[key]

    base = judge(base_levels)
    if not base.figures:
        raise StudyError(f"the base line cannot be evaluated: {base.note}")
    oat = []
    for f in factors:
        lo, hi = _ends(f.values, f.low, f.high)
        oat.append(
            OneAtATime(
                f.name,
                lo,
                hi,
                judge({**base_levels, f.name: lo}),
                judge({**base_levels, f.name: hi}),
            )
        )
    indices = _sobol(study, samples, judge) if sobol else {}
    return SensitivityResult(study, base, tuple(oat), indices, len(cache))


def _ends(
    values: Sequence[Value] | None, low: Value | None, high: Value | None
) -> tuple[Value, Value]:
    if values is not None:
        return values[0], values[-1]
    assert low is not None and high is not None
    return low, high


def _sobol(
    study: ScenarioSet, samples: int, judge: Callable[[dict[str, Value]], Candidate]
) -> dict[str, dict[str, dict[str, float]]]:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    factors = study.factors
    problem = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }
    seed = study.settings.seed
    x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    x = np.clip(x, 0.0, np.nextafter(1.0, 0.0))
    cands = [
        judge({f.name: level_at(f, float(u)) for f, u in zip(factors, row, strict=True)})
        for row in x
    ]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for figure in ("throughput_per_h", "cost_usd_per_kwh"):
        y = np.array([c.figures.get(figure, math.nan) for c in cands])
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0.0:
            out[figure] = {
                f.name: dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), math.nan) for f in factors
            }
            continue
        res = sobol_analyze.analyze(
            problem, y, calc_second_order=False, seed=seed, print_to_console=False
        )
        out[figure] = {
            f.name: {
                "S1": float(res["S1"][i]),
                "S1_conf": float(res["S1_conf"][i]),
                "ST": float(res["ST"][i]),
                "ST_conf": float(res["ST_conf"][i]),
            }
            for i, f in enumerate(factors)
        }
    return out
