"""Bottom-up capex: machines x unit price, factors, building; the planned-machine rule."""

from __future__ import annotations

import pytest

from gigaline.model import parse_line
from gigaline.plan import bottom_up_capex, plan_line, plan_target, planned_machines
from tests.plan._lines import EXAMPLES, FIVE_STEP, REF, REFERENCE_LINE

TEXT = (EXAMPLES / "abf-lfp-20gwh.yaml").read_text(encoding="utf-8")
FACTOR = 1 + REF.capex.installation_factor + REF.capex.utilities_factor  # 1.30


def test_unit_prices_reproduce_their_calibration() -> None:
    """capex.yaml: the reference line's required machines for 20 GWh cost 36 M USD/GWh
    (Bonsai, installation included) = 654.5 M USD before installation; stages 11/30 electrode,
    9/30 assembly, 10/30 finishing. Two-figure rounding keeps each within 1.5 %."""
    p = plan_target(REFERENCE_LINE, 20, REF)
    prices = REF.capex.unit_price_usd
    stage = {"electrode": 0.0, "assembly": 0.0, "finishing": 0.0}
    finishing = {"formation", "aging", "grading", "eol_test", "sorting", "packing"}
    for s in p.steps:
        assert s.process is not None
        cost = s.machines_required * prices[s.process]
        if s.id[:2] in ("c_", "a_"):
            stage["electrode"] += cost
        elif s.process in finishing:
            stage["finishing"] += cost
        else:
            stage["assembly"] += cost
    total = 36e6 * 20 / 1.10
    assert sum(stage.values()) == pytest.approx(total, rel=0.005)
    assert stage["electrode"] == pytest.approx(total * 11 / 30, rel=0.015)
    assert stage["assembly"] == pytest.approx(total * 9 / 30, rel=0.015)
    assert stage["finishing"] == pytest.approx(total * 10 / 30, rel=0.015)
    # Cross-check against the one sourced machine price: 1 bn KRW per notcher (The Elec, 2020).
    assert 0.4e6 < prices["notching"] < 1.0e6


def test_adding_machines_raises_capex_by_the_unit_price() -> None:
    # Ten more stackers (76 -> 86) at 0.96 M USD each, with 10 % installation and 20 %
    # utilities: 10 x 0.96 M x 1.30 = 12.48 M USD more, nothing else changes.
    base = plan_line(parse_line(TEXT), keep_machines=True).first
    more = plan_line(
        parse_line(TEXT.replace("    machines: 76\n", "    machines: 86\n")), keep_machines=True
    ).first
    assert more.capex_usd - base.capex_usd == pytest.approx(10 * 960_000 * FACTOR)
    assert more.capex_usd - base.capex_usd == pytest.approx(12.48e6)
    # The BatPaC cross-check does not see machines at all: it scales with volume.
    assert more.batpac_capex_usd == pytest.approx(base.batpac_capex_usd)
    # Depreciation follows: 12.48 M USD over 6 years more per 20 GWh, plus BatPaC's overheads.
    dep = (more.cost.depreciation - base.cost.depreciation) * 20e6
    assert dep == pytest.approx(12.48e6 / 6)


def test_a_unit_price_in_the_line_file_wins() -> None:
    text = TEXT.replace(
        "    cycle_time: 75 s\n    machines: 76\n",
        "    cycle_time: 75 s\n    machines: 76\n    unit_price_usd: 1500000\n",
    )
    p = plan_line(parse_line(text)).first
    stack = next(c for c in p.capex.steps if c.id == "stacking")
    assert (stack.unit_price_usd, stack.price_from) == (1_500_000, "line file")
    assert stack.capital_usd == 76 * 1_500_000


def test_building_dry_room_and_factors_by_hand() -> None:
    steps = [(FIVE_STEP.step("weld"), 2), (FIVE_STEP.step("formation"), 10)]
    x = bottom_up_capex(steps, 10_000.0, 2_000.0, REF.capex)
    # weld: case_welding 0.96 M; formation racks 0.57 M.
    assert x.equipment_usd == pytest.approx(2 * 960_000 + 10 * 570_000)
    assert x.installation_usd == pytest.approx(x.equipment_usd * 0.10)
    assert x.utilities_usd == pytest.approx(x.equipment_usd * 0.20)
    # 142 USD/ft2 = 1,528 USD/m2 over all floor area; 1,500 USD/m2 more for the dry room.
    assert x.building_usd == pytest.approx(10_000 * 1_528)
    assert x.dry_room_usd == pytest.approx(2_000 * 1_500)
    assert x.total_usd == pytest.approx(x.equipment_usd * 1.3 + 15.28e6 + 3.0e6)


def test_steps_without_a_price_are_named() -> None:
    line = parse_line((EXAMPLES / "two-machine.yaml").read_text(encoding="utf-8"))
    p = plan_line(line, target_gwh=0.01).first
    assert p.capex.unpriced == ("m1", "m2")
    assert p.capex.equipment_usd == 0.0
    assert any("m1, m2" in n for n in p.notes)


def test_planned_machines_rule_by_hand() -> None:
    # The file's 76 stackers are its design for 20 GWh; 40 GWh needs 140 and scales them to
    # 152; 10 GWh needs 35 and scales them to 38; --keep-machines keeps 76.
    assert planned_machines(140, 76, 40, 20, keep=False) == 152
    assert planned_machines(35, 76, 10, 20, keep=False) == 38
    assert planned_machines(140, 76, 40, 20, keep=True) == 76
    assert planned_machines(7, 5, 20, 20, keep=False) == 7  # never below what is required
    assert planned_machines(3, 5, 1, None, keep=False) == 5  # no file target: the file's


def test_a_target_gets_the_machines_it_needs() -> None:
    """`gigaline plan LINE --target-gwh 40` used to keep the file's counts at 125-184 %
    utilisation without a word."""
    p = plan_line(REFERENCE_LINE, target_gwh=40).first
    assert p.feasible and p.warnings == ()
    assert all(s.machines_planned >= s.machines_required for s in p.steps)
    assert max(s.utilization for s in p.steps) < 1.0
    stack = next(s for s in p.steps if s.id == "stacking")
    assert (stack.machines_required, stack.machines_planned) == (140, 152)
    # Capex follows the machines: about twice the 20 GWh plan.
    p20 = plan_line(REFERENCE_LINE).first
    assert 1.8 < p.capex_usd / p20.capex_usd < 2.1
    kept = plan_line(REFERENCE_LINE, target_gwh=40, keep_machines=True).first
    assert not kept.feasible
    assert len(kept.warnings) == 28
    assert kept.warnings[12] == (
        "step 'stacking': 76 machines planned, 140 required for 40 GWh/yr (utilisation 184%)"
    )
