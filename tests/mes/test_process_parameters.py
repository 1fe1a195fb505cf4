"""Process parameters are sourced reference data (process_parameters.yaml), validated on load,
and the generated events follow the distributions the file documents."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml

from gigaline.mes.generate import generate_events
from gigaline.mes.synth import NG_REASONS, draw_params, process_params
from gigaline.model import load_line
from gigaline.model.processes import PROCESSES
from gigaline.model.reference import iter_numbers, load_reference, raw
from gigaline.model.reference.parameters import ReferenceDataError
from gigaline.model.reference.process_parameters import (
    FILE,
    load_process_parameters,
    parse_process_parameters,
)
from tests.conftest import ROOT

REF = load_process_parameters()
TEXT = (ROOT / "src" / "gigaline" / "model" / "reference" / FILE).read_text(encoding="utf-8")


def test_every_number_has_a_source_or_an_assumption() -> None:
    sources = load_reference().sources
    numbers = list(iter_numbers(raw(FILE)))
    assert len(numbers) >= 95
    for path, value, label in numbers:
        assert label, f"{FILE}: {'.'.join(map(str, path))} = {value} has no source"
    count = 0
    for process, spec in REF.processes.items():
        assert process in PROCESSES
        for name, prm in spec.parameters.items():
            label = prm.label
            assert label.startswith("assumption: ") or label.split(":")[0] in sources, (
                process, name, label)  # fmt: skip
            count += 1
    assert count == 31
    assert REF.fallbacks.electrolyte_g_per_ah.source
    assert REF.ng_offset_sd.value == 4.0


def test_the_generator_reads_the_file() -> None:
    line = load_line(ROOT / "examples" / "abf-lfp-20gwh.yaml")
    by_id = {s.id: s for s in line.steps}
    coat = {p.name: p for p in process_params(line, by_id["c_coating"])}
    design = line.cell.design
    assert design is not None
    weight = design.cathode.coating_mass_per_side_kg_m2 * 100.0
    assert coat["coating_weight_mg_cm2"].mean == pytest.approx(weight)
    assert coat["coating_weight_mg_cm2"].sd == pytest.approx(0.01 * weight)
    assert coat["dryer_temperature_c"].mean == 120.0
    anode = {p.name: p for p in process_params(line, by_id["a_coating"])}
    assert anode["dryer_temperature_c"].mean == 90.0
    grading = {p.name: p for p in process_params(line, by_id["grading"])}
    assert grading["capacity_ah"].mean == pytest.approx(1.015 * line.cell.capacity_ah)
    assert grading["dcir_mohm"].source.startswith("eve_lf105_spec")
    assert NG_REASONS["leak_test"] == ("leak",)
    # a fork of the file changes what the generator draws: the numbers are not in code
    forked = parse_process_parameters(TEXT.replace("mean: 0.20\n", "mean: 0.25\n"))
    assert forked.processes["grading"].parameters["dcir_mohm"].mean == 0.25


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("sd: 0.08\n", "sd: -0.08\n"), r"processes\.stacking\.parameters\.alignment_mm: sd must"),
        (("source: \"eve_lf105_spec: 0.20", "source: \"nosuch: 0.20"),
         r"dcir_mohm: source 'nosuch: 0.20.*does not start with an id of sources\.yaml"),
        (("        assumption: a jacket-cooled mixer held at room temperature, +/-3 K\n", ""),
         r"mixing\.parameters\.temperature_c: needs a `source`"),
        (("  packing:\n", "  baking:\n"), r"\(top\): unknown process\(es\) baking"),
        (("digits: 9\n", "digits: nine\n"), r"leak_rate_mbar_l_s\.digits: .*\(got 'nine'\)"),
        (("mean: 3.29\n", "mean: 3.29\n        mean_of: capacity_ah\n"),
         r"ocv_v: give exactly one"),
    ],
)  # fmt: skip
def test_a_broken_fork_names_file_field_and_value(
    change: tuple[str, str], message: str, tmp_path: Path
) -> None:
    assert change[0] in TEXT
    fork = tmp_path / "params.yaml"
    fork.write_text(TEXT.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message) as err:
        load_process_parameters(fork)
    assert str(fork) in str(err.value)


def test_draws_follow_the_documented_normal_distributions() -> None:
    """Every parameter of every process, 20,000 draws: mean and sd within 4 standard errors;
    NG units' first parameter ``ng_offset_sd`` sd off."""
    line = load_line(ROOT / "examples" / "abf-lfp-20gwh.yaml")
    rng = np.random.default_rng(7)
    n = 20_000
    seen = 0
    for step in line.steps:
        params = process_params(line, step)
        if not params:
            continue
        ng = np.zeros(n, dtype=bool)
        ng[: n // 10] = True
        drawn = draw_params(params, ng, rng)
        for i, p in enumerate(params):
            x = np.asarray(drawn[p.name])[n // 10 :] if i == 0 else np.asarray(drawn[p.name])
            m = x.size
            assert abs(x.mean() - p.mean) < 4 * p.sd / math.sqrt(m), (step.id, p.name)
            assert abs(x.std(ddof=1) / p.sd - 1) < 4 / math.sqrt(2 * m), (step.id, p.name)
            seen += 1
        first = np.asarray(drawn[params[0].name])[: n // 10]
        off = (first - params[0].mean) / params[0].sd
        off = off[off > 0]  # the side above the mean (positive quantities fold at zero below)
        assert off.size > n // 40, step.id
        assert np.median(off) == pytest.approx(params[0].ng_offset_sd, abs=0.1), step.id
    assert seen >= 40


@pytest.fixture(scope="module")
def generated() -> dict[tuple[str, str], list[float]]:
    line = load_line(ROOT / "tests" / "mes" / "lines" / "mini.yaml")
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for e in generate_events(line, 1.0, 3, coil_m=40.0):
        if e["type"] == "process" and e.get("result") == "OK":
            for k, v in (e.get("params") or {}).items():
                values[(e["step"], k)].append(v)
    return values


def test_generated_events_follow_the_documented_distributions(
    generated: dict[tuple[str, str], list[float]],
) -> None:
    line = load_line(ROOT / "tests" / "mes" / "lines" / "mini.yaml")
    checked = 0
    for step in line.steps:
        for p in process_params(line, step):
            x = np.asarray(generated[(step.id, p.name)])
            assert x.size > 0, (step.id, p.name)
            if x.size < 100:
                continue
            assert abs(x.mean() - p.mean) < 4 * p.sd / math.sqrt(x.size), (step.id, p.name)
            assert abs(x.std(ddof=1) / p.sd - 1) < 4 / math.sqrt(2 * x.size), (step.id, p.name)
            checked += 1
    assert checked >= 8
    # the file is the only source: every generated parameter name is one of its parameters
    documented = {n for s in REF.processes.values() for n in s.parameters}
    assert {k for _, k in generated} <= documented


def test_the_file_parses_as_plain_yaml_with_a_label_per_parameter() -> None:
    data = yaml.safe_load(TEXT)
    for process, spec in data["processes"].items():
        for name, prm in spec["parameters"].items():
            assert ("source" in prm) != ("assumption" in prm), (process, name)
