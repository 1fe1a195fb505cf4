"""Every number of a line file has a physically reasoned range, and a value outside it (NaN and
infinity included) is refused with a message that says what is allowed."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from gigaline.errors import LineFileError, Problem
from gigaline.model import Line, bounds, parse_line
from gigaline.model.bounds import Bound
from tests.conftest import ROOT
from tests.model.test_load import HEADER

STEP = "{id: m1, kind: discrete, cycle_time: 1 s}"


def _leaves(tp: Any, bounded: bool) -> Iterator[tuple[Any, bool]]:
    """The leaf types of an annotation, each with whether a Bound guards it."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        yield from _leaves(base, bounded or any(isinstance(m, Bound) for m in meta))
    elif origin in (Union, types.UnionType, list, dict, tuple):
        for arg in get_args(tp):
            yield from _leaves(arg, bounded)
    else:
        yield tp, bounded


def _unbounded_numbers(model: type[BaseModel], seen: set[type]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        bounded = any(isinstance(m, Bound) for m in field.metadata)
        for leaf, guarded in _leaves(field.annotation, bounded):
            if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                yield from _unbounded_numbers(leaf, seen)
            elif leaf in (int, float) and not guarded:
                yield f"{model.__name__}.{name}"


def test_every_number_of_the_schema_has_a_bound() -> None:
    assert list(_unbounded_numbers(Line, set())) == []


def _one_problem(text: str) -> Problem:
    with pytest.raises(LineFileError) as info:
        parse_line(text, source="bad.yaml")
    (p,) = info.value.problems
    return p


def _with_step(step: str, extra: str = "") -> str:
    return HEADER + f"steps:\n  - {step}\n" + extra


# (the field as the message names it, the line-file text, what the message must say)
ABSURD = {
    "units_per_cell .inf": (
        "steps[0].units_per_cell",
        _with_step("{id: m1, kind: discrete, cycle_time: 1 s, units_per_cell: .inf}"),
        "must be a finite number >= 1e-06 and <= 1,000,000",
    ),
    "units_per_cell .nan": (
        "steps[0].units_per_cell",
        _with_step("{id: m1, kind: discrete, cycle_time: 1 s, units_per_cell: .nan}"),
        "must be a finite number >= 1e-06 and <= 1,000,000",
    ),
    "gamma shape 1e-300": (
        "steps[0].cycle_time.shape",
        _with_step(
            "{id: m1, kind: discrete, cycle_time: {dist: gamma, shape: 1e-300, scale: 1 s}}"
        ),
        "must be >= 0.01 and <= 10,000",
    ),
    "weibull shape 0.01": (
        "steps[0].cycle_time.shape",
        _with_step(
            "{id: m1, kind: discrete, cycle_time: {dist: weibull, shape: 0.01, scale: 1 s}}"
        ),
        "must be >= 0.1 and <= 100",
    ),
    "capacity_ah 1e308": (
        "cell.capacity_ah",
        HEADER.replace("capacity_ah: 280", "capacity_ah: 1.0e308") + f"steps: [{STEP}]\n",
        "must be >= 0.01 Ah and <= 10,000 Ah",
    ),
    "cycle_time 1e308 s": (
        "steps[0].cycle_time",
        _with_step("{id: m1, kind: discrete, cycle_time: 1e308 s}"),
        "must be >= 0 s and <= 3,650 d",
    ),
    "cycle_time 1e400 s (inf)": (
        "steps[0].cycle_time",
        _with_step("{id: m1, kind: discrete, cycle_time: 1e400 s}"),
        "must be a finite number",
    ),
    "mean cycle time 1 us": (
        "steps[0]",
        _with_step("{id: m1, kind: discrete, cycle_time: 0.001 ms}"),
        "the mean of cycle_time must be >= 1 ms and <= 3,650 d",
    ),
    "batch_size 1e12": (
        "steps[0].batch_size",
        _with_step("{id: m1, kind: batch, cycle_time: 1 s, batch_size: 1000000000000}"),
        "must be >= 1 and <= 1,000,000",
    ),
    "batch_size 1e12 written as 1e12": (
        "steps[0].batch_size",
        _with_step("{id: m1, kind: batch, cycle_time: 1 s, batch_size: 1e12}"),
        "must be a whole number",
    ),
    "mttr of 1 us": (
        "steps[0].failures",
        _with_step(
            "{id: m1, kind: discrete, cycle_time: 1 s, failures: {mtbf: 1 h, mttr: 1e-6 s}}"
        ),
        "the mean of mttr must be >= 1 ms",
    ),
    "speed 1e9 m/min": (
        "steps[0].speed",
        _with_step("{id: c, kind: continuous, speed: 1e9 m/min, width: 1 m, units_per_cell: 20}"),
        "must be >= 0.1 m/min and <= 1,000 m/min",
    ),
    "machines 1e6": (
        "steps[0].machines",
        _with_step("{id: m1, kind: discrete, cycle_time: 1 s, machines: 1000000}"),
        "must be >= 1 and <= 100,000",
    ),
    "voltage 0.1 V": (
        "cell.nominal_voltage_v",
        HEADER.replace("nominal_voltage_v: 3.2", "nominal_voltage_v: 0.1") + f"steps: [{STEP}]\n",
        "must be >= 1 V and <= 10 V",
    ),
    "target 1e300 GWh": (
        "target.gwh_per_year",
        HEADER + "target: {gwh_per_year: 1.0e300}\n" + f"steps: [{STEP}]\n",
        "must be > 0 GWh/yr and <= 1,000 GWh/yr",
    ),
    "maintenance every 1 s": (
        "calendar.planned_maintenance.every",
        HEADER.replace(
            "{hours_per_year: 8760}",
            "{hours_per_year: 8760, planned_maintenance: {every: 1 s, duration: 0.5 s}}",
        )
        + f"steps: [{STEP}]\n",
        "must be >= 1 h and <= 3,650 d",
    ),
    "hours_per_year 1e-300": (
        "calendar.hours_per_year",
        HEADER.replace("hours_per_year: 8760", "hours_per_year: 1.0e-300") + f"steps: [{STEP}]\n",
        "must be >= 1 and <= 8,784",
    ),
    "maintenance 90 % of the time": (
        "calendar.planned_maintenance",
        HEADER.replace(
            "{hours_per_year: 8760}",
            "{hours_per_year: 8760, planned_maintenance: {every: 10 h, duration: 9 h}}",
        )
        + f"steps: [{STEP}]\n",
        "duration / every is 0.9: the share of scheduled time in planned maintenance must be "
        "> 0 and <= 0.5",
    ),
    "spec limit inf": (
        "quality.specs[0].usl",
        _with_step(STEP, "quality: {specs: [{step: m1, param: p, usl: .inf}]}\n"),
        "must be a finite number",
    ),
    "grade capacity limit 1e9": (
        "quality.grades[0].capacity_ah",
        _with_step(STEP, "quality: {grades: [{name: A, capacity_ah: {min: 1.0e9}}]}\n"),
        "limits of capacity_ah must be >= 0 Ah and <= 10,000 Ah",
    ),
    "cells per module 1e9": (
        "quality.matching.cells_per_module",
        _with_step(
            STEP,
            "quality: {matching: {cells_per_module: 1000000000, capacity_spread_ah: 1, "
            "dcir_spread_mohm: 1, ocv_spread_mv: 1}}\n",
        ),
        "must be >= 1 and <= 10,000",
    ),
    "foil density 1e9": (
        "cell.design.cathode.foil.density_kg_m3",
        None,  # built below from the reference line
        "must be >= 500 kg/m3 and <= 25,000 kg/m3",
    ),
}


def _reference_with(old: str, new: str) -> str:
    text = (ROOT / "examples" / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("case", sorted(ABSURD))
def test_absurd_values_are_refused_saying_what_is_allowed(case: str) -> None:
    field, text, allowed = ABSURD[case]
    if text is None:
        text = _reference_with("density_kg_m3: 2700", "density_kg_m3: 1.0e9")
    p = _one_problem(text)
    assert p.field == field, str(p)
    assert allowed in p.message, str(p)
    assert p.line is not None and str(p).startswith(f"bad.yaml:{p.line}: {field}: ")


def test_values_at_the_edges_of_their_ranges_load() -> None:
    text = HEADER.replace("capacity_ah: 280", "capacity_ah: 10000").replace(
        "nominal_voltage_v: 3.2", "nominal_voltage_v: 1"
    ) + (
        "target: {gwh_per_year: 1000}\n"
        "steps:\n"
        "  - {id: a, kind: discrete, cycle_time: 1 ms, machines: 100000, units_per_cell: 1000000}\n"
        "  - {id: b, kind: batch, cycle_time: 3650 d, batch_size: 1000000,"
        " buffer_after: 100000000}\n"
        "  - {id: c, kind: dwell, cycle_time: {dist: gamma, shape: 0.01, scale: 10000 s}, "
        "capacity: 10000000}\n"
        "  - {id: d, kind: discrete, cycle_time: {dist: weibull, shape: 100, scale: 1 s}, "
        "failures: {mtbf: 3650 d, mttr: 1 ms}, yield: 0.000001}\n"
    )
    line = parse_line(text)
    assert line.step("b").cycle_time is not None
    assert line.step("b").cycle_time.mean_s == bounds.TIME_MAX_S


def test_the_yield_to_the_end_of_the_line_stays_above_one_in_a_million() -> None:
    steps = "\n".join(
        f"  - {{id: s{i}, kind: discrete, cycle_time: 1 s, yield: 0.01}}" for i in range(4)
    )
    with pytest.raises(LineFileError) as info:
        parse_line(HEADER + "steps:\n" + steps + "\n")
    (p,) = info.value.problems
    assert p.field == "steps[0].yield"  # from s1, 0.01^3 = 1e-6 is allowed; from s0, 1e-8
    assert p.value == pytest.approx(1e-8)
    assert "the yield from step 's0' to the end of the line" in p.message
    assert "must be >= 1e-06 and <= 1" in p.message


def test_a_step_faster_than_a_million_cells_a_second_is_refused() -> None:
    p = _one_problem(
        _with_step(
            "{id: m1, kind: batch, cycle_time: 1 ms, batch_size: 1000, machines: 1000, "
            "units_per_cell: 0.001}"
        )
    )
    assert p.field == "steps[0]"
    assert "nominal capacity" in p.message and "<= 1,000,000 cells/s" in p.message
    assert p.value == pytest.approx(1e12)


QUALITY = {
    "spec of an unknown step": (
        "quality: {specs: [{step: coating, param: w, lsl: 1, usl: 2}]}",
        "quality.specs[0].step",
        "no step with this id; steps are m1",
    ),
    "two specs of one parameter": (
        "quality: {specs: [{step: m1, param: w, lsl: 1}, {step: m1, param: w, usl: 2}]}",
        "quality.specs[1].param",
        "a second spec for m1/w (also specs[0])",
    ),
    "target outside the limits": (
        "quality: {specs: [{step: m1, param: w, lsl: 1, usl: 2, target: 3}]}",
        "quality.specs[0]",
        "target (3.0) must not be above usl (2.0)",
    ),
    "matching an unknown grade": (
        "quality: {grades: [{name: A, capacity_ah: {min: 1}}], matching: {cells_per_module: 4, "
        "capacity_spread_ah: 1, dcir_spread_mohm: 1, ocv_spread_mv: 1, grades: [A, Z]}}",
        "quality.matching.grades[1]",
        "no grade with this name; grades are A",
    ),
}


@pytest.mark.parametrize("case", sorted(QUALITY))
def test_the_quality_section_refers_to_what_exists(case: str) -> None:
    quality, field, words = QUALITY[case]
    p = _one_problem(_with_step(STEP, quality + "\n"))
    assert p.field == field, str(p)
    assert words in p.message, str(p)


def _all_bounds() -> dict[str, Bound]:
    found = {k: v for k, v in vars(bounds).items() if isinstance(v, Bound)}
    found.update({f"GRADE_LIMITS[{k}]": v for k, v in bounds.GRADE_LIMITS.items()})
    return found


RUN_BOUNDS = {
    "RUN_DAYS", "WARMUP_DAYS", "REPLICATIONS", "SEED", "WORKERS", "TRIALS", "SOBOL_SAMPLES",
    "RAMP_MONTHS",
}  # fmt: skip
MES_BOUNDS = {"INGEST_BATCH", "ROW_ID", "SUBGROUP", "BASELINE"}


def test_the_docs_list_every_bound_as_the_code_has_it() -> None:
    """docs/line-file.md ("Allowed ranges"), docs/simulation.md ("Limits of a run") and
    docs/mes.md (the MES commands' numbers)."""
    line_doc = (ROOT / "docs" / "line-file.md").read_text(encoding="utf-8")
    run_doc = (ROOT / "docs" / "simulation.md").read_text(encoding="utf-8")
    mes_doc = (ROOT / "docs" / "mes.md").read_text(encoding="utf-8")
    table = line_doc[line_doc.index("## Allowed ranges") : line_doc.index("## Errors")]
    cell = re.compile(r"\| `([^`|]+)`(?= \|)")
    documented = set(cell.findall(table))
    runs = set(cell.findall(run_doc))
    mes = set(cell.findall(mes_doc))
    missing = [
        f"{name}: {b.allowed()}"
        for name, b in _all_bounds().items()
        if b.allowed()
        not in (runs if name in RUN_BOUNDS else mes if name in MES_BOUNDS else documented)
    ]
    assert missing == []
