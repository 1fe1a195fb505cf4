"""Scenario files: a base line file, factors that change it by path, and a design of scenarios.

A scenario file (YAML, docs/experiments.md) names a base line file, *factors* (each a path into
the line file, such as ``steps.stacking.machines``, and its levels or range), a *design* (an
explicit list, the full factorial of the levels, or a Latin hypercube over the ranges) and the
run settings (replications, days, warm-up, seed). :func:`load_scenarios` reads it into a
:class:`ScenarioSet` whose every :class:`Scenario` is a validated :class:`~gigaline.model.Line`
and can be written back as a line file.

Factors change the line file's own data, before validation, so that every scenario passes the
loader that checks a line file: a bad path or value gets the same message (file, line, field,
value, what is allowed), naming the scenario file and the factor.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gigaline.errors import LineFileError, Problem
from gigaline.model import Line, parse_line
from gigaline.model.units import STRICT_UNITS
from gigaline.sim._scenario_io import (
    ScenarioFileError,
    dotted,
    line_at,
    read_line_file,
    read_yaml,
    spec_problem,
)
from gigaline.sim.factor_paths import (
    PathError,
    Value,
    apply_factors,
    as_number,
    convert,
    get_value,
    resolve,
)

__all__ = [
    "Factor",
    "RunSettings",
    "Scenario",
    "ScenarioFileError",
    "ScenarioSet",
    "apply_factors",
    "load_scenarios",
    "parse_scenarios",
]

Design = Literal["list", "full_factorial", "latin_hypercube"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactorSpec(_Strict):
    """A factor as written: a path (or several, all set to the same value) into the line
    file, and its levels or its range."""

    path: str | list[str] = Field(min_length=1)
    values: list[Value] | None = Field(default=None, min_length=1)
    low: Value | None = None
    high: Value | None = None

    @model_validator(mode="after")
    def _levels_or_range(self) -> FactorSpec:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high (a range), or neither")
        if self.values is not None and self.low is not None:
            raise ValueError("give values (levels) or low and high (a range), not both")
        return self


class OptimizeSpec(_Strict):
    """Defaults of ``gigaline optimize`` (the command line overrides them)."""

    objective: str | None = None
    direction: Literal["minimize", "maximize"] | None = None
    constraints: list[str] = Field(default_factory=list)
    trials: int | None = Field(default=None, ge=1, le=100_000)


class ScenarioFileSpec(_Strict):
    """The scenario file as written (see docs/experiments.md)."""

    line: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    factors: dict[str, FactorSpec] = Field(min_length=1)
    design: Design | None = None
    scenarios: list[dict[str, Value]] | None = None
    samples: int | None = Field(default=None, ge=1, le=100_000)
    replications: int = Field(default=1, ge=1, le=100_000)
    days: float = Field(default=7.0, gt=0)
    warmup_days: float = Field(default=0.0, ge=0)
    seed: int = Field(default=0, ge=0, lt=2**63)
    optimize: OptimizeSpec | None = None


@dataclass(frozen=True)
class Factor:
    """A factor: its name, its paths into the line file, and its levels or range."""

    name: str
    paths: tuple[str, ...]
    values: tuple[Value, ...] | None = None
    low: Value | None = None
    high: Value | None = None

    @property
    def path(self) -> str:
        """The path, or the paths joined by commas."""
        return ", ".join(self.paths)

    @property
    def is_integer(self) -> bool:
        """Integer range (machines, buffers, batch sizes): both ends written as integers."""
        return isinstance(self.low, int) and isinstance(self.high, int)


@dataclass(frozen=True)
class RunSettings:
    """How every scenario is simulated."""

    replications: int
    days: float
    warmup_days: float
    seed: int


@dataclass(frozen=True)
class Scenario:
    """One scenario: its name, the factor levels it sets, and the validated line."""

    name: str
    factors: dict[str, Value]
    line: Line
    data: dict[str, Any] = field(repr=False)

    def to_yaml(self, source: str = "") -> str:
        """The scenario as a line file (the base file's data with the factors applied)."""
        head = f"# scenario {self.name!r}"
        if source:
            head += f" of {source}"
        sets = ", ".join(f"{k} = {v!r}" for k, v in self.factors.items())
        text = yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True, width=100)
        return f"{head}: {sets}\n{text}"

    def write_line_file(self, path: str | Path, source: str = "") -> Path:
        """Write :meth:`to_yaml` to ``path``; it loads back to the same line."""
        p = Path(path)
        p.write_text(self.to_yaml(source), encoding="utf-8")
        return p


@dataclass(frozen=True)
class ScenarioSet:
    """A scenario file, loaded: the base line, the factors, the scenarios and run settings."""

    source: str
    name: str
    base: Line
    base_data: dict[str, Any] = field(repr=False)
    line_source: str
    factors: tuple[Factor, ...]
    design: Design | None
    scenarios: tuple[Scenario, ...]
    settings: RunSettings
    optimize: OptimizeSpec | None = None
    _lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)

    def with_settings(
        self,
        replications: int | None = None,
        days: float | None = None,
        warmup_days: float | None = None,
        seed: int | None = None,
    ) -> ScenarioSet:
        """The same scenarios with run settings overridden where given (the command line's
        ``--replications``, ``--days``, ``--warmup-days``, ``--seed``)."""
        st = self.settings
        new = RunSettings(
            replications if replications is not None else st.replications,
            days if days is not None else st.days,
            warmup_days if warmup_days is not None else st.warmup_days,
            seed if seed is not None else st.seed,
        )
        bad = [
            (name, value, rule)
            for name, value, ok, rule in (
                ("replications", new.replications, new.replications >= 1, "at least 1"),
                ("days", new.days, new.days > 0, "positive"),
                ("warmup_days", new.warmup_days, new.warmup_days >= 0, "not negative"),
                ("seed", new.seed, new.seed >= 0, "not negative"),
            )
            if not ok
        ]
        if bad:
            raise ScenarioFileError(
                [Problem("command line", None, n, v, f"must be {rule}") for n, v, rule in bad]
            )
        return dataclasses.replace(self, settings=new)

    def scenario(self, levels: Mapping[str, Value], name: str = "") -> Scenario:
        """A new scenario of the base line with ``levels`` (factor name -> value) applied.

        Raises :class:`ScenarioFileError` naming the factor when a value does not make a valid
        line (the optimiser and the sensitivity analysis build their candidates this way).
        """
        by_name = {f.name: f for f in self.factors}
        unknown = [k for k in levels if k not in by_name]
        if unknown:
            raise ScenarioFileError(
                [
                    Problem(
                        self.source, None, "factors", k, f"unknown factor; factors: {_names(self)}"
                    )
                    for k in unknown
                ]
            )
        return _build(self, dict(levels), name or _label(levels))


def _names(s: ScenarioSet) -> str:
    return ", ".join(f.name for f in s.factors)


def _label(levels: Mapping[str, Value]) -> str:
    return ", ".join(f"{k}={v}" for k, v in levels.items())


# ---- loading ---------------------------------------------------------------------------------


def load_scenarios(path: str | Path) -> ScenarioSet:
    """Read and validate the scenario file at ``path`` and every scenario it designs."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioFileError([Problem(str(p), None, "", str(p), "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(
            [Problem(str(p), None, "", str(p), f"cannot read: {exc}")]
        ) from None
    return parse_scenarios(text, source=str(p), base_dir=p.parent)


def parse_scenarios(text: str, source: str = "<string>", base_dir: str | Path = ".") -> ScenarioSet:
    """Validate the YAML ``text`` of a scenario file; ``line`` is relative to ``base_dir``."""
    from gigaline.sim.designs import design_levels

    data, lines = read_yaml(text, source)
    try:
        spec = ScenarioFileSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioFileError(
            [spec_problem(e, data, lines, source) for e in exc.errors()]
        ) from None
    line_path = Path(base_dir) / spec.line
    base_text, base_data = read_line_file(line_path, source, lines)
    base = parse_line(base_text, source=str(line_path))
    factors = tuple(
        Factor(
            name,
            (f.path,) if isinstance(f.path, str) else tuple(f.path),
            tuple(f.values) if f.values else None,
            f.low,
            f.high,
        )
        for name, f in spec.factors.items()
    )
    sset = ScenarioSet(
        source=source,
        name=spec.name or Path(source).stem,
        base=base,
        base_data=base_data,
        line_source=str(line_path),
        factors=factors,
        design=spec.design or _default_design(factors, spec),
        scenarios=(),
        settings=RunSettings(spec.replications, spec.days, spec.warmup_days, spec.seed),
        optimize=spec.optimize,
        _lines=lines,
    )
    problems = [p for f in factors for p in _check_factor(sset, f)]
    if problems:
        raise ScenarioFileError(problems)
    levels = design_levels(sset, spec.scenarios, spec.samples) if sset.design else []
    scenarios = []
    for i, lv in enumerate(levels):
        name = str(lv.pop("name", "")) if isinstance(lv.get("name"), str) else ""
        scenarios.append(_build(sset, lv, name or _label(lv), at=("scenarios", i)))
    object.__setattr__(sset, "scenarios", tuple(scenarios))
    return sset


def _default_design(factors: Sequence[Factor], spec: ScenarioFileSpec) -> Design | None:
    """Without ``design``: the full factorial when every factor has levels, a list when
    scenarios are written out, else none (a search space for optimize and sensitivity)."""
    if spec.scenarios is not None:
        return "list"
    if all(f.values is not None for f in factors):
        return "full_factorial"
    return None


def _check_factor(s: ScenarioSet, f: Factor) -> list[Problem]:
    """Path and every level of one factor, each tried alone on the base line."""
    at = ("factors", f.name)
    for i, one in enumerate(f.paths):
        try:
            resolve(copy.deepcopy(s.base_data), one)
        except PathError as exc:
            path = (*at, "path") if len(f.paths) == 1 else (*at, "path", i)
            return [Problem(s.source, line_at(s._lines, path), dotted(path), one, str(exc))]
    problems: list[Problem] = []
    tries: list[tuple[tuple[str | int, ...], Value]] = []
    if f.values is not None:
        tries = [((*at, "values", i), v) for i, v in enumerate(f.values)]
    elif f.low is not None and f.high is not None:
        tries = [((*at, "low"), f.low), ((*at, "high"), f.high)]
        if _order(f.low, f.high) is False:
            path = (*at, "high")
            problems.append(
                Problem(
                    s.source, line_at(s._lines, path), dotted(path), f.high, "must be above low"
                )
            )
    for where, value in tries:
        problems.extend(_try_value(s, f, value, where))
    return problems


def _order(low: Value, high: Value) -> bool | None:
    """Whether low < high (None when they cannot be compared: the line check then speaks)."""
    try:
        lo, hi = as_number(low), as_number(high)
    except ValueError:
        return None
    return lo[0] < convert(hi, lo[1])


def _validate(data: Mapping[str, Any], source: str) -> Line:
    """The line of line-file ``data``: validated directly (fast), and on a mistake through
    the line-file loader, whose :class:`LineFileError` names every problem."""
    try:
        return Line.model_validate(dict(data), context={STRICT_UNITS: True})
    except ValidationError:
        pass
    return parse_line(_dump(data), source=source)  # raises LineFileError with the details


def _try_value(
    s: ScenarioSet, f: Factor, value: Value, where: tuple[str | int, ...]
) -> list[Problem]:
    data = apply_factors(s.base_data, {f.name: value}, {f.name: f.paths})
    try:
        _validate(data, s.line_source)
    except LineFileError as exc:
        return [_factor_problem(s, where, value, p) for p in exc.problems]
    return []


def _factor_problem(
    s: ScenarioSet, where: tuple[str | int, ...], value: Value, p: Problem
) -> Problem:
    name = Path(s.line_source).name
    text = f"sets {p.field} of {name}: {p.message}" if p.field else f"{name}: {p.message}"
    return Problem(s.source, line_at(s._lines, where), dotted(where), value, text)


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)


def _build(
    s: ScenarioSet, levels: dict[str, Value], name: str, at: tuple[str | int, ...] = ()
) -> Scenario:
    paths = {f.name: f.paths for f in s.factors}
    missing = [f.name for f in s.factors if f.name not in levels]
    if s.design == "list" and at and missing:
        levels.update({m: get_value(s.base_data, paths[m][0]) for m in missing})
        levels = {k: v for k, v in levels.items() if v is not None}
    try:
        data = apply_factors(s.base_data, levels, {k: paths[k] for k in levels})
    except PathError as exc:  # pragma: no cover - paths were checked
        raise ScenarioFileError([Problem(s.source, None, dotted(at), levels, str(exc))]) from None
    try:
        line = _validate(data, s.line_source)
    except LineFileError as exc:
        raise ScenarioFileError(
            [_factor_problem(s, at, _label(levels), p) for p in exc.problems]
        ) from None
    return Scenario(name=name, factors=levels, line=line, data=data)
