"""Scenario files, designs, common random numbers and experiments against exact results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gigaline.cli import main
from gigaline.errors import LineFileError
from gigaline.model import load_line
from gigaline.sim import load_scenarios, run_experiment
from gigaline.sim.compile import stream_seeds
from gigaline.sim.scenario import ScenarioFileError, parse_scenarios
from tests.conftest import EXAMPLES
from tests.sim.markov import two_machine_chain

ISSUE_YAML = """\
line: two-machine.yaml
factors:
  buffer: {path: steps.m1.buffer_after, values: [0, 2, 8]}
design: full_factorial
replications: 5
days: 1
warmup_days: 0.05
seed: 1
"""


def _scenarios(tmp_path: Path, body: str, line: str = "two-machine.yaml") -> Path:
    (tmp_path / line).write_text((EXAMPLES / "two-machine.yaml").read_text(), encoding="utf-8")
    p = tmp_path / "study.yaml"
    p.write_text(body, encoding="utf-8")
    return p


# ---- the file as the issue writes it ---------------------------------------------------------


def test_the_issue_file_works_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a relative `line` is relative to the scenario file, not to the working directory
    sub = tmp_path / "studies"
    sub.mkdir()
    p = _scenarios(sub, ISSUE_YAML)
    assert main(["experiment", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["factors"] for s in out["scenarios"]] == [{"buffer": 0}, {"buffer": 2}, {"buffer": 8}]
    first, second = out["scenarios"][0], out["scenarios"][1]
    for figure in ("throughput_per_h", "gwh_per_year", "wip_mean", "lead_time_mean_h"):
        assert set(second["ci95"][figure]) == {"low", "high", "half_width"}
        pair = second["paired"][figure]
        assert pair["mean_difference"] == pytest.approx(second[figure] - first[figure], rel=1e-9)
        assert pair["half_width"] > 0
        assert first["paired"][figure]["mean_difference"] == 0.0
    # a bigger buffer before the faster machine can only help the unreliable first machine
    tph = [s["throughput_per_h"] for s in out["scenarios"]]
    assert tph[0] < tph[1] < tph[2]


# ---- designs -----------------------------------------------------------------------------------


def test_full_factorial_order_and_count(tmp_path: Path) -> None:
    s = load_scenarios(
        _scenarios(
            tmp_path,
            """
line: two-machine.yaml
factors:
  buffer: {path: steps.m1.buffer_after, values: [0, 4]}
  m2: {path: steps.m2.machines, values: [1, 2, 3]}
  ct: {path: steps.m2.cycle_time, values: [0.9 s, 1 min]}
""",
        )
    )
    levels = [sc.factors for sc in s.scenarios]
    assert len(levels) == 12
    assert levels[0] == {"buffer": 0, "m2": 1, "ct": "0.9 s"}
    assert levels[1] == {"buffer": 0, "m2": 1, "ct": "1 min"}  # the last factor changes fastest
    assert levels[-1] == {"buffer": 4, "m2": 3, "ct": "1 min"}
    last = s.scenarios[-1].line
    assert (last.steps[0].buffer_after, last.steps[1].machines) == (4, 3)
    assert last.steps[1].cycle_time is not None and last.steps[1].cycle_time.mean_s == 60.0


def test_list_design_keeps_base_values_of_factors_left_out(tmp_path: Path) -> None:
    s = load_scenarios(
        _scenarios(
            tmp_path,
            """
line: two-machine.yaml
factors:
  buffer: {path: steps.m1.buffer_after}
  mtbf: {path: steps.m1.failures.mtbf}
design: list
scenarios:
  - {name: as built}
  - {name: big buffer, buffer: 50}
  - {name: reliable, mtbf: 1000 s}
""",
        )
    )
    assert [sc.name for sc in s.scenarios] == ["as built", "big buffer", "reliable"]
    assert s.scenarios[0].factors == {"buffer": 5, "mtbf": "100 s"}
    assert s.scenarios[1].line.steps[0].buffer_after == 50
    f = s.scenarios[2].line.steps[0].failures
    assert f is not None and f.mtbf.mean_s == 1000.0


def test_latin_hypercube_strata_and_units(tmp_path: Path) -> None:
    body = """
line: two-machine.yaml
factors:
  buffer: {path: steps.m1.buffer_after, low: 0, high: 9}
  mttr: {path: steps.m1.failures.mttr, low: 5 s, high: 0.5 min}
  m2: {path: steps.m2.machines, values: [1, 2]}
design: latin_hypercube
samples: 10
seed: 7
"""
    s = load_scenarios(_scenarios(tmp_path, body))
    assert len(s.scenarios) == 10
    # an integer range of 10 levels over 10 samples: each level exactly once (one per stratum)
    assert sorted(int(sc.factors["buffer"]) for sc in s.scenarios) == list(range(10))
    # a range in a unit: one sample in each tenth of [5, 30] s, written in the unit of low
    mttr = sorted(float(str(sc.factors["mttr"]).removesuffix(" s")) for sc in s.scenarios)
    assert all(5 + 2.5 * i <= x < 5 + 2.5 * (i + 1) for i, x in enumerate(mttr)), mttr
    for sc in s.scenarios:
        f = sc.line.steps[0].failures
        assert f is not None and f.mttr.mean_s == pytest.approx(float(str(sc.factors["mttr"])[:-2]))
    # two levels over ten samples: five each
    assert sorted(sc.factors["m2"] for sc in s.scenarios) == [1] * 5 + [2] * 5
    # the design follows the seed
    again = load_scenarios(tmp_path / "study.yaml")
    assert [sc.factors for sc in again.scenarios] == [sc.factors for sc in s.scenarios]
    other = parse_scenarios(body.replace("seed: 7", "seed: 8"), "x.yaml", tmp_path)
    assert [sc.factors for sc in other.scenarios] != [sc.factors for sc in s.scenarios]


def test_scenario_written_back_as_a_line_file(tmp_path: Path) -> None:
    s = load_scenarios(_scenarios(tmp_path, ISSUE_YAML))
    sc = s.scenarios[2]
    p = sc.write_line_file(tmp_path / "out.yaml", "study.yaml")
    back = load_line(p)
    assert back == sc.line
    assert back.steps[0].buffer_after == 8
    assert p.read_text().startswith("# scenario 'buffer=8' of study.yaml: buffer = 8")


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (
            "{path: steps.m3.buffer_after, values: [1]}",
            "study.yaml:3: factors.f.path: no 'm3' in steps (ids: m1, m2) "
            "(got 'steps.m3.buffer_after')",
        ),
        (
            "{path: steps.m1.buffer_after, values: [0, -2]}",
            "study.yaml:3: factors.f.values[1]: sets steps[0].buffer_after of two-machine.yaml: "
            "must be >= 0",
        ),
        (
            "{path: steps.m1.cycle_time.mean, values: [2 parsec]}",
            "study.yaml:3: factors.f.values[0]: sets steps[0].cycle_time.mean of two-machine.yaml: "
            "unit 'parsec' is not a unit of time",
        ),
        (
            "{path: steps.m2.colour, values: [red]}",
            "factors.f.values[0]: sets steps[1].colour of two-machine.yaml: unknown key",
        ),
        (
            "{path: steps.m1.yield, low: 0.9, high: 1.2}",
            "factors.f.high: sets steps[0].yield of two-machine.yaml: must be > 0 and <= 1",
        ),
        ("{path: steps.m1.machines, low: 4, high: 2}", "factors.f.high: must be above low (got 2)"),
        ("{path: steps.m1.machines, valuez: [1]}", "study.yaml:3: factors.f.valuez: unknown key"),
    ],
)
def test_bad_factors_name_file_line_field_and_value(
    tmp_path: Path, factor: str, expected: str
) -> None:
    p = _scenarios(tmp_path, f"line: two-machine.yaml\nfactors:\n  f: {factor}\n")
    with pytest.raises(ScenarioFileError) as exc:
        load_scenarios(p)
    assert isinstance(exc.value, LineFileError)
    assert expected in str(exc.value), str(exc.value)


def test_bad_line_reference_and_cli_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "s.yaml"
    p.write_text("line: nowhere.yaml\nfactors:\n  b: {path: steps.m1.machines, values: [1]}\n")
    assert main(["experiment", str(p)]) == 2
    err = capsys.readouterr().err
    assert "s.yaml:1: line: line file: no such file" in err and "Traceback" not in err


# ---- common random numbers ---------------------------------------------------------------------


def test_streams_are_keyed_by_step_not_by_design(tmp_path: Path) -> None:
    # the same step draws from the same streams whatever the scenario changes elsewhere:
    # more machines, another buffer, even another step inserted before it
    s = load_scenarios(
        _scenarios(
            tmp_path,
            """
line: two-machine.yaml
factors:
  buffer: {path: steps.m1.buffer_after, values: [0, 9]}
  machines: {path: steps.m2.machines, values: [1, 3]}
""",
        )
    )
    seeds = [stream_seeds(tuple(st.id for st in sc.line.steps), 4, 2) for sc in s.scenarios]
    for other in seeds[1:]:
        assert np.array_equal(other, seeds[0])
    extra = stream_seeds(("m0", "m1", "m2"), 4, 2)
    assert np.array_equal(extra[3:], seeds[0])


CRN_STUDY = """
line: two-machine.yaml
factors:
  buffer: {path: steps.m1.buffer_after, values: [2, 3]}
replications: 8
days: 0.25
warmup_days: 0.01
seed: 3
"""


def test_common_random_numbers_shrink_the_paired_interval(tmp_path: Path) -> None:
    s = load_scenarios(_scenarios(tmp_path, CRN_STUDY))
    r = run_experiment(s)
    paired = r.paired(1, "throughput_per_h")
    unpaired = r.unpaired(1, "throughput_per_h")
    assert paired.half_width < unpaired.half_width / 2.5, (paired, unpaired)
    # the same two scenarios on independent streams (another seed for the second): the pairing
    # buys nothing, the interval of the differences is as wide as Welch's
    s2 = parse_scenarios(CRN_STUDY.replace("seed: 3", "seed: 4"), "s2.yaml", tmp_path)
    independent = run_experiment(s2, only=[s2.scenarios[1]])
    from gigaline.kpi import paired_ci95

    d = paired_ci95(independent.values(0, "throughput_per_h"), r.values(0, "throughput_per_h"))
    assert d.half_width > 2 * paired.half_width, (d, paired)


# ---- the Markov chain oracle -------------------------------------------------------------


def test_buffer_experiment_reproduces_the_exact_markov_chain(tmp_path: Path) -> None:
    # Two machines with exponential processing (mean 1 s and 1.1 s) and operation-dependent
    # exponential failures (MTBF 40 s and 60 s, MTTR 4 s and 6 s), blocking after service,
    # buffer C between them: the exact throughput of the CTMC of Gershwin and Berman (1981),
    # built and solved in tests/sim/markov.py, for every level of the factor. The paired
    # differences against C = 0 must cover the exact differences too: the check that common
    # random numbers do not bias the comparison.
    line = tmp_path / "gb.yaml"
    line.write_text(
        """
name: Gershwin-Berman line
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8760}
steps:
  - {id: m1, kind: discrete, cycle_time: {dist: exponential, mean: 1 s}, buffer_after: 0,
     failures: {mtbf: 40 s, mttr: 4 s, basis: operating}}
  - {id: m2, kind: discrete, cycle_time: {dist: exponential, mean: 1.1 s},
     failures: {mtbf: 60 s, mttr: 6 s, basis: operating}}
"""
    )
    study = tmp_path / "gb-study.yaml"
    study.write_text(
        """
line: gb.yaml
factors:
  buffer: {path: steps.m1.buffer_after, values: [0, 1, 3, 8]}
replications: 6
days: 1
warmup_days: 0.02
seed: 11
"""
    )
    r = run_experiment(load_scenarios(study))
    exact = [
        two_machine_chain(1.0, 1 / 1.1, 1 / 40, 1 / 4, 1 / 60, 1 / 6, c)["throughput"] * 3600
        for c in (0, 1, 3, 8)
    ]
    to99 = 4.0321 / 2.5706  # t(0.995, 5) / t(0.975, 5)
    for k, th in enumerate(exact):
        ci = r.ci(k, "throughput_per_h")
        assert abs(ci.mean - th) <= ci.half_width * to99, (k, ci, th)
        if k:
            d = r.paired(k, "throughput_per_h")
            assert abs(d.mean - (th - exact[0])) <= d.half_width * to99, (k, d, th - exact[0])
    assert exact[1] - exact[0] > 100  # the factor matters: +1 place is worth > 100 cells/h


# ---- results out ------------------------------------------------------------------------------


def test_results_table_parquet_csv_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    p = _scenarios(tmp_path, CRN_STUDY.replace("replications: 8", "replications: 2"))
    pq, csv, html = tmp_path / "r.parquet", tmp_path / "r.csv", tmp_path / "r.html"
    assert main(["experiment", str(p), "-o", str(pq), "--report", str(html)]) == 0
    text = capsys.readouterr().out
    assert "paired" in text and "unpaired" in text
    table = pd.read_parquet(pq)
    assert list(table["factor.buffer"]) == [2, 2, 3, 3]
    assert list(table["replication"]) == [0, 1, 0, 1]
    assert main(["experiment", str(p), "-o", str(csv), "--workers", "1"]) == 0
    assert pd.read_csv(csv)["throughput_per_h"].tolist() == pytest.approx(
        table["throughput_per_h"].tolist(), rel=0, abs=0
    )
    page = html.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and '<script src="http' not in page
    assert "Response of each figure to each factor" in page
    assert main(["experiment", str(p), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert "must end in .parquet or .csv" in capsys.readouterr().err


def test_write_lines_writes_every_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _scenarios(tmp_path, ISSUE_YAML)
    out = tmp_path / "lines"
    assert main(["experiment", str(p), "--write-lines", str(out)]) == 0
    files = sorted(out.glob("*.yaml"))
    assert [load_line(f).steps[0].buffer_after for f in files] == [0, 2, 8]


@pytest.mark.parametrize(
    ("name", "scenarios"),
    [
        ("buffer-study.yaml", 3),
        ("stacking-study.yaml", 9),
        ("two-machine-design.yaml", 0),
        ("reference-design.yaml", 0),
    ],
)
def test_example_scenario_files_load(name: str, scenarios: int) -> None:
    s = load_scenarios(EXAMPLES / name)
    assert len(s.scenarios) == scenarios
    for sc in s.scenarios:  # the buffer before stacking sets both magazines
        if "buffer_before_stacking" in sc.factors:
            b = sc.factors["buffer_before_stacking"]
            assert sc.line.step("c_notching").buffer_after == b
            assert sc.line.step("a_notching").buffer_after == b
