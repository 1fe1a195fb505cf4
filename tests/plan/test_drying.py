"""Electrode drying heat and slurry solvent (NMP) from the line's own solids content."""

from __future__ import annotations

import pytest

from gigaline.model import parse_line
from gigaline.plan import PlanInputError, drying_heat_kj_per_kg, plan_line, solvent_drying
from tests.plan._lines import EXAMPLES, REF

TEXT = (EXAMPLES / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")


def test_drying_heat_per_kg_by_hand() -> None:
    # NMP: 25 % of the 1.3 vol % lower explosive limit (NFPA 86; GESTIS) is a mole fraction
    # of 0.00325, i.e. 0.00325 x 99.13 / (28.966 x 0.99675) = 0.011159 kg NMP per kg of air,
    # so each kg takes 89.6 kg of air heated 20 -> 130 C.
    nmp = REF.dryer.solvents["NMP"]
    assert nmp.max_vapour_kg_per_kg_air == pytest.approx(0.011159, rel=1e-4)
    air = 1.006 * 110 / nmp.max_vapour_kg_per_kg_air
    assert drying_heat_kj_per_kg(nmp, REF.dryer) == pytest.approx(1.7 * 110 + 496 + air)
    assert drying_heat_kj_per_kg(nmp, REF.dryer) == pytest.approx(10_600, rel=1e-3)
    # Water: 20 g/kg pickup, air 20 -> 100 C, 2,406 kJ/kg at 40 C (CRC).
    water = REF.dryer.solvents["water"]
    q = 4.18 * 80 + 2406 + 1.006 * 80 / 0.02
    assert drying_heat_kj_per_kg(water, REF.dryer) == pytest.approx(q) == pytest.approx(6764.4)
    with pytest.raises(PlanInputError, match="no dryer data"):
        solvent_drying("cathode", "acetone", 0.6, 1.0, REF.dryer)


def test_nmp_follows_the_line_solids_content() -> None:
    # Reference cathode: 4.4253 m2 x 2 sides x 22 mg/cm2 = 1.9471 kg of dry coating per cell,
    # at 60 % solids 1.9471 x 0.4 / 0.6 = 1.2981 kg of NMP; evaporated at the coater's starts,
    # used at the mixer's, 99.5 % of the evaporated recovered (BatPaC).
    p = plan_line(parse_line(TEXT)).first
    coat = next(s for s in p.steps if s.id == "c_coating")
    mix = next(s for s in p.steps if s.id == "c_mixing")
    per_cell = 4.4253 * 2 * 0.22 * 0.4 / 0.6
    assert per_cell == pytest.approx(1.2981, rel=1e-4)
    coat_cells = coat.starts_per_year / coat.units_per_cell
    mix_cells = mix.starts_per_year / mix.units_per_cell
    assert p.materials is not None
    t = p.materials.t_per_year
    assert t["nmp_evaporated"] * 1000 == pytest.approx(per_cell * coat_cells, rel=1e-4)
    used = per_cell * mix_cells
    assert t["nmp_bought"] * 1000 == pytest.approx(used - 0.995 * per_cell * coat_cells, rel=1e-3)
    cathode = next(d for d in p.drying if d.electrode == "cathode")
    assert cathode.solvent == "NMP" and cathode.solids_fraction == 0.6
    assert cathode.heat_kwh == pytest.approx(t["nmp_evaporated"] * 1000 * 10_600 / 3600, rel=1e-3)
    # The BatPaC solvent-recovery centre is driven by this NMP, not by a fixed ratio.
    recovery = next(c for c in p.centres if c.id == "solvent_recovery")
    b = REF.baseline
    assert recovery.ratio == pytest.approx(t["nmp_evaporated"] * 1000 / b.volumes["solvent_kg"])


def test_a_drier_slurry_needs_less_nmp_and_heat() -> None:
    wet = plan_line(parse_line(TEXT)).first
    dry = plan_line(
        parse_line(
            TEXT.replace("      slurry_solids_fraction: 0.6", "      slurry_solids_fraction: 0.7")
        )
    ).first
    assert wet.materials is not None and dry.materials is not None
    ratio = (0.3 / 0.7) / (0.4 / 0.6)  # solvent per kg of solids at 70 % vs 60 %
    nmp = dry.materials.t_per_year["nmp_evaporated"] / wet.materials.t_per_year["nmp_evaporated"]
    assert nmp == pytest.approx(ratio)
    heat = {d.electrode: d.heat_kwh for d in dry.drying}["cathode"]
    assert heat / {d.electrode: d.heat_kwh for d in wet.drying}["cathode"] == pytest.approx(ratio)
    assert dry.energy_kwh_per_kwh < wet.energy_kwh_per_kwh


def test_defaults_without_solids_in_the_file() -> None:
    # Without slurry_solids_fraction the cathode takes BatPaC's 68 % for NMP, the anode 50 %.
    text = TEXT.replace("      slurry_solids_fraction: 0.6\n", "").replace(
        "      slurry_solids_fraction: 0.5\n", ""
    )
    p = plan_line(parse_line(text)).first
    assert {d.electrode: d.solids_fraction for d in p.drying} == {"cathode": 0.68, "anode": 0.5}
