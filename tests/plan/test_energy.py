"""Energy by centre against Degen & Schütte 2022."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigaline.model import parse_line
from gigaline.model.reference import load_reference
from gigaline.plan import plan_line
from gigaline.plan.energy import centre_energy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REF = load_reference()


def test_centre_energy_by_hand() -> None:
    coat = next(c for c in REF.energy.centres if c.id == "coating_drying")
    e = centre_energy(coat, 1000.0, ("c_coating",))
    # 4.26 MJ/kg of heat = 1.1833 kWh/kg; 0.106 kWh/kg of electricity (degen_schuette2022).
    assert e.heat_kwh == pytest.approx(1183.3)
    assert e.electricity_kwh == pytest.approx(106.0)
    assert e.steps == ("c_coating",)


def test_reference_cell_reproduces_the_source_total() -> None:
    """A cell at the source's 0.124 kWh/kg gets Degen & Schütte's 41.48 kWh/kWh back when
    the line has every energy centre (J. Clean. Prod. 330, 129798, 2022)."""
    text = (EXAMPLES / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")
    mass = 0.896 / 0.124
    line = parse_line(text.replace("mass: 5.46 kg", f"mass: {mass} kg"))
    p = plan_line(line).first
    assert p.energy_kwh_per_kwh == pytest.approx(41.48, rel=1e-3)
    heat = sum(e.heat_kwh for e in p.energy) / 20e6
    assert heat == pytest.approx(21.38, rel=1e-3)  # "52 % natural gas for drying and dry rooms"


def test_energy_scales_with_cell_mass() -> None:
    text = (EXAMPLES / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")
    light = plan_line(parse_line(text)).first.energy_kwh_per_kwh
    heavy = plan_line(parse_line(text.replace("mass: 5.46 kg", "mass: 10.92 kg")))
    assert heavy.first.energy_kwh_per_kwh == pytest.approx(2 * light)
