"""The reference plan against published figures (each cited where it is used)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigaline.model import load_line
from gigaline.model.reference import load_reference
from gigaline.plan import plan_line

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLAN = plan_line(load_line(EXAMPLES / "abf-lfp-20gwh.yaml"))
P = PLAN.first
BENCH = load_reference().benchmarks


def _bench(key: str, source: str) -> float:
    return float(next(b for b in BENCH[key] if b["source"] == source)["value"])


def test_cells_per_year() -> None:
    # 20 GWh of 280 Ah x 3.2 V = 896 Wh cells: 22.3 M good cells/yr; with BatPaC's cell yield
    # of 0.95 about 23.5 M starts (shared domain notes, section 4, "20 GWh in cells").
    assert P.cells_per_year == pytest.approx(22.32e6, rel=1e-3)
    # This line's main-chain yield is 0.927, so it starts 24.1 M cells, 2.5 % more than 0.95.
    assert P.cell_starts_per_year == pytest.approx(P.cells_per_year / 0.92656, rel=1e-4)
    # CATL's ESS base: "one cell per second" at 30 GWh/yr (teslarati.com, Oct 2023): for a
    # 280 Ah cell a 20 GWh line runs at 0.8-0.9 cells/s.
    assert 0.75 < P.cell_starts_per_year / (P.scheduled_h_per_year * 3600) < 1.0


def test_energy_against_degen_2023() -> None:
    # Degen, Winter, Bendig, Tübke, Nat. Energy 8, 1284-1295 (2023),
    # doi:10.1038/s41560-023-01355-z: current LIB cells need 20.3-37.5 kWh per kWh of cell,
    # LFP cells the most (37.5). The measured split gives the reference line that 37.5.
    rng = next(b for b in BENCH["energy_kwh_per_kwh_of_cell"] if b["source"] == "degen2023")
    assert (rng["low"], rng["high"]) == (20.3, 37.5)
    assert P.measured_energy_kwh_per_kwh == pytest.approx(37.5)
    # The physics of drying and the dry room bring the plan to 28.8 kWh/kWh, inside the range:
    # the drying heat is 7.35 kWh/kWh (measured 9.40 scaled to LFP) and the dry room 1.61
    # (measured 9.03); docs/planning.md gives the reasons.
    assert rng["low"] <= P.energy_kwh_per_kwh <= rng["high"]
    assert P.energy_kwh_per_kwh == pytest.approx(28.80, abs=0.01)
    by_id = {e.id: e.total_kwh / 20e6 for e in P.energy}
    assert by_id["coating_drying"] == pytest.approx(8.12, abs=0.01)
    assert by_id["dry_room"] == pytest.approx(1.61, abs=0.01)
    reason = PLAN.to_dict()["energy_measured"]["reason"]
    assert "dry room" in reason and "9.03 measured" in reason


def test_dry_room_against_the_argonne_model() -> None:
    # Ahmed, Nelson, Dees (J. Power Sources 2016): about 400 kW for a 16,000 m3 dry room in
    # their base case, 25 W/m3. This plan's 90,600 m3 room draws 3.68 MW, 41 W/m3: the same
    # order, higher mostly for its 20 supply air changes an hour (1.18 MW of fans).
    assert P.dry_room is not None
    base = BENCH["dry_room_power_kw"][0]
    per_m3 = P.dry_room.power_kw / P.dry_room.volume_m3
    assert 0.5 < per_m3 / (base["value"] / base["volume_m3"]) < 2.0
    assert P.dry_room.power_kw == pytest.approx(3677, rel=1e-3)


def test_capex_bottom_up_against_published_figures() -> None:
    # Equipment: the machines the target requires cost Bonsai's 36 M USD/GWh by calibration
    # (capex.yaml); the file plans up to ~10 % more on the expensive steps.
    required = sum(
        s.machines_required * (c.unit_price_usd or 0.0)
        for s, c in zip(P.steps, P.capex.steps, strict=True)
    )
    assert required * 1.10 / 20 / 1e6 == pytest.approx(36.0, rel=0.01)
    assert P.capex.equipment_usd == pytest.approx(716.57e6)
    # Finishing (formation, aging, grading, tests) about a third of equipment (Bonsai).
    finishing = sum(
        c.capital_usd
        for c in P.capex.steps
        if c.process in ("formation", "aging", "grading", "eol_test", "sorting")
    )
    assert 0.30 < finishing / P.capex.equipment_usd < 0.36
    # Total: 56.0 M USD/GWh, below ABF's own 1.2 bn for up to 20 GWh (60, press) and the North
    # American average of about 100 (Benchmark).
    per_gwh = P.capex_usd / 20e6
    assert per_gwh == pytest.approx(56.04, abs=0.01)
    assert per_gwh < _bench("capex_musd_per_gwh", "abf_capex_press")
    assert per_gwh < _bench("capex_musd_per_gwh", "benchmark_na_capex")
    # BatPaC's scaling, the cross-check, gives 69.1 M USD/GWh: within 25 % of the bottom-up.
    assert P.batpac_capex_usd / 20e6 == pytest.approx(69.05, abs=0.01)
    assert 0.75 < P.capex_usd / P.batpac_capex_usd < 1.0


def test_cost_per_kwh_and_credits() -> None:
    # Chinese LFP energy-storage cells sold for 0.34 CNY/Wh = 47.2 USD/kWh in November 2024
    # (TrendForce); LFP cells averaged just under 60 USD/kWh in 2024 (S&P Global Mobility).
    # With November-2024 Chinese material prices this plant's production cost (no margin) is
    # 48.4 USD/kWh, about the Chinese selling price and below the world average.
    assert P.cost.total == pytest.approx(48.37, abs=0.01)
    china = _bench("cell_price_usd_per_kwh", "trendforce_prices_2024")
    assert abs(P.cost.total / china - 1) < 0.1
    assert P.cost.total < _bench("cell_price_usd_per_kwh", "spglobal_lfp_cell_2025")
    assert P.cost.materials / P.cost.total > 0.5  # materials still the largest element
    # US 45X: 35 USD per kWh of cells in the start year 2027 (26 USC 45X), larger than labour,
    # energy, depreciation and overhead together (plant-figures notes).
    c = P.cost
    assert P.credits.usd_per_kwh == 35.0
    assert P.credits.usd_per_kwh > c.labour + c.energy + c.depreciation + c.overhead
    assert P.cost_usd_per_kwh_net == pytest.approx(c.total - 35.0)
    # Phase 3 starts in 2031, when the credit has fallen to 50 %.
    assert [p.credits.usd_per_kwh for p in PLAN.phases] == [35.0, 35.0, 17.5]


def test_staff_and_area_against_published_plants() -> None:
    # Tesla GF1 had 3,249 staff at about 20 GWh/yr including pack work (electrek, 2017);
    # BatPaC v5's baseline is 3.649 M direct-labour h at 50 GWh, ~41 FTE/GWh at 1,800 h.
    assert P.staff_fte < 3249
    assert 15 < P.staff_fte / P.gwh_per_year < 41
    # Indirect staff at half the direct: 930 in all, 46.5 jobs per GWh, against ABF's about
    # 1,000 jobs for up to 20 GWh (50 per GWh).
    assert P.indirect_staff_fte == pytest.approx(P.staff_fte * 0.5)
    assert (P.staff_fte + P.indirect_staff_fte) / 20 == pytest.approx(46.5, abs=0.1)
    # BatPaC v5 baseline: 303,700 m2 at 50 GWh, about 6,100 m2/GWh; 3beLiEVe 10 GWh in
    # about 80,000 m2 (miningeurope.news).
    assert 3_000 < P.floor_area_m2 / P.gwh_per_year < 8_000


def test_formation_grading_and_aging_against_the_worked_example() -> None:
    # Domain notes, validation case D: 3,059 starts/h x 24 h / 0.85 = 86,400 channels; 21 d of
    # aging = 1.54 M cells at 3,059 starts per *scheduled* hour. This line forms for 20 h at
    # 2,992 cells/h and availability 0.971, and ages 21 d at 2,957 cells per scheduled hour,
    # which is 2,592 per calendar hour: aging holds over nights and stops.
    assert P.formation_channels == pytest.approx(2992.3 * 20 / 0.9713, rel=2e-3)
    assert P.aging_positions == pytest.approx(2956.5 * 7680 / 8760 * 504, rel=2e-3)
    assert P.aging_positions == 1_306_351
    assert P.grading_channels == 18_182


def test_the_file_plans_enough_machines() -> None:
    short = [s.id for s in P.steps if s.machines_planned < s.machines_required]
    assert short == []
    assert P.feasible and P.warnings == ()
    assert P.bottleneck == "stacking"
    assert all(s.utilization < 1 for s in P.steps)
    # At its own target the plan keeps the file's counts (each at least what is required).
    assert all(s.machines_planned == s.machines_in_file for s in P.steps)


def test_phases_roll_up() -> None:
    assert [p.name for p in PLAN.phases] == ["phase 1", "phase 2", "phase 3"]
    assert [p.year for p in PLAN.phases] == [2027, 2029, 2031]
    tot = PLAN.total()
    assert tot["gwh_per_year"] == 60
    assert tot["capex_usd"] == pytest.approx(sum(p.capex_usd for p in PLAN.phases))
    assert tot["formation_channels"] == 3 * P.formation_channels
    assert tot["credits_usd_per_kwh"] == pytest.approx((35 + 35 + 17.5) / 3)
