"""Every number in the reference data and the reference line has a source or an assumption."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gigaline.model import load_line
from gigaline.model.reference import FILES, iter_numbers, load_reference, raw, sources_markdown

ROOT = Path(__file__).resolve().parents[2]
SOURCES = load_reference().sources
_ID_PREFIX = re.compile(r"^([a-z][a-z0-9_]*)\b")


def _label_ok(label: str) -> bool:
    """A registered source id, an id followed by a comment, or 'assumption: <reasoning>'."""
    if label.startswith("assumption:"):
        return len(label.removeprefix("assumption:").strip()) >= 10
    m = _ID_PREFIX.match(label)
    return m is not None and m.group(1) in SOURCES


@pytest.mark.parametrize("name", [f for f in FILES if f != "sources.yaml"])
def test_every_reference_number_is_labelled(name: str) -> None:
    numbers = list(iter_numbers(raw(name)))
    assert numbers, name
    for path, value, label in numbers:
        assert label is not None, f"{name}: {'.'.join(map(str, path))} = {value} has no source"
        assert _label_ok(label), f"{name}: {'.'.join(map(str, path))}: bad label {label!r}"


def test_the_label_rule_can_fail() -> None:
    unlabelled = {"a": {"value": 1.0}, "b": {"value": 2.0, "source": "batpac_v5"}}
    labels = {p[0]: lab for p, _, lab in iter_numbers(unlabelled)}
    assert labels == {"a": None, "b": "batpac_v5"}
    assert not _label_ok("no_such_source")
    assert not _label_ok("assumption:")


def test_registry_entries_are_complete() -> None:
    years = {k: v["year"] for k, v in raw("sources.yaml")["sources"].items()}
    for s in SOURCES.values():
        assert s.citation and s.supports, s.id
        assert years[s.id] == "undated" or 1990 <= years[s.id] <= 2030, s.id
        assert s.year == (None if years[s.id] == "undated" else years[s.id])
        assert s.strength in {"primary", "secondary", "weak"}, s.id
        assert s.link or "Handbook" in s.citation, s.id
    # The two anchors the issue names.
    assert SOURCES["degen2023"].doi == "10.1038/s41560-023-01355-z"
    assert SOURCES["degen_schuette2022"].doi == "10.1016/j.jclepro.2021.129798"


def test_docs_sources_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "sources.md").read_text(encoding="utf-8") == sources_markdown()


_STEP_NUMBERS = (
    "cycle_time",
    "batch_size",
    "capacity",
    "speed",
    "width",
    "units_per_cell",
    "yield",
    "failures",
    "buffer_after",
)


def _reference_line_raw() -> dict[str, Any]:
    text = (ROOT / "examples" / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_every_number_of_the_reference_line_is_sourced() -> None:
    data = _reference_line_raw()
    line_sources: dict[str, str] = data["sources"]
    for label in line_sources.values():
        assert _label_ok(label), label
    assert "steps.machines" in line_sources
    for step in data["steps"]:
        src = step.get("sources", {})
        for field in _STEP_NUMBERS:
            if field in step:
                assert field in src, f"step {step['id']}: {field} has no source"
                assert _label_ok(src[field]), f"step {step['id']}: {field}: {src[field]!r}"
    covered = set(line_sources)

    def _covered(key: str) -> bool:
        return any(key == c or key.startswith(c + ".") for c in covered) or any(
            c.startswith(key + ".") for c in covered
        )

    for key in (
        "cell.capacity_ah",
        "cell.nominal_voltage_v",
        "cell.mass",
        "calendar",
        "target.gwh_per_year",
        "target.phases",
        "cell.design.electrolyte_mass",
        "cell.design.separator",
        "quality.grades",
    ):
        assert _covered(key), key
    for electrode in ("cathode", "anode"):
        for field in (
            "sheets_per_cell",
            "sheet_width",
            "coating_mass_per_side",
            "active_fraction",
            "foil",
        ):
            assert _covered(f"cell.design.{electrode}.{field}") or (
                field == "sheets_per_cell" and electrode == "anode"
            ), f"{electrode}.{field}"


@pytest.mark.parametrize("name", ["abf-lfp-20gwh.yaml", "five-step.yaml", "two-machine.yaml"])
def test_examples_load(name: str) -> None:
    line = load_line(ROOT / "examples" / name)
    assert line.steps


def test_reference_line_shape() -> None:
    line = load_line(ROOT / "examples" / "abf-lfp-20gwh.yaml")
    assert set(line.branches) == {"cathode", "anode"}
    stacking = line.step("stacking")
    assert stacking.merge == ["cathode", "anode"]
    assert line.main_steps[0].id == "stacking"
    assert [s.id for s in line.main_steps][-2:] == ["eol_test", "sorting"]
    assert 280 <= line.cell.capacity_ah <= 314 and line.cell.nominal_voltage_v == 3.2
    assert all(s.process for s in line.steps)
    assert line.step("aging").cycle_time is not None
    assert line.step("aging").cycle_time.mean_s == 21 * 86400
    assert line.step("c_notching").unit == "sheet"
    assert line.units_per_cell(line.step("c_notching")) == 149
    assert line.target is not None and line.target.gwh_per_year == 20
    assert [p.adds_gwh_per_year for p in line.target.phases] == [20, 20]


def test_a_broken_reference_section_names_what_it_lacks() -> None:
    from gigaline.errors import GigalineError
    from gigaline.model.reference.parameters import dry_room_parameters

    section = dict(raw("energy.yaml"))
    room = dict(section["dry_room"])
    del room["chiller_cop"]
    with pytest.raises(GigalineError, match=r"energy\.yaml dry_room: missing chiller_cop"):
        dry_room_parameters({**section, "dry_room": room})
