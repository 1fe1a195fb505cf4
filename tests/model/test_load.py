"""The line-file loader: good files load to SI, bad files get one located message per problem."""

from __future__ import annotations

import textwrap

import pytest

from gigaline.errors import LineFileError
from gigaline.model import load_line, parse_line
from gigaline.model.distributions import Exponential, Fixed
from tests.conftest import EXAMPLES

HEADER = """\
name: test line
cell: {format: prismatic, chemistry: LFP, capacity_ah: 280, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
"""


def _steps(body: str) -> str:
    return HEADER + "steps:\n" + textwrap.indent(textwrap.dedent(body), "  ")


def test_two_machine_example_loads_exactly_as_written() -> None:
    line = load_line(EXAMPLES / "two-machine.yaml")
    m1, m2 = line.steps
    assert m1.cycle_time == Exponential(dist="exponential", mean=1.0)
    assert m1.failures is not None
    assert m1.failures.mtbf.mean_s == 100.0 and m1.failures.mttr.mean_s == 10.0
    assert m1.failures.basis == "operating"
    assert m1.failures.availability == pytest.approx(100 / 110)
    assert m1.buffer_after == 5
    assert m2.cycle_time == Fixed(value=0.9)
    assert m2.yield_ == 0.99
    assert m2.buffer_after == 0
    assert line.calendar.scheduled_s_per_year == 8760 * 3600
    assert line.cell.energy_kwh == pytest.approx(0.896)


def test_human_units_are_converted_to_si_once() -> None:
    text = _steps(
        """
        - id: coat
          kind: continuous
          speed: 80 m/min
          width: 1200 mm
          units_per_cell: 20
        - id: age
          kind: dwell
          cycle_time: 21 d
          capacity: 1000
          failures: {mtbf: 2 h, mttr: 90 min}
        """
    )
    coat, age = parse_line(text).steps
    assert coat.speed_m_per_s == pytest.approx(80 / 60)
    assert coat.width_m == pytest.approx(1.2)
    assert age.cycle_time is not None and age.cycle_time.mean_s == 21 * 86400
    assert age.failures is not None and age.failures.mttr.mean_s == 5400
    assert age.rate_per_machine_units_per_s == pytest.approx(1000 / (21 * 86400))


def test_every_distribution_reports_its_mean() -> None:
    text = _steps(
        """
        - {id: a, kind: discrete, cycle_time: {dist: normal, mean: 2 s, sd: 0.1 s}}
        - {id: b, kind: discrete, cycle_time: {dist: lognormal, mean: 2 s, sd: 1 s}}
        - {id: c, kind: discrete, cycle_time: {dist: gamma, shape: 4, scale: 0.5 s}}
        - {id: d, kind: discrete, cycle_time: {dist: weibull, shape: 1, scale: 2 s}}
        - {id: e, kind: discrete, cycle_time: {dist: uniform, low: 1 s, high: 3 s}}
        - {id: f, kind: discrete, cycle_time: {dist: triangular, low: 1 s, mode: 2 s, high: 3 s}}
        - {id: g, kind: discrete, cycle_time: {dist: empirical, values: [1 s, 2 s, 3 s]}}
        """
    )
    for step in parse_line(text).steps:
        assert step.cycle_time is not None
        assert step.cycle_time.mean_s == pytest.approx(2.0), step.id
    # Weibull with shape 1 is exponential: squared coefficient of variation 1.
    d = parse_line(text).step("d").cycle_time
    assert d is not None and d.scv == pytest.approx(1.0)


BRANCHED = """
- {id: c_coat, kind: discrete, branch: cathode, cycle_time: 1 s}
- {id: a_coat, kind: discrete, branch: anode, cycle_time: 1 s}
- {id: stack, kind: discrete, merge: [cathode, anode], cycle_time: 1 s}
- {id: form, kind: batch, cycle_time: 20 h, batch_size: 256}
"""


def test_branches_merge_into_the_main_chain() -> None:
    line = parse_line(_steps(BRANCHED))
    assert set(line.branches) == {"cathode", "anode"}
    assert [s.id for s in line.main_steps] == ["stack", "form"]
    assert [s.id for s in line.predecessors(line.step("stack"))] == ["c_coat", "a_coat"]
    assert [s.id for s in line.predecessors(line.step("form"))] == ["stack"]
    assert line.step("form").units_per_cycle == 256


# Each case: the line-file text, the field the message must name, and words it must contain.
BAD = {
    "unknown key": (
        _steps("- {id: a, kind: discrete, cycle_time: 1 s, colour: red}"),
        "steps[0].colour",
        "unknown key",
    ),
    "unknown top-level key": (
        HEADER + "stepz: []\nsteps: [{id: a, kind: discrete, cycle_time: 1 s}]\n",
        "stepz",
        "unknown key",
    ),
    "wrong unit": (
        _steps("- {id: a, kind: discrete, cycle_time: 0.9 kg}"),
        "steps[0].cycle_time",
        "not a unit of time",
    ),
    "missing unit": (
        _steps("- {id: a, kind: discrete, cycle_time: 3}"),
        "steps[0].cycle_time",
        "needs a unit",
    ),
    "negative time": (
        _steps("- {id: a, kind: discrete, cycle_time: -3 s}"),
        "steps[0].cycle_time",
        ">= 0",
    ),
    "yield above 1": (
        _steps("- {id: a, kind: discrete, cycle_time: 1 s, yield: 1.2}"),
        "steps[0].yield",
        "<= 1",
    ),
    "zero yield": (
        _steps("- {id: a, kind: discrete, cycle_time: 1 s, yield: 0}"),
        "steps[0].yield",
        "> 0",
    ),
    "unknown distribution": (
        _steps("- {id: a, kind: discrete, cycle_time: {dist: exponental, mean: 1 s}}"),
        "steps[0].cycle_time.dist",
        "unknown distribution",
    ),
    "distribution missing a parameter": (
        _steps("- {id: a, kind: discrete, cycle_time: {dist: normal, mean: 1 s}}"),
        "steps[0].cycle_time.sd",
        "missing",
    ),
    "unknown step kind": (
        _steps("- {id: a, kind: discrte, cycle_time: 1 s}"),
        "steps[0].kind",
        "'continuous', 'discrete', 'batch' or 'dwell'",
    ),
    "duplicate id": (
        _steps(
            "- {id: a, kind: discrete, cycle_time: 1 s}\n- {id: a, kind: discrete, cycle_time: 1 s}"
        ),
        "steps[1].id",
        "duplicate step id",
    ),
    "merge of a missing branch": (
        _steps(
            "- {id: c, kind: discrete, branch: cathode, "
            "cycle_time: 1 s}\n- {id: s, kind: discrete, "
            "merge: [cathode, anode], cycle_time: 1 s}"
        ),
        "steps[1].merge",
        "unknown branch",
    ),
    "branch never merged": (
        _steps(
            "- {id: c, kind: discrete, branch: cathode, "
            "cycle_time: 1 s}\n- {id: s, kind: discrete, "
            "cycle_time: 1 s}"
        ),
        "steps[0].branch",
        "never merged",
    ),
    "batch step without batch size": (
        _steps("- {id: f, kind: batch, cycle_time: 20 h}"),
        "steps[0]",
        "needs batch_size",
    ),
    "dwell step without capacity": (
        _steps("- {id: g, kind: dwell, cycle_time: 21 d}"),
        "steps[0]",
        "needs capacity",
    ),
    "continuous step with a cycle time": (
        _steps(
            "- {id: c, kind: continuous, speed: 1 m/s, "
            "width: 1 m, cycle_time: 1 s, "
            "units_per_cell: 3}"
        ),
        "steps[0]",
        "does not take cycle_time",
    ),
    "continuous step without electrode": (
        _steps("- {id: c, kind: continuous, speed: 1 m/s, width: 1 m}"),
        "steps[0].electrode",
        "needs electrode",
    ),
    "speed in a time unit": (
        _steps("- {id: c, kind: continuous, speed: 80 min, width: 1 m, units_per_cell: 2}"),
        "steps[0].speed",
        "not a unit of speed",
    ),
    "zero machines": (
        _steps("- {id: a, kind: discrete, machines: 0, cycle_time: 1 s}"),
        "steps[0].machines",
        ">= 1",
    ),
    "negative buffer": (
        _steps("- {id: a, kind: discrete, cycle_time: 1 s, buffer_after: -1}"),
        "steps[0].buffer_after",
        ">= 0",
    ),
    "unknown failure basis": (
        _steps(
            "- {id: a, kind: discrete, cycle_time: 1 s, failures: "
            "{mtbf: 1 h, mttr: 1 min, basis: wallclock}}"
        ),
        "steps[0].failures.basis",
        "'operating' or 'calendar'",
    ),
    "unknown cell format": (
        HEADER.replace("prismatic", "cubic")
        + "steps: [{id: a, kind: discrete, cycle_time: 1 s}]\n",
        "cell.format",
        "'prismatic', 'cylindrical' or 'pouch'",
    ),
    "missing cell": (
        "name: x\ncalendar: {hours_per_year: 10}\nsteps: [{id: a, kind: discrete,"
        " cycle_time: 1 s}]\n",
        "cell",
        "required key is missing",
    ),
    "calendar over-specified": (
        HEADER.replace("{hours_per_year: 8760}", "{hours_per_year: 8760, days_per_year: 300}")
        + "steps: [{id: a, kind: discrete, cycle_time: 1 s}]\n",
        "calendar",
        "not both",
    ),
    "unknown process": (
        _steps("- {id: a, kind: discrete, process: baking, cycle_time: 1 s}"),
        "steps[0].process",
        "unknown process",
    ),
    "bad id": (
        _steps("- {id: 1st step, kind: discrete, cycle_time: 1 s}"),
        "steps[0].id",
        "must start with a letter",
    ),
    "uniform low above high": (
        _steps("- {id: a, kind: discrete, cycle_time: {dist: uniform, low: 3 s, high: 1 s}}"),
        "steps[0].cycle_time",
        "low must not exceed high",
    ),
    "no steps": (HEADER + "steps: []\n", "steps", "at least 1"),
    "invalid YAML": (HEADER + "steps: [{id: a\n", "", "not valid YAML"),
    "not a mapping": ("- just\n- a list\n", "", "must be a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_line_file_gets_a_located_message(case: str) -> None:
    text, field, words = BAD[case]
    with pytest.raises(LineFileError) as info:
        parse_line(text, source="bad.yaml")
    problems = info.value.problems
    assert problems, case
    match = [p for p in problems if p.field == field or (not field and p.field == "")]
    assert match, f"{case}: no problem names {field!r}: {[str(p) for p in problems]}"
    p = match[0]
    assert words in p.message, f"{case}: {p.message!r}"
    assert p.file == "bad.yaml"
    assert p.line is not None and p.line >= 1
    assert str(p).startswith(f"bad.yaml:{p.line}: ")


def test_problem_points_at_the_right_line() -> None:
    text = _steps(
        """
        - id: a
          kind: discrete
          cycle_time: 1 s
        - id: b
          kind: discrete
          cycle_time: 1 s
          yield: 7
        """
    )
    with pytest.raises(LineFileError) as info:
        parse_line(text, source="f.yaml")
    (p,) = info.value.problems
    assert text.splitlines()[p.line - 1].strip() == "yield: 7"  # type: ignore[operator]
    assert p.value == 7


def test_all_problems_are_reported_together() -> None:
    text = _steps(
        """
        - {id: a, kind: discrete, cycle_time: 1 kg, yield: 2}
        - {id: b, kind: batch, cycle_time: 1 s, colour: red}
        """
    )
    with pytest.raises(LineFileError) as info:
        parse_line(text)
    fields = {p.field for p in info.value.problems}
    assert {"steps[0].cycle_time", "steps[0].yield", "steps[1].colour"} <= fields


def test_missing_file_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(LineFileError, match="no such file"):
        load_line("does/not/exist.yaml")
