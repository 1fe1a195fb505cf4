"""Design optimisation: integer machine counts and buffer sizes against cost, under constraints.

The search space is the scenario file's factors: an integer range (``low``, ``high`` written
as integers: machines, buffer places, batch sizes) is searched over its integers, ``values``
over those levels, a numeric range continuously. Each candidate is simulated with the scenario
file's replications and seed (common random numbers: candidates are compared on the same
random numbers) and priced by the planner at its simulated output
(:func:`gigaline.studies.evaluate.evaluate`).

The optimiser is Optuna's TPE sampler (Bergstra et al., "Algorithms for hyper-parameter
optimization", NeurIPS 2011; with constraints after Gardner et al., ICML 2014), seeded by the
scenario file's seed. Where the space has no more designs than trials it is searched
exhaustively instead (Optuna's BruteForceSampler): the answer is then exact. Last, the best
feasible design is polished by compass search: each integer factor a step up and down while
that improves it, the steps halving from an eighth of each range down to one (machine counts
and buffers act monotonically, so the sampler's best is often a few steps from the optimum).
Identical designs are simulated once.

The result holds every candidate, the best feasible one, and the Pareto front of capex
against GWh per year (the candidates no other candidate beats on both).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from gigaline.sim import ScenarioSet
from gigaline.sim.factor_paths import Value, as_number
from gigaline.sim.scenario import Factor
from gigaline.studies.evaluate import (
    BEST,
    Candidate,
    Constraint,
    StudyError,
    check_figure,
    evaluate,
)

__all__ = ["OptimizationResult", "optimize", "pareto_front"]


@dataclass(frozen=True)
class OptimizationResult:
    """Every candidate tried, the best feasible one, and the Pareto front."""

    study: ScenarioSet
    objective: str
    direction: str
    constraints: tuple[Constraint, ...]
    robust: bool
    sampler: str
    candidates: tuple[Candidate, ...]
    best: Candidate | None
    front: tuple[Candidate, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``gigaline optimize --json`` object (docs/experiments.md)."""
        st = self.study.settings
        return {
            "study": self.study.name,
            "line": self.study.base.name,
            "objective": self.objective,
            "direction": self.direction,
            "constraints": [str(c) for c in self.constraints],
            "robust": self.robust,
            "sampler": self.sampler,
            "replications": st.replications,
            "days": st.days,
            "warmup_days": st.warmup_days,
            "seed": st.seed,
            "factors": {f.name: f.path for f in self.study.factors},
            "evaluated": len(self.candidates),
            "best": _cand(self.best) if self.best else None,
            "pareto_front": [_cand(c) for c in self.front],
            "candidates": [_cand(c) for c in self.candidates],
        }


def _cand(c: Candidate) -> dict[str, Any]:
    return {
        "number": c.number,
        "factors": c.levels,
        "feasible": c.feasible,
        **{k: _num(v) for k, v in c.figures.items()},
        "half_widths": {k: _num(v) for k, v in c.half_widths.items() if k != "machines"},
        **({"note": c.note} if c.note else {}),
    }


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def optimize(
    study: ScenarioSet,
    objective: str,
    constraints: Sequence[Constraint] = (),
    *,
    direction: str | None = None,
    trials: int = 40,
    robust: bool = False,
    executor: Executor | None = None,
    progress: Callable[[float], None] | None = None,
) -> OptimizationResult:
    """Search ``study``'s factors for the design best in ``objective`` that meets every
    constraint (with ``robust``, at the unfavourable end of each 95 % interval)."""
    import optuna

    check_figure(objective, "objective")
    direction = direction or BEST[objective]
    if direction not in ("minimize", "maximize"):
        raise StudyError(f"direction must be minimize or maximize (got {direction!r})")
    if trials < 1:
        raise StudyError(f"trials must be at least 1 (got {trials})")
    space = _space_size(study.factors)
    brute = space is not None and space <= trials
    cache: dict[tuple[Value, ...], Candidate] = {}
    order: list[Candidate] = []
    budget = trials + (0 if brute else _polish_budget(study.factors))

    def judge(levels: dict[str, Value]) -> Candidate:
        key = tuple(levels[f.name] for f in study.factors)
        if key not in cache:
            c, _ = evaluate(study, levels, len(order), executor=executor)
            c = _with_feasibility(c, constraints, robust)
            cache[key] = c
            order.append(c)
            if progress is not None:
                progress(min(1.0, len(order) / budget))
        return cache[key]

    def run(trial: optuna.Trial) -> float:
        c = judge({f.name: _suggest(trial, f) for f in study.factors})
        for i, v in enumerate(_violations(c, constraints, robust)):
            trial.set_constraint(f"c{i}", v if math.isfinite(v) else 1e300)
        y = c.figures.get(objective, math.nan)
        return y if math.isfinite(y) else (math.inf if direction == "minimize" else -math.inf)

    seed = study.settings.seed
    sampler: optuna.samplers.BaseSampler
    if brute:
        with warnings.catch_warnings():  # experimental since Optuna 3.1, stable in use
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.BruteForceSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, trials))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    opt = optuna.create_study(
        direction="minimize" if direction == "minimize" else "maximize", sampler=sampler
    )
    opt.optimize(run, n_trials=trials if not brute else space or trials)
    best = _best(order, objective, direction)
    if best is not None and not brute:
        best = _polish(study, best, judge, objective, direction)
    if progress is not None:
        progress(1.0)
    return OptimizationResult(
        study=study,
        objective=objective,
        direction=direction,
        constraints=tuple(constraints),
        robust=robust,
        sampler="exhaustive" if brute else "tpe + compass polish",
        candidates=tuple(order),
        best=best,
        front=pareto_front(order),
    )


def _suggest(trial: Any, f: Factor) -> Value:
    if f.values is not None:
        return trial.suggest_categorical(f.name, list(f.values))  # type: ignore[no-any-return]
    assert f.low is not None and f.high is not None
    if f.is_integer:
        return trial.suggest_int(f.name, int(f.low), int(f.high))  # type: ignore[no-any-return]
    lo, unit = as_number(f.low)
    hi, hi_unit = as_number(f.high)
    if hi_unit != unit:
        raise StudyError(f"factor {f.name!r}: write low and high in the same unit for optimize")
    x = float(trial.suggest_float(f.name, lo, hi))
    return x if not unit else f"{x:.4g} {unit}"


def _space_size(factors: Sequence[Factor]) -> int | None:
    n = 1
    for f in factors:
        if f.values is not None:
            n *= len(f.values)
        elif f.is_integer:
            n *= int(f.high) - int(f.low) + 1  # type: ignore[arg-type]
        else:
            return None
    return n


def _polish_budget(factors: Sequence[Factor]) -> int:
    return 8 * sum(2 for f in factors if f.is_integer)


def _violations(c: Candidate, constraints: Sequence[Constraint], robust: bool) -> list[float]:
    if not c.figures or c.note:
        return [math.inf] * max(1, len(constraints))
    return [k.violation(c.value(k.figure, k if robust else None)) for k in constraints] or [0.0]


def _with_feasibility(c: Candidate, constraints: Sequence[Constraint], robust: bool) -> Candidate:
    ok = c.feasible and all(v <= 0 for v in _violations(c, constraints, robust))
    return Candidate(c.number, c.levels, c.figures, c.half_widths, ok, c.note)


def _best(cands: Sequence[Candidate], objective: str, direction: str) -> Candidate | None:
    ok = [c for c in cands if c.feasible and math.isfinite(c.figures.get(objective, math.nan))]
    if not ok:
        return None
    sign = 1.0 if direction == "minimize" else -1.0
    return min(ok, key=lambda c: (sign * c.figures[objective], c.number))


def _polish(
    study: ScenarioSet,
    best: Candidate,
    judge: Callable[[dict[str, Value]], Candidate],
    objective: str,
    direction: str,
) -> Candidate:
    """Compass search from ``best`` over the integer factors (Kolda, Lewis and Torczon,
    "Optimization by direct search", SIAM Review 45(3), 2003, doi:10.1137/S003614450242889):
    each factor a step up and down, moving while that improves; steps start at an eighth of
    each range and halve down to 1 when no move improves."""
    sign = 1.0 if direction == "minimize" else -1.0
    ints = [f for f in study.factors if f.is_integer]
    step = {f.name: max(1, (int(f.high) - int(f.low)) // 8) for f in ints}  # type: ignore[arg-type]
    tries, limit = 0, _polish_budget(study.factors)
    while tries < limit:
        improved = False
        for f in ints:
            for delta in (-step[f.name], step[f.name]):
                x = int(best.levels[f.name]) + delta
                if not int(f.low) <= x <= int(f.high):  # type: ignore[arg-type]
                    continue
                tries += 1
                c = judge({**best.levels, f.name: x})
                if c.feasible and sign * c.figures[objective] < sign * best.figures[objective]:
                    best, improved = c, True
        if not improved:
            if all(v == 1 for v in step.values()):
                break
            step = {k: max(1, v // 2) for k, v in step.items()}
    return best


def pareto_front(cands: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """Candidates no other beats on both capex (lower) and GWh per year (higher), by capex."""
    ok = [
        c
        for c in cands
        if math.isfinite(c.figures.get("capex_usd", math.nan))
        and math.isfinite(c.figures.get("gwh_per_year", math.nan))
    ]
    front = []
    for c in ok:
        cap, gwh = c.figures["capex_usd"], c.figures["gwh_per_year"]
        dominated = any(
            o.figures["capex_usd"] <= cap
            and o.figures["gwh_per_year"] >= gwh
            and (o.figures["capex_usd"] < cap or o.figures["gwh_per_year"] > gwh)
            for o in ok
        )
        if not dominated:
            front.append(c)
    unique: dict[tuple[float, float], Candidate] = {}
    for c in sorted(front, key=lambda c: (c.figures["capex_usd"], c.number)):
        unique.setdefault((c.figures["capex_usd"], c.figures["gwh_per_year"]), c)
    return tuple(unique.values())
