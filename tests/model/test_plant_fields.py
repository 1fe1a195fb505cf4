"""The line file's plant fields (site.country, site.start_year, site.assembles_modules), the
step's unit_price_usd and the electrode's solvent: accepted, and rejected with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigaline.errors import LineFileError
from gigaline.model import load_line

BASE = """name: plant fields
site: {name: s, SITE}
cell: {format: prismatic, chemistry: LFP, capacity_ah: 100, nominal_voltage_v: 3.2}
calendar: {hours_per_year: 8000}
steps:
  - {id: weld, kind: discrete, cycle_time: 10 s, STEP}
"""


def _load(tmp_path: Path, site: str = "area: a", step: str = "machines: 1") -> object:
    path = tmp_path / "line.yaml"
    path.write_text(BASE.replace("SITE", site).replace("STEP", step), encoding="utf-8")
    return load_line(path)


def test_accepted(tmp_path: Path) -> None:
    line = _load(
        tmp_path, "country: US, start_year: 2027, assembles_modules: true", "unit_price_usd: 1.5e6"
    )
    assert line.site.country == "US" and line.site.start_year == 2027  # type: ignore[attr-defined]
    assert line.site.assembles_modules  # type: ignore[attr-defined]
    assert line.steps[0].unit_price_usd == 1.5e6  # type: ignore[attr-defined]
    plain = _load(tmp_path)
    assert plain.site.country is None and plain.site.start_year is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("site", "step", "field", "words"),
    [
        ("country: USA", "machines: 1", "site.country", "two-letter ISO 3166-1"),
        ("country: us", "machines: 1", "site.country", "in capitals, such as US"),
        ("start_year: 1800", "machines: 1", "site.start_year", ">= 2000"),
        ("start_year: soon", "machines: 1", "site.start_year", "whole number"),
        ("assembles_modules: maybe", "machines: 1", "site.assembles_modules", "boolean"),
        ("area: a", "unit_price_usd: -5", "steps[0].unit_price_usd", "> 0"),
    ],
)
def test_rejected_with_file_field_value_and_rule(
    tmp_path: Path, site: str, step: str, field: str, words: str
) -> None:
    with pytest.raises(LineFileError) as info:
        _load(tmp_path, site, step)
    text = str(info.value)
    assert "line.yaml:" in text and field in text and words in text
    value = site.split(": ")[1] if field.startswith("site") else step.split(": ")[1]
    assert value in text


def test_solvent_and_solids_are_checked(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "examples" / "abf-lfp-20gwh.yaml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace("solvent: NMP", "solvent: acetone").replace(
            "slurry_solids_fraction: 0.5", "slurry_solids_fraction: 1.5"
        ),
        encoding="utf-8",
    )
    with pytest.raises(LineFileError) as info:
        load_line(bad)
    msg = str(info.value)
    assert "cell.design.cathode.solvent" in msg and "'NMP' or 'water'" in msg
    assert "cell.design.anode.slurry_solids_fraction" in msg and "<= 0.95" in msg
